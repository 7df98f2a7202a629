package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// scimFixture is a workspace with members and roles chosen to tell the
// operators apart; ids maps short names (ada, grace, …) and role names to ids.
// at is hour h of the test's day on the store's clock, which starts at
// modelstest.Epoch: at(9) is that very moment.
func at(h int) time.Time { return modelstest.Epoch.Add(time.Duration(h-9) * time.Hour) }

// atText is at(h) plus extra as a filter value, in layout and zone.
func atText(h int, extra time.Duration, layout string, zone *time.Location) string {
	return at(h).Add(extra).In(zone).Format(layout)
}

type scimFixture struct {
	ws    *models.Workspace
	ids   map[string]string
	names map[string]string // id → short name
}

func setUpSCIMFilter(t testing.TB, s *models.Store) *scimFixture {
	t.Helper()
	ctx := context.Background()
	modelstest.FakeClock(s) // ada and the built-in roles: at(9), modelstest.Epoch
	_, ws := modelstest.SetUp(t, s)
	fx := &scimFixture{ws: ws, ids: map[string]string{}, names: map[string]string{}}
	var roles []models.Role
	if err := s.DB().NewSelect().Model(&roles).Where("r.workspace_id = ?", ws.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		fx.ids[r.Name] = r.ID
	}
	var ada models.Member
	if err := s.DB().NewSelect().Model(&ada).Where("m.workspace_id = ?", ws.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	fx.ids["ada"], fx.names[ada.ID] = ada.ID, "ada"

	for _, r := range []*models.Role{
		{Name: "Customer Success", ExternalID: ptr("grp-cs")},
		{Name: "Empty"},
	} {
		r.ID, r.WorkspaceID, r.Version, r.CreatedAt, r.UpdatedAt = uuid.NewString(), ws.ID, 1, at(9), at(9)
		if _, err := s.DB().NewInsert().Model(r).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		fx.ids[r.Name] = r.ID
	}

	members := []struct {
		short string
		m     models.Member
		roles []string
	}{
		{"grace", models.Member{UserName: "Grace.Hopper@Example.com", Email: "grace@example.com", DisplayName: "Grace Hopper",
			GivenName: "Grace", FamilyName: "Hopper", ExternalID: ptr("EXT-Grace"), Status: models.StatusActive,
			Title: "Rear Admiral", Locale: "en-US", Location: "Arlington", EmployeeNumber: "42", Department: "Navy",
			ManagerID: ada.ID, CreatedAt: at(10), UpdatedAt: at(10).Add(30 * time.Minute)}, []string{"Member", "Customer Success"}},
		{"alan", models.Member{UserName: "alan", Email: "alan@turing.org", DisplayName: "Alan Turing", GivenName: "Alan",
			FamilyName: "Turing", ExternalID: ptr("ext-alan"), Status: models.StatusDeactivated, EmailType: "home",
			Department: "Bletchley", CreatedAt: at(11), UpdatedAt: at(11).Add(30 * time.Minute)}, []string{"Member"}},
		{"linus", models.Member{UserName: "linus_100%", Email: "linus@example.com", DisplayName: "Linus",
			Status: models.StatusInvited, CreatedAt: at(12), UpdatedAt: at(12)}, nil},
		{"elodie", models.Member{UserName: "Élodie", Email: "elodie@example.fr", DisplayName: "Élodie Durand",
			GivenName: "Élodie", FamilyName: "Durand", Status: models.StatusActive, CreatedAt: at(13), UpdatedAt: at(13)}, nil},
	}
	for _, x := range members {
		m := x.m
		m.ID, m.WorkspaceID, m.Version = uuid.NewString(), ws.ID, 1
		if m.EmailType == "" {
			m.EmailType = "work"
		}
		m.SortName = strings.ToLower(m.DisplayName)
		m.SearchText = models.SearchTextOf(&m) // as setDerived
		if _, err := s.DB().NewInsert().Model(&m).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range x.roles {
			if _, err := s.DB().NewInsert().Model(&models.MemberRole{MemberID: m.ID, RoleID: fx.ids[r]}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		fx.ids[x.short], fx.names[m.ID] = m.ID, x.short
	}
	return fx
}

func ptr(s string) *string { return &s }

// expand puts ids in place of {name}, and {NAME} for an upper-cased id.
func (fx *scimFixture) expand(f string) string {
	var pairs []string
	for name, id := range fx.ids {
		pairs = append(pairs, "{"+name+"}", id, "{"+strings.ToUpper(name)+"}", strings.ToUpper(id))
	}
	return strings.NewReplacer(pairs...).Replace(f)
}

// match runs a filter and returns the sorted short names of members (or
// names of roles) it selects.
func (fx *scimFixture) match(t testing.TB, s *models.Store, res models.SCIMResource, f string) (string, error) {
	t.Helper()
	expr, err := filter.ParseFilter([]byte(fx.expand(f)))
	if err != nil {
		t.Fatalf("parse %s: %v", f, err)
	}
	where, args, err := models.SCIMWhere(expr, res, s.IsPostgres())
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	var got []string
	if res == models.SCIMUsers {
		var ms []models.Member
		err = s.DB().NewSelect().Model(&ms).Where("m.workspace_id = ?", fx.ws.ID).Where(where, args...).Scan(ctx)
		for _, m := range ms {
			got = append(got, fx.names[m.ID])
		}
	} else {
		var rs []models.Role
		err = s.DB().NewSelect().Model(&rs).Where("r.workspace_id = ?", fx.ws.ID).Where(where, args...).Scan(ctx)
		for _, r := range rs {
			got = append(got, r.Name)
		}
	}
	if err != nil {
		t.Fatalf("%s: %s %v: %v", f, where, args, err)
	}
	slices.Sort(got)
	return strings.Join(got, ","), nil
}

const (
	allUsers  = "ada,alan,elodie,grace,linus"
	allGroups = "Admin,Customer Success,Empty,Member"
	entURN    = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
)

func TestSCIMWhereUsers(t *testing.T) {
	cases := []struct{ filter, want string }{
		// userName: caseExact false, also beyond ASCII.
		{`userName eq "ADA@EXAMPLE.COM"`, "ada"},
		{`userName eq "grace.hopper@example.com"`, "grace"},
		{`userName eq "ÉLODIE"`, "elodie"},
		{`userName ne "alan"`, "ada,elodie,grace,linus"},
		{`userName co "HOPPER"`, "grace"},
		{`userName sw "Al"`, "alan"},
		{`userName ew ".COM"`, "ada,grace"},
		{`userName co "_"`, "linus"},
		{`userName co "%"`, "linus"},
		{`userName sw "linus_1"`, "linus"},
		{`userName gt "b"`, "elodie,grace,linus"},
		{`userName le "alan"`, "ada,alan"},
		{`userName pr`, allUsers},
		{`USERNAME EQ "alan"`, "alan"},
		// id and externalId: caseExact; externalId may be NULL.
		{`id eq "{grace}"`, "grace"},
		{`id eq "{GRACE}"`, ""},
		{`id ne "{grace}"`, "ada,alan,elodie,linus"},
		{`externalId eq "EXT-Grace"`, "grace"},
		{`externalId eq "ext-grace"`, ""},
		{`externalId co "ALAN"`, ""},
		{`externalId co "alan"`, "alan"},
		{`externalId sw "EXT"`, "grace"},
		{`externalId sw "ext"`, "alan"},
		{`externalId ew "Grace"`, "grace"},
		{`externalId ew "GRACE"`, ""},
		{`externalId ew ""`, "alan,grace"},
		{`externalId gt "a"`, "alan"}, // bytewise: "EXT" < "a"
		{`externalId pr`, "alan,grace"},
		{`not (externalId pr)`, "ada,elodie,linus"},
		{`externalId eq null`, "ada,elodie,linus"},
		{`externalId ne null`, "alan,grace"},
		{`externalId ne "EXT-Grace"`, "ada,alan,elodie,linus"},
		{`not (externalId eq "EXT-Grace")`, "ada,alan,elodie,linus"},
		{`not (externalId co "x")`, "ada,elodie,grace,linus"},
		// Names.
		{`displayName eq "grace hopper"`, "grace"},
		{`name.formatted co "lovelace"`, "ada"},
		{`name.givenName sw "g"`, "grace"},
		{`name.familyName eq "TURING"`, "alan"},
		{`name.givenName pr`, "alan,elodie,grace"},
		{`not (name.givenName pr)`, "ada,linus"},
		{`name.familyName lt "z"`, "alan,elodie,grace"},
		{`name.familyName ne "Hopper"`, "ada,alan,elodie,linus"},
		{`name pr`, allUsers},
		{`name.middleName pr`, ""},
		{`name[givenName eq "grace" and familyName eq "hopper"]`, "grace"},
		// Emails: one, lower-cased, primary.
		{`emails eq "GRACE@example.com"`, "grace"},
		{`emails co "example"`, "ada,elodie,grace,linus"},
		{`emails.value ew "turing.org"`, "alan"},
		{`emails.type eq "HOME"`, "alan"},
		{`emails[type eq "work" and value co "grace"]`, "grace"},
		{`emails[type eq "home" and value co "grace"]`, ""},
		{`emails[not (type eq "work")]`, "alan"},
		{`emails.primary eq true`, allUsers},
		{`emails.primary eq false`, ""},
		{`emails.display pr`, ""},
		// active
		{`active eq true`, "ada,elodie,grace,linus"},
		{`active eq false`, "alan"},
		{`active eq "False"`, "alan"},
		{`active ne true`, "alan"},
		{`not (active eq true)`, "alan"},
		{`active pr`, allUsers},
		{`active eq null`, ""},
		// '' means absent.
		{`title eq "rear admiral"`, "grace"},
		{`title pr`, "grace"},
		{`title lt "z"`, "grace"},
		{`title ne "x"`, allUsers},
		{`title eq ""`, ""},
		{`locale eq "EN-us"`, "grace"},
		{`addresses.locality eq "arlington"`, "grace"},
		{`addresses[type eq "work"]`, "grace"},
		{`addresses pr`, "grace"},
		{`addresses co "ling"`, "grace"},
		{`addresses.type ne "work"`, "ada,alan,elodie,linus"},
		{`addresses.primary eq true`, "grace"},
		{`addresses.country pr`, ""},
		// Roles by name, groups by id: any one value matches, and a value
		// filter's conditions hold for the same value.
		{`roles eq "customer success"`, "grace"},
		{`roles.value eq "member"`, "alan,grace"},
		{`roles.display co "adm"`, "ada"},
		{`roles pr`, "ada,alan,grace"},
		{`not (roles pr)`, "elodie,linus"},
		{`roles[value eq "Admin"]`, "ada"},
		{`roles[value eq "member" and display co "cust"]`, ""},
		{`roles.value eq "member" and roles.display co "cust"`, "grace"},
		{`groups eq "{Customer Success}"`, "grace"},
		{`groups.value eq "{Member}"`, "alan,grace"},
		{`groups.display eq "admin"`, "ada"},
		{`groups[value eq "{Customer Success}"]`, "grace"},
		{`not (groups.value eq "{Member}")`, "ada,elodie,linus"},
		// meta
		{`meta.created gt "` + atText(10, 30*time.Minute, time.RFC3339, time.UTC) + `"`, "alan,elodie,linus"},
		{`meta.created ge "` + atText(10, 0, time.RFC3339, time.UTC) + `"`, "alan,elodie,grace,linus"},
		{`meta.created lt "` + atText(10, 0, time.RFC3339, time.FixedZone("", 3600)) + `"`, "ada"}, // 11:00+01:00
		{`meta.created eq "` + atText(11, 0, time.RFC3339, time.UTC) + `"`, "alan"},
		{`meta.lastModified le "` + atText(10, 30*time.Minute, "2006-01-02T15:04:05.000Z07:00", time.UTC) + `"`, "ada,grace"},
		{`meta.resourceType eq "user"`, allUsers},
		{`meta pr`, allUsers},
		// Enterprise extension, with and without its URN.
		{entURN + `employeeNumber eq "42"`, "grace"},
		{`employeeNumber co "2"`, "grace"},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department eq "navy"`, "grace"},
		{`department pr`, "alan,grace"},
		{`not (department eq "navy")`, "ada,alan,elodie,linus"},
		{entURN + `manager.value eq "{ada}"`, "grace"},
		{`manager eq "{ada}"`, "grace"},
		{`manager eq "{ADA}"`, ""},
		{entURN + `manager pr`, "grace"},
		{entURN + `organization eq "x"`, ""},
		{`organization ne "x"`, allUsers},
		{`organization pr`, ""},
		{`organization eq null`, allUsers},
		{`costCenter sw "x"`, ""},
		// Core URN prefix, any case.
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "hopper"`, "grace"},
		{`urn:ietf:params:scim:schemas:core:2.0:user:USERNAME eq "alan"`, "alan"},
		// Schema attributes Muster does not store.
		{`nickName eq "x"`, ""},
		{`phoneNumbers[type eq "work"]`, ""},
		{`not (phoneNumbers[not (type eq "work")])`, allUsers},
		// Logic.
		{`userName eq "alan" or (title pr and not (active eq false))`, "alan,grace"},
		{`(userName sw "a" and active eq true) or externalId eq "EXT-Grace"`, "ada,grace"},
		{`userName eq "a" or userName eq "alan" or userName eq "linus_100%" or userName eq "x"`, "alan,linus"},
		{`userName eq "ada@example.com" and not (not (active eq true))`, "ada"},
		{`not (userName eq "alan" or active eq false) and not (roles pr)`, "elodie,linus"},
	}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		fx := setUpSCIMFilter(t, s)
		for _, c := range cases {
			got, err := fx.match(t, s, models.SCIMUsers, c.filter)
			if err != nil {
				t.Errorf("%s: %v", c.filter, err)
			} else if got != c.want {
				t.Errorf("%s: got [%s], want [%s]", c.filter, got, c.want)
			}
		}
	})
}

