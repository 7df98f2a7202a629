package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// demoBatch members go into one transaction, and into one INSERT per
// table. On SQLite each INSERT inside a transaction keeps a statement
// journal of every page it changes that was there before it; filling a
// large workspace, a statement of 1,000 rows changes most pages of every
// index of members, so that journal (and its memory, allocated and freed
// again) was most of the work: 86 s of CPU for 100,000 members in 1,000-row
// statements (5,000 a transaction), 35 s in 10,000-row ones. Larger
// batches measured no faster (20,000: 6.5 s against 5.6 s of CPU at
// 30,000 members), nor did a larger page cache. PostgreSQL keeps no such
// journal and took longer with 10,000-row statements (100,000 members: 36
// to 52 s against 26 to 34 s), so there it stays at 5,000 rows a
// transaction in statements of 1,000 (pgDemoBatch, memberSetChunk).
const (
	demoBatch   = 10000
	pgDemoBatch = 5000
)

var (
	demoGiven  = strings.Fields("Ada Grace Alan Katherine Linus Margaret Dennis Barbara Ken Frances Edsger Radia Tim Hedy John Sophie Donald Shafi Leslie Anita Guido Yukihiro Bjarne Mary Niklaus Joan Ivan Lynn Tony Evelyn Chen Priya Omar Fatima Mateo Aiko Kwame Ingrid Rafael Zoë")
	demoFamily = strings.Fields("Lovelace Hopper Turing Johnson Torvalds Hamilton Ritchie Liskov Thompson Allen Dijkstra Perlman Berners-Lee Lamarr McCarthy Wilson Knuth Goldwasser Lamport Borg Rossum Matsumoto Stroustrup Keller Wirth Clarke Sutherland Conway Hoare Boyd Wei Raman Haddad Nasser García Tanaka Mensah Larsen Oliveira Müller")
	demoPlaces = []string{"Berlin", "London", "New York", "São Paulo", "Tokyo", "Lagos", "Bangalore", "Toronto", "Sydney", "Remote", ""}
	demoRoles  = []struct{ name, desc string }{
		{"Engineering", "Builds and runs the product."},
		{"Customer Success", "Helps customers get value."},
		{"Sales", "Finds new customers."},
	}
)

