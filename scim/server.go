// Package scim is Muster's SCIM 2.0 service provider (RFC 7643/7644) at
// /scim/v2, for identity providers such as Okta and Entra ID. Users are a
// workspace's members and Groups its roles; every change goes through the
// domain layer (package models), so the rules of the browser hold here too.
//
// It is built on github.com/elimity-com/scim: its schemas validate request
// bodies and PATCH paths, its filter package parses and checks filters, and
// its error type is what every failure renders. Routing and responses are
// ours, because the library's handler leaves too much out (PATCH is not
// applied, filters are evaluated in memory, lists ignore projection and
// sorting, no ETags or /Bulk, Fiber's own errors are plain text): each gap
// would have to be patched from outside.
package scim

import (
	"context"
	"encoding/json"
	stderrors "errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/models"
)

// Limits advertised in /ServiceProviderConfig and enforced.
const (
	// MaxPayloadSize bounds every request body; Fiber's BodyLimit must be
	// above it, so an oversized body gets this package's SCIM 413.
	MaxPayloadSize = 12 << 20
	MaxOperations  = 10000
	// MaxPatchOperations bounds the operations of one PATCH (advertised as
	// patch.maxOperations): IdPs send one per attribute or membership
	// change, and each is applied in memory inside one transaction.
	MaxPatchOperations = 1000
	MaxResults         = 1000 // the largest page of a list
	defaultCount       = 100
)

func init() {
	// Entra sends booleans as strings ("active": "False").
	schema.SetAllowStringValues(true)
}

// Options configure the SCIM service.
type Options struct {
	Store   *models.Store
	Logger  *slog.Logger
	BaseURL string // public URL of Muster; resources' locations start with it
	// RatePerSecond bounds the requests of one token (a burst of twice
	// that is allowed); 0 means no limit.
	RatePerSecond float64
	// Changed is called after a request changed members or roles. Optional.
	Changed func()
	// Log records every request in the provisioning log; nil records
	// nothing.
	Log *models.SCIMLog
}

// Server answers /scim/v2.
type Server struct {
	store   *models.Store
	log     *slog.Logger
	base    string // <BaseURL>/scim/v2
	limiter *limiter
	changed func()
	reqLog  *models.SCIMLog
}

// New makes the SCIM service.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Changed == nil {
		opts.Changed = func() {}
	}
	return &Server{store: opts.Store, log: opts.Logger, base: strings.TrimRight(opts.BaseURL, "/") + "/scim/v2",
		limiter: newLimiter(opts.RatePerSecond), changed: opts.Changed, reqLog: opts.Log}
}

// Prefix is where the service is mounted.
const Prefix = "/scim/v2"

// ContentType is every response's media type. It has no charset: RFC 7644
// §8.1 registers application/scim+json without parameters (JSON is UTF-8),
// and strict clients compare the type as it is registered. Requests may
// send it with or without one, or application/json.
const ContentType = "application/scim+json"

// Mount routes every request under /scim/v2 to the service.
func (s *Server) Mount(app *fiber.App) {
	app.All(Prefix, s.handle)
	app.All(Prefix+"/*", s.handle)
}

// request is one SCIM request, from HTTP or one operation of /Bulk.
type request struct {
	ctx         context.Context
	method      string
	path        string // below /scim/v2: "/Users/…"
	query       url.Values
	body        []byte
	ifMatch     string
	ifNoneMatch string
	ws          *models.Workspace
	actor       models.Actor
	// logID is the provisioning log entry of the HTTP request: a /Bulk
	// request's operations name it as their parent. "" when not logging.
	logID string
	token *models.SCIMToken
	// opLog gathers a /Bulk batch's operation entries, written with the
	// batch; nil sends each entry to the background writer.
	opLog *[]models.SCIMLogEntry
}

// response is what a request answers: body is marshalled as JSON.
type response struct {
	status   int
	body     any
	etag     string
	location string
	allow    string // for 405
	retry    time.Duration
	target   touched // what the request touched, for the log
}

