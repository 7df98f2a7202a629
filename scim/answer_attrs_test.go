package scim_test

import (
	"testing"
)

// The answer to a create or a replace is built from the attributes as the
// store marshalled them, not decoded again from what it stored: it must
// be, byte for byte, what a GET reads back, however the numbers, letters
// and markup of the attributes were written.
func TestWriteAnswersAsReadBack(t *testing.T) {
	const attrs = `"name":{"givenName":"Jose\u0301","familyName":"<O'Neil & Sons>"},` +
		`"emails":[{"value":"jose@example.com","type":"work","primary":true}],` +
		`"x-numbers":{"exp":1E5,"big":12345678901234567890,"frac":1.0,"neg":-0.5e-7},` +
		`"phoneNumbers":[{"value":"+1 555 0100","type":"work"},{"value":"+1 555 0101","type":"mobile"}],` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m-1"}},` +
		`"title":"Head of \u00e9quipe \ud83d\ude80","active":true`
	each(t, func(t *testing.T, e *env) {
		post := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"jose",`+attrs+`}`).want(t, 201)
		id := post.str("id")
		if get := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200); get.Raw != post.Raw {
			t.Errorf("POST answered\n%s\nGET reads\n%s", post.Raw, get.Raw)
		}
		put := e.do("PUT", "/scim/v2/Users/"+id, `{"schemas":["`+userURN+`"],"userName":"jose","displayName":"J <b>",`+attrs+`}`).want(t, 200)
		if get := e.do("GET", "/scim/v2/Users/"+id, "").want(t, 200); get.Raw != put.Raw {
			t.Errorf("PUT answered\n%s\nGET reads\n%s", put.Raw, get.Raw)
		}
	})
}