func TestSCIMWhereGroups(t *testing.T) {
	cases := []struct{ filter, want string }{
		{`displayName eq "ADMIN"`, "Admin"},
		{`displayName co "s"`, "Customer Success"},
		{`urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "mem"`, "Member"},
		{`externalId eq "grp-cs"`, "Customer Success"},
		{`externalId eq "GRP-CS"`, ""},
		{`not (externalId eq "grp-cs")`, "Admin,Empty,Member"},
		{`externalId ne "grp-cs"`, "Admin,Empty,Member"},
		{`members[value eq "{grace}"]`, "Customer Success,Member"},
		{`members.value eq "{ada}"`, "Admin"},
		{`members eq "{alan}"`, "Member"},
		{`members eq "{ALAN}"`, ""},
		{`id eq "{Member}" and members[value eq "{alan}"]`, "Member"},
		{`id eq "{Admin}" and members[value eq "{alan}"]`, ""},
		{`members.display co "turing"`, "Member"},
		{`members[display co "hopper" and value eq "{alan}"]`, ""},
		{`members pr`, "Admin,Customer Success,Member"},
		{`not (members pr)`, "Empty"},
		{`members.type eq "User"`, "Admin,Customer Success,Member"},
		{`meta.resourceType eq "Group"`, allGroups},
		{`meta.created ge "` + atText(9, 0, time.RFC3339, time.UTC) + `" and meta.lastModified le "` + atText(9, 0, time.RFC3339, time.UTC) + `"`, allGroups},
	}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		fx := setUpSCIMFilter(t, s)
		for _, c := range cases {
			got, err := fx.match(t, s, models.SCIMGroups, c.filter)
			if err != nil {
				t.Errorf("%s: %v", c.filter, err)
			} else if got != c.want {
				t.Errorf("%s: got [%s], want [%s]", c.filter, got, c.want)
			}
		}
	})
}

