package scim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// PATCH of a User (RFC 7644 §3.5.2) edits its whole document (see
// document.go), attribute by attribute as the schema describes it, and the
// result is read like a PUT body. So every attribute /Schemas advertises
// can be added, replaced and removed, and what a PATCH writes is what the
// next GET returns:
//   - remove (or replace with null) unassigns an optional attribute, a
//     sub-attribute, or the values a filter or a value list selects;
//     userName and active cannot be unassigned and id, meta, groups cannot
//     change at all (400 mutability);
//   - add to a multi-valued attribute appends; add with a filter that
//     matches nothing creates the value the filter describes
//     (emails[type eq "work"].value makes a work email), while replace
//     with such a filter is 400 noTarget;
//   - add and replace of a complex attribute (name, manager) change the
//     sub-attributes given and keep the others.

// patchUser applies operations in order to a User's editable document.
func patchUser(doc map[string]any, ops []patchOp) error {
	for _, op := range ops {
		if op.path == "" {
			spread, err := pathless(op)
			if err != nil {
				return err
			}
			if err := patchUser(doc, spread); err != nil {
				return err
			}
			continue
		}
		t, err := parseTarget(op.path)
		if err != nil {
			return err
		}
		if err := patchUserAttr(doc, op, t); err != nil {
			return err
		}
	}
	return nil
}

func mutability(detail string) error {
	return errors.ScimError{Status: 400, ScimType: errors.ScimTypeMutability, Detail: detail}
}

func patchUserAttr(doc map[string]any, op patchOp, t target) error {
	switch t.attr {
	case "id", "meta", "schemas":
		return readOnly(t.attr)
	case "groups":
		return readOnly("groups (change membership through /Groups)")
	}
	sc := userBodySchema
	if t.enterprise {
		sc = enterpriseSchema
	}
	def, ok := sc.Attributes.ContainsAttribute(t.attr)
	if !ok {
		return invalidPath(op.path)
	}
	name := def.Name()
	if def.Mutability() == "writeOnly" {
		return nil // password: Muster signs people in itself and keeps none
	}
	if op.op == "replace" && op.value == nil {
		op.op = "remove" // replace with null unassigns, as remove does
	}
	if op.op == "remove" && t.sub == "" && t.filter == nil {
		switch {
		case def.Required():
			return mutability(name + " is required and cannot be removed.")
		case name == "active":
			return mutability("active cannot be removed; replace it with false to deactivate the user.")
		}
	}
	parent := doc
	if t.enterprise {
		ext, _ := doc[enterpriseURN].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			doc[enterpriseURN] = ext // tidy drops it again if it stays empty
		}
		parent = ext
	}
	switch {
	case t.filter != nil:
		if !def.MultiValued() || def.AttributeType() != "complex" {
			return invalidPath(op.path)
		}
		return patchFiltered(parent, def, op, t)
	case t.sub != "":
		return patchSub(parent, def, op, t)
	}
	return patchWhole(parent, def, op)
}

