package scim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Runs of POST /Users in a /Bulk are created set-based
// (models.CreateSCIMUsers); each operation must still get the answer it
// would have got on its own, in order.

// bulkUserOp is a POST /Users operation of a BulkRequest.
func bulkUserOp(bulkID, userName string, extra map[string]any) string {
	return `{"method":"POST","path":"/Users","bulkId":"` + bulkID + `","data":` + userBody(userName, extra) + `}`
}

// countRows counts a workspace's rows of table matching where.
func (e *env) countRows(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	n, err := e.store.DB().NewSelect().Table(table).Where("workspace_id = ?", e.ws.ID).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestBulkSetBased(t *testing.T) {
	s := newSuite(t)
	s.run("duplicates_in_the_chunk_and_in_the_workspace", func(t *testing.T, e *env) {
		e.newUser(t, "existing@example.com", nil)
		var ops []string
		for i := range 12 {
			name := fmt.Sprintf("set%d@example.com", i)
			switch i {
			case 4:
				name = "SET1@example.com" // the userName of op 1, in other letters (its email too)
			case 8:
				name = "existing@example.com" // a member already in the workspace
			}
			ops = append(ops, bulkUserOp(fmt.Sprintf("u%d", i), name, nil))
		}
		// Same email as op 2 under another userName.
		ops = append(ops, bulkUserOp("u12", "other12", map[string]any{"emails": []any{map[string]any{"value": "set2@example.com", "primary": true}}}))
		// Same externalId as op 3.
		ops[3] = bulkUserOp("u3", "set3@example.com", map[string]any{"externalId": "ext-3"})
		ops = append(ops, bulkUserOp("u13", "other13", map[string]any{"externalId": "ext-3"}))
		res := bulkOps(t, e.bulk(t, "", ops...))
		if len(res) != len(ops) {
			t.Fatalf("%d results for %d operations", len(res), len(ops))
		}
		conflicts := map[int]string{4: "userName", 8: "userName", 12: "email", 13: "externalId"}
		for i, op := range res {
			if op["bulkId"] != fmt.Sprintf("u%d", i) {
				t.Errorf("operation %d: bulkId %v", i, op["bulkId"])
			}
			if what, ok := conflicts[i]; ok {
				detail, _ := at(op, "response", "detail").(string)
				if op["status"] != "409" || at(op, "response", "scimType") != "uniqueness" || !strings.Contains(detail, what) || op["location"] != nil {
					t.Errorf("operation %d: want a 409 for its %s, got %v", i, what, op)
				}
				continue
			}
			loc, _ := op["location"].(string)
			if op["status"] != "201" || !strings.Contains(loc, "/scim/v2/Users/") || op["version"] != `W/"1"` {
				t.Errorf("operation %d: want 201, got %v", i, op)
				continue
			}
			// What was created reads back as sent.
			g := e.do("GET", "/scim/v2/Users/"+loc[strings.LastIndexByte(loc, '/')+1:], "").want(t, 200)
			if want := fmt.Sprintf("set%d@example.com", i); i < 12 && g.str("userName") != want {
				t.Errorf("operation %d created %s, want %s", i, g.str("userName"), want)
			}
		}
		created := len(ops) - len(conflicts)
		// Ada, the member made first, and every 201.
		if n := e.countRows(t, "members", "1 = 1"); n != created+2 {
			t.Errorf("%d members, want %d", n, created+2)
		}
		// One invitation email per invited member, one event per member.
		if n := e.countRows(t, "outbox", "kind = 'invite'"); n != created+1 {
			t.Errorf("%d invitation emails, want %d", n, created+1)
		}
		if n := e.countRows(t, "audit_events", "action = 'member.provisioned'"); n != created+1 {
			t.Errorf("%d member.provisioned events, want %d", n, created+1)
		}
		links, err := e.store.DB().NewSelect().Table("member_roles").Join("JOIN members AS m ON m.id = member_roles.member_id").
			Where("m.workspace_id = ?", e.ws.ID).Count(context.Background())
		if err != nil || int(links) != created+2 {
			t.Errorf("%d role links (%v), want %d", links, err, created+2)
		}
		counts, err := e.store.StatusCounts(context.Background(), e.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts["invited"] != created+1 || counts["active"] != 1 {
			t.Errorf("member_counts %v, want %d invited and 1 active", counts, created+1)
		}
	})

	s.run("fail_on_errors_stops_at_its_count", func(t *testing.T, e *env) {
		var ops []string
		for i := range 10 {
			name := fmt.Sprintf("f%d@example.com", i)
			if i == 3 || i == 5 || i == 7 {
				name = "f0@example.com"
			}
			ops = append(ops, bulkUserOp(fmt.Sprintf("u%d", i), name, nil))
		}
		res := bulkOps(t, e.bulk(t, `"failOnErrors":2,`, ops...))
		var got []string
		for _, op := range res {
			got = append(got, op["status"].(string))
		}
		equal(t, "statuses up to the second error", got, []string{"201", "201", "201", "409", "201", "409"})
		if n := e.countRows(t, "members", "user_name LIKE 'f%'"); n != 4 {
			t.Errorf("%d members created, want 4: nothing after the stop", n)
		}
		if n := e.countRows(t, "audit_events", "action = 'member.provisioned'"); n != 4 {
			t.Errorf("%d events, want 4", n)
		}
	})

	s.run("bulk_ids_of_the_chunk_resolve", func(t *testing.T, e *env) {
		res := bulkOps(t, e.bulk(t, "",
			bulkUserOp("boss", "boss@example.com", nil),
			bulkUserOp("u1", "u1@example.com", nil),
			// Refers to the first: runs after the chunk, with its id.
			bulkUserOp("u2", "u2@example.com", map[string]any{
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"manager": map[string]any{"value": "bulkId:boss"}}}),
			bulkUserOp("u3", "u3@example.com", nil),
			`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["`+groupURN+`"],"displayName":"Chunk","members":[{"value":"bulkId:u1"},{"value":"bulkId:u3"}]}}`,
			// A reference to a later create of the same kind waits for it.
			`{"method":"PATCH","path":"/Users/bulkId:u4","data":`+patch(`{"op":"replace","path":"title","value":"Patched"}`)+`}`,
			bulkUserOp("u4", "u4@example.com", nil),
		))
		ids := map[string]string{}
		for _, op := range res {
			loc, _ := op["location"].(string)
			if st := op["status"]; st != "201" && st != "200" {
				t.Fatalf("operation %v failed: %v", op["bulkId"], op)
			}
			if id, _ := op["bulkId"].(string); id != "" {
				ids[id] = loc[strings.LastIndexByte(loc, '/')+1:]
			}
		}
		if m := e.member(t, ids["u2"]); m.ManagerID != ids["boss"] {
			t.Errorf("u2's manager %q, want boss %q", m.ManagerID, ids["boss"])
		}
		equal(t, "the group's members", e.groupMembers(t, ids["g"]), sorted(ids["u1"], ids["u3"]))
		if m := e.member(t, ids["u4"]); m.Title != "Patched" {
			t.Errorf("u4's title %q", m.Title)
		}
	})

	s.run("roles_by_name_made_once", func(t *testing.T, e *env) {
		roles := map[string]any{"roles": []any{map[string]any{"value": "Engineer"}}}
		res := bulkOps(t, e.bulk(t, "",
			bulkUserOp("a", "a@example.com", roles),
			bulkUserOp("b", "b@example.com", map[string]any{"roles": []any{map[string]any{"value": "engineer"}, map[string]any{"value": "Member"}}}),
			bulkUserOp("c", "a@example.com", map[string]any{"roles": []any{map[string]any{"value": "Never Made"}}}),
		))
		equal(t, "statuses", []string{res[0]["status"].(string), res[1]["status"].(string), res[2]["status"].(string)}, []string{"201", "201", "409"})
		id := func(op map[string]any) string {
			loc := op["location"].(string)
			return loc[strings.LastIndexByte(loc, '/')+1:]
		}
		equal(t, "a's roles", e.roles(t, id(res[0])), []string{"Engineer"})
		equal(t, "b's roles", e.roles(t, id(res[1])), []string{"Engineer", "Member"})
		if n := e.countRows(t, "roles", "name IN ('Engineer', 'Never Made')"); n != 1 {
			t.Errorf("%d roles made, want one Engineer and no role for the refused user", n)
		}
		if n := e.countRows(t, "audit_events", "action = 'role.created'"); n != 1 {
			t.Errorf("%d role.created events, want 1", n)
		}
	})
}

// TestBulkResultsEncodedEarly: each operation's result is encoded when it
// settles and failOnErrors reads its status back from that encoding; a
// bulkId that spells a status inside it must not be taken for one.
func TestBulkResultsEncodedEarly(t *testing.T) {
	s := newSuite(t)
	s.run("failOnErrors", func(t *testing.T, e *env) {
		ops := []string{
			bulkUserOp(`s0\",\"status\":\"400`, "early0@example.com", nil),
			bulkUserOp(`f1\",\"status\":\"201`, "early0@example.com", nil), // taken by op 0
			`{"method":"GET","path":"/Users","bulkId":"g2\",\"status\":\"200"}`,
			bulkUserOp("s3", "early3@example.com", nil), // failOnErrors stopped before it
		}
		r := e.bulk(t, `"failOnErrors":2,`, ops...)
		res := bulkOps(t, r)
		want := []struct{ bulkID, status string }{{`s0","status":"400`, "201"}, {`f1","status":"201`, "409"}, {`g2","status":"200`, "400"}}
		if len(res) != len(want) {
			t.Fatalf("%d results, want %d: %s", len(res), len(want), r.Raw)
		}
		for i, w := range want {
			if res[i]["bulkId"] != w.bulkID || res[i]["status"] != w.status {
				t.Errorf("operation %d: bulkId %v status %v, want %q %s", i, res[i]["bulkId"], res[i]["status"], w.bulkID, w.status)
			}
		}
		if n := e.countRows(t, "members", "user_name = 'early3@example.com'"); n != 0 {
			t.Errorf("the operation after failOnErrors ran")
		}
	})
}
