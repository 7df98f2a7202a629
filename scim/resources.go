package scim

import (
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim/schema"

	"github.com/muster-app/muster/models"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// The schemas requests are checked against: the library's core schemas
// with the common attributes (id, externalId, meta) that filters may name.
var (
	userSchema       = withCommon(schema.CoreUserSchema())
	groupSchema      = withCommon(schema.CoreGroupSchema())
	enterpriseSchema = schema.ExtensionEnterpriseUser()
)

func withCommon(s schema.Schema) schema.Schema {
	attrs := make([]schema.CoreAttribute, 0, len(s.Attributes)+3)
	attrs = append(attrs, s.Attributes...)
	s.Attributes = append(attrs, schema.CommonAttributes()...)
	return s
}

// etag is a resource's version as a weak ETag, also its meta.version.
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// matchVersion reads an If-Match header: 0 when any version will do (no
// header, or *), -1 when it names no version Muster ever gave out (the
// domain then answers that the resource has changed).
func matchVersion(h string) int {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0
	}
	v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return -1
	}
	return n
}

// noneMatch: an If-None-Match header that names the current version.
func noneMatch(h string, version int) bool {
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || tag == etag(version) || tag == strconv.Quote(strconv.Itoa(version)) {
			return true
		}
	}
	return false
}

func meta(kind, location string, created, modified time.Time, version int) map[string]any {
	return map[string]any{"resourceType": kind, "created": created.UTC().Format(time.RFC3339),
		"lastModified": modified.UTC().Format(time.RFC3339), "location": location, "version": etag(version)}
}

func (s *Server) userLocation(id string) string  { return s.base + "/Users/" + id }
func (s *Server) groupLocation(id string) string { return s.base + "/Groups/" + id }

// userJSON renders a member (with roles) as a SCIM User: its document
// (what the identity provider wrote) with what Muster owns. password is
// never among them: Muster has none to give.
func (s *Server) userJSON(m *models.Member) map[string]any {
	u := userDoc(models.UserOf(m))
	u["schemas"] = []string{schema.UserSchema, enterpriseURN}
	u["id"] = m.ID
	u["userName"] = m.UserName
	u["active"] = m.Status != models.StatusDeactivated
	u["meta"] = meta("User", s.userLocation(m.ID), m.CreatedAt, m.UpdatedAt, m.Version)
	if m.ExternalID != nil {
		u["externalId"] = *m.ExternalID
	}
	roles := make([]map[string]any, len(m.Roles))
	groups := make([]map[string]any, len(m.Roles))
	for i, r := range m.Roles {
		roles[i] = map[string]any{"value": r.Name, "display": r.Name}
		groups[i] = map[string]any{"value": r.ID, "display": r.Name, "$ref": s.groupLocation(r.ID), "type": "direct"}
	}
	u["roles"], u["groups"] = roles, groups
	if ext, ok := u[enterpriseURN].(map[string]any); ok {
		if mgr, ok := ext["manager"].(map[string]any); ok && str(mgr, "value") != "" {
			mgr["$ref"] = s.userLocation(str(mgr, "value"))
		}
	}
	return u
}

// groupJSON renders a role as a SCIM Group; members are left out when the
// caller does not want them (Entra asks for groups without members).
func (s *Server) groupJSON(r *models.Role, members []models.MemberRef, withMembers bool) map[string]any {
	g := map[string]any{
		"schemas":     []string{schema.GroupSchema},
		"id":          r.ID,
		"displayName": r.Name,
		"meta":        meta("Group", s.groupLocation(r.ID), r.CreatedAt, r.UpdatedAt, r.Version),
	}
	if r.ExternalID != nil {
		g["externalId"] = *r.ExternalID
	}
	if withMembers {
		list := make([]map[string]any, len(members))
		for i, m := range members {
			list[i] = map[string]any{"value": m.ID, "display": m.DisplayName, "$ref": s.userLocation(m.ID), "type": "User"}
		}
		g["members"] = list
	}
	return g
}