// patchWhole changes an attribute named without filter or sub-attribute.
func patchWhole(parent map[string]any, def schema.CoreAttribute, op patchOp) error {
	name := def.Name()
	switch {
	case op.op == "remove" && name == "roles" && op.value != nil:
		// Roles by name, which Entra may send as JSON (roleNamesOf).
		drop := roleNamesOf(op.value)
		list, _ := elements(def, parent[name])
		setList(parent, name, slices.DeleteFunc(list, func(e map[string]any) bool {
			return slices.ContainsFunc(drop, func(n string) bool { return strings.EqualFold(str(e, "value"), n) })
		}))
	case op.op == "remove" && def.MultiValued() && op.value != nil:
		// The values listed go (Entra's form, as for group members).
		drop, err := elements(def, op.value)
		if err != nil {
			return err
		}
		list, _ := elements(def, parent[name])
		kept := list[:0]
		for _, e := range list {
			if !slices.ContainsFunc(drop, func(d map[string]any) bool { return sameValue(e, d) }) {
				kept = append(kept, e)
			}
		}
		setList(parent, name, kept)
	case op.op == "remove":
		delete(parent, name)
	case def.MultiValued():
		vals, err := elements(def, op.value)
		if err != nil {
			return err
		}
		list, touched := vals, make([]int, len(vals))
		for i := range vals {
			touched[i] = i
		}
		if op.op == "add" {
			list, _ = elements(def, parent[name])
			for j, v := range vals {
				i := slices.IndexFunc(list, func(e map[string]any) bool { return sameValue(e, v) && sameType(e, v) })
				if i >= 0 {
					mergeInto(list[i], v)
				} else {
					list, i = append(list, v), len(list)
				}
				touched[j] = i
			}
		}
		onePrimary(list, touched)
		setList(parent, name, list)
	case def.AttributeType() == "complex":
		obj, err := complexValue(def, op.value)
		if err != nil {
			return err
		}
		cur, _ := parent[name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		mergeInto(cur, obj)
		parent[name] = cur
	default:
		parent[name] = op.value
	}
	return nil
}

// patchSub changes one sub-attribute: name.givenName, manager.value, or
// (rarely sent) emails.value, which means that of every value.
func patchSub(parent map[string]any, def schema.CoreAttribute, op patchOp, t target) error {
	sub, ok := def.SubAttributes().ContainsAttribute(t.sub)
	if !ok || def.AttributeType() != "complex" {
		return invalidPath(op.path)
	}
	if sub.Mutability() == "readOnly" {
		return readOnly(def.Name() + "." + sub.Name())
	}
	name := def.Name()
	if def.MultiValued() {
		list, _ := elements(def, parent[name])
		if len(list) == 0 {
			if op.op == "remove" {
				return nil
			}
			list = []map[string]any{{}}
		}
		for _, e := range list {
			setSub(e, sub.Name(), op)
		}
		setList(parent, name, list)
		return nil
	}
	cur, _ := parent[name].(map[string]any)
	if cur == nil {
		if op.op == "remove" {
			return nil
		}
		cur = map[string]any{}
	}
	setSub(cur, sub.Name(), op)
	if len(cur) == 0 {
		delete(parent, name)
	} else {
		parent[name] = cur
	}
	return nil
}

// patchFiltered changes the values a filter selects: emails[type eq
// "work"].value, addresses[type eq "work"], roles[value eq "admin"].
func patchFiltered(parent map[string]any, def schema.CoreAttribute, op patchOp, t target) error {
	name := def.Name()
	var sub schema.CoreAttribute
	if t.sub != "" {
		var ok bool
		if sub, ok = def.SubAttributes().ContainsAttribute(t.sub); !ok {
			return invalidPath(op.path)
		}
	}
	list, _ := elements(def, parent[name])
	var hits []int
	for i, e := range list {
		ok, err := matchValue(def, t.filter, e)
		if err != nil {
			return err
		}
		if ok {
			hits = append(hits, i)
		}
	}
	if op.op == "remove" {
		kept := list[:0]
		for i, e := range list {
			if slices.Contains(hits, i) {
				if t.sub == "" {
					continue
				}
				delete(e, sub.Name())
				if !hasValue(def, e) {
					continue // a value without its value: nothing is left of it
				}
			}
			kept = append(kept, e)
		}
		setList(parent, name, kept)
		return nil
	}
	if len(hits) == 0 {
		e := filterValue(def, t.filter)
		if op.op == "replace" || e == nil {
			return noTarget(op.path)
		}
		list = append(list, e)
		hits = []int{len(list) - 1}
	}
	for _, i := range hits {
		if t.sub != "" {
			setSub(list[i], sub.Name(), op)
		} else {
			obj, err := complexValue(def, op.value)
			if err != nil {
				return err
			}
			mergeInto(list[i], obj)
		}
	}
	onePrimary(list, hits)
	setList(parent, name, list)
	return nil
}

func setSub(e map[string]any, sub string, op patchOp) {
	for k := range e {
		if strings.EqualFold(k, sub) {
			delete(e, k)
		}
	}
	if op.op != "remove" && op.value != nil {
		e[sub] = op.value
	}
}

// elements reads a multi-valued attribute's values as objects with
// canonical sub-attribute names: a list, one object, or a bare string
// (the value itself, as IdPs send roles).
func elements(def schema.CoreAttribute, v any) ([]map[string]any, error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		obj, err := complexValue(def, it)
		if err != nil {
			return nil, err
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out, nil
}

// complexValue reads one value of a complex attribute as an object with
// canonical sub-attribute names; a bare string is its value (Entra sends
// the manager as an id).
func complexValue(def schema.CoreAttribute, v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if sub, ok := def.SubAttributes().ContainsAttribute(k); ok {
				k = sub.Name()
			}
			out[k] = val
		}
		return out, nil
	case string:
		if _, ok := def.SubAttributes().ContainsAttribute("value"); ok {
			return map[string]any{"value": x}, nil
		}
	}
	return nil, invalidValue("%s takes an object with %s.", def.Name(), subNames(def))
}

func subNames(def schema.CoreAttribute) string {
	var names []string
	for _, s := range def.SubAttributes() {
		names = append(names, s.Name())
	}
	return strings.Join(names, ", ")
}