// handle turns an HTTP request into a request, authenticates it and writes
// the response.
func (s *Server) handle(c *fiber.Ctx) error {
	start := time.Now()
	body := c.Request().Body()      // not c.Body(): see body_encoding.go
	if len(body) > MaxPayloadSize { // fasthttp's own limit is a little higher
		return s.write(c, tooLarge())
	}
	// A compressed body is decoded once the token is checked; until then
	// the log gets a note of it, not its bytes.
	codings := contentCodings(c)
	logged := body
	if len(codings) > 0 {
		logged = undecoded(body, codings)
	}
	token, ok := bearer(c.Get(fiber.HeaderAuthorization))
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="muster"`)
		return s.write(c, fail(http.StatusUnauthorized, "", "Send the workspace's SCIM token as Authorization: Bearer <token>."))
	}
	var entry models.SCIMLogEntry
	if s.reqLog != nil {
		entry = s.store.NewSCIMLogEntry()
	}
	tok, ws, err := s.store.AuthenticateSCIM(c.UserContext(), token)
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="muster", error="invalid_token"`)
		var refused *models.TokenRefusedError
		switch {
		case stderrors.As(err, &refused):
			// Known to a workspace: its admins see the refusal in the log.
			res := fail(http.StatusUnauthorized, "", refused.Reason)
			werr := s.write(c, res)
			s.record(c, logged, entry, start, refused.Token, refused.Workspace, res)
			return werr
		case stderrors.Is(err, models.ErrNotFound):
			return s.write(c, fail(http.StatusUnauthorized, "", "This SCIM token is not valid: it may have been revoked. Create a new one on the workspace's SCIM provisioning page."))
		}
		return s.write(c, s.internal(err))
	}
	var res response
	if wait := s.limiter.wait(tok.ID); wait > 0 {
		res = response{status: http.StatusTooManyRequests, retry: wait,
			body: scimError(http.StatusTooManyRequests, "", "Too many requests for this token; retry after the time in Retry-After.")}
	} else if decoded, refused := decodeBody(c, codings, body); refused != nil {
		res = *refused
	} else if body, logged = decoded, decoded; !utf8.Valid(body) {
		// JSON is UTF-8 (RFC 8259); encoding/json would quietly turn invalid
		// bytes into U+FFFD, storing a name nobody sent.
		res = fail(http.StatusBadRequest, errors.ScimTypeInvalidValue, "The body is not valid UTF-8: send JSON text encoded as UTF-8.")
	} else if query, err := url.ParseQuery(string(c.Request().URI().QueryString())); err != nil {
		res = fail(http.StatusBadRequest, "", "The query string is malformed.")
	} else {
		req := request{ctx: c.UserContext(), method: c.Method(), path: strings.TrimPrefix(c.Path(), Prefix), query: query, body: body,
			ifMatch: c.Get(fiber.HeaderIfMatch), ifNoneMatch: c.Get(fiber.HeaderIfNoneMatch), ws: ws, actor: tok.Actor(),
			logID: entry.ID, token: tok}
		res = s.serve(req)
		if res.status < 300 && req.method != http.MethodGet && req.method != http.MethodHead {
			s.changed()
		}
	}
	werr := s.write(c, res)
	s.record(c, logged, entry, start, tok, ws, res)
	return werr
}

// record adds an HTTP request's entry to the provisioning log, once it has
// been answered.
func (s *Server) record(c *fiber.Ctx, body []byte, e models.SCIMLogEntry, start time.Time, tok *models.SCIMToken, ws *models.Workspace, res response) {
	if s.reqLog == nil {
		return
	}
	path := strings.TrimPrefix(c.Path(), Prefix)
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		path += "?" + string(q)
	}
	e = s.logEntry(e, tok, ws, c.Method(), path, res, time.Since(start))
	failure(&e, body, res, c.Response().Body())
	s.reqLog.Add(e)
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// write sends a response: always SCIM JSON, errors included.
func (s *Server) write(c *fiber.Ctx, res response) error {
	c.Set(fiber.HeaderContentType, ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if res.etag != "" {
		c.Set(fiber.HeaderETag, res.etag)
	}
	if res.location != "" {
		c.Set(fiber.HeaderLocation, res.location)
	}
	if res.allow != "" {
		c.Set(fiber.HeaderAllow, res.allow)
	}
	if res.retry > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((res.retry+time.Second-1)/time.Second)))
	}
	c.Status(res.status)
	if res.body == nil {
		return nil
	}
	if raw, ok := res.body.(rawJSON); ok {
		return c.Send(raw)
	}
	b, err := encodeBody(res.body)
	if err != nil {
		s.log.Error("scim: marshal response", "err", err)
		c.Status(http.StatusInternalServerError)
		b, _ = json.Marshal(scimError(http.StatusInternalServerError, "", "The response could not be written."))
	}
	return c.Send(b)
}

