package migrations

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// members.search_text also holds the userName and name parts where the
// display name, email and location do not (models' searchText), so SCIM's
// co/sw/ew on userName and name.givenName/familyName go through the
// trigram index. This recomputes it for existing rows. Only rows whose
// text changes are written: after `muster demo`, or any member whose
// userName is their email and display name "given family", none are.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return BackfillSearchText(ctx, db)
	}, func(ctx context.Context, db *bun.DB) error {
		// The old text is a prefix of the new one and search finds a
		// superset with the new: nothing to undo.
		return nil
	})
}

// searchTextBatch rows are read, and their changes written, per statement:
// a keyset walk keeps memory flat in the number of members.
const searchTextBatch = 1000

type searchTextRow struct {
	ID          string `bun:"id"`
	DisplayName string `bun:"display_name"`
	Email       string `bun:"email"`
	Location    string `bun:"location"`
	UserName    string `bun:"user_name"`
	GivenName   string `bun:"given_name"`
	FamilyName  string `bun:"family_name"`
	SearchText  string `bun:"search_text"`
}

// BackfillSearchText sets every member's search_text to what models'
// searchText computes (a frozen copy: a migration must keep doing what it
// did). Exported for the test that checks both agree.
func BackfillSearchText(ctx context.Context, db bun.IDB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		after := ""
		for {
			var rows []searchTextRow
			err := tx.NewSelect().Table("members").
				Column("id", "display_name", "email", "location", "user_name", "given_name", "family_name", "search_text").
				Where("id > ?", after).OrderExpr("id").Limit(searchTextBatch).Scan(ctx, &rows)
			if err != nil || len(rows) == 0 {
				return err
			}
			after = rows[len(rows)-1].ID
			var values []string
			var args []any
			for _, r := range rows {
				if s := searchText2026(r); s != r.SearchText {
					values = append(values, "(?, ?)")
					args = append(args, r.ID, s)
				}
			}
			if len(values) == 0 {
				continue
			}
			// One statement per batch; both databases name a VALUES
			// list's columns column1, column2.
			if _, err := tx.NewRaw("UPDATE members SET search_text = v.column2 FROM (VALUES "+strings.Join(values, ", ")+
				") AS v WHERE members.id = v.column1", args...).Exec(ctx); err != nil {
				return err
			}
		}
	})
}

var searchFolder = cases.Fold()

func searchText2026(r searchTextRow) string {
	fold := func(s string) string { return searchFolder.String(norm.NFC.String(s)) }
	s := fold(r.DisplayName + " " + r.Email + " " + r.Location)
	for _, part := range [...]string{r.UserName, r.GivenName, r.FamilyName} {
		if f := fold(part); f != "" && !strings.Contains(s, f) {
			s += " " + f
		}
	}
	return s
}
