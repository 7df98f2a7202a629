package scim

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
)

// TestUserBodyMatchesUserJSON: a member written from its columns comes
// out byte for byte as json.Marshal(userJSON(m)) did, whichever of its
// optional attributes are set and whatever they hold.
func TestUserBodyMatchesUserJSON(t *testing.T) {
	s := &Server{base: "https://muster.example/scim/v2"}
	rng := rand.New(rand.NewPCG(13, 2))
	pick := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return trickyStrings[rng.IntN(len(trickyStrings))]
	}
	created := time.Date(2026, 12, 2, 1, 2, 3, 0, time.FixedZone("x", 3600))
	for n := range 500 {
		m := &models.Member{ID: pick(), UserName: pick(), DisplayName: pick(), GivenName: pick(), FamilyName: pick(),
			Email: pick(), EmailType: pick(), Location: pick(), Title: pick(), Locale: pick(), EmployeeNumber: pick(),
			Department: pick(), ManagerID: pick(), Version: n,
			Status:    []string{models.StatusActive, models.StatusInvited, models.StatusDeactivated}[n%3],
			CreatedAt: created, UpdatedAt: created.Add(time.Duration(n) * time.Minute)}
		if n%2 == 0 {
			ext := pick()
			m.ExternalID = &ext
		}
		for range rng.IntN(3) {
			m.Roles = append(m.Roles, models.Role{ID: pick(), Name: pick()})
		}
		want, err := json.Marshal(s.userJSON(m))
		if err != nil {
			t.Fatal(err)
		}
		body := s.userBody(m, projection{})
		if _, ok := body.(rawJSON); !ok {
			t.Fatalf("member %d was not written from its columns", n)
		}
		got, err := appendJSON(nil, body)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("member %d:\n got %s (%v)\nwant %s", n, got, err, want)
		}
		// In a list response, as users.list sends it.
		list := listResponse(1, 1, []any{body}).body
		got, _ = encodeBody(list)
		want, _ = json.Marshal(listResponse(1, 1, []map[string]any{s.userJSON(m)}).body)
		if !bytes.Equal(got, want) {
			t.Fatalf("member %d in a list:\n got %s\nwant %s", n, got, want)
		}
	}
	// A projection goes the map's way.
	m := &models.Member{ID: "x"}
	if got := s.userBody(m, newProjection("userName", "")).(map[string]any); len(got) != 4 {
		t.Errorf("projection not applied: %v", got)
	}
}

// TestUserBodyFromDocument: a member with a stored document (as
// SCIMUser.apply writes it, json.Marshal of the attributes) comes out as
// json.Marshal(userJSON(m)) did.
func TestUserBodyFromDocument(t *testing.T) {
	s := &Server{base: "https://muster.example/scim/v2"}
	rng := rand.New(rand.NewPCG(13, 3))
	pick := func() any {
		switch rng.IntN(6) {
		case 0:
			return json.Number("12.50")
		case 1:
			return 1e21
		case 2:
			return rng.IntN(2) == 0
		case 3:
			return []any{trickyStrings[rng.IntN(len(trickyStrings))], map[string]any{"value": trickyStrings[rng.IntN(len(trickyStrings))], "primary": true}}
		}
		return trickyStrings[rng.IntN(len(trickyStrings))]
	}
	keys := []string{"displayName", "name", "emails", "addresses", "title", "locale", "x-Custom", "Zeta", "$odd", "nickName",
		"phoneNumbers", "schemas", "id", "userName", "active", "meta", "groups", "roles", "externalId", enterpriseURN, "<b>", "é"}
	created := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	docPath := 0
	for n := range 400 {
		attrs := map[string]any{}
		for range 1 + rng.IntN(8) {
			k := keys[rng.IntN(len(keys))]
			attrs[k] = pick()
			if k == enterpriseURN {
				ext := map[string]any{"department": pick(), "employeeNumber": "42"}
				if rng.IntN(3) == 0 {
					ext["manager"] = map[string]any{"value": "m-1"}
				}
				attrs[k] = ext
			}
		}
		doc, err := json.Marshal(attrs)
		if err != nil {
			t.Fatal(err)
		}
		m := &models.Member{ID: "id-<" + strconv.Itoa(n) + ">", UserName: "u&" + strconv.Itoa(n), SCIMAttributes: string(doc), Version: n,
			Status: []string{models.StatusActive, models.StatusDeactivated}[n%2], CreatedAt: created, UpdatedAt: created}
		if n%3 == 0 {
			ext := "ext\u2028" + strconv.Itoa(n)
			m.ExternalID = &ext
		}
		for range rng.IntN(3) {
			m.Roles = append(m.Roles, models.Role{ID: "r<" + strconv.Itoa(n), Name: "Role \"x\""})
		}
		want, _ := json.Marshal(listResponse(1, 1, []map[string]any{s.userJSON(m)}).body)
		body := s.userBody(m, projection{})
		if _, ok := body.(rawJSON); ok {
			docPath++
		}
		got, err := encodeBody(listResponse(1, 1, []any{body}).body)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("member %d (document %s):\n got %s (%v)\nwant %s", n, doc, got, err, want)
		}
	}
	if docPath < 200 {
		t.Fatalf("only %d of 400 documents were written without maps", docPath)
	}
	// A document that does not parse is rendered from the columns, as before.
	m := &models.Member{ID: "x", UserName: "u", DisplayName: "D", SCIMAttributes: "{not json"}
	want, _ := json.Marshal(s.userJSON(m))
	if got, _ := appendJSON(nil, s.userBody(m, projection{})); !bytes.Equal(got, want) {
		t.Errorf("bad document:\n got %s\nwant %s", got, want)
	}
}

// BenchmarkUserEncode: a User as json.Marshal(userJSON(m)) (before) and
// as userBody writes it, from columns and from a stored document:
//
//	go test ./scim -run '^$' -bench UserEncode -benchmem -count 3
func BenchmarkUserEncode(b *testing.B) {
	s := &Server{base: "https://muster.example/scim/v2"}
	now := time.Now()
	m := &models.Member{ID: "0b6f1a52-3c2d-4e8f-9a1b-7c6d5e4f3a2b", UserName: "ada@example.com", DisplayName: "Ada Lovelace",
		GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@example.com", EmailType: "work", Location: "London",
		Status: models.StatusActive, Version: 3, CreatedAt: now, UpdatedAt: now, Roles: []models.Role{{ID: "r1", Name: "Member"}}}
	doc, _ := json.Marshal(s.userJSON(m))
	withDoc := *m
	withDoc.SCIMAttributes = string(doc)
	for _, tc := range []struct {
		name string
		m    *models.Member
	}{{"columns", m}, {"document", &withDoc}} {
		b.Run(tc.name+"/marshal", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := json.Marshal(listResponse(1, 1, []map[string]any{s.userJSON(tc.m)}).body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/userBody", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := encodeBody(listResponse(1, 1, []any{s.userBody(tc.m, projection{})}).body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