func TestSCIMWhereErrors(t *testing.T) {
	deep := `userName eq "x"`
	for range 51 {
		deep = "not (" + deep + ")"
	}
	terms := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(" or ")
			}
			b.WriteString(`userName eq "u` + strings.Repeat("x", i%7) + `"`)
		}
		return b.String()
	}
	cases := []struct {
		res          models.SCIMResource
		filter, says string // says: a part of the message
	}{
		{models.SCIMUsers, `foo eq "x"`, "foo"},
		{models.SCIMUsers, `active gt true`, "active"},
		{models.SCIMUsers, `active eq 1`, "active"},
		{models.SCIMUsers, `active co "t"`, "active"},
		{models.SCIMUsers, `userName eq 1`, "userName"},
		{models.SCIMUsers, `userName eq true`, "userName"},
		{models.SCIMUsers, `userName gt null`, "userName"},
		{models.SCIMUsers, `emails.foo eq "x"`, "emails.foo"},
		{models.SCIMUsers, `emails[foo eq "x"]`, "foo"},
		{models.SCIMUsers, `userName[value eq "x"]`, "userName"},
		{models.SCIMUsers, `userName.foo eq "x"`, "userName"},
		{models.SCIMUsers, `name eq "x"`, "name"},
		{models.SCIMUsers, `meta.created co "2026"`, "meta.created"},
		{models.SCIMUsers, `meta.created gt "yesterday"`, "meta.created"},
		{models.SCIMUsers, `urn:foo:bar:userName eq "x"`, "urn:foo:bar"},
		{models.SCIMUsers, `urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"`, "displayName"},
		{models.SCIMUsers, `members eq "x"`, "members"},
		{models.SCIMUsers, `password eq "x"`, "password"},
		{models.SCIMUsers, deep, "nested"},
		{models.SCIMUsers, terms(201), "200"},
		{models.SCIMGroups, `userName eq "x"`, "userName"},
		{models.SCIMGroups, `members.foo eq "x"`, "members.foo"},
		{models.SCIMGroups, entURN + `department eq "x"`, "department"},
	}
	for _, c := range cases {
		expr, err := filter.ParseFilter([]byte(c.filter))
		if err != nil {
			t.Fatalf("parse %s: %v", c.filter, err)
		}
		_, _, err = models.SCIMWhere(expr, c.res, false)
		var ferr *models.FilterError
		if !errors.As(err, &ferr) || !strings.Contains(ferr.Msg, c.says) {
			t.Errorf("%.60s: got %v, want a FilterError naming %q", c.filter, err, c.says)
		}
	}
	// A long chain of one operator is one level, and 200 comparisons pass.
	for _, f := range []string{terms(200), strings.Repeat("not (", 50) + `userName eq "x"` + strings.Repeat(")", 50)} {
		expr, err := filter.ParseFilter([]byte(f))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := models.SCIMWhere(expr, models.SCIMUsers, false); err != nil {
			t.Errorf("%.60s: %v", f, err)
		}
	}
}

