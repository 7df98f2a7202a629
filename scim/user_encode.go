package scim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim/schema"

	"github.com/muster-app/muster/models"
)

// userBody is a member as the body of a response: for a member no
// identity provider has written a document for (invited in the browser,
// or demo members) it is written straight from the columns, with no map
// per attribute; otherwise it is userJSON's map. Either way the bytes are
// those json.Marshal(userJSON(m)) gave (user_encode_test.go): keys in
// the same sorted order, as some tests and clients compare bodies.
func (s *Server) userBody(m *models.Member, p projection) any {
	if len(p.include) > 0 || len(p.exclude) > 0 {
		return p.apply(s.userJSON(m))
	}
	if m.SCIMAttributes != "" {
		if b, ok := s.appendUserDoc(make([]byte, 0, 1024), m); ok {
			return rawJSON(b)
		}
		return s.userJSON(m)
	}
	return rawJSON(s.appendUserColumns(make([]byte, 0, 768), m))
}

// ownedKeys are the attributes userJSON sets over the document, sorted.
var ownedKeys = [...]string{"active", "externalId", "groups", "id", "meta", "roles", "schemas", "userName"}

// appendUserDoc writes a member with a stored document: the document's
// attributes as stored, merged in sorted order with what Muster owns. The
// document was written by json.Marshal (SCIMUser.apply), so each stored
// value is already the bytes json.Marshal gives for it once decoded; only
// the top level is split, instead of decoding every value into maps. A
// manager needs its $ref added inside the extension: that, a document
// that does not parse, and one with \ufffd go the map's way (ok is false).
func (s *Server) appendUserDoc(b []byte, m *models.Member) ([]byte, bool) {
	// The one escape json.Marshal does not give back unchanged: invalid
	// UTF-8 it wrote as \ufffd decodes to U+FFFD, which it writes as is.
	if strings.Contains(m.SCIMAttributes, `\ufffd`) {
		return b, false
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal([]byte(m.SCIMAttributes), &doc) != nil || doc == nil {
		return b, false
	}
	if ext, ok := doc[enterpriseURN]; ok && bytes.Contains(ext, []byte(`"manager"`)) {
		return b, false
	}
	var small [16]string
	keys := small[:0]
	for k := range doc {
		if slices.Contains(ownedKeys[:], k) && (k != "externalId" || m.ExternalID != nil) {
			continue // userJSON sets these over the document
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	owned := ownedKeys[:]
	for _, k := range keys {
		for len(owned) > 0 && owned[0] < k {
			if s.ownedValue(nil, owned[0], m) != nil {
				sep()
				b = s.ownedValue(b, owned[0], m)
			}
			owned = owned[1:]
		}
		sep()
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, doc[k]...)
	}
	for _, k := range owned {
		if s.ownedValue(nil, k, m) != nil {
			sep()
			b = s.ownedValue(b, k, m)
		}
	}
	return append(b, '}'), true
}

// ownedValue appends "key":value for one of ownedKeys as userJSON sets it;
// given a nil b it returns nil when m has no such value (externalId).
func (s *Server) ownedValue(b []byte, key string, m *models.Member) []byte {
	if b == nil {
		if key == "externalId" && m.ExternalID == nil {
			return nil
		}
		return []byte{}
	}
	b = appendJSONString(b, key)
	b = append(b, ':')
	switch key {
	case "active":
		return strconv.AppendBool(b, m.Status != models.StatusDeactivated)
	case "externalId":
		return appendJSONString(b, *m.ExternalID)
	case "groups":
		return s.appendGroups(b, m)
	case "id":
		return appendJSONString(b, m.ID)
	case "meta":
		b = append(b, `{"created":`...)
		b = appendJSONString(b, m.CreatedAt.UTC().Format(time.RFC3339))
		b = append(b, `,"lastModified":`...)
		b = appendJSONString(b, m.UpdatedAt.UTC().Format(time.RFC3339))
		b = append(b, `,"location":`...)
		b = appendJSONString(b, s.userLocation(m.ID))
		b = append(b, `,"resourceType":"User","version":`...)
		b = appendJSONString(b, etag(m.Version))
		return append(b, '}')
	case "roles":
		return appendRoles(b, m)
	case "schemas":
		b = append(b, '[')
		b = appendJSONString(b, schema.UserSchema)
		b = append(b, ',')
		b = appendJSONString(b, enterpriseURN)
		return append(b, ']')
	case "userName":
		return appendJSONString(b, m.UserName)
	}
	panic("scim: not an owned key: " + key)
}

// appendUserColumns writes what userJSON makes of userDoc's columns-only
// document, key by key in json.Marshal's (sorted) order. Change both
// together.
func (s *Server) appendUserColumns(b []byte, m *models.Member) []byte {
	b = append(b, `{"active":`...)
	b = strconv.AppendBool(b, m.Status != models.StatusDeactivated)
	if m.Location != "" {
		b = append(b, `,"addresses":[{"formatted":`...)
		b = appendJSONString(b, m.Location)
		b = append(b, `,"locality":`...)
		b = appendJSONString(b, m.Location)
		b = append(b, `,"primary":true,"type":"work"}]`...)
	}
	if m.DisplayName != "" {
		b = append(b, `,"displayName":`...)
		b = appendJSONString(b, m.DisplayName)
	}
	if m.Email != "" {
		b = append(b, `,"emails":[{"primary":true,"type":`...)
		b = appendJSONString(b, m.EmailType)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, m.Email)
		b = append(b, `}]`...)
	}
	if m.ExternalID != nil {
		b = append(b, `,"externalId":`...)
		b = appendJSONString(b, *m.ExternalID)
	}
	b = append(b, `,"groups":`...)
	b = s.appendGroups(b, m)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, m.ID)
	if m.Locale != "" {
		b = append(b, `,"locale":`...)
		b = appendJSONString(b, m.Locale)
	}
	b = append(b, `,"meta":{"created":`...)
	b = appendJSONString(b, m.CreatedAt.UTC().Format(time.RFC3339))
	b = append(b, `,"lastModified":`...)
	b = appendJSONString(b, m.UpdatedAt.UTC().Format(time.RFC3339))
	b = append(b, `,"location":`...)
	b = appendJSONString(b, s.userLocation(m.ID))
	b = append(b, `,"resourceType":"User","version":`...)
	b = appendJSONString(b, etag(m.Version))
	b = append(b, '}')
	if m.GivenName != "" || m.FamilyName != "" {
		b = append(b, `,"name":{`...)
		if m.FamilyName != "" {
			b = append(b, `"familyName":`...)
			b = appendJSONString(b, m.FamilyName)
			if m.GivenName != "" {
				b = append(b, ',')
			}
		}
		if m.GivenName != "" {
			b = append(b, `"givenName":`...)
			b = appendJSONString(b, m.GivenName)
		}
		b = append(b, '}')
	}
	b = append(b, `,"roles":`...)
	b = appendRoles(b, m)
	b = append(b, `,"schemas":[`...)
	b = appendJSONString(b, schema.UserSchema)
	b = append(b, ',')
	b = appendJSONString(b, enterpriseURN)
	b = append(b, ']')
	if m.Title != "" {
		b = append(b, `,"title":`...)
		b = appendJSONString(b, m.Title)
	}
	if m.Department != "" || m.EmployeeNumber != "" || m.ManagerID != "" {
		b = append(b, ',')
		b = appendJSONString(b, enterpriseURN)
		b = append(b, ':', '{')
		comma := false
		if m.Department != "" {
			b = append(b, `"department":`...)
			b = appendJSONString(b, m.Department)
			comma = true
		}
		if m.EmployeeNumber != "" {
			if comma {
				b = append(b, ',')
			}
			b = append(b, `"employeeNumber":`...)
			b = appendJSONString(b, m.EmployeeNumber)
			comma = true
		}
		if m.ManagerID != "" {
			if comma {
				b = append(b, ',')
			}
			b = append(b, `"manager":{"$ref":`...)
			b = appendJSONString(b, s.userLocation(m.ManagerID))
			b = append(b, `,"value":`...)
			b = appendJSONString(b, m.ManagerID)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	b = append(b, `,"userName":`...)
	b = appendJSONString(b, m.UserName)
	return append(b, '}')
}

// appendGroups writes a member's roles as the User's "groups", in the order
// and with the keys json.Marshal gave them.
func (s *Server) appendGroups(b []byte, m *models.Member) []byte {
	b = append(b, '[')
	for i := range m.Roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"$ref":`...)
		b = appendJSONString(b, s.groupLocation(m.Roles[i].ID))
		b = append(b, `,"display":`...)
		b = appendJSONString(b, m.Roles[i].Name)
		b = append(b, `,"type":"direct","value":`...)
		b = appendJSONString(b, m.Roles[i].ID)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendRoles writes a member's roles as the User's "roles", each role's
// name as both display and value, as json.Marshal gave them.
func appendRoles(b []byte, m *models.Member) []byte {
	b = append(b, '[')
	for i := range m.Roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"display":`...)
		b = appendJSONString(b, m.Roles[i].Name)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, m.Roles[i].Name)
		b = append(b, '}')
	}
	return append(b, ']')
}
