package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/muster-app/muster/models"
)

// Request bodies are checked against the library's schemas with externalId
// added (what its own handler does); id and meta are the server's, so a
// client's are ignored rather than refused (Okta sends them in PUT).
var (
	userBodySchema  = withExternalID(schema.CoreUserSchema())
	groupBodySchema = withExternalID(schema.CoreGroupSchema())
)

func withExternalID(s schema.Schema) schema.Schema {
	attrs := append([]schema.CoreAttribute{}, s.Attributes...)
	s.Attributes = append(attrs, schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		CaseExact: true, Mutability: schema.AttributeMutabilityReadWrite(), Name: "externalId", Uniqueness: schema.AttributeUniquenessNone(),
	})))
	return s
}

// decodeObject reads a JSON object, keeping numbers as json.Number as the
// library's validation expects.
func decodeObject(body []byte) (map[string]any, response) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, badRequest(errors.ScimTypeInvalidSyntax, "The body is not a JSON object.")
	}
	if d.More() {
		return nil, badRequest(errors.ScimTypeInvalidSyntax, "The body holds more than one JSON value.")
	}
	return m, response{}
}

// lookup finds a key case-insensitively: IdPs send UserName as well as userName.
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func str(m map[string]any, key string) string {
	v, _ := lookup(m, key)
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func deleteKey(m map[string]any, key string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
}

func validationError(serr *errors.ScimError, what string) response {
	detail := serr.Detail
	if detail == "" {
		detail = fmt.Sprintf("The %s does not match the SCIM schema (%s): check each attribute's name and type.", what, serr.ScimType)
	}
	return response{status: serr.Status, body: scimError(serr.Status, serr.ScimType, detail)}
}

// userFromBody reads a POST or PUT body as a SCIMUser; rolesGiven says
// whether it had roles at all (a PUT without them keeps the member's).
func userFromBody(body []byte) (models.SCIMUser, bool, response) {
	raw, res := decodeObject(body)
	if res.status != 0 {
		return models.SCIMUser{}, false, res
	}
	// groups is read-only in RFC 7643, but Okta's custom (AIW) apps send a
	// user's memberships there: the member joins those groups (never
	// leaves one: Okta sends "groups": [] with every PUT).
	modernSchemas(raw, schema.UserSchema)
	rolesAsList(raw)
	groupsV, _ := lookup(raw, "groups")
	u, rolesGiven, err := userFromDoc(raw, true)
	if err != nil {
		serr, _ := err.(errors.ScimError)
		return models.SCIMUser{}, false, response{status: serr.Status, body: serr}
	}
	u.GroupIDs = idsOf(groupsV)
	return u, rolesGiven, response{}
}

func attrValue(m map[string]any, key string) any {
	v, _ := lookup(m, key)
	return v
}

// normaliseManager accepts a bare id as the manager (Entra's mappings can
// send one), which the schema would refuse.
func normaliseManager(ext map[string]any) {
	for k, v := range ext {
		if strings.EqualFold(k, "manager") {
			if s, ok := v.(string); ok {
				ext[k] = map[string]any{"value": s}
			}
		}
	}
}

// pickEmail takes the primary email, else the work one, else the first:
// a member has one address (the others are kept in its document).
func pickEmail(v any) (string, string) {
	list := slices.DeleteFunc(slices.Clone(objects(v)), func(e map[string]any) bool { return str(e, "value") == "" })
	best := -1
	for i, e := range list {
		if p, _ := lookup(e, "primary"); p == true {
			best = i
			break
		}
		if best < 0 && strings.EqualFold(str(e, "type"), "work") {
			best = i
		}
	}
	if best < 0 && len(list) > 0 {
		best = 0
	}
	if best < 0 {
		return "", ""
	}
	return str(list[best], "value"), str(list[best], "type")
}

// pickLocation reads the work address's locality (or its formatted text),
// else an untyped one's: a home address never becomes the location the
// members table shows.
func pickLocation(v any) string {
	list := objects(v)
	untyped := func(a map[string]any) bool { return str(a, "type") == "" }
	for _, pass := range []func(map[string]any) bool{
		func(a map[string]any) bool { return strings.EqualFold(str(a, "type"), "work") },
		func(a map[string]any) bool { p, _ := lookup(a, "primary"); return p == true && untyped(a) },
		untyped,
	} {
		for _, a := range list {
			if pass(a) {
				if l := str(a, "locality"); l != "" {
					return l
				}
				return str(a, "formatted")
			}
		}
	}
	return ""
}

func objects(v any) []map[string]any {
	switch v := v.(type) {
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case []map[string]any:
		return v
	case map[string]any:
		return []map[string]any{v}
	}
	return nil
}

// roleNamesOf reads roles: each one's value (a name, or Entra's app role
// as JSON: roleNamesIn), or its display when the IdP sent no value. Never
// nil, so "roles": [] takes every role away.
func roleNamesOf(v any) []string {
	names := []string{}
	switch v := v.(type) {
	case string:
		names = append(names, roleNamesIn(v)...)
	default:
		for _, r := range objects(v) {
			n := roleNamesIn(str(r, "value"))
			if len(n) == 0 && str(r, "display") != "" {
				n = []string{str(r, "display")}
			}
			names = append(names, n...)
		}
	}
	return names
}

// idsOf reads a list of {value: id} (group members).
func idsOf(v any) []string {
	ids := []string{}
	for _, m := range objects(v) {
		if id := str(m, "value"); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