// The lookups IdPs send before every write must hit the unique indexes.
func TestSCIMWhereIndexedLookups(t *testing.T) {
	for _, pg := range []bool{false, true} {
		for f, want := range map[string]string{
			`userName eq "Ada@Example.COM"`: "lower(m.user_name) = ?",
			`externalId eq "X-1"`:           "(m.external_id IS NOT NULL AND m.external_id = ?)",
		} {
			expr, _ := filter.ParseFilter([]byte(f))
			where, args, err := models.SCIMWhere(expr, models.SCIMUsers, pg)
			if err != nil || where != want || len(args) != 1 {
				t.Errorf("pg=%v %s: got %q %v %v, want %q", pg, f, where, args, err, want)
			}
		}
	}
	expr, _ := filter.ParseFilter([]byte(`userName eq "Ada@Example.COM"`))
	if _, args, _ := models.SCIMWhere(expr, models.SCIMUsers, true); args[0] != "ada@example.com" {
		t.Errorf("args %v: the value is lower-cased in Go", args)
	}
}

func TestSCIMSortColumn(t *testing.T) {
	sortable := map[models.SCIMResource][]string{
		models.SCIMUsers: {"userName", "id", "externalId", "displayName", "name.familyName", "name.givenName",
			"name.formatted", "name.middleName", "emails", "emails.value", "emails.type", "emails.primary", "active",
			"title", "locale", "addresses.locality", "addresses.type", "meta.created", "meta.lastModified",
			"meta.resourceType", "nickName", "urn:ietf:params:scim:schemas:core:2.0:User:userName",
			entURN + "department", entURN + "employeeNumber", entURN + "manager", entURN + "organization"},
		models.SCIMGroups: {"displayName", "id", "externalId", "meta.created", "meta.lastModified"},
	}
	refused := map[models.SCIMResource][]string{
		models.SCIMUsers:  {"", "foo", "roles", "roles.value", "groups", "userName.x", "name", "members", "userName eq"},
		models.SCIMGroups: {"members", "members.value", "userName", entURN + "department"},
	}
	for f, want := range map[string]string{
		"userName": "lower(m.user_name)", "name.familyName": "lower(m.family_name)", "meta.created": "m.created_at",
		"emails.value": "m.email", "displayName": "m.sort_name", entURN + "department": "lower(m.department)",
		"externalId": "COALESCE(m.external_id, '')",
	} {
		if got, err := models.SCIMSortColumn(f, models.SCIMUsers); got != want || err != nil {
			t.Errorf("%s: got %q %v, want %q", f, got, err, want)
		}
	}
	for res, attrs := range refused {
		for _, a := range attrs {
			_, err := models.SCIMSortColumn(a, res)
			var ferr *models.FilterError
			if !errors.As(err, &ferr) {
				t.Errorf("sort by %q: got %v, want a FilterError", a, err)
			}
		}
	}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		fx := setUpSCIMFilter(t, s)
		for res, attrs := range sortable {
			for _, a := range attrs {
				col, err := models.SCIMSortColumn(a, res)
				if err != nil {
					t.Errorf("sort by %s: %v", a, err)
					continue
				}
				var ids []string
				q := s.DB().NewSelect().Model((*models.Member)(nil)).Column("m.id").Where("m.workspace_id = ?", fx.ws.ID)
				if res == models.SCIMGroups {
					q = s.DB().NewSelect().Model((*models.Role)(nil)).Column("r.id").Where("r.workspace_id = ?", fx.ws.ID)
				}
				if err := q.OrderExpr(col+" DESC").Scan(ctx, &ids); err != nil {
					t.Errorf("sort by %s (%s): %v", a, col, err)
				}
			}
		}
		col, _ := models.SCIMSortColumn("meta.created", models.SCIMUsers)
		var ids []string
		if err := s.DB().NewSelect().Model((*models.Member)(nil)).Column("m.id").Where("m.workspace_id = ?", fx.ws.ID).
			OrderExpr(col+" ASC").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, id := range ids {
			order = append(order, fx.names[id])
		}
		if got := strings.Join(order, ","); got != "ada,grace,alan,linus,elodie" {
			t.Errorf("by meta.created: %s", got)
		}
	})
}

