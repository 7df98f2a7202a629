package models_test

import (
	"context"
	neturl "net/url"
	"os"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestConformingStringsOn: Bun writes values into the query text with
// quotes doubled and backslashes as they are, which is only exact with
// standard_conforming_strings on; Open asks for it on every connection,
// even when the URL (or the server's configuration) turns it off.
func TestConformingStringsOn(t *testing.T) {
	url := os.Getenv(modelstest.PostgresEnv)
	if url == "" {
		t.Skip(modelstest.PostgresEnv + " is not set")
	}
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("standard_conforming_strings", "off")
	u.RawQuery = q.Encode()
	db, err := models.Open(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var on string
	if err := db.QueryRowContext(ctx, "SHOW standard_conforming_strings").Scan(&on); err != nil {
		t.Fatal(err)
	}
	var back string
	const tricky = `ends in a backslash\`
	if err := db.NewSelect().ColumnExpr("?", tricky).Scan(ctx, &back); err != nil {
		t.Fatal(err)
	}
	if on != "on" || back != tricky {
		t.Errorf("standard_conforming_strings %q, %q came back as %q", on, tricky, back)
	}
}
