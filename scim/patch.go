package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
)

// PATCH (RFC 7644 §3.5.2) in the forms Okta and Entra send: ops in any
// case, booleans as strings, path-less operations whose value keys are
// paths themselves ("name.givenName", "urn:…:employeeNumber"), and value
// filters such as emails[type eq "work"].value or members[value eq "…"].

const patchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

type patchOp struct {
	op    string // add, remove or replace
	path  string
	value any
}

func readPatch(body []byte) ([]patchOp, response) {
	raw, res := decodeObject(body)
	if res.status != 0 {
		return nil, res
	}
	schemas, _ := lookup(raw, "schemas")
	list, _ := schemas.([]any)
	if len(list) == 0 || !slices.ContainsFunc(list, func(s any) bool { str, _ := s.(string); return strings.EqualFold(str, patchOpURN) }) {
		return nil, badRequest(errors.ScimTypeInvalidSyntax, `schemas must be ["`+patchOpURN+`"].`)
	}
	opsV, _ := lookup(raw, "Operations")
	opsList, ok := opsV.([]any)
	if !ok || len(opsList) == 0 {
		return nil, badRequest(errors.ScimTypeInvalidValue, "Operations must list at least one operation.")
	}
	if len(opsList) > MaxPatchOperations {
		return nil, fail(http.StatusRequestEntityTooLarge, "", fmt.Sprintf(
			"A PATCH holds at most %d operations (patch.maxOperations in /ServiceProviderConfig); this one has %d. Send the changes in several requests.",
			MaxPatchOperations, len(opsList)))
	}
	ops := make([]patchOp, 0, len(opsList))
	for i, o := range opsList {
		obj, ok := o.(map[string]any)
		if !ok {
			return nil, badRequest(errors.ScimTypeInvalidSyntax, fmt.Sprintf("Operation %d is not an object.", i+1))
		}
		op := patchOp{op: strings.ToLower(str(obj, "op")), path: strings.TrimSpace(str(obj, "path"))}
		op.value, _ = lookup(obj, "value")
		switch op.op {
		case "add", "replace":
			if op.value == nil {
				return nil, badRequest(errors.ScimTypeInvalidValue, fmt.Sprintf("Operation %d (%s) needs a value.", i+1, op.op))
			}
		case "remove":
			if op.path == "" {
				return nil, badRequest(errors.ScimTypeNoTarget, fmt.Sprintf("Operation %d (remove) needs a path.", i+1))
			}
		default:
			return nil, badRequest(errors.ScimTypeInvalidValue, fmt.Sprintf(`Operation %d: op must be "add", "remove" or "replace", not %q.`, i+1, str(obj, "op")))
		}
		ops = append(ops, op)
	}
	return ops, response{}
}

// target is a parsed path: attribute (lower-case, URN dropped), whether it
// is in the enterprise extension, its value filter and sub-attribute.
type target struct {
	attr, sub  string
	enterprise bool
	filter     filter.Expression
}

func parseTarget(path string) (target, error) {
	path = modernPath(path)
	if nestingOf(path) > maxFilterNesting {
		return target{}, invalidPath(path)
	}
	p, err := filter.ParsePath([]byte(path))
	if err != nil {
		return target{}, invalidPath(path)
	}
	t := target{attr: strings.ToLower(p.AttributePath.AttributeName), filter: p.ValueExpression}
	t.sub = strings.ToLower(p.AttributePath.SubAttributeName())
	if p.SubAttribute != nil {
		t.sub = strings.ToLower(*p.SubAttribute)
	}
	switch uri := p.AttributePath.URI(); {
	case uri == "" || strings.EqualFold(uri, schema.UserSchema) || strings.EqualFold(uri, schema.GroupSchema):
	case strings.EqualFold(uri, enterpriseURN):
		t.enterprise = true
	default:
		return target{}, invalidPath(path)
	}
	return t, nil
}

func invalidPath(path string) error {
	return errors.ScimError{Status: 400, ScimType: errors.ScimTypeInvalidPath, Detail: "The path " + path + " names no attribute Muster knows."}
}

func invalidValue(format string, args ...any) error {
	return errors.ScimError{Status: 400, ScimType: errors.ScimTypeInvalidValue, Detail: fmt.Sprintf(format, args...)}
}

func noTarget(path string) error {
	return errors.ScimError{Status: 400, ScimType: errors.ScimTypeNoTarget, Detail: "Nothing matches " + path + "."}
}

func readOnly(attr string) error {
	return errors.ScimError{Status: 400, ScimType: errors.ScimTypeMutability, Detail: attr + " cannot be changed."}
}

