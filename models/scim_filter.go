package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scim2/filter-parser/v2"
	"golang.org/x/text/unicode/norm"
)

// SCIMResource names what a filter runs over.
type SCIMResource int

const (
	SCIMUsers SCIMResource = iota
	SCIMGroups
)

// FilterError: the filter names an unknown attribute, compares a value of
// the wrong type, or cannot be expressed. Its message is shown to the
// identity provider (SCIM 400 invalidFilter).
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return e.Msg }

func scimFilterErr(format string, a ...any) error {
	return &FilterError{Msg: fmt.Sprintf(format, a...)}
}

// checkFilterText refuses a value no column can hold: NUL and invalid
// UTF-8 are refused by PostgreSQL (and by Bun), which would be a 500.
func checkFilterText(name, s string) error {
	if len(s) > maxFilterValue || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return scimFilterErr("The value compared with %s is too long or not valid text (a NUL character, or not UTF-8).", name)
	}
	return nil
}

const (
	scimUserURN       = "urn:ietf:params:scim:schemas:core:2.0:user"
	scimGroupURN      = "urn:ietf:params:scim:schemas:core:2.0:group"
	scimEnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"

	// Bounds that keep a hostile filter from producing unbounded SQL.
	maxFilterDepth = 50
	maxFilterTerms = 200
	// No stored attribute is longer than 255 characters; the bound keeps
	// LIKE patterns under SQLite's 50,000-byte limit.
	maxFilterValue = 4096
)

type scimKind uint8

const (
	scimKindText scimKind = iota
	scimKindBool
	scimKindTime
	scimKindNever // in the SCIM schema but not stored by Muster: never has a value
	scimKindComplex
)

// scimAttr maps one attribute or sub-attribute to SQL. Every condition it
// yields is TRUE or FALSE, never NULL, so NOT (…) around it means what the
// filter says.
type scimAttr struct {
	kind     scimKind
	col      string // column or constant it reads
	exact    bool   // caseExact: compared as stored
	lowered  bool   // stored lower-cased: only the value needs lowering
	nullable bool
	// has/hasNot: whether a row has a value, when not every row does; pr
	// is what `pr` means, when it is more than has.
	has, hasNot, pr string
	yes, no         string // scimKindBool: the value is true / false
	sort            string // ORDER BY expression, when not derived from col

	subs  map[string]*scimAttr // scimKindComplex
	def   string               // sub-attribute the bare name stands for ("emails co" is "emails.value co")
	frame string               // opens an EXISTS over another table; the condition and ")" close it
	never bool                 // a multi-valued attribute Muster keeps no values of
}

const (
	scimExact = 1 << iota
	scimNullable
	scimBlank // NOT NULL DEFAULT '': '' means absent
	scimLowered
)

func scimText(col string, flags int) *scimAttr {
	a := &scimAttr{kind: scimKindText, col: col, exact: flags&scimExact != 0, lowered: flags&scimLowered != 0}
	switch {
	case flags&scimNullable != 0:
		a.nullable, a.has, a.hasNot = true, col+" IS NOT NULL", col+" IS NULL"
		a.pr = "(" + a.has + " AND " + col + " <> '')"
	case flags&scimBlank != 0:
		a.has, a.hasNot = col+" <> ''", col+" = ''"
	}
	return a
}

// scimConst is a value Muster does not store but always renders the same way
// (when has holds).
func scimConst(lit, has, hasNot string) *scimAttr {
	return &scimAttr{kind: scimKindText, col: lit, has: has, hasNot: hasNot}
}

func scimBoolean(yes, no, has string) *scimAttr {
	return &scimAttr{kind: scimKindBool, yes: yes, no: no, has: has}
}

func scimDateTime(col string) *scimAttr { return &scimAttr{kind: scimKindTime, col: col} }

func scimComplexAttr(frame, def string, subs map[string]*scimAttr) *scimAttr {
	return &scimAttr{kind: scimKindComplex, frame: frame, def: def, subs: subs}
}

var scimNever = &scimAttr{kind: scimKindNever}

// scimNeverMulti is a multi-valued attribute of the core schema with the usual
// sub-attributes, none of which Muster stores.
func scimNeverMulti() *scimAttr {
	return &scimAttr{kind: scimKindComplex, def: "value", never: true,
		subs: map[string]*scimAttr{"value": scimNever, "display": scimNever, "type": scimNever, "primary": scimNever}}
}