// FuzzSCIMWhere: whatever the parser accepts, SCIMWhere does not panic, and
// the SQL it returns runs.
func FuzzSCIMWhere(f *testing.F) {
	for _, seed := range []string{
		`userName eq "ada@example.com"`,
		`externalId eq "a%_\b"`,
		`emails[type eq "work" and value co "@x"]`,
		`emails co "x"`,
		`not (externalId ne null) or title pr`,
		`active eq "True" and meta.created gt "2026-01-02T15:04:05Z"`,
		`meta.lastModified le "2026-01-02T15:04:05.123+02:00"`,
		`roles[value eq "Admin" or display sw "a"]`,
		`groups.value ew "1"`,
		`members[value eq "u"] and id eq "g"`,
		`members.display gt "m"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "x"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName lt "b"`,
		`addresses[type eq "work"] and not (addresses.locality co "o")`,
		`phoneNumbers[not (value pr)]`,
		`displayName ge "" and displayName le "zz"`,
		`id sw "0" or id ew "f" or id co "-"`,
		`not (not (userName ne "x" and (title eq null or locale ne null)))`,
		`organization eq "x" or costCenter ne 1`,
		`emails.primary eq false or addresses.primary ne true`,
		`userName eq 1.5`,
	} {
		f.Add(seed)
	}
	s := modelstest.Open(f, "sqlite")
	_, ws := modelstest.SetUp(f, s)
	f.Fuzz(func(t *testing.T, in string) {
		// Mutations rarely keep a filter valid; the input as a compare
		// value reaches the SQL far more often.
		for _, f := range []string{in, `externalId sw "` + in + `"`, `userName ew "` + in + `"`,
			`emails[value co "` + in + `"]`, `meta.created gt "` + in + `"`, `members.display lt "` + in + `"`} {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				continue
			}
			for _, res := range []models.SCIMResource{models.SCIMUsers, models.SCIMGroups} {
				for _, pg := range []bool{true, false} {
					where, args, err := models.SCIMWhere(expr, res, pg)
					var ferr *models.FilterError
					if err != nil && !errors.As(err, &ferr) {
						t.Fatalf("%q: not a FilterError: %v", f, err)
					}
					if err == nil && !pg {
						if err := runSCIMWhere(s, ws.ID, res, where, args); err != nil {
							t.Fatalf("%q: %s %v: %v", f, where, args, err)
						}
					}
				}
			}
		}
	})
}

