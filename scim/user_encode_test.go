package scim

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
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
	// A stored document, or a projection, goes the map's way.
	m := &models.Member{ID: "x", SCIMAttributes: `{"displayName":"D"}`}
	if _, ok := s.userBody(m, projection{}).(map[string]any); !ok {
		t.Error("a stored document was not rendered from it")
	}
	m.SCIMAttributes = ""
	if got := s.userBody(m, newProjection("userName", "")).(map[string]any); len(got) != 4 {
		t.Errorf("projection not applied: %v", got)
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
