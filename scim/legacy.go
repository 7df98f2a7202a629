package scim

import (
	"strings"

	"github.com/elimity-com/scim/schema"
)

// OneLogin (and other clients of SCIM's drafts) name schemas by their
// pre-RFC URNs: "urn:scim:schemas:core:2.0" for the core User or Group and
// "urn:scim:schemas:extension:enterprise:2.0" for the enterprise extension.
// They mean the RFC 7643 schemas, so bodies and PATCH paths are read with
// those URNs in their place.

const (
	legacyCoreURN       = "urn:scim:schemas:core:2.0"
	legacyEnterpriseURN = "urn:scim:schemas:extension:enterprise:2.0"
)

// modernSchemas rewrites a body's legacy URNs in place: in "schemas" (core
// is the resource's own schema, core is its URN) and as the key of the
// enterprise extension's object.
func modernSchemas(raw map[string]any, core string) {
	for k, v := range raw {
		switch {
		case strings.EqualFold(k, "schemas"):
			list, ok := v.([]any)
			if !ok {
				continue
			}
			for i, s := range list {
				if str, ok := s.(string); ok {
					list[i] = modernURN(str, core)
				}
			}
		case isLegacyEnterprise(k):
			delete(raw, k)
			if _, taken := lookup(raw, enterpriseURN); !taken {
				raw[enterpriseURN] = v
			}
		}
	}
}

// modernURN maps a legacy schema URN to the RFC's (others as they are).
func modernURN(urn, core string) string {
	switch {
	case strings.EqualFold(urn, legacyCoreURN), strings.EqualFold(urn, legacyCoreURN+":User") && core == schema.UserSchema,
		strings.EqualFold(urn, legacyCoreURN+":Group") && core == schema.GroupSchema:
		return core
	case isLegacyEnterprise(urn):
		return enterpriseURN
	}
	return urn
}

func isLegacyEnterprise(s string) bool {
	return strings.EqualFold(s, legacyEnterpriseURN) || strings.EqualFold(s, legacyEnterpriseURN+":User")
}

// modernPath rewrites a PATCH path that starts with a legacy URN:
// "urn:scim:schemas:extension:enterprise:2.0:department".
func modernPath(path string) string {
	lower := strings.ToLower(path)
	for _, p := range []struct{ legacy, modern string }{
		{legacyEnterpriseURN + ":user:", enterpriseURN + ":"},
		{legacyEnterpriseURN + ":", enterpriseURN + ":"},
		{legacyCoreURN + ":user:", ""},
		{legacyCoreURN + ":group:", ""},
		{legacyCoreURN + ":", ""},
	} {
		if strings.HasPrefix(lower, p.legacy) {
			return p.modern + path[len(p.legacy):]
		}
	}
	return path
}
