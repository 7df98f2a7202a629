package scim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
)

// tricky strings: everything encoding/json escapes, and what it replaces.
var trickyStrings = []string{
	"", "plain", `"quoted"`, `back\slash`, "<script>alert(1)</script>", "a&b", "tab\tnew\nline\rcr",
	"\b\f\x00\x01\x1f\x7f", "José Ñúñez", "日本語", "emoji 😀", "\u2028line\u2029para", "bad \xff\xfe utf8",
	"trunc \xe2\x82", "javascript:alert(1)", "'single'", "$ref", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
}

// TestAppendJSONMatchesMarshal: the response encoder writes exactly the
// bytes json.Marshal wrote before, so no client sees a change.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	var values []any
	for _, s := range trickyStrings {
		values = append(values, s, map[string]any{s: s, "k": []any{s, json.Number("1.5e3"), true, nil}})
	}
	values = append(values,
		nil, true, false, 0, -42, json.Number("12"), json.Number(""), json.Number("-0.5E+10"), 3.25,
		[]any{}, []any(nil), []string{"a", "<b>"}, []string(nil), []map[string]any{{"value": "x", "$ref": "y"}},
		[]map[string]any(nil), map[string]any{}, map[string]any(nil),
		map[string]any{"Resources": []map[string]any{{"b": 1, "a": map[string]any{"z": nil, "A": "x"}}}, "itemsPerPage": 1,
			"schemas": []string{listResponseURN}, "startIndex": 1, "totalResults": 1},
		map[string]any{"many": map[string]any{"k01": 1, "k02": 2, "k03": 3, "k04": 4, "k05": 5, "k06": 6, "k07": 7, "k08": 8,
			"k09": 9, "k10": 10, "k11": 11, "k12": 12, "k13": 13, "k14": 14, "k15": 15, "k16": 16, "k17": 17, "K0": 0}},
		map[string]string{"other": "<type>"}, // falls back to json.Marshal
	)
	for _, v := range values {
		want, werr := json.Marshal(v)
		got, gerr := appendJSON(nil, v)
		if (werr != nil) != (gerr != nil) || (werr == nil && !bytes.Equal(got, want)) {
			t.Errorf("%#v:\n got %s (%v)\nwant %s (%v)", v, got, gerr, want, werr)
		}
	}
	// An invalid number fails as json.Marshal fails, not with bad JSON.
	if _, err := appendJSON(nil, map[string]any{"n": json.Number("1x")}); err == nil {
		t.Error("an invalid json.Number was written")
	}
}

// TestUserJSONEncodesAsBefore renders users (from columns and from a
// stored document full of tricky values) and compares with json.Marshal.
func TestUserJSONEncodesAsBefore(t *testing.T) {
	s := &Server{base: "https://muster.example/scim/v2"}
	ext := "ext-<1>"
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	doc, _ := json.Marshal(map[string]any{
		"displayName": trickyStrings[4], "name": map[string]any{"givenName": "José", "familyName": "\u2028"},
		"emails":   []any{map[string]any{"value": "a&b@example.com", "primary": true, "type": "work"}},
		"x-custom": []any{json.Number("3"), "\xff"}, enterpriseURN: map[string]any{"manager": map[string]any{"value": "m1"}, "department": "R&D"},
	})
	members := []*models.Member{
		{ID: "id-1", UserName: "ada@example.com", DisplayName: "Ada <Lovelace>", GivenName: "Ada", Email: "ada@example.com", EmailType: "work",
			Location: "London & Paris", Title: `"Countess"`, Department: "Maths", ManagerID: "m2", Status: models.StatusActive, Version: 3,
			CreatedAt: now, UpdatedAt: now, Roles: []models.Role{{ID: "r1", Name: "Admin <all>"}, {ID: "r2", Name: "Member"}}},
		{ID: "id-2", UserName: "u2", ExternalID: &ext, SCIMAttributes: string(doc), Status: models.StatusDeactivated, Version: 1,
			CreatedAt: now, UpdatedAt: now.Add(time.Hour)},
		{ID: "id-3", UserName: "u3", Status: models.StatusInvited, CreatedAt: now, UpdatedAt: now},
	}
	for _, m := range members {
		for _, p := range []projection{{}, newProjection("userName,name.givenName,emails.value", ""), newProjection("", "groups,meta,name.familyName")} {
			u := p.apply(s.userJSON(m))
			want, _ := json.Marshal(u)
			got, err := encodeBody(u)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: got %s (%v)\nwant %s", m.ID, got, err, want)
			}
			list := listResponse(1, 1, []map[string]any{u}).body
			want, _ = json.Marshal(list)
			if got, err = encodeBody(list); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s list: got %s (%v)\nwant %s", m.ID, got, err, want)
			}
			if strings.Contains(string(got), "<") {
				t.Errorf("%s: < written unescaped: %s", m.ID, got)
			}
		}
	}
}

// FuzzAppendJSONString: any string quotes as json.Marshal quotes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s want %s", s, got, want)
		}
	})
}
