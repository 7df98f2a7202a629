package scim

import (
	stderrors "errors"
	"net/http"
	"slices"

	"github.com/muster-app/muster/models"
)

// users serves /Users: a workspace's members.
type users struct{ s *Server }

func (u users) list(req request, lq listQuery) response {
	expr, res := parseFilter(lq.filter, userSchema, enterpriseSchema)
	if res.status != 0 {
		return res
	}
	members, total, err := u.s.store.ListSCIMUsers(req.ctx, req.ws.ID, storeQuery(lq, expr))
	if err != nil {
		return u.s.fromDomain(err, "User", "")
	}
	out := make([]any, len(members))
	for i, m := range members {
		out[i] = u.s.userBody(m, lq.projection)
	}
	res = listResponse(total, lq.startIndex, out)
	if len(members) == 1 && lq.filter != "" { // a lookup such as userName eq: the log names who it found
		res.target = memberTarget(members[0])
	}
	return res
}

func (u users) get(req request, id string) response {
	m, err := u.s.store.SCIMUserByID(req.ctx, req.ws.ID, id)
	if err != nil {
		return u.s.fromDomain(err, "User", id)
	}
	if req.ifNoneMatch != "" && noneMatch(req.ifNoneMatch, m.Version) {
		return response{status: http.StatusNotModified, etag: etag(m.Version)}
	}
	p := newProjection(req.query.Get("attributes"), req.query.Get("excludedAttributes"))
	return response{status: http.StatusOK, body: u.s.userBody(m, p), etag: etag(m.Version), target: memberTarget(m)}
}

func (u users) create(req request) response {
	user, res := newUserFromBody(req.body)
	if res.status != 0 {
		return res
	}
	m, err := u.s.store.CreateSCIMUser(req.ctx, req.actor, req.ws, user)
	if err != nil {
		return u.createFailed(user, err)
	}
	res = u.created(m)
	res.body = u.s.userJSON(m)
	return res
}

// newUserFromBody reads the User a create (POST /Users, alone or in
// /Bulk) makes. Entra sends "roles": [] with every new user (no app role
// assigned): that is "none given", so the user gets the built-in Member
// role like any other; an empty list would leave them with no access at
// all.
func newUserFromBody(body []byte) (models.SCIMUser, response) {
	user, _, res := userFromBody(body)
	if len(user.Roles) == 0 {
		user.Roles = nil
	}
	return user, res
}

// created answers a created user, body aside (/Bulk shows none).
func (u users) created(m *models.Member) response {
	return response{status: http.StatusCreated, etag: etag(m.Version), location: u.s.userLocation(m.ID), target: memberTarget(m)}
}

// createFailed answers a create the store refused.
func (u users) createFailed(user models.SCIMUser, err error) response {
	res := u.s.fromDomain(err, "User", "")
	res.target = touched{kind: "member", name: user.UserName}
	var cerr *models.ConflictError
	if stderrors.As(err, &cerr) && cerr.MemberID != "" { // the member already holding the userName or email
		res.target.id = cerr.MemberID
	}
	return res
}

// replace is PUT: what the body leaves out is cleared, except roles, which
// admins share with the IdP and a body without them keeps.
func (u users) replace(req request, id string) response {
	user, rolesGiven, res := userFromBody(req.body)
	if res.status != 0 {
		return res
	}
	return u.change(req, id, func(cur *models.SCIMUser) error {
		roles := cur.Roles
		*cur = user
		if !rolesGiven {
			cur.Roles = roles
		}
		return nil
	})
}

func (u users) patch(req request, id string) response {
	ops, res := readPatch(req.body)
	if res.status != 0 {
		return res
	}
	return u.change(req, id, func(cur *models.SCIMUser) error {
		doc := editableDoc(*cur)
		if err := patchUser(doc, ops); err != nil {
			return err
		}
		next, _, err := userFromDoc(doc, false)
		if err != nil {
			return err
		}
		next.Roles = roleNamesOf(doc["roles"]) // never nil: a PATCH that removes every role means it
		*cur = next
		return nil
	})
}

func (u users) change(req request, id string, fn func(*models.SCIMUser) error) response {
	version := matchVersion(req.ifMatch)
	// The change decides the permission it needs (authz.go); a refusal
	// returned from inside the transaction writes nothing.
	checked := func(cur *models.SCIMUser) error {
		before := *cur
		before.Roles = slices.Clone(cur.Roles)
		if err := fn(cur); err != nil {
			return err
		}
		return req.actor.RequireUserChange(before, *cur)
	}
	m, err := u.s.store.ChangeSCIMUser(req.ctx, req.actor, req.ws, id, version, checked)
	if err != nil {
		return u.s.fromDomain(err, "User", id)
	}
	return response{status: http.StatusOK, body: u.s.userJSON(m), etag: etag(m.Version), location: u.s.userLocation(m.ID), target: memberTarget(m)}
}

func (u users) remove(req request, id string) response {
	version := matchVersion(req.ifMatch)
	if err := u.s.store.DeleteSCIMUser(req.ctx, req.actor, req.ws, id, version); err != nil {
		return u.s.fromDomain(err, "User", id)
	}
	return response{status: http.StatusNoContent}
}
