package scim_test

import (
	"net/url"
	"reflect"
	"testing"
)

// TestLookupAnswersAsGet: a userName eq or externalId eq lookup (read by
// lookupSCIMUser, a partial member) shows each user exactly as GET
// /Users/{id} (the whole member) does: roles in order, manager, the
// enterprise extension, attributes only the stored document holds, a
// member no identity provider wrote.
func TestLookupAnswersAsGet(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// Made in the order their ids keep, not the order roles are shown.
		for _, g := range []string{"zeta", "Beta", "alpha"} {
			e.do("POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"`+g+`"}`).want(t, 201)
		}
		ada := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"ada.l@example.com","externalId":"ext-ada",`+
			`"name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada.l@example.com","primary":true}]}`).want(t, 201).str("id")
		grace := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`","`+entURN+`"],"userName":"Grace.Hopper@Example.com",`+
			`"externalId":"ext-Grace","displayName":"Grace H","title":"RADM","locale":"en-US","nickName":"Amazing Grace",`+
			`"phoneNumbers":[{"value":"+1 555","type":"work"}],"addresses":[{"locality":"Arlington","type":"work"}],`+
			`"name":{"givenName":"Grace","familyName":"Hopper","middleName":"Brewster"},"emails":[{"value":"grace@example.com","type":"work","primary":true}],`+
			`"roles":[{"value":"zeta"},{"value":"Admin"},{"value":"Beta"},{"value":"alpha"},{"value":"Member"}],`+
			`"`+entURN+`":{"department":"Navy","employeeNumber":"42","costCenter":"CC1","manager":{"value":"`+ada+`"}}}`).want(t, 201).str("id")
		noExt := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"noext@example.com","active":false,"roles":[]}`).want(t, 201).str("id")
		cases := []struct{ id, filter string }{
			{ada, `userName eq "ADA.L@example.com"`}, {ada, `externalId eq "ext-ada"`},
			{grace, `userName eq "grace.hopper@example.com"`}, {grace, `externalId eq "ext-Grace"`},
			{noExt, `userName eq "noext@example.com"`},
		}
		// The workspace's owner: a member no identity provider wrote.
		for _, u := range e.do("GET", "/scim/v2/Users", "").want(t, 200).resources() {
			if id, _ := u["id"].(string); id != ada && id != grace && id != noExt {
				name, _ := u["userName"].(string)
				cases = append(cases, struct{ id, filter string }{id, `userName eq "` + name + `"`})
			}
		}
		if len(cases) != 6 {
			t.Fatalf("%d cases", len(cases))
		}
		for _, c := range cases {
			get := e.do("GET", "/scim/v2/Users/"+c.id, "").want(t, 200)
			list := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(c.filter), "").want(t, 200)
			res := list.resources()
			if len(res) != 1 {
				t.Fatalf("%s: %d resources: %s", c.filter, len(res), list.Raw)
			}

			if !reflect.DeepEqual(res[0], get.JSON) {
				t.Errorf("%s:\nlookup %v\nGET    %v", c.filter, res[0], get.JSON)
			}
		}
	})
}
