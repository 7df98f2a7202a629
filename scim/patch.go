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
		case "add", "replace": // replace with null unassigns (with a path)
			if op.value == nil && (op.op == "add" || op.path == "") {
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
			if op.op == "remove" || op.value == nil {
				return mutability("displayName is required and cannot be removed.")
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
