package scim

import (
	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/muster-app/muster/models"
)

// A User's document is the User as JSON with canonical attribute names
// and the enterprise extension nested under its URN. Muster stores it
// whole (models.SCIMUser.Attributes) and gives it back on every read, so
// every attribute /Schemas advertises comes back as it was written; the
// columns Muster uses (email, location, names, …) are derived from it.
// What Muster owns is not stored in it but added when it is rendered or
// edited: id, meta, userName, externalId, active, roles and groups.
// POST and PUT bodies and the result of a PATCH all pass through
// userFromDoc, so there is one way from JSON to a member.

// userFromDoc validates a User document against the schemas and reads it
// as a SCIMUser; rolesGiven says whether it had roles at all. A request
// body must name its schemas; a document built for PATCH need not.
func userFromDoc(raw map[string]any, checkSchemas bool) (models.SCIMUser, bool, error) {
	for _, k := range []string{"id", "meta", "groups", "password"} {
		deleteKey(raw, k) // server-owned, read-only, or never kept
	}
	ext, hasExt := lookup(raw, enterpriseURN)
	deleteKey(raw, enterpriseURN)
	validate := userBodySchema.ValidateExtension // the same checks, without the schemas attribute
	if checkSchemas {
		validate = userBodySchema.Validate
	}
	attrs, serr := validate(raw)
	if serr != nil {
		return models.SCIMUser{}, false, schemaFailure(serr, "User")
	}
	var extAttrs map[string]any
	if hasExt && ext != nil {
		obj, ok := ext.(map[string]any)
		if !ok {
			return models.SCIMUser{}, false, invalidValue("%s must be an object.", enterpriseURN)
		}
		normaliseManager(obj)
		if extAttrs, serr = enterpriseSchema.ValidateExtension(obj); serr != nil {
			return models.SCIMUser{}, false, schemaFailure(serr, "enterprise extension")
		}
	}
	u := models.SCIMUser{Active: true, UserName: str(attrs, "userName")}
	if id := str(attrs, "externalId"); id != "" {
		u.ExternalID = &id
	}
	if a, ok := attrs["active"].(bool); ok {
		u.Active = a
	}
	rolesV, rolesGiven := attrs["roles"]
	if rolesGiven {
		u.Roles = roleNamesOf(rolesV)
	}
	for _, k := range []string{"userName", "externalId", "active", "roles"} {
		delete(attrs, k)
	}
	tidy(userBodySchema, attrs)
	if extAttrs != nil {
		if mgr, ok := extAttrs["manager"].(map[string]any); ok {
			delete(mgr, "$ref") // Muster's own link to the manager is rendered from value
		}
		tidy(enterpriseSchema, extAttrs)
		if len(extAttrs) > 0 {
			attrs[enterpriseURN] = extAttrs
		}
	}
	u.Attributes = attrs
	derive(&u)
	return u, rolesGiven, nil
}

// derive fills the fields Muster uses from a User's document: the shown
// name, the one email (primary, else work, else the first), the location
// (the work address's locality), the enterprise attributes it lists.
func derive(u *models.SCIMUser) {
	a := u.Attributes
	u.DisplayName = str(a, "displayName")
	if name, ok := a["name"].(map[string]any); ok {
		u.GivenName, u.FamilyName = str(name, "givenName"), str(name, "familyName")
		if u.DisplayName == "" {
			u.DisplayName = str(name, "formatted")
		}
	}
	u.Email, u.EmailType = pickEmail(a["emails"])
	u.Location = pickLocation(a["addresses"])
	u.Title, u.Locale = str(a, "title"), str(a, "locale")
	if ext, ok := a[enterpriseURN].(map[string]any); ok {
		u.EmployeeNumber, u.Department = str(ext, "employeeNumber"), str(ext, "department")
		if mgr, ok := ext["manager"].(map[string]any); ok {
			u.ManagerID = str(mgr, "value")
		}
	}
}

// tidy drops what counts as unassigned (RFC 7643 §2.5: null, an empty
// list; here also an empty object) and makes every multi-valued attribute
// a list, so a document has one shape however its values were sent.
func tidy(sc schema.Schema, attrs map[string]any) {
	for k, v := range attrs {
		def, known := sc.Attributes.ContainsAttribute(k)
		switch x := v.(type) {
		case nil:
			delete(attrs, k)
		case map[string]any:
			if known && def.MultiValued() {
				v = []any{x}
			} else if prune(x); len(x) == 0 {
				delete(attrs, k)
				continue
			}
		}
		if list, ok := v.([]any); ok {
			kept := make([]any, 0, len(list))
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					if prune(m); len(m) == 0 {
						continue
					}
				}
				if e != nil {
					kept = append(kept, e)
				}
			}
			if len(kept) == 0 {
				delete(attrs, k)
			} else {
				attrs[k] = kept
			}
		}
	}
}

func prune(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

// userDoc is a member's document: the stored one, or for a member no
// identity provider has written (invited in the browser, or provisioned
// before documents were kept) one made from its columns.
func userDoc(u models.SCIMUser) map[string]any {
	if u.Attributes != nil {
		return u.Attributes
	}
	doc := map[string]any{}
	set := func(m map[string]any, k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(doc, "displayName", u.DisplayName)
	name := map[string]any{}
	set(name, "givenName", u.GivenName)
	set(name, "familyName", u.FamilyName)
	if len(name) > 0 {
		doc["name"] = name
	}
	if u.Email != "" {
		doc["emails"] = []any{map[string]any{"value": u.Email, "type": u.EmailType, "primary": true}}
	}
	if u.Location != "" {
		doc["addresses"] = []any{map[string]any{"type": "work", "locality": u.Location, "formatted": u.Location, "primary": true}}
	}
	set(doc, "title", u.Title)
	set(doc, "locale", u.Locale)
	ext := map[string]any{}
	set(ext, "employeeNumber", u.EmployeeNumber)
	set(ext, "department", u.Department)
	if u.ManagerID != "" {
		ext["manager"] = map[string]any{"value": u.ManagerID}
	}
	if len(ext) > 0 {
		doc[enterpriseURN] = ext
	}
	return doc
}

// editableDoc is the whole User a PATCH edits: a copy of the document
// (the caller's SCIMUser keeps its own, to compare with) with what Muster
// owns put back in.
func editableDoc(u models.SCIMUser) map[string]any {
	doc := deepCopy(userDoc(u)).(map[string]any)
	doc["userName"] = u.UserName
	if u.ExternalID != nil {
		doc["externalId"] = *u.ExternalID
	}
	doc["active"] = u.Active
	if len(u.Roles) > 0 {
		roles := make([]any, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = map[string]any{"value": r, "display": r}
		}
		doc["roles"] = roles
	}
	return doc
}

// schemaFailure is the library's verdict on a document as an error with
// a detail (its own errors have none).
func schemaFailure(serr *errors.ScimError, what string) error {
	detail := serr.Detail
	if detail == "" {
		detail = "The " + what + " does not match the SCIM schema (" + string(serr.ScimType) + "): check each attribute's name and type."
	}
	return errors.ScimError{Status: serr.Status, ScimType: serr.ScimType, Detail: detail}
}

// deepCopy copies a decoded JSON value, so editing the copy leaves the
// original as it was.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
