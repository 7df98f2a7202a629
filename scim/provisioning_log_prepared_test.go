package scim_test

import (
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestProvisioningLogPreparedWrites: the log's writer inserts its entries
// without Bun's multi-row INSERT, which each database parsed anew every
// time: on SQLite through prepared statements, on PostgreSQL as one INSERT
// of an array a column (insertSCIMLogPG), one round trip; every entry is
// stored as it was written.
func TestProvisioningLogPreparedWrites(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			e := newEnvLog(t, d, true)
			e.do("GET", "/scim/v2/Users?count=1", "").want(t, 200)
			e.flushLog()
			counter := &statements{}
			e.store.AddQueryHook(counter)
			for i := range 20 {
				e.do("GET", "/scim/v2/Users?count=1&startIndex="+strings.Repeat("1", i%3+1), "").want(t, 200)
			}
			e.flushLog()
			inserts := 0
			for _, q := range counter.take() {
				if strings.HasPrefix(q, "INSERT INTO \"scim_log\"") {
					inserts++
				}
			}
			if inserts != 0 {
				t.Errorf("%d INSERTs into scim_log through Bun, want none", inserts)
			}
			entries := e.allLog(models.SCIMLogQuery{})
			if len(entries) != 21 {
				t.Fatalf("%d entries, want 21", len(entries))
			}
			for _, en := range entries {
				if en.Method != "GET" || en.Status != 200 || !strings.HasPrefix(en.Path, "/Users?count=1") || en.At.IsZero() ||
					en.TokenName != "Okta" || en.ParentID != nil {
					t.Errorf("entry %+v", en)
				}
			}
		})
	}
}
