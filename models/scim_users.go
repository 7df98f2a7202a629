package models

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
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
	// GroupIDs are roles, by id, the member joins besides Roles: the
	// groups some Okta apps send inside a User. They only add; ids that
	// name no role of the workspace are skipped, as in a Group's members.
	GroupIDs []string
}

// ConflictUniqueness: a SCIM attribute that must be unique in the
// workspace (userName, email, externalId, a group's displayName) is taken.
const ConflictUniqueness = "uniqueness"

// UserOf reads a member (with its roles loaded) as a SCIM User.
func UserOf(m *Member) SCIMUser {
	u := SCIMUser{UserName: m.UserName, ExternalID: m.ExternalID, DisplayName: m.DisplayName, GivenName: m.GivenName,
		FamilyName: m.FamilyName, Email: m.Email, EmailType: m.EmailType, Location: m.Location, Title: m.Title,
		Locale: m.Locale, EmployeeNumber: m.EmployeeNumber, Department: m.Department, ManagerID: m.ManagerID,
		Active: m.Status != StatusDeactivated, Roles: roleNames(m.Roles)}
	return u
}

// clean trims what an identity provider sent and fills what it may leave
// out, then checks the result. Field names in errors are SCIM attributes.
func (u *SCIMUser) clean() error {
	u.UserName = NormalizeIdentifier(u.UserName)
	u.Email = NormalizeEmail(u.Email)
	if u.Email == "" && strings.Contains(u.UserName, "@") {
		u.Email = NormalizeEmail(u.UserName) // Okta and Entra both default userName to the email
	}
	u.EmailType = strings.ToLower(strings.TrimSpace(u.EmailType))
	if u.EmailType == "" {
		u.EmailType = "work"
	}
	u.GivenName, u.FamilyName, u.DisplayName = cleanName(u.GivenName), cleanName(u.FamilyName), cleanName(u.DisplayName)
	if u.DisplayName == "" {
		u.DisplayName = cleanName(u.GivenName + " " + u.FamilyName)
	}
	if u.DisplayName == "" && u.Email != "" {
		u.DisplayName = nameFromEmail(u.Email)
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
	if u.Email == "" {
		v.add("emails", "Give the user an email address: Muster sends their invitation there.")
	} else if msg := checkEmail(u.Email); msg != "" {
		v.add("emails", "emails: "+u.Email+" is not a valid email address.")
	}
	checkName(v, "displayName", u.DisplayName, "displayName", 200)
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

// apply copies u onto m's columns (status aside).
func (u *SCIMUser) apply(m *Member) {
	m.UserName, m.ExternalID, m.DisplayName, m.GivenName, m.FamilyName = u.UserName, u.ExternalID, u.DisplayName, u.GivenName, u.FamilyName
	m.Email, m.EmailType, m.Location, m.Title, m.Locale = u.Email, u.EmailType, u.Location, u.Title, u.Locale
	m.EmployeeNumber, m.Department, m.ManagerID = u.EmployeeNumber, u.Department, u.ManagerID
	m.SCIMManaged = true
}

// memberColumns are what a SCIM change may write.
var memberColumns = []string{"user_name", "external_id", "display_name", "given_name", "family_name", "email", "email_type",
	"location", "title", "locale", "employee_number", "department", "manager_id", "scim_managed", "status"}

// CreateSCIMUser provisions a member. An active user is invited (with an
// email when the workspace sends them to provisioned members), an inactive
// one starts deactivated.
func (s *Store) CreateSCIMUser(ctx context.Context, actor Actor, ws *Workspace, u SCIMUser) (*Member, error) {
	if err := u.clean(); err != nil {
		return nil, err
	}
	var m *Member
	err := s.tx(ctx, func(tx bun.Tx) error {
		if err := s.lockWorkspace(ctx, tx, ws.ID); err != nil {
			return err
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
		if err := s.checkUnique(ctx, tx, ws.ID, "", &u); err != nil {
			return err
		}
		now := s.now()
		m = &Member{ID: newID(), WorkspaceID: ws.ID, Status: StatusInvited, Version: 1, CreatedAt: now, UpdatedAt: now, Roles: roles}
		if !u.Active {
			m.Status = StatusDeactivated
		}
		u.apply(m)
		m.setDerived()
		if err := s.insertRow(ctx, tx, m); err != nil {
			if isUniqueViolation(err) { // a concurrent request won
				return &ConflictError{Field: "userName", Code: ConflictUniqueness, Message: "A member with this userName or email has just been created."}
			}
			return err
		}
		for _, r := range roles {
			if err := s.insertRow(ctx, tx, &MemberRole{MemberID: m.ID, RoleID: r.ID}); err != nil {
				return err
			}
		}
		if m.Status == StatusInvited { // a new member: no earlier link to end
			if _, _, err := s.insertInvite(ctx, tx, ws, m, actor, ws.SCIMInvites); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, ws.ID, actor, "member.provisioned", "member", m.ID, m.DisplayName, map[string]Change{
			"userName": {nil, m.UserName}, "email": {nil, m.Email}, "name": {nil, m.DisplayName}, "roles": {nil, roleNames(roles)},
			"status": {nil, m.Status}})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ChangeSCIMUser changes a member the way an identity provider asks: change
// edits the member's SCIMUser (PUT replaces it, PATCH applies operations)
// and the result is saved in the same transaction. A version other than zero
// must be the member's current one (If-Match). active false deactivates,
// true reactivates; roles change only when change sets them.
func (s *Store) ChangeSCIMUser(ctx context.Context, actor Actor, ws *Workspace, id string, version int, change func(u *SCIMUser) error) (*Member, error) {
	m, err := s.changeMember(ctx, ws, id, "", "", func(tx bun.Tx, m *Member) error {
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
		if len(changes) == 0 && !rolesChanged && status == m.Status && m.SCIMManaged {
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
			return nil
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
		if status == StatusInvited {
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

// DeleteSCIMUser removes a member from the workspace, as RemoveMember does
// for the browser; a version other than zero must be the current one.
func (s *Store) DeleteSCIMUser(ctx context.Context, actor Actor, ws *Workspace, id string, version int) error {
	_, err := s.changeMember(ctx, ws, id, "", "", func(tx bun.Tx, m *Member) error {
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
	return changes
}

// checkUnique refuses a userName, email or externalId another member of
// the workspace has (self is the member being changed, "" for a new one).
// Three lookups joined by UNION ALL, so each uses its unique index: one
// WHERE with OR would scan every member.
func (s *Store) checkUnique(ctx context.Context, tx bun.IDB, wsID, self string, u *SCIMUser) error {
	cols := "id, user_name, email, external_id"
	q := tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).
		Where("workspace_id = ? AND lower(user_name) = ? AND id <> ?", wsID, dbLower(s.IsPostgres(), u.UserName), self).
		UnionAll(tx.NewSelect().Model((*Member)(nil)).ColumnExpr(cols).Where("workspace_id = ? AND email = ? AND id <> ?", wsID, u.Email, self))
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
	switch {
	case strings.EqualFold(other.UserName, u.UserName):
		return &ConflictError{Field: "userName", Code: ConflictUniqueness, MemberID: other.ID, Message: "userName " + u.UserName + " is already taken in this workspace."}
	case other.Email == u.Email:
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