const (
	scimMemberRolesFrame = "EXISTS (SELECT 1 FROM member_roles mr JOIN roles r2 ON r2.id = mr.role_id WHERE mr.member_id = m.id AND "
	scimRoleMembersFrame = "EXISTS (SELECT 1 FROM member_roles mr JOIN members m2 ON m2.id = mr.member_id WHERE mr.role_id = r.id AND "
	scimHasLocation      = "m.location <> ''"
	scimNoLocation       = "m.location = ''"
)

// Keys are lower-case: SCIM names are case-insensitive.
var scimUserAttrs = map[string]*scimAttr{
	"id":          scimText("m.id", scimExact),
	"username":    scimText("m.user_name", 0),
	"externalid":  scimText("m.external_id", scimExact|scimNullable),
	"displayname": {kind: scimKindText, col: "m.display_name", sort: "m.sort_name"},
	"name": scimComplexAttr("", "", map[string]*scimAttr{
		"formatted":  scimText("m.display_name", 0),
		"givenname":  scimText("m.given_name", scimBlank),
		"familyname": scimText("m.family_name", scimBlank),
		"middlename": scimNever, "honorificprefix": scimNever, "honorificsuffix": scimNever,
	}),
	"emails": scimComplexAttr("", "value", map[string]*scimAttr{
		"value":   scimText("m.email", scimLowered|scimBlank), // '': a member without an email
		"type":    scimText("m.email_type", scimBlank),
		"primary": scimBoolean("m.email <> ''", "FALSE", "m.email <> ''"), // one email, always primary
		"display": scimNever,
	}),
	"active": scimBoolean("m.status <> 'deactivated'", "m.status = 'deactivated'", ""),
	"title":  scimText("m.title", scimBlank),
	"locale": scimText("m.locale", scimBlank),
	"addresses": scimComplexAttr("", "formatted", map[string]*scimAttr{
		"formatted":     scimText("m.location", scimBlank),
		"locality":      scimText("m.location", scimBlank),
		"type":          scimConst("'work'", scimHasLocation, scimNoLocation),
		"primary":       scimBoolean(scimHasLocation, "FALSE", scimHasLocation),
		"streetaddress": scimNever, "region": scimNever, "postalcode": scimNever, "country": scimNever,
	}),
	"roles": scimComplexAttr(scimMemberRolesFrame, "value", map[string]*scimAttr{
		"value": scimText("r2.name", 0), "display": scimText("r2.name", 0), "type": scimNever, "primary": scimNever,
	}),
	"groups": scimComplexAttr(scimMemberRolesFrame, "value", map[string]*scimAttr{
		"value": scimText("mr.role_id", scimExact), "display": scimText("r2.name", 0), "type": scimConst("'direct'", "", ""),
	}),
	"meta": scimComplexAttr("", "", map[string]*scimAttr{
		"created": scimDateTime("m.created_at"), "lastmodified": scimDateTime("m.updated_at"),
		"resourcetype": scimConst("'User'", "", ""),
	}),
	"nickname": scimNever, "profileurl": scimNever, "usertype": scimNever, "preferredlanguage": scimNever, "timezone": scimNever,
	"phonenumbers": scimNeverMulti(), "ims": scimNeverMulti(), "photos": scimNeverMulti(),
	"entitlements": scimNeverMulti(), "x509certificates": scimNeverMulti(),
}

var scimEnterpriseAttrs = map[string]*scimAttr{
	"employeenumber": scimText("m.employee_number", scimBlank),
	"department":     scimText("m.department", scimBlank),
	"manager": scimComplexAttr("", "value", map[string]*scimAttr{
		"value": scimText("m.manager_id", scimExact|scimBlank), "displayname": scimNever,
	}),
	// Valid schema attributes Muster does not keep: no user has them, so
	// every comparison is FALSE except ne (a missing value is "not equal").
	"organization": scimNever, "division": scimNever, "costcenter": scimNever,
}

var scimGroupAttrs = map[string]*scimAttr{
	"id":          scimText("r.id", scimExact),
	"displayname": scimText("r.name", 0),
	"externalid":  scimText("r.external_id", scimExact|scimNullable),
	"members": scimComplexAttr(scimRoleMembersFrame, "value", map[string]*scimAttr{
		"value": scimText("mr.member_id", scimExact), "display": scimText("m2.display_name", 0),
		"type": scimConst("'User'", "", ""),
	}),
	"meta": scimComplexAttr("", "", map[string]*scimAttr{
		"created": scimDateTime("r.created_at"), "lastmodified": scimDateTime("r.updated_at"),
		"resourcetype": scimConst("'Group'", "", ""),
	}),
}