func runSCIMWhere(s *models.Store, wsID string, res models.SCIMResource, where string, args []any) error {
	q := s.DB().NewSelect().Model((*models.Member)(nil)).Where("m.workspace_id = ?", wsID)
	if res == models.SCIMGroups {
		q = s.DB().NewSelect().Model((*models.Role)(nil)).Where("r.workspace_id = ?", wsID)
	}
	_, err := q.Where(where, args...).Count(context.Background())
	return err
}

// Every attribute with every operator and kind of value: a FilterError or
// SQL that runs, on each database.
func TestSCIMWhereEveryAttribute(t *testing.T) {
	paths := map[models.SCIMResource][]string{
		models.SCIMUsers: {"id", "userName", "externalId", "displayName", "name", "name.formatted", "name.givenName",
			"name.familyName", "name.middleName", "emails", "emails.value", "emails.type", "emails.primary",
			"emails.display", "active", "title", "locale", "nickName", "addresses", "addresses.locality",
			"addresses.formatted", "addresses.type", "addresses.primary", "addresses.country", "roles",
			"roles.value", "roles.display", "roles.type", "groups", "groups.value", "groups.display", "groups.type",
			"meta", "meta.created", "meta.lastModified", "meta.resourceType", "phoneNumbers", "phoneNumbers.value",
			entURN + "employeeNumber", entURN + "department", entURN + "manager", entURN + "manager.value",
			entURN + "manager.displayName", entURN + "organization", entURN + "division", "costCenter"},
		models.SCIMGroups: {"id", "displayName", "externalId", "members", "members.value", "members.display",
			"members.type", "meta.created", "meta.lastModified", "meta.resourceType"},
	}
	values := []string{`"x"`, `""`, `"a%_\\"`, `"2026-11-23T10:00:00Z"`, `"True"`, `true`, `false`, `null`, `1`, `1.5`}
	ops := []string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		_, ws := modelstest.SetUp(t, s)
		check := func(res models.SCIMResource, f string) {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatalf("parse %s: %v", f, err)
			}
			where, args, err := models.SCIMWhere(expr, res, s.IsPostgres())
			var ferr *models.FilterError
			switch {
			case err != nil && !errors.As(err, &ferr):
				t.Errorf("%s: not a FilterError: %v", f, err)
			case err == nil:
				if err := runSCIMWhere(s, ws.ID, res, where, args); err != nil {
					t.Errorf("%s: %s %v: %v", f, where, args, err)
				}
			}
		}
		for res, ps := range paths {
			for _, p := range ps {
				check(res, p+" pr")
				check(res, "not ("+p+" pr)")
				for _, op := range ops {
					for _, v := range values {
						check(res, p+" "+op+" "+v)
					}
				}
				if head, sub, ok := strings.Cut(strings.TrimPrefix(p, entURN), "."); ok {
					check(res, head+"["+sub+` eq "x" or `+sub+" pr]")
					check(res, head+"[not ("+sub+" pr)]")
				}
			}
		}
	})
}

