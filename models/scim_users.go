package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// SCIMUser is a member as an identity provider sees it: the attributes of
// a SCIM User that Muster keeps. The scim package maps JSON to and from it;
// every rule about members is applied here, as for the browser.
type SCIMUser struct {
	UserName       string
	ExternalID     *string
	DisplayName    string
	GivenName      string
	FamilyName     string
	Email          string
	EmailType      string
	Location       string
	Title          string
	Locale         string
	EmployeeNumber string
	Department     string
	ManagerID      string
	Active         bool
	// Roles are role names. Nil leaves a member's roles as they are (a new
	// member gets the built-in Member role); empty takes every role away.
	// A name no role has yet becomes a role without permissions.
	Roles []string
	// Attributes is the whole User as the identity provider last wrote it,
	// minus what Muster owns (id, meta, userName, externalId, active,
	// roles, groups): JSON-ready, kept as it came and given back on every
	// read, so what an IdP writes is what it reads. The fields above are
	// what Muster uses of it, and the scim package derives them from it.
	// Nil for a member no identity provider has written.
	Attributes map[string]any
	// GroupIDs are roles, by id, the member joins besides Roles: the
	// groups some Okta apps send inside a User. They only add; ids that
	// name no role of the workspace are skipped, as in a Group's members.
	GroupIDs []string
	// attrsJSON is Attributes as clean marshalled them (checking their
	// size), for apply to store: marshalled once, not twice ("" before
	// clean, or without attributes). attrsOf is the map it was made from,
	// so a map put in its place since is marshalled anew.
	attrsJSON string
	attrsOf   map[string]any
	// cleaned says clean has run (Prepare), with the error it gave.
	cleaned  bool
	cleanErr error
}

// Prepare cleans and checks u as a create would, ahead of CreateSCIMUsers,
// which then takes the result instead of doing it inside the writer's
// transaction: /Bulk prepares a chunk's users while the one before is
// written. u must not change after.
func (u *SCIMUser) Prepare() {
	u.cleanErr, u.cleaned = u.clean(), true
}

// cleanOnce is clean for a create: the result of Prepare when u was
// prepared. Cleaning twice is not always the same as once (a display name
// cut at 200 characters may end in a space the second time trims), so a
// prepared user retried one at a time is not cleaned again.
func (u *SCIMUser) cleanOnce() error {
	if u.cleaned {
		return u.cleanErr
	}
	return u.clean()
}

// maxAttributes bounds a User's stored attributes (JSON bytes): far above
// any real profile, and a bound on what one request can store.
const maxAttributes = 64 << 10

// ConflictUniqueness: a SCIM attribute that must be unique in the
// workspace (userName, email, externalId, a group's displayName) is taken.
const ConflictUniqueness = "uniqueness"

// UserOf reads a member (with its roles loaded) as a SCIM User.
func UserOf(m *Member) SCIMUser {
	u := SCIMUser{UserName: m.UserName, ExternalID: m.ExternalID, DisplayName: m.DisplayName, GivenName: m.GivenName,
		FamilyName: m.FamilyName, Email: m.Email, EmailType: m.EmailType, Location: m.Location, Title: m.Title,
		Locale: m.Locale, EmployeeNumber: m.EmployeeNumber, Department: m.Department, ManagerID: m.ManagerID,
		Active: m.Status != StatusDeactivated, Roles: roleNames(m.Roles)}
	if m.attrs != nil && m.SCIMAttributes != "" {
		// The map SCIMAttributes was marshalled from (apply): the same
		// JSON, without decoding it again (1 % of a POST /Users). Handed
		// over once, since the answer adds its own keys to it.
		u.Attributes, m.attrs = m.attrs, nil
	} else if m.SCIMAttributes != "" {
		d := json.NewDecoder(strings.NewReader(m.SCIMAttributes))
		d.UseNumber()
		if d.Decode(&u.Attributes) != nil {
			u.Attributes = nil // never written badly; the columns still hold the member
		}
	}
	return u
}

