package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// scimTokenRow is what one row of the tokens table needs (views/scim/_row).
type scimTokenRow struct {
	T    models.SCIMToken
	Slug string
	OOB  bool // swapped in out of band
}

// scimBaseURL is what an identity provider is told to call: the SCIM
// server's root, below this Muster's public URL.
func (h *Handler) scimBaseURL() string { return h.opts.BaseURL + "/scim/v2" }

// scimData is what every SCIM page and partial needs.
func (h *Handler) scimData(c *fiber.Ctx) (fiber.Map, error) {
	tokens, err := h.store.SCIMTokens(c.UserContext(), workspace(c).ID)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"Tokens": tokens, "BaseURL": h.scimBaseURL()}, nil
}

// scimIndex is the SCIM provisioning page: the base URL, the tokens, and
// how to connect Okta and Entra ID.
func (h *Handler) scimIndex(c *fiber.Ctx) error {
	data, err := h.scimData(c)
	if err != nil {
		return err
	}
	data["Title"] = "SCIM provisioning"
	return page(c, "scim/index", data)
}

func (h *Handler) scimTokenForm(c *fiber.Ctx) error {
	return partial(c, "scim/_new_dialog", fiber.Map{"Form": fiber.Map{}})
}

// createSCIMToken answers a valid name with the token, in a dialog that
// replaces the form: the only time anyone sees it. The list arrives out of
// band.
func (h *Handler) createSCIMToken(c *fiber.Ctx) error {
	name := c.FormValue("name")
	token, t, err := h.store.CreateSCIMToken(c.UserContext(), actor(c), workspace(c), name)
	if err != nil {
		fields, _, status, ok := formErrors(err)
		if !ok {
			return err
		}
		c.Status(status)
		return partial(c, "scim/_new_dialog", fiber.Map{"Errors": fields, "Form": fiber.Map{"name": name}})
	}
	data, err := h.scimData(c)
	if err != nil {
		return err
	}
	// The answer holds a secret: no cache, proxy or back button keeps it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	data["Token"], data["Created"], data["OOB"] = token, t, true
	return partial(c, "scim/_created_dialog", data)
}

func (h *Handler) revokeSCIMTokenForm(c *fiber.Ctx) error {
	t, err := h.scimToken(c)
	if err != nil {
		return err
	}
	return partial(c, "scim/_revoke_dialog", fiber.Map{"Token": t})
}

func (h *Handler) revokeSCIMToken(c *fiber.Ctx) error {
	t, err := h.store.RevokeSCIMToken(c.UserContext(), actor(c), workspace(c), c.Params("tid"))
	if err != nil {
		return domainError(err)
	}
	done(c, "Revoked the token "+t.Name+". Requests with it now fail.")
	return partial(c, "scim/_row_oob", fiber.Map{"Token": *t})
}

// scimToken finds the token named in the URL among the workspace's.
func (h *Handler) scimToken(c *fiber.Ctx) (*models.SCIMToken, error) {
	tokens, err := h.store.SCIMTokens(c.UserContext(), workspace(c).ID)
	if err != nil {
		return nil, err
	}
	for i := range tokens {
		if tokens[i].ID == c.Params("tid") {
			return &tokens[i], nil
		}
	}
	return nil, models.ErrNotFound
}

// identityProvider names who owns SCIM-managed members' profiles, for
// "Managed by …": the name of the workspace's token when all its active
// tokens share one (usually "Okta" or "Entra ID"), else a generic phrase.
// Muster does not record which token created a member.
func (h *Handler) identityProvider(c *fiber.Ctx) string {
	const generic = "your identity provider"
	tokens, err := h.store.SCIMTokens(c.UserContext(), workspace(c).ID)
	if err != nil {
		return generic
	}
	name := ""
	for _, t := range tokens {
		if t.RevokedAt != nil {
			continue
		}
		if name != "" && name != t.Name {
			return generic
		}
		name = t.Name
	}
	if name == "" {
		return generic
	}
	return name
}
