package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestMaskSecrets: what the provisioning log keeps of a failed request's
// body never holds a password or token, in any form IdPs send one.
func TestMaskSecrets(t *testing.T) {
	for _, tc := range []struct{ name, body, keep string }{
		{"top level", `{"userName":"a","password":"hunter2"}`, `"userName": "a"`},
		{"nested and any case", `{"Operations":[{"op":"add","value":{"Password":"hunter2","x":{"apiKey":"hunter2"}}}]}`, `"op": "add"`},
		{"PATCH path", `{"Operations":[{"op":"replace","path":"password","value":"hunter2"}]}`, `"path": "password"`},
		{"bearer token field", `{"token":"hunter2","client_secret":"hunter2"}`, `{`},
		{"not JSON", `userName=a&password=hunter2`, `userName=a`},
		{"JSON-like text", `{"password": "hunter2", broken`, `broken`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := models.MaskSecrets([]byte(tc.body))
			if strings.Contains(got, "hunter2") || !strings.Contains(got, models.Masked) || !strings.Contains(got, tc.keep) {
				t.Errorf("MaskSecrets(%s) = %s", tc.body, got)
			}
		})
	}
	big := `{"Operations":[` + strings.Repeat(`{"method":"POST","data":{"password":"hunter2"}},`, 5000) + `]}`
	if got := models.MaskSecrets([]byte(big)); len(got) > 17<<10 || strings.Contains(got, "hunter2") || !strings.HasSuffix(got, "(cut at 16 KiB)") {
		t.Errorf("a large body: %d bytes, ends %q", len(got), got[len(got)-40:])
	}
	if models.MaskSecrets(nil) != "" {
		t.Error("an empty body is not empty")
	}
}

// TestSCIMLogTargetNotIndexedOnSQLite: on SQLite no index of the
// provisioning log begins with what a request touched, so a lookup's entry
// (naming a random member) is written at the end of the time index, not at
// a random page of a by-member index (migration 20261206000200). The log
// filtered by member still finds GETs: TestProvisioningLogRequests.
func TestSCIMLogTargetNotIndexedOnSQLite(t *testing.T) {
	store := modelstest.Open(t, "sqlite")
	ctx := context.Background()
	var indexes []string
	if err := store.DB().NewRaw(`SELECT name FROM pragma_index_list('scim_log')`).Scan(ctx, &indexes); err != nil {
		t.Fatal(err)
	}
	byTime := ""
	for _, ix := range indexes {
		var cols []string
		if err := store.DB().NewRaw(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix).Scan(ctx, &cols); err != nil {
			t.Fatal(err)
		}
		if slices.Index(cols, "target_id") >= 0 && slices.Index(cols, "target_id") < len(cols)-1 {
			t.Errorf("index %s %v orders the log by target", ix, cols)
		}
		if ix == "scim_log_by_time" {
			byTime = strings.Join(cols, ",")
		}
	}
	// A member's history reads target_id from the time index, and a row
	// only for that member's entries.
	if byTime != "workspace_id,at,id,target_id" {
		t.Errorf("scim_log_by_time is (%s)", byTime)
	}
}
