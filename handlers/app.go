// Package handlers is Muster's web interface: Fiber routes that translate
// browser requests into domain operations (package models) and render the
// results as full pages or htmx partials.
package handlers

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/template/html/v2"
	"github.com/valyala/fasthttp"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/scim"
	"github.com/muster-app/muster/sso"
	"github.com/muster-app/muster/static"
	"github.com/muster-app/muster/views"
)

// Options configure the web app.
type Options struct {
	Store       *models.Store
	Logger      *slog.Logger
	BaseURL     string // public URL, for invitation links; "http://localhost:8080" if empty
	Secure      bool   // served over TLS: cookies get Secure, HSTS is sent
	ProxyHeader string // trusted header with the client address, if behind a proxy
	// EmailQueued is called after a change queued an email, so the outbox
	// worker sends it now rather than at its next poll. Optional.
	EmailQueued func()
	// ImportStarted is called when an import is confirmed, so the import
	// job starts now rather than at its next poll. Optional.
	ImportStarted func()
	// SCIMRate bounds each SCIM token's requests per second; 0: no limit.
	SCIMRate float64
	// MailLogged says that emails are written to the log, not sent (no
	// SMTP server is set): the interface then promises no email and
	// points to the invite link instead.
	MailLogged bool
	// Version names this build ("muster 1.2.0 (abc1234)"), shown to admins
	// in the page footer. Optional.
	Version string
	// SCIMLog records SCIM requests in the provisioning log; nil: no log.
	SCIMLog *models.SCIMLog
}

// Handler holds what every route needs.
type Handler struct {
	store *models.Store
	log   *slog.Logger
	opts  Options
	sso   *sso.Client // OpenID Connect sign-in (sso.go)

	csrfKeys csrfKeys
	// shells keeps the members page around its rows (members_shell.go).
	shells *shellCache
}

// New builds the Fiber app with every middleware and route.
func New(opts Options) *fiber.App {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.EmailQueued == nil {
		opts.EmailQueued = func() {}
	}
	if opts.ImportStarted == nil {
		opts.ImportStarted = func() {}
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	h := &Handler{store: opts.Store, log: opts.Logger, opts: opts, shells: newShellCache(),
		sso: &sso.Client{Now: func() time.Time { return opts.Store.Now() }}}

	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(templateFuncs(func() time.Time { return opts.Store.Now() }, opts))

	app := fiber.New(fiber.Config{
		// Without Immutable, strings from FormValue, Params and Query point
		// into buffers that later requests reuse.
		Immutable:             true,
		Views:                 engine,
		ViewsLayout:           "layouts/base",
		PassLocalsToViews:     true,
		ErrorHandler:          h.errorHandler,
		DisableStartupMessage: true,
		ProxyHeader:           opts.ProxyHeader,
		// With a proxy header, c.IP() must still be one valid address, not
		// whatever text a client put there.
		EnableIPValidation: true,
		BodyLimit:          16 << 20, // above SCIM's maxPayloadSize, which answers in SCIM JSON
		// Also the longest request line and headers. SCIM filters travel in
		// the URL: with fasthttp's 4 KiB one long filter got Fiber's HTML
		// 431 page instead of reaching the SCIM handler and its SCIM JSON.
		ReadBufferSize: 32 << 10,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    120 * time.Second,
	})
	// A request line or headers over ReadBufferSize never reach routing;
	// for /scim/v2 the answer is still SCIM JSON.
	fiberRefused := app.Server().ErrorHandler
	app.Server().ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		if !scim.WriteRefused(fctx, err, app.Config().ReadBufferSize) {
			fiberRefused(fctx, err)
		}
	}
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		h.log.Error("panic", "path", c.Path(), "panic", e)
	}}))
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
			"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
		ReferrerPolicy:            "same-origin",
		CrossOriginEmbedderPolicy: "unsafe-none",
		HSTSMaxAge:                hstsMaxAge(opts.Secure),
		HSTSExcludeSubdomains:     true,
	}))
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 3600}))
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	// SCIM authenticates by bearer token: no session, no CSRF.
	scim.New(scim.Options{Store: opts.Store, Logger: opts.Logger, BaseURL: opts.BaseURL,
		RatePerSecond: opts.SCIMRate, Changed: opts.EmailQueued, Log: opts.SCIMLog}).Mount(app)

	app.Use(refuseBadQuery)
	app.Use(h.loadSession)
	app.Use(h.csrf) // csrf.go: tokens derived from the session, nothing stored
	h.routes(app)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app
}

// refuseBadQuery answers 400 to a query string with a NUL byte or invalid
// UTF-8 in it: nothing a person types, and PostgreSQL refuses such text,
// so it would otherwise end as a 500 in whatever searched with it
// (members search, audit filters, the CSV export). Forms check their own
// fields and say which one is wrong.
func refuseBadQuery(c *fiber.Ctx) error {
	bad := false
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		bad = bad || !utf8.Valid(k) || !utf8.Valid(v) || bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0
	})
	if bad {
		return fiber.NewError(fiber.StatusBadRequest, "This address holds a character Muster does not accept (a NUL byte or broken text). Remove it and try again.")
	}
	return c.Next()
}

// badText: a NUL byte or invalid UTF-8, which no one types and PostgreSQL
// refuses.
func badText(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

func hstsMaxAge(secure bool) int {
	if secure {
		return 31536000
	}
	return 0
}

// errorHandler answers htmx requests with a toast and leaves the page as it
// is; everything else gets a friendly error page.
func (h *Handler) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator."
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		code = fe.Code
		if code < 500 {
			msg = fe.Message
		}
	case errors.Is(err, models.ErrNotFound):
		code, msg = fiber.StatusNotFound, ""
	case errors.Is(err, models.ErrQueryTimeout):
		code = fiber.StatusServiceUnavailable
	}
	switch code {
	case fiber.StatusNotFound:
		if msg == "" || msg == "Not Found" || msg == "Cannot "+c.Method()+" "+c.Path() {
			msg = "There is nothing at this address. Check the link, or go back to your workspace."
		}
	case fiber.StatusForbidden:
		if msg == "" || msg == "Forbidden" {
			msg = "You don't have permission to do that. Ask an admin of this workspace if you need access."
		}
	case fiber.StatusRequestEntityTooLarge:
		msg = "That upload is too large."
	case fiber.StatusServiceUnavailable:
		msg = "That took too long and was stopped. Try again, or search for something more specific."
	}
	if errors.Is(err, models.ErrQueryTimeout) {
		h.log.Warn("request stopped", "method", c.Method(), "path", c.Path(), "err", err)
	} else if code >= 500 {
		h.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if strings.HasPrefix(c.Path(), scim.Prefix) {
		return scim.WriteError(c, code, msg)
	}
	c.Status(code)
	if isHTMX(c) {
		toast(c, "error", msg)
		c.Set("HX-Reswap", "none")
		return c.SendString(msg)
	}
	if strings.HasPrefix(c.Get(fiber.HeaderAccept), "application/json") {
		return c.JSON(fiber.Map{"error": msg})
	}
	if rerr := c.Render("errors/error", fiber.Map{"Title": http.StatusText(code), "Code": code, "Message": msg}); rerr != nil {
		h.log.Error("render error page", "err", rerr)
		return c.SendString(msg)
	}
	return nil
}
