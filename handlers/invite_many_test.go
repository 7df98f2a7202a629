package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestInviteSeveralAddresses: a pasted list gets one result per address,
// new rows arrive out of band, a pending one offers Resend? in place.
func TestInviteSeveralAddresses(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true", "HX-Current-URL", "http://x/w/acme/members"}
			member := memberRoleID(t, store, ws.ID, "Member")
			pat := c.post("/w/acme/members/invite", url.Values{"email": {"pat@example.com"}, "role": {member}, "action": {"save"}}, hx...)
			expectStatus(t, pat, 200)

			list := "grace.hopper@example.com, ada@example.com\nnot-an-address; Alan Turing <alan@example.com>\npat@example.com GRACE.hopper@example.com"
			res := c.post("/w/acme/members/invite", url.Values{"email": {list}, "role": {member}, "location": {"Oslo"}, "action": {"save"}}, hx...)
			expectStatus(t, res, 200)
			if strings.Contains(res.Header.Get("HX-Trigger"), "closeDialog") {
				t.Error("mixed results closed the dialog")
			}
			items := res.Doc.Find("#invite-results li")
			want := []struct{ email, kind string }{
				{"grace.hopper@example.com", "invited"}, {"ada@example.com", "member"}, {"not-an-address", "invalid"},
				{"alan@example.com", "invited"}, {"pat@example.com", "pending"},
			}
			if items.Length() != len(want) {
				t.Fatalf("%d results, want %d: %s", items.Length(), len(want), res.Body)
			}
			for i, w := range want {
				li := items.Eq(i)
				if li.Find(".addr").Text() != w.email || !li.HasClass(w.kind) {
					t.Errorf("result %d: %q %q, want %v", i, li.Find(".addr").Text(), li.AttrOr("class", ""), w)
				}
			}
			if !strings.Contains(items.Eq(0).Text(), "As Grace Hopper.") {
				t.Errorf("no derived name: %s", items.Eq(0).Text())
			}
			resend := items.Eq(4).Find("button[hx-post$='/resend']")
			if resend.Length() != 1 || resend.AttrOr("hx-target", "") != "closest li" {
				t.Errorf("no Resend? on the pending address: %s", items.Eq(4).Text())
			}
			// Save keeps what was not invited, to correct.
			if got := res.Doc.Find("#f-email").Text(); got != "not-an-address" {
				t.Errorf("email field after Save = %q", got)
			}
			// The two new rows, out of band.
			if n := strings.Count(res.Body, `id="member-`); !strings.Contains(res.Body, `hx-swap-oob="afterbegin:#members-rows"`) || n != 2 {
				t.Errorf("%d rows out of band: %s", n, res.Body)
			}
			// Resend? answers its own line; the dialog stays open.
			again := c.post(resend.AttrOr("hx-post", ""), nil, "HX-Request", "true", "HX-Target", items.Eq(4).AttrOr("id", ""))
			expectStatus(t, again, 200)
			if again.Doc.Find("li#invite-result-4").Length() != 1 || !strings.Contains(again.Body, "Invitation resent") || strings.Contains(again.Header.Get("HX-Trigger"), "closeDialog") {
				t.Errorf("inline resend: %v %s", again.Header, again.Body)
			}
			// Save and Add Another: the field cleared, role and location kept.
			another := c.post("/w/acme/members/invite", url.Values{"email": {"x@example.com y@example.com bad@"}, "role": {member}, "location": {"Oslo"}, "action": {"another"}}, hx...)
			expectStatus(t, another, 200)
			if another.Doc.Find("#f-email").Text() != "" || another.Doc.Find("#f-location").AttrOr("value", "") != "Oslo" || another.Doc.Find("#invite-results li").Length() != 3 {
				t.Errorf("add another: %s", another.Body)
			}
			// All invited with Save: the dialog closes, as for one person.
			all := c.post("/w/acme/members/invite", url.Values{"email": {"m1@example.com, m2@example.com"}, "role": {member}, "action": {"save"}}, hx...)
			expectStatus(t, all, 200)
			if trig := all.Header.Get("HX-Trigger"); !strings.Contains(trig, "closeDialog") || !strings.Contains(trig, "Invited 2 people.") {
				t.Errorf("all invited: %v", all.Header)
			}
			page := c.get("/w/acme/members?status=invited")
			if n := page.Doc.Find("#members-rows tr").Length(); n != 7 {
				t.Errorf("%d invited rows, want 7", n)
			}
		})
	}
}

