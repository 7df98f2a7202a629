package scim

import (
	"net/http"
	"strings"

	"github.com/muster-app/muster/models"
)

// Each SCIM request needs the permission the same action needs in the
// browser (handlers/routes.go), checked against the token owner's current
// permissions. This table is the coarse check, by resource and method;
// what depends on the change itself is checked where the change is known:
// a User's PUT or PATCH by Actor.RequireUserChange (users.go), a Group's
// rename or membership change by the domain layer (models/scim_groups.go).
// Reading Groups needs only "View members": the members table shows every
// member's roles and filters by them.
// Discovery (/ServiceProviderConfig, /Schemas, /ResourceTypes) needs none.
func needs(resource, method string, hasID bool) (action string, perm models.Permission) {
	switch {
	case method == http.MethodGet || (method == http.MethodPost && hasID): // a list, one resource, or .search
		return "read " + resource, models.PermViewMembers
	case resource == "users" && method == http.MethodPost:
		return "create members", models.PermInviteMembers
	case resource == "users" && method == http.MethodDelete:
		return "remove members", models.PermRemoveMembers
	case resource == "groups" && (method == http.MethodPost || method == http.MethodDelete):
		return "create or delete roles", models.PermManageRoles
	}
	// PUT and PATCH: the change decides; reading the resource comes first.
	return "read " + resource, models.PermViewMembers
}

// authorize answers 403 (a SCIM Error) when the token may not make req.
func authorize(req request, resource, id string) response {
	resource = strings.ToLower(resource)
	action, perm := needs(resource, req.method, id != "")
	if err := req.actor.Require(action, perm); err != nil {
		return forbidden(err)
	}
	return response{}
}

func forbidden(err error) response {
	return fail(http.StatusForbidden, "", err.Error())
}
