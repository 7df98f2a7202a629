package scim

import (
	"strconv"
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
	if m.SCIMAttributes != "" || len(p.include) > 0 || len(p.exclude) > 0 {
		return p.apply(s.userJSON(m))
	}
	return rawJSON(s.appendUserColumns(make([]byte, 0, 768), m))
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
	b = append(b, `,"groups":[`...)
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
	b = append(b, `],"id":`...)
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
	b = append(b, `,"roles":[`...)
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
	b = append(b, `],"schemas":[`...)
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
