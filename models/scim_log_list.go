package models

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// SCIMLogQuery filters the provisioning log. Zero values match everything.
type SCIMLogQuery struct {
	Status   string // "2xx", "4xx", "5xx" or one status code such as "409"
	Failures bool   // only requests answered 400 or above
	Member   string // a member id, or part of the name of what a request touched
	TokenID  string
	Since    *time.Time
	Until    *time.Time
	After    string // a cursor: entries older than the one it names
	Limit    int
}

// SCIMLogPage is one page of the log, newest first.
type SCIMLogPage struct {
	Entries []SCIMLogEntry
	Next    string // cursor for older entries; "" on the last page
}

// SCIMLogStatuses are the status filters the log page offers.
var SCIMLogStatuses = []string{"2xx", "4xx", "5xx", "400", "401", "403", "404", "409", "412", "429"}

type logCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// ListSCIMLog pages a workspace's provisioning log, newest first, by keyset
// on (at, id): each filter has an index that begins with the workspace.
func (s *Store) ListSCIMLog(ctx context.Context, wsID string, q SCIMLogQuery) (*SCIMLogPage, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	var entries []SCIMLogEntry
	sel := s.rdb.NewSelect().Model(&entries).
		// Bodies stay out of lists; an entry's page reads them.
		ExcludeColumn("request", "response").
		Where("workspace_id = ?", wsID)
	switch st := q.Status; {
	case len(st) == 3 && strings.HasSuffix(st, "xx") && st[0] >= '1' && st[0] <= '5':
		lo := int(st[0]-'0') * 100
		sel = sel.Where("status >= ? AND status < ?", lo, lo+100)
	case len(st) == 3:
		if code, ok := atoiStatus(st); ok {
			sel = sel.Where("status = ?", code)
		}
	}
	if q.Failures {
		sel = sel.Where("status >= 400")
	}
	if m := strings.TrimSpace(q.Member); m != "" {
		if _, err := uuid.Parse(m); err == nil {
			sel = sel.Where("target_id = ?", m)
		} else {
			sel = sel.Where("lower(target_name) LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(m))+"%")
		}
	}
	if q.TokenID != "" {
		sel = sel.Where("token_id = ?", q.TokenID)
	}
	if q.Since != nil {
		sel = sel.Where("at >= ?", q.Since.UTC())
	}
	if q.Until != nil {
		sel = sel.Where("at < ?", q.Until.UTC())
	}
	if c, ok := decodeLogCursor(q.After); ok {
		sel = sel.Where("(at < ? OR (at = ? AND id < ?))", c.At, c.At, c.ID)
	}
	if err := sel.OrderExpr("at DESC, id DESC").Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, err
	}
	page := &SCIMLogPage{Entries: entries}
	if len(entries) > q.Limit {
		page.Entries = entries[:q.Limit]
		last := page.Entries[q.Limit-1]
		b, _ := json.Marshal(logCursor{At: last.At, ID: last.ID})
		page.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

func decodeLogCursor(s string) (logCursor, bool) {
	var c logCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if s == "" || err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return c, false // a cursor from an edited URL: the first page
	}
	return c, true
}

func atoiStatus(s string) (int, bool) {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, n >= 100 && n < 600
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SCIMLogEntryByID reads one entry of a workspace's log, bodies included.
func (s *Store) SCIMLogEntryByID(ctx context.Context, wsID, id string) (*SCIMLogEntry, error) {
	var e SCIMLogEntry
	if err := s.rdb.NewSelect().Model(&e).Where("workspace_id = ? AND id = ?", wsID, id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// SCIMLogOperations counts a /Bulk entry's operations and its failed ones.
func (s *Store) SCIMLogOperations(ctx context.Context, wsID, parentID string) (total, failed int, err error) {
	var row struct {
		Total  int `bun:"total"`
		Failed int `bun:"failed"`
	}
	err = s.rdb.NewSelect().Model((*SCIMLogEntry)(nil)).
		ColumnExpr("count(*) AS total, coalesce(sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS failed").
		Where("workspace_id = ? AND parent_id = ?", wsID, parentID).Scan(ctx, &row)
	return row.Total, row.Failed, err
}

// maxLoggedBody bounds what the log keeps of one request body.
const maxLoggedBody = 16 << 10

// secretKey matches the names of attributes whose values the log must not
// keep: passwords, secrets, tokens, keys.
var secretKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|credential|api[_-]?key|private[_-]?key)`)

// secretText masks "password": "…" and password=… in text that is not JSON.
var secretText = regexp.MustCompile(`(?i)("?[a-z_-]*(?:password|passwd|secret|token|credential|api[_-]?key)[a-z_-]*"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,&}]+)`)

// Masked is what replaces a secret in the log.
const Masked = "********"

// MaskSecrets prepares a request body for the log: JSON is re-indented with
// the value of every attribute named like a secret (password, token, …)
// replaced, at any depth, and in PATCH operations whose path names one;
// anything else has such values masked as text. The result is cut at 16 KiB.
func MaskSecrets(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if len(body) > 4*maxLoggedBody {
		// A large body (a failed /Bulk) is not decoded whole for the log:
		// its start is kept, masked as text.
		body = append(body[:maxLoggedBody:maxLoggedBody], "\n… (cut at 16 KiB)"...)
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var out string
	if err := d.Decode(&v); err == nil {
		b, err := json.MarshalIndent(maskValue(v), "", "  ")
		if err == nil {
			out = string(b)
		}
	}
	if out == "" {
		out = secretText.ReplaceAllString(string(body), "${1}\""+Masked+"\"")
	}
	if len(out) > maxLoggedBody {
		cut := maxLoggedBody
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "\n… (cut at 16 KiB)"
	}
	return out
}

func maskValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		// A PATCH operation {"op", "path": "password", "value": …}.
		if p, ok := x["path"].(string); ok && secretKey.MatchString(p) {
			for k := range x {
				if strings.EqualFold(k, "value") {
					x[k] = Masked
				}
			}
		}
		for k, val := range x {
			if secretKey.MatchString(k) {
				x[k] = Masked
			} else {
				x[k] = maskValue(val)
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = maskValue(x[i])
		}
		return x
	}
	return v
}
