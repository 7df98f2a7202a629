package scim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/muster-app/muster/models"
)

// groups serves /Groups: a workspace's roles.
type groups struct{ s *Server }

func (g groups) list(req request, lq listQuery) response {
	expr, res := parseFilter(lq.filter, groupSchema)
	if res.status != 0 {
		return res
	}
	roles, total, err := g.s.store.ListSCIMGroups(req.ctx, req.ws.ID, storeQuery(lq, expr))
	if err != nil {
		return g.s.fromDomain(err, "Group", "")
	}
	withMembers := lq.projection.wants("members")
	members := map[string][]models.MemberRef{}
	if withMembers && len(roles) > 0 {
		ids := make([]string, len(roles))
		for i, r := range roles {
			ids[i] = r.ID
		}
		if members, err = g.s.store.GroupMembers(req.ctx, ids); err != nil {
			return g.s.internal(err)
		}
	}
	out := make([]map[string]any, len(roles))
	for i := range roles {
		out[i] = lq.projection.apply(g.s.groupJSON(&roles[i], members[roles[i].ID], withMembers))
	}
	res = listResponse(total, lq.startIndex, out)
	if len(roles) == 1 && lq.filter != "" {
		res.target = roleTarget(&roles[0])
	}
	return res
}

func (g groups) get(req request, id string) response {
	r, err := g.s.store.SCIMGroupByID(req.ctx, req.ws.ID, id)
	if err != nil {
		return g.s.fromDomain(err, "Group", id)
	}
	if req.ifNoneMatch != "" && noneMatch(req.ifNoneMatch, r.Version) {
		return response{status: http.StatusNotModified, etag: etag(r.Version)}
	}
	p := newProjection(req.query.Get("attributes"), req.query.Get("excludedAttributes"))
	return g.render(req, r, p, http.StatusOK)
}

// render answers with a group and, unless excluded, its members.
func (g groups) render(req request, r *models.Role, p projection, status int) response {
	var members []models.MemberRef
	withMembers := p.wants("members")
	if withMembers {
		byRole, err := g.s.store.GroupMembers(req.ctx, []string{r.ID})
		if err != nil {
			return g.s.internal(err)
		}
		members = byRole[r.ID]
	}
	return response{status: status, body: p.apply(g.s.groupJSON(r, members, withMembers)), etag: etag(r.Version), location: g.s.groupLocation(r.ID), target: roleTarget(r)}
}

// groupFromBody reads a POST or PUT body. Entra adds its own schema URI
// for groups; it names nothing Muster keeps, so it is accepted.
func groupFromBody(body []byte) (models.SCIMGroup, bool, response) {
	raw, res := decodeObject(body)
	if res.status != 0 {
		return models.SCIMGroup{}, false, res
	}
	for _, k := range []string{"id", "meta"} {
		deleteKey(raw, k)
	}
	modernSchemas(raw, schema.GroupSchema)
	for k, v := range raw {
		if list, ok := v.([]any); ok && strings.EqualFold(k, "schemas") {
			raw[k] = slices.DeleteFunc(list, func(s any) bool { return s == entraGroupURN })
		}
	}
	attrs, serr := groupBodySchema.Validate(raw)
	if serr != nil {
		return models.SCIMGroup{}, false, validationError(serr, "Group")
	}
	grp := models.SCIMGroup{DisplayName: str(attrs, "displayName")}
	if grp.DisplayName == "" {
		return grp, false, badRequest(errors.ScimTypeInvalidValue, "displayName is required.")
	}
	if id := str(attrs, "externalId"); id != "" {
		grp.ExternalID = &id
	}
	membersV, hasMembers := lookup(attrs, "members")
	grp.Members = idsOf(membersV)
	return grp, hasMembers, response{}
}

const entraGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

func (g groups) create(req request) response {
	grp, _, res := groupFromBody(req.body)
	if res.status != 0 {
		return res
	}
	r, err := g.s.store.CreateSCIMGroup(req.ctx, req.actor, req.ws, grp)
	if err != nil {
		res := g.s.fromDomain(err, "Group", "")
		res.target = touched{kind: "role", name: grp.DisplayName}
		return res
	}
	return g.render(req, r, projection{}, http.StatusCreated)
}

// replace is PUT: the name, externalId and (when given) the member list
// become what the body says.
func (g groups) replace(req request, id string) response {
	grp, hasMembers, res := groupFromBody(req.body)
	if res.status != 0 {
		return res
	}
	ch := models.GroupChange{DisplayName: &grp.DisplayName, ExternalID: &grp.ExternalID}
	if hasMembers {
		ch.Members = []models.MembersOp{{Op: "replace", IDs: grp.Members}}
	}
	return g.change(req, id, ch, http.StatusOK)
}

// patch answers 204, as Entra expects of groups: a group's full member
// list can be large, and the IdP has just said what it holds.
func (g groups) patch(req request, id string) response {
	ops, res := readPatch(req.body)
	if res.status != 0 {
		return res
	}
	ch, res := groupPatch(ops)
	if res.status != 0 {
		return res
	}
	return g.change(req, id, ch, http.StatusNoContent)
}

func (g groups) change(req request, id string, ch models.GroupChange, status int) response {
	version := matchVersion(req.ifMatch)
	r, err := g.s.store.ChangeSCIMGroup(req.ctx, req.actor, req.ws, id, version, ch)
	if err != nil {
		return g.s.fromDomain(err, "Group", id)
	}
	if status == http.StatusNoContent {
		return response{status: status, etag: etag(r.Version), target: roleTarget(r)}
	}
	return g.render(req, r, projection{}, status)
}

func (g groups) remove(req request, id string) response {
	version := matchVersion(req.ifMatch)
	if err := g.s.store.DeleteSCIMGroup(req.ctx, req.actor, req.ws, id, version); err != nil {
		return g.s.fromDomain(err, "Group", id)
	}
	return response{status: http.StatusNoContent}
}