// pathless spreads a path-less operation's value into one operation per
// key: {"name.givenName": …} and {"name": {…}} alike.
func pathless(op patchOp) ([]patchOp, error) {
	obj, ok := op.value.(map[string]any)
	if !ok {
		return nil, invalidValue("A %s without a path needs an object as its value.", op.op)
	}
	out := make([]patchOp, 0, len(obj))
	for k, v := range obj {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if ext, ok := v.(map[string]any); ok && (strings.EqualFold(k, enterpriseURN) || isLegacyEnterprise(k)) {
			for ek, ev := range ext {
				out = append(out, patchOp{op: op.op, path: enterpriseURN + ":" + ek, value: ev})
			}
			continue
		}
		out = append(out, patchOp{op: op.op, path: k, value: v})
	}
	// Map order is random; apply in a fixed order so results repeat.
	slices.SortFunc(out, func(a, b patchOp) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// applyUserPatch applies operations in order to a member's SCIM view.
func applyUserPatch(u *models.SCIMUser, ops []patchOp) error {
	for _, op := range ops {
		if op.path == "" {
			spread, err := pathless(op)
			if err != nil {
				return err
			}
			if err := applyUserPatch(u, spread); err != nil {
				return err
			}
			continue
		}
		t, err := parseTarget(op.path)
		if err != nil {
			return err
		}
		if err := applyUser(u, op, t); err != nil {
			return err
		}
	}
	return nil
}

func applyUser(u *models.SCIMUser, op patchOp, t target) error {
	set := func(dst *string) error {
		if op.op == "remove" {
			*dst = ""
			return nil
		}
		s, ok := stringValue(op.value)
		if !ok {
			return invalidValue("%s must be a string.", op.path)
		}
		*dst = s
		return nil
	}
	if t.enterprise {
		switch t.attr {
		case "employeenumber":
			return set(&u.EmployeeNumber)
		case "department":
			return set(&u.Department)
		case "manager":
			if m, ok := op.value.(map[string]any); ok && t.sub == "" {
				op.value = str(m, "value")
			}
			return set(&u.ManagerID)
		case "organization", "division", "costcenter":
			return nil // valid, not kept
		}
		return invalidPath(op.path)
	}
	switch t.attr {
	case "username":
		if op.op == "remove" {
			return invalidValue("userName is required and cannot be removed.")
		}
		return set(&u.UserName)
	case "externalid":
		var id string
		if err := set(&id); err != nil {
			return err
		}
		u.ExternalID = &id
		return nil
	case "displayname":
		return set(&u.DisplayName)
	case "title":
		return set(&u.Title)
	case "locale", "preferredlanguage":
		if t.attr == "preferredlanguage" {
			return nil // kept only as locale
		}
		return set(&u.Locale)
	case "active":
		if op.op == "remove" {
			return invalidValue("active cannot be removed; set it to false to deactivate.")
		}
		b, ok := boolValue(op.value)
		if !ok {
			return invalidValue("active must be true or false.")
		}
		u.Active = b
		return nil
	case "name":
		return applyName(u, op, t)
	case "emails":
		return applyEmail(u, op, t)
	case "addresses":
		return applyAddress(u, op, t)
	case "roles":
		return applyRoles(u, op, t)
	case "groups":
		return readOnly("groups (change membership through /Groups)")
	case "id", "meta", "schemas":
		return readOnly(t.attr)
	case "nickname", "profileurl", "usertype", "timezone", "password", "phonenumbers", "ims", "photos", "entitlements", "x509certificates":
		return nil // valid User attributes Muster does not keep
	}
	return invalidPath(op.path)
}

func applyName(u *models.SCIMUser, op patchOp, t target) error {
	if t.sub == "" {
		if op.op == "remove" {
			u.GivenName, u.FamilyName = "", ""
			return nil
		}
		obj, ok := op.value.(map[string]any)
		if !ok {
			return invalidValue("name must be an object.")
		}
		for k, v := range obj {
			if err := applyName(u, patchOp{op: op.op, path: "name." + k, value: v}, target{attr: "name", sub: strings.ToLower(k)}); err != nil {
				return err
			}
		}
		return nil
	}
	var dst *string
	switch t.sub {
	case "givenname":
		dst = &u.GivenName
	case "familyname":
		dst = &u.FamilyName
	case "formatted", "middlename", "honorificprefix", "honorificsuffix":
		return nil // derived from the parts, or not kept
	default:
		return invalidPath(op.path)
	}
	if op.op == "remove" {
		*dst = ""
		return nil
	}
	s, ok := stringValue(op.value)
	if !ok {
		return invalidValue("%s must be a string.", op.path)
	}
	*dst = s
	return nil
}

// applyEmail: a member has one email. A filter selects it when it matches
// (type eq "work", value eq …); add with a filter that matches nothing
// makes the filter's type and the value the member's email.
func applyEmail(u *models.SCIMUser, op patchOp, t target) error {
	if t.filter == nil && t.sub == "" {
		if op.op == "remove" {
			return invalidValue("A member needs an email address: emails cannot be removed.")
		}
		email, typ := pickEmail(op.value)
		if email == "" {
			return invalidValue("emails needs a value.")
		}
		u.Email, u.EmailType = email, typ
		return nil
	}
	matches := true
	if t.filter != nil {
		var err error
		if matches, err = matchObject(t.filter, map[string]any{"type": u.EmailType, "value": u.Email, "primary": true}); err != nil {
			return err
		}
	}
	if !matches {
		if op.op != "add" {
			return noTarget(op.path)
		}
		if typ, ok := eqValue(t.filter, "type"); ok {
			u.EmailType = typ
		}
	}
	switch t.sub {
	case "value", "":
		if op.op == "remove" {
			return invalidValue("A member needs an email address: it cannot be removed.")
		}
		v := op.value
		if obj, ok := v.(map[string]any); ok {
			v = str(obj, "value")
		}
		s, ok := stringValue(v)
		if !ok || s == "" {
			return invalidValue("%s must be an email address.", op.path)
		}
		u.Email = s
	case "type":
		s, _ := stringValue(op.value)
		u.EmailType = s
	case "primary", "display":
	default:
		return invalidPath(op.path)
	}
	return nil
}

// applyAddress: the location is the work address's locality. Other
// addresses are accepted and not kept.
func applyAddress(u *models.SCIMUser, op patchOp, t target) error {
	if t.filter != nil {
		if typ, ok := eqValue(t.filter, "type"); ok && !strings.EqualFold(typ, "work") {
			return nil
		}
	}
	if t.sub == "" {
		if op.op == "remove" {
			u.Location = ""
			return nil
		}
		if obj, ok := op.value.(map[string]any); ok && t.filter != nil {
			op.value = []any{obj}
		}
		u.Location = pickLocation(op.value)
		return nil
	}
	switch t.sub {
	case "locality", "formatted":
		if op.op == "remove" {
			u.Location = ""
			return nil
		}
		s, ok := stringValue(op.value)
		if !ok {
			return invalidValue("%s must be a string.", op.path)
		}
		u.Location = s
	case "streetaddress", "region", "postalcode", "country", "type", "primary":
	default:
		return invalidPath(op.path)
	}
	return nil
}

// applyRoles: roles are role names; add and remove change the list,
// replace sets it.
func applyRoles(u *models.SCIMUser, op patchOp, t target) error {
	names := roleNamesOf(op.value)
	has := func(list []string, n string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, n) })
	}
	switch op.op {
	case "add":
		for _, n := range names {
			if !has(u.Roles, n) {
				u.Roles = append(u.Roles, n)
			}
		}
	case "replace":
		if t.filter != nil {
			return invalidValue("Replace roles as a whole (path roles) or add and remove them.")
		}
		u.Roles = names
	case "remove":
		drop := names
		if vals, ok := eqValues(t.filter, "value"); ok && t.filter != nil {
			// roles[value eq "…"], where the value may be Entra's JSON.
			drop = nil
			for _, v := range vals {
				drop = append(drop, roleNamesIn(v)...)
			}
			u.Roles = slices.DeleteFunc(slices.Clone(u.Roles), func(r string) bool { return has(drop, r) })
			return nil
		}
		if t.filter != nil {
			kept := u.Roles[:0:0]
			for _, r := range u.Roles {
				ok, err := matchObject(t.filter, map[string]any{"value": r, "display": r})
				if err != nil {
					return err
				}
				if !ok {
					kept = append(kept, r)
				}
			}
			u.Roles = kept
			return nil
		}
		if op.value == nil {
			u.Roles = []string{}
			return nil
		}
		u.Roles = slices.DeleteFunc(slices.Clone(u.Roles), func(r string) bool { return has(drop, r) })
	}
	return nil
}

