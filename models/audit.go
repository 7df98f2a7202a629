package models

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// AuditQuery filters the audit log: by who acted (actor id), what they did
// (action) and to whom (part of the target's name); Before pages back from
// an event id.
type AuditQuery struct {
	ActorID string
	Action  string
	Target  string
	Before  string
	// From and Until bound the events' times (From included, Until not);
	// zero is no bound. The index audit_events_by_time serves them.
	From, Until time.Time
	Limit       int
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Events []AuditEvent
	Next   string // the last event's id when there are older ones
}

// ListAudit pages through a workspace's audit log by id (UUIDv7, so by time).
func (s *Store) ListAudit(ctx context.Context, wsID string, q AuditQuery) (*AuditPage, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	sq := s.rdb.NewSelect().Model((*AuditEvent)(nil)).Where("workspace_id = ?", wsID)
	if q.ActorID != "" {
		sq = sq.Where("actor_id = ?", q.ActorID)
	}
	if q.Action != "" {
		sq = sq.Where("action = ?", q.Action)
	}
	if t := strings.TrimSpace(q.Target); t != "" {
		escape := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		sq = sq.Where(`lower(target_name) LIKE ? ESCAPE '\'`, "%"+escape.Replace(strings.ToLower(t))+"%")
	}
	if q.Before != "" {
		sq = sq.Where("id < ?", q.Before)
	}
	if !q.From.IsZero() {
		sq = sq.Where("created_at >= ?", q.From.UTC())
	}
	if !q.Until.IsZero() {
		sq = sq.Where("created_at < ?", q.Until.UTC())
	}
	page := &AuditPage{}
	if err := sq.Order("id DESC").Limit(int64(q.Limit+1)).Scan(ctx, &page.Events); err != nil {
		return nil, err
	}
	if len(page.Events) > q.Limit {
		page.Events = page.Events[:q.Limit]
		page.Next = page.Events[q.Limit-1].ID
	}
	return page, nil
}

// AuditActor is someone who appears as an actor in a workspace's log: a
// member, or a SCIM token (Kind "scim_token", named as the token is).
type AuditActor struct {
	ID   string `bun:"actor_id"`
	Kind string `bun:"actor_kind"`
	Name string `bun:"actor_name"`
}

// AuditFilters returns the actors and actions that occur in a workspace's
// log, for the filter menus.
func (s *Store) AuditFilters(ctx context.Context, wsID string) ([]AuditActor, []string, error) {
	var actors []AuditActor
	if err := s.rdb.NewSelect().Model((*AuditEvent)(nil)).ColumnExpr("actor_id, max(actor_kind) AS actor_kind, max(actor_name) AS actor_name").
		Where("workspace_id = ? AND actor_id IS NOT NULL", wsID).GroupExpr("actor_id").OrderExpr("actor_name").
		Limit(500).Scan(ctx, &actors); err != nil {
		return nil, nil, err
	}
	var actions []string
	err := s.rdb.NewSelect().Model((*AuditEvent)(nil)).ColumnExpr("DISTINCT action").Where("workspace_id = ?", wsID).
		OrderExpr("action").Scan(ctx, &actions)
	return actors, actions, err
}

// FieldChange is one changed field of an audit event, as text.
type FieldChange struct {
	Field, Before, After string
}

// ChangeList reads an event's changes, by field name.
func (e *AuditEvent) ChangeList() []FieldChange {
	var raw map[string][2]any
	if json.Unmarshal([]byte(e.Changes), &raw) != nil {
		return nil
	}
	out := make([]FieldChange, 0, len(raw))
	for field, ba := range raw {
		out = append(out, FieldChange{Field: strings.ReplaceAll(field, "_", " "), Before: changeText(ba[0]), After: changeText(ba[1])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func changeText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = changeText(p)
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprint(int64(x))
	default:
		return fmt.Sprint(x)
	}
}