// clean trims what an identity provider sent and fills what it may leave
// out, then checks the result. Field names in errors are SCIM attributes.
func (u *SCIMUser) clean() error {
	u.UserName = NormalizeIdentifier(u.UserName)
	// The email comes from emails only (RFC 7643 §4.1: only userName is
	// required, and it need not be an address): a user without one is
	// kept, and invited once the identity provider sends an address.
	u.Email = NormalizeEmail(u.Email)
	u.EmailType = strings.ToLower(strings.TrimSpace(u.EmailType))
	if u.EmailType == "" && u.Email != "" {
		u.EmailType = "work"
	} else if u.Email == "" {
		u.EmailType = "" // no email, no type: filters on emails.type find nothing
	}
	// DisplayName is the name the members table shows: displayName is
	// optional, so it falls back to the name, the address, the userName.
	u.GivenName, u.FamilyName, u.DisplayName = cleanName(u.GivenName), cleanName(u.FamilyName), cleanName(u.DisplayName)
	// A name made up here is cut to fit (derivedName): givenName and
	// familyName may be 100 characters each, a userName 254.
	if u.DisplayName == "" {
		u.DisplayName = derivedName(cleanName(u.GivenName + " " + u.FamilyName))
	}
	if u.DisplayName == "" && u.Email != "" {
		u.DisplayName = nameFromEmail(u.Email)
	}
	if u.DisplayName == "" {
		u.DisplayName = derivedName(cleanName(u.UserName))
	}
	u.Location, u.Title, u.Department = cleanName(u.Location), cleanName(u.Title), cleanName(u.Department)
	u.Locale, u.EmployeeNumber, u.ManagerID = strings.TrimSpace(u.Locale), strings.TrimSpace(u.EmployeeNumber), strings.TrimSpace(u.ManagerID)
	u.ExternalID = cleanExternalID(u.ExternalID)
	v := validator{}
	switch {
	case u.UserName == "":
		v.add("userName", "userName is required.")
	case utf8.RuneCountInString(u.UserName) > 254:
		v.add("userName", "userName must be at most 254 characters.")
	default:
		if msg := checkText(u.UserName, false); msg != "" {
			v.add("userName", "userName "+msg)
		}
	}
	if u.Email != "" && checkEmail(u.Email) != "" {
		v.add("emails", "emails: "+u.Email+" is not a valid email address.")
	}
	if utf8.RuneCountInString(u.DisplayName) > maxNameRunes {
		v.add("displayName", "displayName must be at most 200 characters.")
	} else if msg := checkText(u.DisplayName, true); msg != "" {
		v.add("displayName", "displayName "+msg)
	}
	u.attrsJSON, u.attrsOf = "", nil
	if u.Attributes != nil {
		cleanAttributes(v, u.Attributes)
		b, err := json.Marshal(u.Attributes)
		if err != nil || len(b) > maxAttributes {
			v.add("attributes", "The user's attributes take more than "+strconv.Itoa(maxAttributes>>10)+" KB as JSON; Muster keeps at most that.")
		} else if len(b) > 0 {
			// b is Marshal's own and never written again.
			u.attrsJSON, u.attrsOf = unsafe.String(unsafe.SliceData(b), len(b)), u.Attributes
		}
	}
	for _, f := range []struct {
		attr, value string
		max         int
	}{{"name.givenName", u.GivenName, 100}, {"name.familyName", u.FamilyName, 100}, {"addresses", u.Location, 200},
		{"title", u.Title, 200}, {"locale", u.Locale, 35}, {"employeeNumber", u.EmployeeNumber, 100},
		{"department", u.Department, 200}, {"manager", u.ManagerID, 255}, {"emails.type", u.EmailType, 32}} {
		// The text rule of names (checkText): a NUL would not even reach
		// the database (Bun and PostgreSQL refuse it: a 500).
		if utf8.RuneCountInString(f.value) > f.max {
			v.add(f.attr, f.attr+" must be at most "+strconv.Itoa(f.max)+" characters.")
		} else if msg := checkText(f.value, true); msg != "" {
			v.add(f.attr, f.attr+" "+msg)
		}
	}
	checkExternalIDIn(v, u.ExternalID)
	for _, r := range u.Roles {
		if msg := checkText(r, true); msg != "" {
			v.add("roles", "A role name "+msg)
		}
	}
	return v.err()
}