// TestInviteSeveralAddressesRefused: what no address of could be invited,
// or the request as a whole, comes back as 422 with the form.
func TestInviteSeveralAddressesRefused(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true"}
			member := memberRoleID(t, store, ws.ID, "Member")
			// Only invalid addresses: a result for each.
			bad := c.post("/w/acme/members/invite", url.Values{"email": {"nope, also@nope@x"}, "role": {member}}, hx...)
			expectStatus(t, bad, http.StatusUnprocessableEntity)
			if bad.Doc.Find("#invite-results li.invalid").Length() != 2 || bad.Doc.Find("#invite-results .why").Length() != 2 {
				t.Errorf("invalid only: %s", bad.Body)
			}
			// Empty: the field's error, as today.
			empty := c.post("/w/acme/members/invite", url.Values{"email": {"  \n "}, "role": {member}}, hx...)
			expectStatus(t, empty, http.StatusUnprocessableEntity)
			if empty.Doc.Find("#f-email-error").Length() != 1 || empty.Doc.Find("#f-email[aria-invalid=true]").Length() != 1 {
				t.Errorf("empty: %s", empty.Body)
			}
			// More than the most at once.
			var many []string
			for i := range models.MaxInviteAddresses + 1 {
				many = append(many, "p"+strconv.Itoa(i)+"@example.com")
			}
			over := c.post("/w/acme/members/invite", url.Values{"email": {strings.Join(many, "\n")}, "role": {member}}, hx...)
			expectStatus(t, over, http.StatusUnprocessableEntity)
			if !strings.Contains(over.Doc.Find("#f-email-error").Text(), "at most 100") {
				t.Errorf("over the most: %s", over.Doc.Find("#f-email-error").Text())
			}
			// A name with several addresses.
			named := c.post("/w/acme/members/invite", url.Values{"name": {"Grace"}, "email": {"a@example.com b@example.com"}, "role": {member}}, hx...)
			expectStatus(t, named, http.StatusUnprocessableEntity)
			if named.Doc.Find("#f-name-error").Length() != 1 {
				t.Errorf("a name for several: %s", named.Body)
			}
			// One address without a name: named from it.
			one := c.post("/w/acme/members/invite", url.Values{"email": {"grace.hopper@example.com"}, "role": {member}, "action": {"save"}}, hx...)
			expectStatus(t, one, 200)
			if !strings.Contains(one.Header.Get("HX-Trigger"), "Invited Grace Hopper") {
				t.Errorf("derived name: %v", one.Header)
			}
			n, _ := store.DB().NewSelect().Model((*models.Member)(nil)).Count(context.Background())
			if n != 2 {
				t.Errorf("%d members, want 2", n)
			}
		})
	}
}

// TestInviteLimitThroughTheApp: 30 invitations at once against a limit of
// 10 an hour: 10 sent, 20 refused with 429 and the limit's message.
func TestInviteLimitThroughTheApp(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			member := memberRoleID(t, store, ws.ID, "Member")
			if _, err := store.DB().NewUpdate().Model((*models.Workspace)(nil)).Set("invites_per_hour = 10").Where("id = ?", ws.ID).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			var ok, limited atomic.Int64
			var wg sync.WaitGroup
			for i := range 30 {
				cc := *c
				cc.cookies = map[string]string{}
				for k, v := range c.cookies {
					cc.cookies[k] = v
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := cc.post("/w/acme/members/invite", url.Values{"email": {"p" + strconv.Itoa(i) + "@example.com"}, "role": {member}, "action": {"save"}}, "HX-Request", "true")
					switch {
					case res.StatusCode == 200:
						ok.Add(1)
					case res.StatusCode == http.StatusTooManyRequests && strings.Contains(res.Doc.Find("#invite-error").Text(), "10 invitations"):
						limited.Add(1)
					default:
						t.Errorf("invite %d: %d %.300s", i, res.StatusCode, res.Body)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 10 || limited.Load() != 20 {
				t.Errorf("%d sent, %d refused; want 10 and 20", ok.Load(), limited.Load())
			}
		})
	}
}

// TestRevokedRowsAndInviteAgain: a revoked invitation leaves All for the
// Revoked filter, where its menu offers Invite again.
func TestRevokedRowsAndInviteAgain(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true", "HX-Current-URL", "http://x/w/acme/members"}
			member := memberRoleID(t, store, ws.ID, "Member")
			expectStatus(t, c.post("/w/acme/members/invite", url.Values{"email": {"grace@example.com"}, "role": {member}, "action": {"save"}}, hx...), 200)
			var id string
			if err := store.DB().NewSelect().Model((*models.Member)(nil)).Column("id").Where("email = ?", "grace@example.com").Scan(context.Background(), &id); err != nil {
				t.Fatal(err)
			}
			revoke := c.post("/w/acme/members/"+id+"/revoke", nil, hx...)
			expectStatus(t, revoke, 200)
			if !strings.Contains(revoke.Body, `hx-swap-oob="delete"`) {
				t.Errorf("the revoked row stays in All: %s", revoke.Body)
			}
			if all := c.get("/w/acme/members"); all.Doc.Find("#member-"+id).Length() != 0 {
				t.Error("All shows the revoked invitation")
			}
			page := c.get("/w/acme/members?status=revoked")
			row := page.Doc.Find("#member-" + id)
			if row.Length() != 1 || !strings.Contains(row.Find(".badge").Text(), "Revoked") || row.Find(".chip").Text() != "Member" {
				t.Fatalf("revoked row: %s", page.Body)
			}
			btn := row.Find(`[hx-post$="/invite-again"]`)
			if btn.Length() != 1 || btn.Text() != "Invite again" || row.Find(`[hx-get$="/edit"]`).Length() != 0 {
				t.Errorf("revoked row menu: %s", row.Find(".menu-list").Text())
			}
			again := c.post(btn.AttrOr("hx-post", ""), nil, "HX-Request", "true", "HX-Current-URL", "http://x/w/acme/members?status=revoked")
			expectStatus(t, again, 200)
			if trig := again.Header.Get("HX-Trigger"); !strings.Contains(trig, "Invited grace@example.com again.") || !strings.Contains(again.Body, `hx-swap-oob="delete"`) {
				t.Errorf("invite again: %v %s", again.Header, again.Body)
			}
			if invited := c.get("/w/acme/members?status=invited"); invited.Doc.Find("#member-"+id).Length() != 1 {
				t.Error("not invited again")
			}
			// Twice is a conflict, as a toast.
			expectStatus(t, c.post(btn.AttrOr("hx-post", ""), nil, "HX-Request", "true"), http.StatusConflict)
		})
	}
}
