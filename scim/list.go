package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"

	"github.com/muster-app/muster/models"
)

// listQuery is a list request: from GET's query or a .search body.
type listQuery struct {
	filter     string
	startIndex int
	count      int
	sortBy     string
	descending bool
	projection projection
}

const listResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

func listQueryFrom(q url.Values) (listQuery, response) {
	lq := listQuery{filter: strings.TrimSpace(q.Get("filter")), sortBy: strings.TrimSpace(q.Get("sortBy")),
		projection: newProjection(q.Get("attributes"), q.Get("excludedAttributes"))}
	var res response
	if lq.startIndex, res = intParam(q, "startIndex", 1); res.status != 0 {
		return lq, res
	}
	if lq.count, res = intParam(q, "count", defaultCount); res.status != 0 {
		return lq, res
	}
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "ascending":
	case "descending":
		lq.descending = true
	default:
		return lq, badRequest(errors.ScimTypeInvalidValue, `sortOrder must be "ascending" or "descending".`)
	}
	lq.clamp()
	return lq, response{}
}

func intParam(q url.Values, name string, def int) (int, response) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, response{}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest(errors.ScimTypeInvalidValue, name+" must be an integer.")
	}
	return n, response{}
}

// clamp follows RFC 7644 §3.4.2.4: a start below 1 is 1, a negative count
// is 0, and a count above the maximum is the maximum.
func (lq *listQuery) clamp() {
	lq.startIndex = max(lq.startIndex, 1)
	lq.count = min(max(lq.count, 0), MaxResults)
}

// searchQuery reads a POST …/.search body (RFC 7644 §3.4.3).
func searchQuery(req request) (listQuery, response) {
	var body struct {
		Schemas            []string `json:"schemas"`
		Filter             string   `json:"filter"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
		SortBy             string   `json:"sortBy"`
		SortOrder          string   `json:"sortOrder"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		return listQuery{}, badRequest(errors.ScimTypeInvalidSyntax, "The body is not a SearchRequest: "+err.Error())
	}
	if !hasSchema(body.Schemas, "urn:ietf:params:scim:api:messages:2.0:SearchRequest") {
		return listQuery{}, badRequest(errors.ScimTypeInvalidSyntax, `schemas must be ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"].`)
	}
	lq := listQuery{filter: strings.TrimSpace(body.Filter), startIndex: 1, count: defaultCount, sortBy: body.SortBy,
		projection: newProjection(strings.Join(body.Attributes, ","), strings.Join(body.ExcludedAttributes, ","))}
	if body.StartIndex != nil {
		lq.startIndex = *body.StartIndex
	}
	if body.Count != nil {
		lq.count = *body.Count
	}
	switch strings.ToLower(body.SortOrder) {
	case "", "ascending":
	case "descending":
		lq.descending = true
	default:
		return lq, badRequest(errors.ScimTypeInvalidValue, `sortOrder must be "ascending" or "descending".`)
	}
	lq.clamp()
	return lq, response{}
}

func hasSchema(schemas []string, urn string) bool {
	for _, s := range schemas {
		if strings.EqualFold(s, urn) {
			return true
		}
	}
	return false
}

// parseFilter checks a filter against the resource's schemas and returns
// its syntax tree.
func parseFilter(f string, s schema.Schema, exts ...schema.Schema) (filter.Expression, response) {
	if f == "" {
		return nil, response{}
	}
	if strings.IndexByte(f, 0) >= 0 || !utf8.ValidString(f) {
		return nil, badRequest(errors.ScimTypeInvalidFilter, "The filter holds a NUL character or text that is not UTF-8.")
	}
	if attr, value, ok := quickLookup(f); ok && quickAttribute(attr, s) {
		return &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: attr},
			Operator: filter.EQ, CompareValue: value}, response{}
	}
	if nestingOf(f) > maxFilterNesting {
		return nil, badRequest(errors.ScimTypeInvalidFilter, fmt.Sprintf(
			"The filter nests ( ) and [ ] more than %d levels deep.", maxFilterNesting))
	}
	v, err := scimfilter.NewValidator(f, s, exts...)
	if err == nil {
		err = v.Validate()
	}
	if err != nil {
		return nil, badRequest(errors.ScimTypeInvalidFilter, "The filter is not valid here: "+err.Error())
	}
	return v.GetFilter(), response{}
}

// maxFilterNesting bounds how deeply a filter or a PATCH path nests
// brackets, checked before parsing: the parser's time grows with the
// square of the depth (5,000 levels took seconds of CPU for one request),
// and the SQL translation refuses deep filters anyway.
const maxFilterNesting = 50

// nestingOf is the deepest nesting of ( and [ outside quoted strings.
func nestingOf(f string) int {
	depth, deepest, quoted := 0, 0, false
	for i := 0; i < len(f); i++ {
		switch c := f[i]; {
		case quoted && c == '\\':
			i++ // an escaped character, maybe a quote
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']':
			depth--
		}
	}
	return deepest
}

// quickAttribute: the fast path only takes attributes the resource has.
func quickAttribute(name string, s schema.Schema) bool {
	switch strings.ToLower(name) {
	case "id", "externalid":
		return true
	case "username":
		return s.ID == schema.UserSchema
	case "displayname":
		return s.ID == schema.GroupSchema
	}
	return false
}

// storeQuery turns a list query into the store's.
func storeQuery(lq listQuery, expr filter.Expression) models.SCIMQuery {
	return models.SCIMQuery{Filter: expr, SortBy: lq.sortBy, Descending: lq.descending, StartIndex: lq.startIndex, Count: lq.count}
}

// listResponse renders a page; Resources is never null (Entra rejects it)
// and itemsPerPage is what the page holds.
func listResponse[T any](total, start int, resources []T) response {
	if resources == nil {
		resources = []T{}
	}
	return response{status: http.StatusOK, body: map[string]any{
		"schemas": []string{listResponseURN}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(resources), "Resources": resources,
	}}
}
