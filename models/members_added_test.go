package models_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// createGrouped runs one SCIM create per entry of creates in one group
// (heldGroup). It returns each one's error.
func createGrouped(t *testing.T, s *models.Store, creates ...groupedCreate) []error {
	t.Helper()
	return heldGroup(t, s, len(creates), func(i int) error {
		_, err := s.CreateSCIMUser(context.Background(), models.SystemActor, creates[i].ws, creates[i].user)
		return err
	})
}

// groupedCreate is one create of createGrouped: user, in ws.
type groupedCreate struct {
	ws   *models.Workspace
	user models.SCIMUser
}

// TestMembersAddedOncePerGroup: on SQLite members has no INSERT triggers;
// SCIM creates that share a group get their search rows, status counts
// and change-token bumps written together at the group's end. After a
// clean group, one into two workspaces, and one whose first run failed (a
// userName taken) and ran again in savepoints, the counts are the
// members', each member has one search row and is found by search before
// and after the index is flushed, and each workspace's token moved once
// per member and role link of its own.
func TestMembersAddedOncePerGroup(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	f := newInviteFixture(t, s)
	var triggers []string
	if err := s.DB().NewRaw(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'members' AND sql LIKE '%AFTER INSERT%'`).
		Scan(f.ctx, &triggers); err != nil {
		t.Fatal(err)
	}
	if len(triggers) > 0 {
		t.Errorf("members has INSERT triggers %v: each INSERT into it would open a statement journal", triggers)
	}
	create := func(ws *models.Workspace, name string, active bool) groupedCreate {
		return groupedCreate{ws, models.SCIMUser{UserName: name, GivenName: "Zq" + name[:4], FamilyName: "Person", Email: name + "@example.com", Active: active}}
	}
	found := func(ws *models.Workspace, term string, want int) {
		t.Helper()
		for _, when := range []string{"queued", "flushed"} {
			page, err := s.ListMembers(f.ctx, ws.ID, models.MemberQuery{Search: term, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want || len(page.Members) != want {
				t.Errorf("%s: %s: search %q found %d (total %d), want %d", ws.Name, when, term, len(page.Members), page.Total, want)
			}
			if err := models.FlushSearchIndex(f.ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	token := func(ws *models.Workspace) int64 {
		t.Helper()
		tok, err := s.ChangeToken(f.ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseInt(tok, 10, 64)
		return n
	}
	// after checks ws's counts, how far its token moved since before, and
	// how many groups ran again in savepoints so far.
	after := func(ws *models.Workspace, before, moved, reruns int64) {
		t.Helper()
		checkCounts(t, s, ws.ID)
		if d := token(ws) - before; d != moved {
			t.Errorf("%s: the token moved by %d, want %d", ws.Name, d, moved)
		}
		if n := models.GroupReruns(s); n != reruns {
			t.Errorf("%d groups ran again, want %d", n, reruns)
		}
	}

	before := token(f.ws)
	var creates []groupedCreate
	for i := range 6 {
		creates = append(creates, create(f.ws, fmt.Sprintf("grpa-%d", i), i%3 != 0))
	}
	for i, err := range createGrouped(t, s, creates...) {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	// Each member and its Member role link moved the token.
	after(f.ws, before, 12, 0)
	found(f.ws, "zqgrpa", 6)

	other, err := s.CreateWorkspace(f.ctx, f.adminA, "Other")
	if err != nil {
		t.Fatal(err)
	}
	before, beforeOther := token(f.ws), token(other)
	for i, err := range createGrouped(t, s, create(f.ws, "grpc-0", true), create(other, "grpc-1", true),
		create(f.ws, "grpc-2", false), create(other, "grpc-3", false), create(other, "grpc-4", true)) {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	after(f.ws, before, 4, 0)
	after(other, beforeOther, 6, 0)
	found(f.ws, "zqgrpc", 2)
	found(other, "zqgrpc", 3)

	// Last: after a failure, groups run in savepoints for a while.
	before = token(f.ws)
	errs := createGrouped(t, s, create(f.ws, "grpb-0", true), create(f.ws, "grpa-1", true), create(f.ws, "grpb-2", false))
	if errs[0] != nil || errs[2] != nil || conflictCode(errs[1]) == "" {
		t.Fatalf("errors %v, want nil, a conflict, nil", errs)
	}
	after(f.ws, before, 4, 1)
	found(f.ws, "zqgrpb", 2)
	found(f.ws, "zqgrpa", 6)
}
