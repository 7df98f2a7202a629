package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"
)

// Jumping to a page (page numbers, "Go to page") turns an offset into a
// keyset cursor: the row just before the page, found by reading only the
// sort columns, which the sort's index covers (workspace_id, cols…, id), so
// the database skips index entries without touching the rows. The page
// itself is then read by keyset as any other. When the count is exact
// (no search or role filter: member_counts), a page nearer the end is found
// from the end, reading the index backwards: the last page costs what the
// first does.

// jumpOffset clamps a wanted offset to the pages that exist: at least 0,
// and no further than the start of the last page of total rows.
func jumpOffset(offset, total, limit int) int {
	if offset >= total {
		offset = (total - 1) / limit * limit
	}
	return max(offset, 0)
}

// cursorBefore returns the cursor of the row at 0-based position pos-1 of
// the view filter gives, sorted by cols (desc for descending), so that the
// page after it starts at pos; "" when there is no such row (pos 0, or the
// rows went away meanwhile). total is the view's row count; exact says it
// is exact, so the end may be counted from.
func (s *Store) cursorBefore(ctx context.Context, filter func(*bun.SelectQuery) *bun.SelectQuery, cols []string, desc bool, pos, total int, exact bool) (string, error) {
	if pos <= 0 {
		return "", nil
	}
	at := pos - 1
	if exact && at >= total/2 && at < total {
		desc, at = !desc, total-1-at
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	m := new(Member)
	sq := filter(s.rdb.NewSelect().Model(m).ColumnExpr(strings.Join(cols, ", ")))
	for _, col := range cols {
		sq = sq.OrderExpr(col + dir)
	}
	if err := sq.Limit(1).Offset(int64(at)).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return "", err
	}
	return encodeCursor(sortValues(m, cols)), nil
}