var scimCompare = map[filter.CompareOperator]string{
	filter.EQ: "=", filter.NE: "<>", filter.GT: ">", filter.GE: ">=", filter.LT: "<", filter.LE: "<=",
	filter.CO: "", filter.SW: "", filter.EW: "", filter.PR: "",
}

type scimTranslator struct {
	pg        bool
	core, ext map[string]*scimAttr
	coreURN   string
	args      []any
	terms     int
	rare      func(term string) bool // see scimWhere
	narrowed  bool                   // a condition went through the trigram index
	// narrowedAt: the comparisons that went through it (see indexed).
	narrowedAt map[*filter.AttributeExpression]bool
}

func newSCIMTranslator(res SCIMResource, pg bool) (*scimTranslator, error) {
	switch res {
	case SCIMUsers:
		return &scimTranslator{pg: pg, core: scimUserAttrs, ext: scimEnterpriseAttrs, coreURN: scimUserURN}, nil
	case SCIMGroups:
		return &scimTranslator{pg: pg, core: scimGroupAttrs, coreURN: scimGroupURN}, nil
	}
	return nil, scimFilterErr("Unknown resource type.")
}

// SCIMWhere turns a parsed filter into a WHERE fragment over members AS m
// (SCIMUsers) or roles AS r (SCIMGroups), with args for Bun's ?
// placeholders. pg says whether the SQL is for PostgreSQL. Values only ever
// reach the SQL as args; names map through the fixed tables above.
func SCIMWhere(expr filter.Expression, res SCIMResource, pg bool) (string, []any, error) {
	where, args, _, err := scimWhere(expr, res, pg, nil)
	return where, args, err
}

// scimWhere is SCIMWhere; on SQLite, co/sw/ew go through the trigram index
// only for values rare enough by rare (nil: never). There the index's
// matches must be looked up one by one, which costs more than testing
// every member when most of them match. narrowed tells whether the
// whole filter is confined by the trigram index (see indexed): when it is
// not, the query may read every row.
func scimWhere(expr filter.Expression, res SCIMResource, pg bool, rare func(term string) bool) (where string, args []any, narrowed bool, err error) {
	t, err := newSCIMTranslator(res, pg)
	if err != nil {
		return "", nil, false, err
	}
	t.rare = rare
	if expr == nil {
		return "TRUE", nil, false, nil
	}
	where, err = t.expr(expr, 0, nil)
	if err != nil {
		return "", nil, false, err
	}
	return where, t.args, t.indexed(expr), nil
}

// indexed: every row e can match is found through the trigram index. A
// comparison is when narrow added the index's test to it; an and when one
// of its operands is; an or when all are; a not never.
func (t *scimTranslator) indexed(e filter.Expression) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		and := strings.EqualFold(string(e.Operator), "and")
		for _, x := range scimOperands(e) {
			if t.indexed(x) == and {
				return and
			}
		}
		return !and
	case *filter.ValuePath:
		return t.indexed(e.ValueFilter)
	case *filter.AttributeExpression:
		return t.narrowedAt[e]
	}
	return false
}

// SCIMSortColumn maps a sortBy attribute path to an SQL expression to ORDER
// BY; FilterError when it cannot sort by it.
func SCIMSortColumn(attr string, res SCIMResource) (string, error) {
	t, err := newSCIMTranslator(res, false)
	if err != nil {
		return "", err
	}
	p, err := filter.ParseAttrPath([]byte(strings.TrimSpace(attr)))
	if err != nil {
		return "", scimFilterErr("Cannot sort by %q: it is not an attribute path.", attr)
	}
	a, frame, name, err := t.leaf(p, nil)
	switch {
	case err != nil:
		return "", err
	case frame != "":
		return "", scimFilterErr("Cannot sort by %s: it has several values.", name)
	case a.kind == scimKindNever:
		// No row has a value: any order is right. A bare NULL is a
		// constant PostgreSQL refuses in ORDER BY.
		return "CAST(NULL AS TEXT)", nil
	case a.kind == scimKindBool:
		return "CASE WHEN " + a.yes + " THEN 1 ELSE 0 END", nil
	case a.sort != "":
		return a.sort, nil
	}
	col := a.col
	if a.nullable {
		// NULLs sort first on SQLite and last on PostgreSQL: make them ''.
		col = "COALESCE(" + col + ", '')"
	}
	if a.kind == scimKindText && !a.exact && !a.lowered {
		col = "lower(" + col + ")"
	}
	return col, nil
}

