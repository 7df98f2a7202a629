package scim_test

import (
	"strings"
	"testing"
)

// TestCreateWithoutDisplayNameFits: Okta sends name.givenName and
// name.familyName (up to 100 characters each) and no displayName unless
// it is mapped. The members table's name made from them is cut to 200
// characters, without a space at the end, instead of refusing the user for
// a displayName the IdP never sent (400 before).
func TestCreateWithoutDisplayNameFits(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		given, family := strings.Repeat("G", 100), strings.Repeat("F", 100)
		r := e.do("POST", "/scim/v2/Users", userBody("long.names@example.com", map[string]any{
			"name": map[string]any{"givenName": given, "familyName": family}})).want(t, 201)
		// The response keeps what was sent (no displayName); the members
		// table shows the name made from it.
		if want, m := given+" "+family[:99], e.member(t, r.str("id")); m.DisplayName != want {
			t.Errorf("the member's name %q, want %q", m.DisplayName, want)
		}
		if r.str("name.givenName") != given || r.str("name.familyName") != family {
			t.Errorf("name not kept whole: %s", r.Raw)
		}
		// A name sent as displayName is the IdP's: too long is its error.
		bad := e.do("POST", "/scim/v2/Users", userBody("long.display@example.com", map[string]any{
			"displayName": strings.Repeat("D", 201)}))
		isSCIMError(t, bad, 400, "invalidValue")
	})
}