// TestSCIMSubstringThroughIndex: co, sw and ew on the attributes the
// trigram index covers find exactly what they find without it, matches in
// the middle of emails, any case, non-ASCII and values of one or two
// characters included.
func TestSCIMSubstringThroughIndex(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		_, ws := modelstest.SetUp(t, s)
		if err := s.SeedDemo(ctx, ws.ID, 150, 21); err != nil {
			t.Fatal(err)
		}
		roles, _ := s.Roles(ctx, ws.ID)
		for _, p := range []models.InviteInput{
			{Name: "İlker Yılmaz", Email: "ilker@istanbul.example", Location: "İSTANBUL"},
			{Name: "Zoë MÜLLER", Email: "zoe.mueller@straße.example", Location: "München"},
			{Name: "Ἀθηνᾶ Παπαδοπούλου", Email: "athena@example.gr", Location: "Αθήνα"},
			{Name: "50% Off_Sale", Email: "sale@shop.example", Location: "a_b%c"},
		} {
			p.RoleID = roles[0].ID
			if _, _, err := s.Invite(ctx, models.SystemActor, ws, p); err != nil {
				t.Fatal(err)
			}
		}
		// Members an identity provider names otherwise than their email
		// and display name: their userName and name parts are in the
		// index only because they differ.
		for _, u := range []models.SCIMUser{
			{UserName: "dek@old.example", Email: "don@tex.example", DisplayName: "Don", GivenName: "Donald Ervin", FamilyName: "Knuth"},
			{UserName: "DŽEMAL.ĐURIĆ", GivenName: "Džemal", FamilyName: "ĐURIĆ", DisplayName: "D. Đ."},
			{UserName: "ıŞıK", GivenName: "IŞIK", FamilyName: "Ünlü", DisplayName: "I. Ü.", Email: "isik@example.tr"},
			{UserName: "ἈΘΗΝΑ", GivenName: "Ἀθηνᾶ", FamilyName: "ΣΟΦΊΑ", DisplayName: "Α. Σ."},
		} {
			u.Active = true
			m, err := s.CreateSCIMUser(ctx, scimActor, ws, u)
			if err != nil {
				t.Fatal(err)
			}
			if u.UserName == "dek@old.example" {
				// A renamed userName is found by its new name only.
				_, err := s.ChangeSCIMUser(ctx, scimActor, ws, m.ID, m.Version, func(u *models.SCIMUser) error {
					u.UserName = "KNUTH.D@CS.example"
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		type result struct {
			total int
			ids   string
		}
		run := func(f string) result {
			expr, err := filter.ParseFilter([]byte(f))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ms, total, err := s.ListSCIMUsers(ctx, ws.ID, models.SCIMQuery{Filter: expr, StartIndex: 1, Count: 1000})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ids := make([]string, len(ms))
			for i, m := range ms {
				ids[i] = m.ID
			}
			return result{total, strings.Join(ids, ",")}
		}
		for _, c := range []struct {
			filter string
			min    int // at least this many match (0: any number)
		}{
			{`emails.value co "example.com"`, 100},
			{`emails co "EXAMPLE.COM"`, 100},
			{`emails.value co "istanbul"`, 1}, // the middle of an email
			{`emails.value ew "@istanbul.example"`, 1},
			{`emails.value sw "ilker@"`, 1},
			{`emails.value co "straße"`, 1},
			{`emails.value co "STRASSE"`, 0},
			{`displayName co "lovelace"`, 1},
			{`displayName co "LOVELACE"`, 1},
			{`displayName sw "ada lo"`, 1},
			{`displayName ew "müller"`, 0},
			{`displayName ew "MÜLLER"`, 1},
			{`displayName co "ilker"`, 0},
			{`displayName co "İlker"`, 1},
			{`displayName co "yılmaz"`, 1},
			{`name.formatted co "Παπαδοπ"`, 1},
			{`name.formatted co "παπαδοπ"`, 0}, // SQLite's lower() and LIKE fold ASCII only
			{`displayName co "% off_"`, 1},
			{`displayName co "%"`, 1},
			{`addresses.locality co "stanbul"`, 1},
			{`addresses co "b%c"`, 1},
			{`emails co "x"`, 0},
			{`emails co "zz"`, 0},
			{`displayName co "ov"`, 1},
			{`displayName co "ö"`, 0},
			{`displayName co "ov" and emails co "ace"`, 1},
			{`not (emails co "example.com")`, 3},
			{`emails co "lovelace" or displayName co "hopper"`, 1},
			{`emails co "nobody-has-this"`, 0},
			{`userName co "knuth.d"`, 1},
			{`userName sw "knuth.d@cs"`, 1},
			{`userName ew "d@cs.example"`, 1},
			{`userName co "lovelace"`, 1}, // a demo member's userName is their email
			{`userName co "example.com"`, 100},
			{`userName co "džemal"`, 0}, // SQLite's lower() folds ASCII only
			{`userName co "DŽEMAL"`, 1},
			{`userName co "ĐURIĆ"`, 1},
			{`userName co "ışık"`, 0},
			{`userName co "ıŞıK"`, 1},
			{`userName co "ἀθηνα"`, 0},
			{`userName co "ἈΘΗΝΑ"`, 1},
			{`name.givenName co "ervin"`, 1},
			{`name.givenName sw "donald e"`, 1},
			{`name.givenName co "Işı"`, 0},
			{`name.givenName co "IŞI"`, 1},
			{`name.givenName co "Ἀθη"`, 1},
			{`name.familyName co "knuth"`, 1},
			{`name.familyName ew "NUTH"`, 1},
			{`name.familyName co "ünl"`, 0},
			{`name.familyName co "Ünl"`, 1},
			{`name.familyName co "ΣΟΦΊ"`, 1},
			{`name.familyName co "σοφί"`, 0},
			{`name.familyName co "lovelace"`, 1},
			{`name.familyName co "đurić"`, 0},
			{`name.familyName co "ĐURIĆ"`, 1},
			{`userName co "knuth" or name.givenName co "donald"`, 1},
			{`userName co "tex.example"`, 0}, // the email's, not the userName's
			{`displayName co "knuth"`, 0},    // the userName's, not the display name's
			{`userName co "dek@old"`, 0},
		} {
			with := run(c.filter)
			restore := models.SetSCIMNarrowing(false)
			without := run(c.filter)
			restore()
			if with != without {
				t.Errorf("%s: %d matches through the index, %d without", c.filter, with.total, without.total)
			}
			if with.total < c.min {
				t.Errorf("%s: %d matches, want at least %d", c.filter, with.total, c.min)
			}
		}
		if n := run(`userName co "dek@old"`).total; n != 0 {
			t.Errorf("the old userName still matches %d members", n)
		}
	})
}