func (t *scimTranslator) expr(e filter.Expression, depth int, scope *scimAttr) (string, error) {
	if depth > maxFilterDepth {
		return "", scimFilterErr("The filter is nested more than %d levels deep.", maxFilterDepth)
	}
	switch e := e.(type) {
	case *filter.LogicalExpression:
		var sep string
		switch strings.ToLower(string(e.Operator)) {
		case "and":
			sep = " AND "
		case "or":
			sep = " OR "
		default:
			return "", scimFilterErr("Unknown logical operator %q.", e.Operator)
		}
		parts := []string{}
		for _, x := range scimOperands(e) {
			s, err := t.expr(x, depth+1, scope)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "(" + strings.Join(parts, sep) + ")", nil
	case *filter.NotExpression:
		s, err := t.expr(e.Expression, depth+1, scope)
		if err != nil {
			return "", err
		}
		return "NOT (" + s + ")", nil
	case *filter.ValuePath:
		if scope != nil {
			return "", scimFilterErr("A value filter [ ] cannot hold another.")
		}
		a, err := t.attr(e.AttributePath)
		if err != nil {
			return "", err
		}
		if a.kind != scimKindComplex || e.AttributePath.SubAttribute != nil {
			return "", scimFilterErr("%s is not a complex attribute: it takes no value filter [ ].", e.AttributePath)
		}
		mark := len(t.args)
		s, err := t.expr(e.ValueFilter, depth+1, a)
		switch {
		case err != nil:
			return "", err
		case a.never:
			t.args = t.args[:mark]
			return "FALSE", nil
		case a.frame != "":
			// One EXISTS for the whole [ ]: its conditions hold for the
			// same value, not each for some value.
			return a.frame + s + ")", nil
		}
		return s, nil
	case *filter.AttributeExpression:
		if t.terms++; t.terms > maxFilterTerms {
			return "", scimFilterErr("The filter has more than %d comparisons.", maxFilterTerms)
		}
		op := filter.CompareOperator(strings.ToLower(string(e.Operator)))
		if _, ok := scimCompare[op]; !ok {
			return "", scimFilterErr("Unknown operator %q.", e.Operator)
		}
		if scope == nil && op == filter.PR && e.AttributePath.SubAttribute == nil {
			// name and meta: every row has a display name and times.
			if a, err := t.attr(e.AttributePath); err == nil && a.kind == scimKindComplex && a.def == "" {
				return "TRUE", nil
			}
		}
		a, frame, name, err := t.leaf(e.AttributePath, scope)
		if err != nil {
			return "", err
		}
		was := t.narrowed
		t.narrowed = false
		s, err := t.compare(name, a, op, e.CompareValue)
		if err != nil {
			return "", err
		}
		if t.narrowed && frame == "" {
			if t.narrowedAt == nil {
				t.narrowedAt = map[*filter.AttributeExpression]bool{}
			}
			t.narrowedAt[e] = true
		}
		t.narrowed = t.narrowed || was
		if frame != "" {
			return frame + s + ")", nil
		}
		return s, nil
	}
	return "", scimFilterErr("Unsupported filter expression.")
}

// scimOperands flattens a chain of one logical operator ("a or b or c" parses
// as ((a or b) or c)), so long chains count as one level, not many.
func scimOperands(e *filter.LogicalExpression) []filter.Expression {
	var out []filter.Expression
	var x filter.Expression = e
	for {
		l, ok := x.(*filter.LogicalExpression)
		if !ok || !strings.EqualFold(string(l.Operator), string(e.Operator)) {
			out = append(out, x)
			break
		}
		out = append(out, l.Right)
		x = l.Left
	}
	slices.Reverse(out)
	return out
}

// attr finds a top-level attribute. Enterprise attributes may go without
// their URN: no core attribute shares their names.
func (t *scimTranslator) attr(p filter.AttributePath) (*scimAttr, error) {
	key := strings.ToLower(p.AttributeName)
	var a *scimAttr
	switch strings.ToLower(p.URI()) {
	case "":
		if a = t.core[key]; a == nil {
			a = t.ext[key]
		}
	case t.coreURN:
		a = t.core[key]
	case scimEnterpriseURN:
		a = t.ext[key]
	default:
		return nil, scimFilterErr("Unknown schema %q in %s.", p.URI(), p)
	}
	if a == nil {
		return nil, scimFilterErr("Unknown attribute %s.", p)
	}
	return a, nil
}

// leaf resolves a path to the attribute it compares, and the EXISTS frame
// around it when its values live in another table. Inside a value filter
// [ ], scope is the complex attribute and names are its sub-attributes.
func (t *scimTranslator) leaf(p filter.AttributePath, scope *scimAttr) (*scimAttr, string, string, error) {
	if scope != nil {
		a := scope.subs[strings.ToLower(p.AttributeName)]
		if p.URIPrefix != nil || p.SubAttribute != nil || a == nil {
			return nil, "", "", scimFilterErr("Unknown sub-attribute %s inside [ ].", p)
		}
		return a, "", p.AttributeName, nil
	}
	a, err := t.attr(p)
	if err != nil {
		return nil, "", "", err
	}
	name := p.String()
	switch {
	case a.kind != scimKindComplex && p.SubAttribute != nil:
		return nil, "", "", scimFilterErr("%s: %s has no sub-attributes.", name, p.AttributeName)
	case a.kind != scimKindComplex:
		return a, "", name, nil
	case p.SubAttribute != nil:
		sub := a.subs[strings.ToLower(*p.SubAttribute)]
		if sub == nil {
			return nil, "", "", scimFilterErr("Unknown sub-attribute %s.", name)
		}
		return sub, a.frame, name, nil
	case a.def != "":
		return a.subs[a.def], a.frame, name, nil
	}
	return nil, "", "", scimFilterErr("%s is a complex attribute: filter on one of its sub-attributes.", name)
}

func (a *scimAttr) present() string {
	switch {
	case a.kind == scimKindNever:
		return "FALSE"
	case a.pr != "":
		return a.pr
	case a.has != "":
		return a.has
	}
	return "TRUE"
}

func (t *scimTranslator) compare(name string, a *scimAttr, op filter.CompareOperator, v any) (string, error) {
	if op == filter.PR {
		return a.present(), nil
	}
	if v == nil {
		switch op {
		case filter.EQ:
			return "NOT (" + a.present() + ")", nil
		case filter.NE:
			return a.present(), nil
		}
		return "", scimFilterErr("%s %s null: only eq and ne compare with null.", name, op)
	}
	switch a.kind {
	case scimKindNever:
		if op == filter.NE {
			return "TRUE", nil
		}
		return "FALSE", nil
	case scimKindBool:
		return t.compareBool(name, a, op, v)
	case scimKindTime:
		return t.compareTime(name, a, op, v)
	}
	return t.compareText(name, a, op, v)
}

func (t *scimTranslator) compareBool(name string, a *scimAttr, op filter.CompareOperator, v any) (string, error) {
	if op != filter.EQ && op != filter.NE {
		return "", scimFilterErr("%s is a boolean: %s is not defined for booleans.", name, op)
	}
	b, ok := v.(bool)
	if s, isString := v.(string); isString {
		// Entra sends booleans as strings ("True").
		switch strings.ToLower(s) {
		case "true":
			b, ok = true, true
		case "false":
			b, ok = false, true
		}
	}
	if !ok {
		return "", scimFilterErr("%s is a boolean: compare it with true or false, not %s.", name, scimShow(v))
	}
	cond := a.no
	if b {
		cond = a.yes
	}
	if op == filter.NE {
		return "NOT (" + cond + ")", nil
	}
	return cond, nil
}

func (t *scimTranslator) compareTime(name string, a *scimAttr, op filter.CompareOperator, v any) (string, error) {
	sqlOp := scimCompare[op]
	if sqlOp == "" {
		return "", scimFilterErr("%s is a dateTime: %s is not defined for it.", name, op)
	}
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", scimFilterErr("%s is a dateTime: compare it with a time such as \"2026-01-02T15:04:05Z\", not %s.", name, scimShow(v))
	}
	// UTC: SQLite keeps times as Bun's UTC text, which compares as time.
	t.args = append(t.args, tm.UTC())
	return a.col + " " + sqlOp + " ?", nil
}

var scimLikeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (t *scimTranslator) compareText(name string, a *scimAttr, op filter.CompareOperator, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", scimFilterErr("%s is a string: compare it with a string in quotes, not %s.", name, scimShow(v))
	}
	if err := checkFilterText(name, s); err != nil {
		return "", err
	}
	col := a.col
	if !a.exact {
		// Stored NFC (cleanName, NormalizeEmail, NormalizeIdentifier):
		// "jose\u0301" finds josé. Exact attributes (ids, externalId)
		// are compared as sent.
		s = norm.NFC.String(s)
		if a.lowered {
			s = strings.ToLower(s)
		} else {
			col, s = "lower("+col+")", t.lower(s)
		}
	}
	var c string
	switch op {
	case filter.CO, filter.SW, filter.EW:
		if a.exact && !t.pg {
			// SQLite's LIKE ignores ASCII case; caseExact needs exact
			// substrings.
			switch op {
			case filter.CO:
				c, t.args = "instr("+col+", ?) > 0", append(t.args, s)
			case filter.SW:
				c, t.args = "substr("+col+", 1, length(?)) = ?", append(t.args, s, s)
			default:
				c, t.args = "substr("+col+", length("+col+") - length(?) + 1) = ?", append(t.args, s, s)
			}
			break
		}
		pattern := scimLikeEscaper.Replace(s)
		switch op {
		case filter.CO:
			pattern = "%" + pattern + "%"
		case filter.SW:
			pattern += "%"
		default:
			pattern = "%" + pattern
		}
		c, t.args = col+` LIKE ? ESCAPE '\'`, append(t.args, pattern)
		if !a.exact {
			c = t.narrow(c, a.col, s)
		}
	case filter.GT, filter.GE, filter.LT, filter.LE:
		if t.pg {
			// Lexicographic, as SQLite compares, whatever the collation.
			col += ` COLLATE "C"`
		}
		c, t.args = col+" "+scimCompare[op]+" ?", append(t.args, s)
	default:
		c, t.args = col+" "+scimCompare[op]+" ?", append(t.args, s)
	}
	switch {
	case a.has == "":
		return c, nil
	case op == filter.NE:
		// A missing value is "not equal" to anything.
		return "(" + a.hasNot + " OR " + c + ")", nil
	}
	return "(" + a.has + " AND " + c + ")", nil
}

