package models_test

import (
	"context"
	"testing"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// TestLookupColumnsUndeclared: on SQLite a lookup's columns have no
// declared type, which the driver would otherwise read (and allocate) for
// every text value of every row.
func TestLookupColumnsUndeclared(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	types, err := models.LookupDeclTypes(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) == 0 {
		t.Fatal("no columns")
	}
	for i, typ := range types {
		if typ != "" {
			t.Errorf("column %d is declared %s", i, typ)
		}
	}
}