// groupPatch turns operations on a Group into one change of its role.
func groupPatch(ops []patchOp) (models.GroupChange, response) {
	var ch models.GroupChange
	var apply func(op patchOp) error
	apply = func(op patchOp) error {
		if op.path == "" {
			spread, err := pathless(op)
			if err != nil {
				return err
			}
			for _, o := range spread {
				if err := apply(o); err != nil {
					return err
				}
			}
			return nil
		}
		t, err := parseTarget(op.path)
		if err != nil || t.enterprise {
			return invalidPath(op.path)
		}
		switch t.attr {
		case "displayname":
			if op.op == "remove" {
				return invalidValue("displayName is required and cannot be removed.")
			}
			s, ok := stringValue(op.value)
			if !ok {
				return invalidValue("displayName must be a string.")
			}
			ch.DisplayName = &s
		case "externalid":
			var id *string
			if op.op != "remove" {
				s, ok := stringValue(op.value)
				if !ok {
					return invalidValue("externalId must be a string.")
				}
				id = &s
			}
			ch.ExternalID = &id
		case "members":
			return groupMembers(&ch, op, t)
		case "id":
			return nil // Okta sends the group's own id with a rename
		case "meta", "schemas":
			return readOnly(t.attr)
		default:
			return invalidPath(op.path)
		}
		return nil
	}
	for _, op := range ops {
		if err := apply(op); err != nil {
			var serr errors.ScimError
			if e, ok := err.(errors.ScimError); ok {
				serr = e
			}
			return ch, response{status: serr.Status, body: serr}
		}
	}
	return ch, response{}
}

