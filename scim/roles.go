package scim

import (
	"encoding/json"
	"strings"
)

// Entra's app roles (AppRoleAssignmentsComplex) arrive as a role whose
// value is itself JSON, a string holding one assignment or a list of them:
//
//	{"value": "{\"id\":\"06b0…\",\"value\":\"Support\",\"displayName\":\"Support\"}"}
//	{"value": "[{\"value\":\"Support\",\"displayName\":\"Support\"}]"}
//
// with "primary" and "type" beside it (ignored: a member's roles have no
// order or kind). Each assignment names a role by its value, else its
// displayName.

// roleNamesIn reads one role value: a plain name, or Entra's JSON.
func roleNamesIn(v string) []string {
	t := strings.TrimSpace(v)
	if t == "" {
		return nil
	}
	if t[0] != '{' && t[0] != '[' {
		return []string{v}
	}
	list, ok := appRoles(t)
	if !ok {
		// In a PATCH path's filter (roles[value eq "{\"value\":…}"]) the
		// parser keeps the escapes of the quotes.
		if list, ok = appRoles(strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(t)); !ok {
			return []string{v} // not JSON after all: a name with a brace
		}
	}
	var names []string
	for _, a := range list {
		n := str(a, "value")
		if n == "" {
			n = str(a, "displayName")
		}
		if n == "" {
			n = str(a, "display")
		}
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// appRoles decodes one app role assignment or a list of them.
func appRoles(t string) ([]map[string]any, bool) {
	if t[0] == '{' {
		var one map[string]any
		if json.Unmarshal([]byte(t), &one) != nil {
			return nil, false
		}
		return []map[string]any{one}, true
	}
	var list []map[string]any
	return list, json.Unmarshal([]byte(t), &list) == nil
}

// rolesAsList turns a body's roles sent as one JSON string (Entra's app
// role assignments, "roles": "[{\"value\":…}]") into the list of roles the
// schema expects.
func rolesAsList(raw map[string]any) {
	for k, v := range raw {
		if s, ok := v.(string); ok && strings.EqualFold(k, "roles") {
			list := []any{}
			for _, n := range roleNamesIn(s) {
				list = append(list, map[string]any{"value": n})
			}
			raw[k] = list
		}
	}
}