// attributeBreaks are the line breaks a stored attribute may hold, as
// spaces for checkText: built once (a Replacer is safe for concurrent
// use), not for each user (4 MB of a /Bulk of 10,000 users).
var attributeBreaks = strings.NewReplacer("\n", " ", "\r", " ", "\t", " ")

// cleanAttributes holds every text of a stored User to the rule of names
// (checkText, NFC), so what Muster keeps but does not use cannot carry what
// it refuses elsewhere; line breaks may stay (a formatted address has them).
func cleanAttributes(v validator, attrs map[string]any) {
	var walk func(path string, x any) any
	walk = func(path string, x any) any {
		switch x := x.(type) {
		case string:
			if utf8.ValidString(x) {
				x = norm.NFC.String(x)
			}
			if msg := checkText(attributeBreaks.Replace(x), true); msg != "" {
				v.add(path, path+" "+msg)
			}
			return x
		case map[string]any:
			for k, e := range x {
				sub := k
				if !strings.HasPrefix(path, "urn:") {
					sub = path + "." + k
				}
				x[k] = walk(sub, e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(path, e)
			}
		}
		return x
	}
	for k, x := range attrs {
		attrs[k] = walk(k, x)
	}
}

// apply copies u onto m's columns (status aside).
func (u *SCIMUser) apply(m *Member) {
	m.UserName, m.ExternalID, m.DisplayName, m.GivenName, m.FamilyName = u.UserName, u.ExternalID, u.DisplayName, u.GivenName, u.FamilyName
	m.Email, m.EmailType, m.Location, m.Title, m.Locale = u.Email, u.EmailType, u.Location, u.Title, u.Locale
	m.EmployeeNumber, m.Department, m.ManagerID = u.EmployeeNumber, u.Department, u.ManagerID
	m.SCIMAttributes, m.attrs = "", u.Attributes
	switch {
	case u.Attributes == nil:
	case u.attrsJSON != "" && sameMap(u.attrsOf, u.Attributes):
		m.SCIMAttributes = u.attrsJSON
	default:
		b, _ := json.Marshal(u.Attributes) // clean has checked it marshals
		m.SCIMAttributes = string(b)
	}
	m.SCIMManaged = true
}

// sameMap: a and b are one map (not two maps with the same entries).
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// memberColumns are what a SCIM change may write.
var memberColumns = []string{"user_name", "external_id", "display_name", "given_name", "family_name", "email", "email_type",
	"location", "title", "locale", "employee_number", "department", "manager_id", "scim_attributes", "scim_managed", "status"}

// CreateSCIMUser provisions a member. An active user is invited (with an
// email when the workspace sends them to provisioned members), an inactive
// one starts deactivated.
func (s *Store) CreateSCIMUser(ctx context.Context, actor Actor, ws *Workspace, u SCIMUser) (*Member, error) {
	if err := u.cleanOnce(); err != nil {
		return nil, err
	}
	// First without looking for a member that holds the userName, email
	// or externalId already: the unique indexes refuse one anyway, and a
	// create that goes through (nearly all) saves the lookup, on
	// PostgreSQL a round trip. When an index refuses it, the create runs
	// again with the lookup, which names the field taken, or frees a
	// revoked invitation that holds it (checkUnique).
	m, done, err := s.createSCIMUserAtOnce(ctx, actor, ws, u)
	if !done {
		m, err = s.createSCIMUser(ctx, actor, ws, u, false)
	}
	if errors.Is(err, errTaken) {
		m, err = s.createSCIMUser(ctx, actor, ws, u, true)
	}
	return m, err
}

// errTaken: an unchecked create met a unique index; CreateSCIMUser runs it
// again with checkUnique.
var errTaken = errors.New("userName, email or externalId taken")

func (s *Store) createSCIMUser(ctx context.Context, actor Actor, ws *Workspace, u SCIMUser, check bool) (*Member, error) {
	var m *Member
	// A create alone takes no lock on the workspace: it depends on no
	// other member's state but for uniqueness, which the unique indexes
	// decide (a concurrent create of the same userName, email or
	// externalId fails on insert, as a 409), and roles it names are created
	// idempotently. Inside a /Bulk transaction, which creates many members
	// in an order of the client's choosing, the lock stays: two such
	// transactions waiting on each other's rows would deadlock.
	_, inBatch := ctx.Value(batchKey{}).(bun.Tx)
	// Its function may run twice (mayRunAgain): it changes nothing but in
	// tx, and sets m anew each time.
	err := s.tx(mayRunAgain(ctx), func(tx bun.Tx) error {
		if inBatch {
			if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
				return err
			}
		}
		roles, err := s.rolesForUser(ctx, tx, actor, ws, u.Roles)
		if err != nil {
			return err
		}
		if roles, err = s.withGroups(ctx, tx, ws.ID, roles, u.GroupIDs); err != nil {
			return err
		}
		if err := checkGrantable(actor, roles); err != nil {
			return err
		}
		if check {
			if err := s.checkUnique(ctx, tx, ws.ID, "", &u); err != nil {
				return err
			}
		}
		var rows []any
		if m, rows, err = s.newSCIMUserRows(actor, ws, u, roles); err != nil {
			return err
		}
		// Every row of the create goes in one insertRows: on PostgreSQL one
		// round trip (the member, its roles, link, email and audit event).
		return createError(s.insertRows(ctx, tx, rows...), check)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// newSCIMUserRows makes the member u describes with the rows its creation
// inserts: the member, its roles, its invitation and email if it gets
// them, and the audit event.
func (s *Store) newSCIMUserRows(actor Actor, ws *Workspace, u SCIMUser, roles []Role) (*Member, []any, error) {
	now := s.now()
	m := &Member{ID: newID(), WorkspaceID: ws.ID, Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: roles}
	if !u.Active {
		m.Status = StatusDeactivated
	}
	u.apply(m)
	m.setDerived()
	rows := make([]any, 0, len(roles)+4)
	rows = append(rows, m)
	for _, r := range roles {
		rows = append(rows, &MemberRole{MemberID: m.ID, RoleID: r.ID})
	}
	if m.Status == StatusInvited && m.CanBeInvited() { // a new member: no earlier link to end
		_, inv, msg, err := s.inviteRecords(ws, m, actor, ws.SCIMInvites)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, inv)
		if msg != nil {
			rows = append(rows, msg)
		}
	}
	ev, err := s.auditEvent(ws.ID, actor, "member.provisioned", "member", m.ID, m.DisplayName, map[string]Change{
		"userName": {nil, m.UserName}, "email": {nil, m.Email}, "name": {nil, m.DisplayName}, "roles": {nil, roleNames(roles)},
		"status": {nil, m.Status}})
	if err != nil {
		return nil, nil, err
	}
	return m, append(rows, ev), nil
}

// createError maps what the database answered a create's inserts to the
// create's error (check: whether checkUnique ran before them).
func createError(err error, check bool) error {
	switch {
	case isUniqueViolation(err) && !check:
		return errTaken
	case isUniqueViolation(err): // a concurrent request won
		return &ConflictError{Field: "userName", Code: ConflictUniqueness, Message: "A member with this userName or email has just been created."}
	case isForeignKeyViolation(err): // a role was deleted at this moment
		return &ConflictError{Field: "roles", Code: ConflictUniqueness, Message: "A role of this user has just been deleted; retry."}
	}
	return err
}

// ChangeSCIMUser changes a member the way an identity provider asks: change
// edits the member's SCIMUser (PUT replaces it, PATCH applies operations)
// and the result is saved in the same transaction. A version other than zero
// must be the member's current one (If-Match). active false deactivates,
// true reactivates; roles change only when change sets them.
func (s *Store) ChangeSCIMUser(ctx context.Context, actor Actor, ws *Workspace, id string, version int, change func(u *SCIMUser) error) (*Member, error) {
	m, err := s.changeMember(ctx, ws, id, "", "", func(tx bun.Tx, m *Member) error {
		if m.Status == StatusRevoked { // not a User: see invites_revoked.go
			return ErrNotFound
		}
		if version != 0 && m.Version != version {
			return &PreconditionFailedError{Version: m.Version}
		}
		before := UserOf(m)
		u := UserOf(m)
		u.Roles = slices.Clone(u.Roles)
		if err := change(&u); err != nil {
			return err
		}
		if err := u.clean(); err != nil {
			return err
		}
		if err := s.checkUnique(ctx, tx, ws.ID, m.ID, &u); err != nil {
			return err
		}
		roles := m.Roles
		if u.Roles != nil && !sameNames(u.Roles, before.Roles) {
			var err error
			if roles, err = s.rolesForUser(ctx, tx, actor, ws, u.Roles); err != nil {
				return err
			}
		}
		roles, err := s.withGroups(ctx, tx, ws.ID, roles, u.GroupIDs)
		if err != nil {
			return err
		}
		rolesChanged := len(roleDiff(m.Roles, roles)) > 0
		if rolesChanged {
			// Whichever way the roles came (roles, or memberships in
			// groups), changing them is editing the member.
			if err := actor.Require("edit members", PermEditMembers); err != nil {
				return err
			}
			if err := checkGrantable(actor, roleDiff(m.Roles, roles)); err != nil {
				return err
			}
			if hasAdminRole(m.Roles) && !hasAdminRole(roles) {
				if err := s.guardLastAdmin(ctx, tx, ws, m, "remove the Admin role from"); err != nil {
					return err
				}
			}
		}
		status := m.Status
		switch {
		case before.Active && !u.Active:
			if err := checkRemovable(actor, m); err != nil {
				return err
			}
			if err := s.guardLastAdmin(ctx, tx, ws, m, "deactivate"); err != nil {
				return err
			}
			status = StatusDeactivated
		case !before.Active && u.Active:
			if err := checkRemovable(actor, m); err != nil {
				return err
			}
			status = StatusActive
			if m.AccountID == nil {
				status = StatusInvited
			}
		}
		changes := userChanges(before, u)
		if len(changes) == 0 && !rolesChanged && status == m.Status && m.SCIMManaged && sameAttributes(before.Attributes, u.Attributes) {
			return nil
		}
		if rolesChanged {
			changes["roles"] = Change{roleNames(m.Roles), roleNames(roles)}
			if err := setMemberRoles(ctx, tx, m.ID, roles); err != nil {
				return err
			}
			m.Roles = roles
		}
		oldStatus := m.Status
		u.apply(m)
		m.Status = status
		if err := s.saveMember(ctx, tx, m, memberColumns...); err != nil {
			if isUniqueViolation(err) {
				return &ConflictError{Field: "userName", Code: ConflictUniqueness, Message: "Another member has just taken this userName or email."}
			}
			return err
		}
		if len(changes) > 0 {
			if err := s.audit(ctx, tx, ws.ID, actor, "member.updated", "member", m.ID, m.DisplayName, changes); err != nil {
				return err
			}
		}
		if status == oldStatus {
			return s.followEmail(ctx, tx, ws, actor, m, before.Email)
		}
		if status == StatusDeactivated {
			// Someone invited and then turned off must not join by their link.
			if err := s.endInvites(ctx, tx, m.ID, InviteRevoked); err != nil {
				return err
			}
			if err := s.endSessionsIfNoWorkspaceLeft(ctx, tx, m, SessionDeactivated); err != nil {
				return err
			}
			return s.audit(ctx, tx, ws.ID, actor, "member.deactivated", "member", m.ID, m.DisplayName, map[string]Change{"status": {oldStatus, status}})
		}
		if status == StatusInvited && m.CanBeInvited() {
			if _, _, err := s.issueInvite(ctx, tx, ws, m, actor, ws.SCIMInvites); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, ws.ID, actor, "member.reactivated", "member", m.ID, m.DisplayName, map[string]Change{"status": {oldStatus, status}})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// followEmail keeps an invited member's link in step with their address:
// a member who gets their first email is invited as a new SCIM member
// would be, and one whose email is taken away keeps no link (it could only
// make an account for an address the member no longer has).
func (s *Store) followEmail(ctx context.Context, tx bun.Tx, ws *Workspace, actor Actor, m *Member, before string) error {
	switch {
	case m.Status != StatusInvited || (before == "") == (m.Email == ""):
		return nil
	case m.Email == "":
		return s.endInvites(ctx, tx, m.ID, InviteRevoked)
	}
	_, _, err := s.issueInvite(ctx, tx, ws, m, actor, ws.SCIMInvites)
	return err
}

// sameAttributes: two stored Users say the same (nil and empty alike).
func sameAttributes(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return (a == nil) == (b == nil)
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// DeleteSCIMUser removes a member from the workspace, as RemoveMember does
// for the browser; a version other than zero must be the current one.
func (s *Store) DeleteSCIMUser(ctx context.Context, actor Actor, ws *Workspace, id string, version int) error {
	_, err := s.changeMember(ctx, ws, id, "", "", func(tx bun.Tx, m *Member) error {
		if m.Status == StatusRevoked {
			return ErrNotFound
		}
		if version != 0 && m.Version != version {
			return &PreconditionFailedError{Version: m.Version}
		}
		return s.removeTx(ctx, tx, actor, ws, m)
	})
	return err
}

// SCIMUserByID loads one member of a workspace with its roles.
func (s *Store) SCIMUserByID(ctx context.Context, wsID, id string) (*Member, error) {
	db := s.conn(ctx)
	m, err := memberInWorkspace(ctx, db, wsID, id)
	if err != nil {
		return nil, err
	}
	if m.Status == StatusRevoked { // not a User: see invites_revoked.go
		return nil, ErrNotFound
	}
	return m, s.loadRoles(ctx, db, []*Member{m})
}

func userChanges(before, after SCIMUser) map[string]Change {
	changes := map[string]Change{}
	note := func(field string, b, a string) {
		if b != a {
			changes[field] = Change{b, a}
		}
	}
	note("userName", before.UserName, after.UserName)
	note("email", before.Email, after.Email)
	note("name", before.DisplayName, after.DisplayName)
	note("given_name", before.GivenName, after.GivenName)
	note("family_name", before.FamilyName, after.FamilyName)
	note("location", before.Location, after.Location)
	note("title", before.Title, after.Title)
	note("locale", before.Locale, after.Locale)
	note("employee_number", before.EmployeeNumber, after.EmployeeNumber)
	note("department", before.Department, after.Department)
	note("manager", before.ManagerID, after.ManagerID)
	note("email_type", before.EmailType, after.EmailType)
	note("externalId", derefOr(before.ExternalID), derefOr(after.ExternalID))
	// The attributes Muster only keeps, by name, so the log says which of
	// them an identity provider changed; one whose change is noted above
	// (under the field it feeds) is not noted twice. A member whose
	// attributes were never stored has nothing to compare them with.
	if before.Attributes == nil {
		return changes
	}
	for _, k := range attributeKeys(before.Attributes, after.Attributes) {
		if slices.ContainsFunc(attributeFields[k], func(f string) bool { _, ok := changes[f]; return ok }) ||
			sameAttributes(map[string]any{k: before.Attributes[k]}, map[string]any{k: after.Attributes[k]}) {
			continue
		}
		changes[k] = Change{before.Attributes[k], after.Attributes[k]}
	}
	return changes
}

// attributeFields: the fields of the audit log each attribute feeds.
var attributeFields = map[string][]string{
	"displayName": {"name"}, "name": {"name", "given_name", "family_name"}, "emails": {"email", "email_type"},
	"addresses": {"location"}, "title": {"title"}, "locale": {"locale"},
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employee_number", "department", "manager"},
}

func attributeKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// checkUnique refuses a userName, email or externalId another member of
// the workspace has (self is the member being changed, "" for a new one).
// Three lookups joined by UNION ALL, so each uses its unique index: one
// WHERE with OR would scan every member.
func (s *Store) checkUnique(ctx context.Context, tx bun.IDB, wsID, self string, u *SCIMUser) error {
	cols := "id, user_name, email, external_id, status"
	q := tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).
		Where("workspace_id = ? AND lower(user_name) = ? AND id <> ?", wsID, dbLower(s.IsPostgres(), u.UserName), self)
	if u.Email != "" { // members without an address share the empty one
		q = q.UnionAll(tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND email = ? AND id <> ?", wsID, u.Email, self))
	}
	if u.ExternalID != nil {
		q = q.UnionAll(tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND external_id = ? AND id <> ?", wsID, *u.ExternalID, self))
	}
	var other Member
	if err := q.Scan(ctx, &other); err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil
		}
		return err
	}
	if other.Status == StatusRevoked { // a withdrawn invitation gives way to the person the IdP brings
		if _, err := s.freeRevoked(ctx, tx, wsID, u.Email, u.UserName, u.ExternalID); err != nil {
			return err
		}
		return s.checkUnique(ctx, tx, wsID, self, u)
	}
	switch {
	case strings.EqualFold(other.UserName, u.UserName):
		return &ConflictError{Field: "userName", Code: ConflictUniqueness, MemberID: other.ID, Message: "userName " + u.UserName + " is already taken in this workspace."}
	case u.Email != "" && other.Email == u.Email:
		return &ConflictError{Field: "emails", Code: ConflictUniqueness, MemberID: other.ID, Message: "The email " + u.Email + " already belongs to another member of this workspace."}
	default:
		return &ConflictError{Field: "externalId", Code: ConflictUniqueness, MemberID: other.ID, Message: "externalId " + *u.ExternalID + " already belongs to another member of this workspace."}
	}
}

// setMemberRoles makes roles exactly the member's roles.
func setMemberRoles(ctx context.Context, tx bun.IDB, memberID string, roles []Role) error {
	if _, err := tx.NewDelete().Model((*MemberRole)(nil)).Where("member_id = ?", memberID).Exec(ctx); err != nil {
		return err
	}
	return insertMemberRoles(ctx, tx, memberID, roles)
}

func insertMemberRoles(ctx context.Context, tx bun.IDB, memberID string, roles []Role) error {
	if len(roles) == 0 {
		return nil
	}
	links := make([]MemberRole, len(roles))
	for i, r := range roles {
		links[i] = MemberRole{MemberID: memberID, RoleID: r.ID}
	}
	_, err := tx.NewInsert().Model(&links).Exec(ctx)
	return err
}

// roleDiff lists the roles in one list but not the other: what a change
// gives or takes away.
func roleDiff(before, after []Role) []Role {
	in := func(list []Role) func(Role) bool {
		return func(r Role) bool { return slices.ContainsFunc(list, func(x Role) bool { return x.ID == r.ID }) }
	}
	return slices.Concat(slices.DeleteFunc(slices.Clone(after), in(before)), slices.DeleteFunc(slices.Clone(before), in(after)))
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		x[i], y[i] = strings.ToLower(a[i]), strings.ToLower(b[i])
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