// SeedDemo adds n made-up members to a workspace: a realistic mix of
// statuses (mostly active, some invited, a few deactivated) and roles,
// written set-based (insertMembers) in transactions of demoBatch rows (a
// large fill on SQLite: in one, indexes built after, demoRebuildMin), then
// the planner's statistics refreshed (Analyze). The same seed gives the
// same people.
func (s *Store) SeedDemo(ctx context.Context, wsID string, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	roles, err := s.Roles(ctx, wsID)
	if err != nil {
		return err
	}
	byName := map[string]Role{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	now := s.now()
	for _, dr := range demoRoles {
		if _, ok := byName[dr.name]; !ok {
			r := Role{ID: newID(), WorkspaceID: wsID, Name: dr.name, Description: dr.desc, Version: 1,
				Permissions: joinPermissions([]Permission{PermViewMembers}), CreatedAt: now, UpdatedAt: now}
			if _, err := s.db.NewInsert().Model(&r).Exec(ctx); err != nil {
				return err
			}
			byName[r.Name] = r
		}
	}
	pick := []string{"Member", "Member", "Member", "Engineering", "Engineering", "Customer Success", "Sales"}
	// A run number keeps emails unique when the command runs twice.
	runTag := fmt.Sprintf("%x", now.UnixNano()%0xfffff)
	ws, err := s.WorkspaceByID(ctx, wsID)
	if err != nil {
		return err
	}
	batch, perStatement := demoBatch, demoBatch
	if s.IsPostgres() {
		batch, perStatement = pgDemoBatch, memberSetChunk
	}
	// fill writes one batch; on PostgreSQL each in a transaction of its own.
	fill := func(rows []newMemberRow) error {
		return s.tx(ctx, func(tx bun.Tx) error {
			_, err := s.insertMembersBy(ctx, tx, SystemActor, ws, rows, perStatement)
			return err
		})
	}
	run := func() error {
		for start := 0; start < n; start += batch {
			size := min(batch, n-start)
			rows := make([]newMemberRow, 0, size)
			for i := start; i < start+size; i++ {
				given, family := demoGiven[rng.IntN(len(demoGiven))], demoFamily[rng.IntN(len(demoFamily))]
				created := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
				m := &Member{ID: newID(), WorkspaceID: wsID, GivenName: given, FamilyName: family,
					DisplayName: given + " " + family, Location: demoPlaces[rng.IntN(len(demoPlaces))],
					Email:   strings.ToLower(fmt.Sprintf("%s.%s.%s-%d@example.com", emailPart(given), emailPart(family), runTag, i)),
					Version: 1, CreatedAt: created, UpdatedAt: created}
				m.UserName = m.Email
				switch p := rng.IntN(100); {
				case p < 80:
					m.Status = StatusActive
					seen := created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)) + 1)))
					m.LastSeenAt = &seen
				case p < 92:
					m.Status = StatusInvited
				default:
					m.Status = StatusDeactivated
				}
				m.setDerived()
				role := byName[pick[rng.IntN(len(pick))]]
				if rng.IntN(200) == 0 {
					role = byName["Admin"]
				}
				m.Roles = []Role{role}
				rows = append(rows, newMemberRow{M: m}) // made up: no links, emails or events of their own
			}
			if err := fill(rows); err != nil {
				return err
			}
		}
		return nil
	}
	rebuild, err := s.demoRebuild(ctx, n)
	if err != nil {
		return err
	}
	if !rebuild {
		if err := run(); err != nil {
			return err
		}
	} else if err := s.tx(ctx, func(tx bun.Tx) error {
		fill = func(rows []newMemberRow) error {
			_, err := s.insertMembersBy(ctx, tx, SystemActor, ws, rows, perStatement)
			return err
		}
		return withoutIndexes(ctx, tx, "members", run)
	}); err != nil {
		return err
	}
	if n >= analyzeAfter {
		if err := s.Analyze(ctx); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx bun.Tx) error {
		return s.audit(ctx, tx, wsID, SystemActor, "demo.seeded", "workspace", wsID, "", map[string]Change{"members": {nil, n}})
	})
}

// emailPart makes a name fit an email's local part: "Berners-Lee" → "bernerslee".
func emailPart(s string) string { return nonSlug.ReplaceAllString(strings.ToLower(asciiFold(s)), "") }

// demoRebuildMin members or more are filled on SQLite in one transaction
// with the indexes of members dropped and built again after (when the
// table held fewer rows than that before: building an index sorts every
// row of the table, not only the new ones). Measured at 100,000 members
// (BenchmarkSeedDemo, CPU of the process): 20 to 26 s against 34 s
// filling the indexes row by row in transactions of demoBatch; at 30,000,
// 5.0 to 5.5 s against 5.9 to 6.1 s. The one transaction also means a fill
// that fails leaves nothing behind; it holds SQLite's write lock
// throughout, which a demo fill may.
var demoRebuildMin = 20000

// demoRebuild tells whether SeedDemo fills n members with the indexes of
// members built after (SQLite, n at least demoRebuildMin and the rows the
// table holds already).
func (s *Store) demoRebuild(ctx context.Context, n int) (bool, error) {
	if s.IsPostgres() || n < demoRebuildMin {
		return false, nil
	}
	held, err := s.db.NewSelect().Table("members").Count(ctx)
	return int64(n) >= int64(held), err
}

// withoutIndexes runs fill with table's indexes (those of CREATE INDEX,
// not of its constraints) dropped, and builds them again after, all in
// tx: SQLite sorts the rows once for each index instead of inserting
// every row into each B-tree at a random place. A unique index that the
// new rows break fails, and the transaction with it.
func withoutIndexes(ctx context.Context, tx bun.Tx, table string, fill func() error) error {
	var idx []struct {
		Name string `bun:"name"`
		SQL  string `bun:"sql"`
	}
	if err := tx.NewRaw("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name", table).Scan(ctx, &idx); err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+i.Name+`"`); err != nil {
			return err
		}
	}
	if err := fill(); err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.Tx.ExecContext(ctx, i.SQL); err != nil {
			return err
		}
	}
	return nil
}