func groupMembers(ch *models.GroupChange, op patchOp, t target) error {
	if t.filter != nil {
		ids, ok := eqValues(t.filter, "value")
		if !ok || op.op != "remove" {
			return invalidValue(`Members are filtered only to remove them: members[value eq "<id>"].`)
		}
		ch.Members = append(ch.Members, models.MembersOp{Op: "remove", IDs: ids})
		return nil
	}
	ids := idsOf(op.value)
	switch {
	case op.op == "remove" && op.value == nil:
		ch.Members = append(ch.Members, models.MembersOp{Op: "replace"})
	default:
		ch.Members = append(ch.Members, models.MembersOp{Op: op.op, IDs: ids})
	}
	return nil
}

// matchObject evaluates a value filter against one value of a
// multi-valued attribute (this member's email, one of its roles): eq, ne,
// co, sw, pr joined by and/or, case-insensitively.
func matchObject(e filter.Expression, obj map[string]any) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := matchObject(e.Left, obj)
		if err != nil {
			return false, err
		}
		r, err := matchObject(e.Right, obj)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		ok, err := matchObject(e.Expression, obj)
		return !ok, err
	case *filter.AttributeExpression:
		have, known := lookup(obj, e.AttributePath.AttributeName)
		if !known {
			return false, invalidValue("A value filter can name %s only.", strings.Join(keysOf(obj), ", "))
		}
		h, w := fmt.Sprint(have), fmt.Sprint(e.CompareValue)
		switch e.Operator {
		case filter.EQ:
			return strings.EqualFold(h, w), nil
		case filter.NE:
			return !strings.EqualFold(h, w), nil
		case filter.CO:
			return strings.Contains(strings.ToLower(h), strings.ToLower(w)), nil
		case filter.SW:
			return strings.HasPrefix(strings.ToLower(h), strings.ToLower(w)), nil
		case filter.EW:
			return strings.HasSuffix(strings.ToLower(h), strings.ToLower(w)), nil
		case filter.PR:
			return h != "", nil
		}
	}
	return false, errors.ScimError{Status: 400, ScimType: errors.ScimTypeInvalidFilter, Detail: "This value filter is not supported in a PATCH path."}
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// eqValue reads the value a filter requires of attr (type eq "work").
func eqValue(e filter.Expression, attr string) (string, bool) {
	vals, ok := eqValues(e, attr)
	if !ok || len(vals) != 1 {
		return "", false
	}
	return vals[0], true
}

// eqValues reads `attr eq "a" or attr eq "b"` (and one side of an and).
func eqValues(e filter.Expression, attr string) ([]string, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		s, ok := e.CompareValue.(string)
		if e.Operator == filter.EQ && ok && strings.EqualFold(e.AttributePath.AttributeName, attr) {
			return []string{s}, true
		}
	case *filter.LogicalExpression:
		l, lok := eqValues(e.Left, attr)
		r, rok := eqValues(e.Right, attr)
		if e.Operator == filter.OR && lok && rok {
			return append(l, r...), true
		}
		if e.Operator == filter.AND && lok != rok {
			return append(l, r...), true
		}
	}
	return nil, false
}

func stringValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case nil:
		return "", true
	}
	return "", false
}

// boolValue takes true/false and Entra's "True"/"False".
func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
