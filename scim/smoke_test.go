package scim_test

import "testing"

func TestSmoke(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"grace@example.com","name":{"givenName":"Grace","familyName":"Hopper"},"emails":[{"primary":true,"value":"grace@example.com","type":"work"}],"active":true,"externalId":"00u1","password":"x","groups":[]}`).want(t, 201)
		t.Log(r.Raw)
		id := r.str("id")
		g := e.do("GET", `/scim/v2/Users?filter=userName%20eq%20%22GRACE@example.com%22`, "").want(t, 200)
		t.Log(g.Raw)
		p := e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).want(t, 200)
		t.Log(p.Raw)
		gr := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[{"value":"`+id+`"}]}`).want(t, 201)
		t.Log(gr.Raw)
		b := e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:u1"}]}},{"method":"POST","path":"/Users","bulkId":"u1","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com"}}]}`).want(t, 200)
		t.Log(b.Raw)
		isSCIMError(t, e.do("GET", "/scim/v2/Nope", ""), 404, "")
	})
}