// scimNarrowing: tests turn it off to compare results with and without.
var scimNarrowing = true

// searchTextCols are the columns members.search_text holds (searchText in
// entities.go), which the trigram index covers.
var searchTextCols = map[string]bool{"m.display_name": true, "m.email": true, "m.location": true,
	"m.user_name": true, "m.given_name": true, "m.family_name": true}

// narrow adds to a case-insensitive co/sw/ew condition c on col, for a
// value s of three characters or more, a test through the trigram index of
// search_text (the member_search migration), so the database looks up
// candidates instead of reading every member. The index only narrows: the
// candidates are a superset of c's matches (search_text holds col
// case-folded, as it is or inside another part, and folding keeps
// substrings), and c still decides, so the result is the same with or
// without it.
func (t *scimTranslator) narrow(c, col, s string) string {
	if !searchTextCols[col] || !scimNarrowing {
		return c
	}
	term := foldCase(t.lower(s))
	if utf8.RuneCountInString(term) < 3 {
		return c // FTS5's trigrams need three; a short value scans
	}
	if t.pg {
		// pg_trgm's GIN index serves LIKE on search_text. PostgreSQL
		// lowers İ (U+0130) to i, which folds to i and a combining dot
		// instead: any i may stand for that pair.
		pattern := "%" + strings.ReplaceAll(scimLikeEscaper.Replace(term), "i", "%") + "%"
		t.narrowed = true
		t.args = append(t.args, pattern)
		return "(" + c + ` AND m.search_text LIKE ? ESCAPE '\')`
	}
	if t.rare == nil || !t.rare(term) {
		return c
	}
	t.narrowed = true
	t.args = append(t.args, ftsPhrase(term), term)
	return "(" + c + " AND m.id IN (SELECT r.member_id FROM member_search_rows AS r WHERE r.id IN (" + searchMatches + ")))"
}

// lower lower-cases a value the way the database's lower() does to the
// column: SQLite's built-in lower() only knows ASCII.
func (t *scimTranslator) lower(s string) string { return dbLower(t.pg, s) }

func scimShow(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", truncate(s, 64))
	}
	return fmt.Sprint(v)
}
