package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestLoaderAgainstMuster: the load tool's own steps still work against
// the app as it is: signing in through the form, loading the members page
// with that session (a page that sends back to /signin is an error, not a
// fast 200), and a SCIM filter with a token. A change to the sign-in form
// would otherwise break tools/scim-load.sh only when someone runs it.
func TestLoaderAgainstMuster(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		_, ws := modelstest.SetUp(t, s)
		token, _, err := s.CreateSCIMToken(context.Background(), models.SystemActor, ws, "load")
		if err != nil {
			t.Fatal(err)
		}
		app := handlers.New(handlers.Options{Store: s})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go app.Listener(ln) //nolint:errcheck // ends with Shutdown
		t.Cleanup(func() { _ = app.Shutdown() })
		base := "http://" + ln.Addr().String()
		members := base + "/w/" + url.PathEscape(ws.Slug) + "/members"

		l := newLoader(base+"/scim/v2", token, 1)
		if err := l.signIn(base, "ada@example.com", "wrong password"); err == nil {
			t.Error("signing in with a wrong password succeeded")
		}
		if _, err := l.page(members); err == nil || !strings.Contains(err.Error(), "/signin") {
			t.Errorf("the members page without a session: %v, want a redirect to /signin as an error", err)
		}
		l = newLoader(base+"/scim/v2", token, 1)
		if err := l.signIn(base, "ada@example.com", modelstest.AdminPassword); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"", "?q=lovelace"} {
			if code, err := l.page(members + q); err != nil || code != http.StatusOK {
				t.Errorf("members%s: %d %v", q, code, err)
			}
		}
		if _, err := l.send("GET", "/Users?filter="+url.QueryEscape(`userName co "ada"`)+"&count=100", nil); err != nil {
			t.Error(err)
		}
		// What the POST and /Bulk modes send, through the same client.
		if code, err := l.send("POST", "/Users", userBody("loadtest-1")); err != nil || code != http.StatusCreated {
			t.Errorf("POST /Users: %d %v", code, err)
		}
		if code, err := l.send("POST", "/Users", userBody("loadtest-1")); err == nil || code != http.StatusConflict {
			t.Errorf("POST /Users again: %d %v, want 409 as an error", code, err)
		}
		if code, err := l.send("POST", "/Bulk", bulkBody("loadtest-bulk", 2)); err != nil || code != http.StatusOK {
			t.Errorf("POST /Bulk: %d %v", code, err)
		}
		if _, err := l.send("POST", "/Bulk", bulkBody("loadtest-bulk", 2)); err == nil || !strings.Contains(err.Error(), "bulk operations failed") {
			t.Errorf("POST /Bulk of users that exist: %v, want its operations' failures as an error", err)
		}
		l.token = "muster_scim_wrong"
		if _, err := l.send("GET", "/Users?filter="+url.QueryEscape(`userName co "ada"`), nil); err == nil {
			t.Error("a wrong token was accepted")
		}
	})
}