// matchValue evaluates a value filter against one value of a
// multi-valued attribute, case-insensitively; a sub-attribute the value
// lacks matches nothing (but ne).
func matchValue(def schema.CoreAttribute, e filter.Expression, obj map[string]any) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := matchValue(def, e.Left, obj)
		if err != nil {
			return false, err
		}
		r, err := matchValue(def, e.Right, obj)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		ok, err := matchValue(def, e.Expression, obj)
		return !ok, err
	case *filter.AttributeExpression:
		sub, ok := def.SubAttributes().ContainsAttribute(e.AttributePath.AttributeName)
		if !ok || e.AttributePath.SubAttribute != nil {
			return false, errors.ScimError{Status: 400, ScimType: errors.ScimTypeInvalidFilter,
				Detail: fmt.Sprintf("A filter on %s can name %s.", def.Name(), subNames(def))}
		}
		have, present := obj[sub.Name()]
		h := ""
		if present && have != nil {
			h = fmt.Sprint(have)
		}
		w := fmt.Sprint(e.CompareValue)
		if def.Name() == "roles" && (e.Operator == filter.EQ || e.Operator == filter.NE) {
			// roles[value eq "…"] may name the role by Entra's JSON.
			is := slices.ContainsFunc(roleNamesIn(w), func(n string) bool { return strings.EqualFold(h, n) })
			return is == (e.Operator == filter.EQ) && (h != "" || e.Operator == filter.NE), nil
		}
		switch e.Operator {
		case filter.PR:
			return h != "", nil
		case filter.EQ:
			return h != "" && strings.EqualFold(h, w), nil
		case filter.NE:
			return !strings.EqualFold(h, w), nil
		case filter.CO:
			return h != "" && strings.Contains(strings.ToLower(h), strings.ToLower(w)), nil
		case filter.SW:
			return h != "" && strings.HasPrefix(strings.ToLower(h), strings.ToLower(w)), nil
		case filter.EW:
			return h != "" && strings.HasSuffix(strings.ToLower(h), strings.ToLower(w)), nil
		}
	}
	return false, errors.ScimError{Status: 400, ScimType: errors.ScimTypeInvalidFilter, Detail: "This value filter is not supported in a PATCH path."}
}

// filterValue is the value a filter of eq comparisons joined by and
// describes (type eq "work" is {type: work}), for add to create; nil for
// any other filter.
func filterValue(def schema.CoreAttribute, e filter.Expression) map[string]any {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		sub, ok := def.SubAttributes().ContainsAttribute(e.AttributePath.AttributeName)
		if ok && e.Operator == filter.EQ && e.AttributePath.SubAttribute == nil {
			return map[string]any{sub.Name(): e.CompareValue}
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			l, r := filterValue(def, e.Left), filterValue(def, e.Right)
			if l != nil && r != nil {
				mergeInto(l, r)
				return l
			}
		}
	}
	return nil
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		setSub(dst, k, patchOp{op: "add", value: v})
	}
}

// sameValue: two values of a multi-valued attribute are one (their
// values compare case-insensitively; values without one compare whole).
func sameValue(a, b map[string]any) bool {
	av, aok := a["value"]
	bv, bok := b["value"]
	if aok || bok {
		return aok && bok && strings.EqualFold(fmt.Sprint(av), fmt.Sprint(bv))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func sameType(a, b map[string]any) bool {
	return strings.EqualFold(fmt.Sprint(a["type"]), fmt.Sprint(b["type"])) || b["type"] == nil
}

// hasValue: a value of an attribute with a value sub-attribute still has
// one; values of others (addresses) count while anything is left.
func hasValue(def schema.CoreAttribute, e map[string]any) bool {
	if _, ok := def.SubAttributes().ContainsAttribute("value"); ok {
		return e["value"] != nil && e["value"] != ""
	}
	for k := range e {
		if k != "type" && k != "primary" {
			return true
		}
	}
	return false
}

// onePrimary keeps "primary": true on at most one value (RFC 7643 §2.4):
// when an operation makes one of the values at touched primary (the last
// such), the others stop being.
func onePrimary(list []map[string]any, touched []int) {
	primary := -1
	for _, i := range touched {
		if isTrue(list[i]["primary"]) {
			primary = i
		}
	}
	if primary < 0 {
		return
	}
	for i, e := range list {
		if i != primary && isTrue(e["primary"]) {
			delete(e, "primary")
		}
	}
}

// isTrue reads a boolean the schema has not yet checked ("True" from Entra).
func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

func setList(parent map[string]any, name string, list []map[string]any) {
	if len(list) == 0 {
		delete(parent, name)
		return
	}
	out := make([]any, len(list))
	for i, e := range list {
		out[i] = e
	}
	parent[name] = out
}