// encodeBody writes a response body as json.Marshal would; the maps
// resources are rendered as go through appendJSON, which is cheaper.
func encodeBody(body any) ([]byte, error) {
	if m, ok := body.(map[string]any); ok {
		return appendJSON(make([]byte, 0, 1024), m)
	}
	return json.Marshal(body)
}

// WriteError answers a request Fiber itself refused (an oversized body, a
// panic) as SCIM JSON; the app's error handler calls it for /scim paths.
func WriteError(c *fiber.Ctx, status int, detail string) error {
	if status == http.StatusRequestEntityTooLarge {
		detail = tooLarge().body.(errors.ScimError).Detail
	}
	b, _ := json.Marshal(scimError(status, "", detail))
	c.Set(fiber.HeaderContentType, ContentType)
	return c.Status(status).Send(b)
}

// serve routes one request. /Bulk calls it for each of its operations.
func (s *Server) serve(req request) response {
	parts := strings.Split(strings.Trim(req.path, "/"), "/")
	if len(parts) > 2 || parts[0] == "" {
		return notFoundPath(req.path)
	}
	id := ""
	if len(parts) == 2 {
		var err error
		// No id holds a NUL, and the database cannot be asked for one.
		if id, err = url.PathUnescape(parts[1]); err != nil || id == "" || strings.IndexByte(id, 0) >= 0 {
			return notFoundPath(req.path)
		}
	}
	switch strings.ToLower(parts[0]) {
	case "serviceproviderconfig":
		if id != "" {
			return notFoundPath(req.path)
		}
		return only(req, s.serviceProviderConfig, http.MethodGet)
	case "resourcetypes":
		return only(req, func(req request) response { return resourceTypes(id) }, http.MethodGet)
	case "schemas":
		return only(req, func(req request) response { return schemas(id) }, http.MethodGet)
	case "bulk":
		if id != "" {
			return notFoundPath(req.path)
		}
		return only(req, s.bulk, http.MethodPost)
	case "users":
		return s.route(req, id, users{s}, "users")
	case "groups":
		return s.route(req, id, groups{s}, "groups")
	}
	return notFoundPath(req.path)
}

// resource is what Users and Groups both answer.
type resource interface {
	list(req request, q listQuery) response
	get(req request, id string) response
	create(req request) response
	replace(req request, id string) response
	patch(req request, id string) response
	remove(req request, id string) response
}

func (s *Server) route(req request, id string, r resource, kind string) response {
	res := s.dispatch(req, id, r, kind)
	if res.target.id == "" && id != "" && id != ".search" {
		res.target = touched{kind: kindOf(kind), id: id}
	}
	return res
}

func (s *Server) dispatch(req request, id string, r resource, kind string) response {
	// allowed runs fn when the token's owner may (authz.go).
	allowed := func(fn func() response) response {
		if res := authorize(req, kind, id); res.status != 0 {
			return res
		}
		return fn()
	}
	switch {
	case id == ".search":
		return only(req, func(req request) response {
			return allowed(func() response {
				q, res := searchQuery(req)
				if res.status != 0 {
					return res
				}
				return r.list(req, q)
			})
		}, http.MethodPost)
	case id == "":
		switch req.method {
		case http.MethodGet:
			return allowed(func() response {
				q, res := listQueryFrom(req.query)
				if res.status != 0 {
					return res
				}
				return r.list(req, q)
			})
		case http.MethodPost:
			return allowed(func() response { return r.create(req) })
		}
		return notAllowed("GET, POST")
	}
	switch req.method {
	case http.MethodGet:
		return allowed(func() response { return r.get(req, id) })
	case http.MethodPut:
		return allowed(func() response { return r.replace(req, id) })
	case http.MethodPatch:
		return allowed(func() response { return r.patch(req, id) })
	case http.MethodDelete:
		return allowed(func() response { return r.remove(req, id) })
	}
	return notAllowed("GET, PUT, PATCH, DELETE")
}

func only(req request, fn func(request) response, method string) response {
	if req.method != method {
		return notAllowed(method)
	}
	return fn(req)
}
