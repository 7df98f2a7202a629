package models

import (
	"encoding/json"
	"testing"
)

// provisionedChanges writes the bytes json.Marshal wrote for the changes
// map of a provisioned member, whatever its strings hold: HTML characters,
// quotes, control characters, U+2028, invalid UTF-8, no roles or several.
func TestProvisionedChangesJSON(t *testing.T) {
	odd := []string{"", "plain", "Ann <ann@example.com> & co", `quote " back \ slash`, "tab\tnew\nline\x01", "line\u2028sep\u2029",
		"bad \xff\xfe utf8", "Zoë Ünal 日本", "del\x7f"}
	for _, s := range odd {
		for _, roles := range [][]Role{nil, {{Name: s}}, {{Name: "Member"}, {Name: s}, {Name: "Admin"}}} {
			m := &Member{UserName: s + "@u", Email: s, DisplayName: s, Status: StatusInvited, Roles: roles}
			want, err := json.Marshal(map[string]Change{"userName": {nil, m.UserName}, "email": {nil, m.Email},
				"name": {nil, m.DisplayName}, "roles": {nil, roleNames(m.Roles)}, "status": {nil, m.Status}})
			if err != nil {
				t.Fatal(err)
			}
			if got := provisionedChanges(m); got != string(want) {
				t.Errorf("provisionedChanges(%q, %d roles)\n got %s\nwant %s", s, len(roles), got, want)
			}
		}
	}
}
