package scim

import (
	"net/http"
	"strings"

	"github.com/elimity-com/scim/schema"
)

// serviceProviderConfig advertises exactly what this package does.
func (s *Server) serviceProviderConfig(req request) response {
	return response{status: http.StatusOK, body: map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/muster-app/muster#connect-an-identity-provider",
		"patch":            map[string]any{"supported": true, "maxOperations": MaxPatchOperations}, // maxOperations: Muster's own
		"bulk":             map[string]any{"supported": true, "maxOperations": MaxOperations, "maxPayloadSize": MaxPayloadSize},
		"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A workspace's SCIM token, created on its SCIM provisioning page or with `muster scim-token create`.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.base + "/ServiceProviderConfig"},
	}}
}

var resourceTypeList = []map[string]any{
	{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "User", "name": "User",
		"endpoint": "/Users", "description": "A member of the workspace", "schema": schema.UserSchema,
		"schemaExtensions": []map[string]any{{"schema": enterpriseURN, "required": false}},
		"meta":             map[string]any{"resourceType": "ResourceType"}},
	{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}, "id": "Group", "name": "Group",
		"endpoint": "/Groups", "description": "A role of the workspace", "schema": schema.GroupSchema,
		"schemaExtensions": []map[string]any{}, "meta": map[string]any{"resourceType": "ResourceType"}},
}

func resourceTypes(name string) response {
	if name == "" {
		return listResponse(len(resourceTypeList), 1, resourceTypeList)
	}
	for _, rt := range resourceTypeList {
		if strings.EqualFold(rt["name"].(string), name) {
			return response{status: http.StatusOK, body: rt}
		}
	}
	return notFound("ResourceType", name)
}

// schemas serves the library's schema definitions.
func schemas(id string) response {
	all := []schema.Schema{schema.CoreUserSchema(), schema.CoreGroupSchema(), schema.ExtensionEnterpriseUser()}
	if id == "" {
		list := make([]map[string]any, len(all))
		for i, sc := range all {
			list[i] = schemaJSON(sc)
		}
		return listResponse(len(list), 1, list)
	}
	for _, sc := range all {
		if strings.EqualFold(sc.ID, id) {
			return response{status: http.StatusOK, body: schemaJSON(sc)}
		}
	}
	return notFound("Schema", id)
}

// schemaJSON is a schema as the library renders it, with the meta and
// schemas keys RFC 7643 §7 asks for.
func schemaJSON(sc schema.Schema) map[string]any {
	out := sc.ToMap()
	out["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"}
	out["meta"] = map[string]any{"resourceType": "Schema", "location": "/Schemas/" + sc.ID}
	return out
}
