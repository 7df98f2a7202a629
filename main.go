// Muster is a self-hosted team directory: admins invite people and give them
// roles in the browser, identity providers provision them over SCIM.
// `muster help` lists the commands (see commands below); every command
// reads the same settings, which `muster serve -h` lists.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/muster-app/muster/config"
	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/models"
)

// version and commit name this build; set them with
// go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse --short HEAD)".
// Unset, the commit comes from the build's VCS stamp where there is one.
var version, commit = "dev", ""

// buildVersion is "muster <version> (<commit>)".
func buildVersion() string {
	c := commit
	if c == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 7 {
					c = s.Value[:7]
				}
			}
		}
	}
	if c == "" {
		return "muster " + version
	}
	return "muster " + version + " (" + c + ")"
}

// commands are what `muster help` lists, in its order.
var commands = []struct{ name, help string }{
	{"serve", "run the web app and the SCIM endpoint (the default)"},
	{"setup", "create the first workspace and its admin from a shell"},
	{"demo", "fill a workspace with made-up members"},
	{"scim-token", "create, list or revoke a workspace's SCIM tokens"},
	{"reset-password", "print a one-time password reset link for a locked-out account"},
	{"migrate", "bring the database schema up to date and exit"},
	{"version", "print the version and commit"},
	{"help", "list these commands"},
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "%s: a self-hosted team directory.\n\nUsage: muster [command] [flags]\n\nCommands:\n", buildVersion())
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.help)
	}
	fmt.Fprint(w, "\n`muster COMMAND -h` shows a command's flags; `muster serve -h` lists every setting\n"+
		"with its MUSTER_ environment variable.\n")
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "muster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd = "help" // `muster -h`: the commands; `muster serve -h`: the settings
	}
	switch cmd {
	case "help":
		usage(os.Stdout)
		return nil
	case "version":
		if err := flag.NewFlagSet("muster version", flag.ContinueOnError).Parse(args); err != nil {
			return err
		}
		fmt.Println(buildVersion())
		return nil
	case "serve":
		cfg, err := config.Load("muster", args)
		if err != nil {
			return err
		}
		setMemoryLimit(os.Getenv)
		return serve(cfg)
	case "migrate":
		cfg, err := config.Load("muster migrate", args)
		if err != nil {
			return err
		}
		db, err := openDB(context.Background(), cfg)
		if err == nil {
			db.Close()
			fmt.Println("database is up to date")
		}
		return err
	case "setup":
		return setupCmd(args)
	case "demo":
		return demoCmd(args)
	case "scim-token":
		return scimTokenCmd(args, os.Stdout)
	case "reset-password":
		return resetPasswordCmd(args, os.Stdout)
	default:
		usage(os.Stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func openDB(ctx context.Context, cfg config.Config) (*bun.DB, error) {
	db, err := models.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := models.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openStore(ctx context.Context, cfg config.Config) (*models.Store, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	store := models.NewStore(db)
	store.InviteExpiry, store.InvitesPerHour = cfg.InviteExpiry, cfg.InvitesPerHour
	if store.SecretKey, err = secretKey(cfg); err != nil {
		db.Close()
		return nil, err
	}
	return store, nil
}

func serve(cfg config.Config) error {
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	sender, mailVia, err := newSender(cfg, log)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	// The server reads through a pool of its own on SQLite (UseReader);
	// the one-shot commands need none.
	reader, err := models.OpenReader(cfg.DatabaseURL)
	if err != nil {
		store.DB().Close()
		return err
	}
	store.UseReader(reader)
	defer store.Close()
	// The outbox worker sends invitation emails. It stops with ctx (on a
	// signal, or below when serving fails), finishing the email in flight,
	// before the database closes.
	worker := &mail.Worker{Store: store, Sender: sender, BaseURL: cfg.BaseURL, Log: log,
		MinGap: time.Minute / time.Duration(cfg.MailPerMinute)}
	imports := models.NewImportRunner(store, log)
	// The provisioning log's writer; closed (what waits is written) after
	// the server has stopped taking requests.
	var scimLog *models.SCIMLog
	if cfg.SCIMLogMaxRows > 0 {
		scimLog = store.StartSCIMLog(models.SCIMLogOptions{MaxAge: cfg.SCIMLogMaxAge, MaxRows: cfg.SCIMLogMaxRows, Logger: log})
		defer scimLog.Close()
	}
	app := handlers.New(handlers.Options{Store: store, Logger: log, BaseURL: cfg.BaseURL, Secure: cfg.Secure(),
		ProxyHeader: cfg.ProxyHeader, EmailQueued: worker.Wake, ImportStarted: imports.Wake, SCIMRate: cfg.SCIMRate,
		SCIMLog: scimLog, Version: buildVersion(), MailLogged: cfg.SMTPURL == ""})
	go imports.Run(ctx, worker.Wake)

	go purgeLoop(ctx, store, log)
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); worker.Run(ctx) }()
	defer func() { stop(); <-workerDone }()
	// Listen before saying that Muster runs: a port in use or a bad
	// address is an error of its own, not a line after "running".
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on MUSTER_ADDR %q: %w", cfg.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	db := "SQLite " + cfg.DatabaseURL
	if models.IsPostgres(cfg.DatabaseURL) {
		db = "PostgreSQL"
	}
	log.Info("Muster is running", "url", cfg.BaseURL, "addr", cfg.Addr, "database", db, "mail", mailVia)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	return app.ShutdownWithTimeout(10 * time.Second)
}

// newSender sends through MUSTER_SMTP_URL, or writes emails to the log when
// it is unset. It also says how, for the startup log line.
func newSender(cfg config.Config, log *slog.Logger) (mail.Sender, string, error) {
	if cfg.SMTPURL == "" {
		log.Warn("MUSTER_SMTP_URL is not set: emails are written to this log instead of being sent " +
			"(invitation links can also be copied in the members table)")
		return mail.LogSender{Log: log}, "log", nil
	}
	s, err := mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return nil, "", err
	}
	return s, s.Redacted, nil
}

// purgeLoop deletes expired sessions and tokens every hour.
func purgeLoop(ctx context.Context, store *models.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := store.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge expired rows", "err", err)
		}
		if err := store.PurgeResets(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge password resets", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setupCmd is the first run without a browser, for scripted installs. The
// password comes from MUSTER_SETUP_PASSWORD or standard input, never a flag
// (flags show up in process lists).
func setupCmd(args []string) error {
	fs := flag.NewFlagSet("muster setup", flag.ContinueOnError)
	wsName := fs.String("workspace", "", "workspace name (required)")
	name := fs.String("name", "", "admin's name (required)")
	email := fs.String("email", "", "admin's email (required)")
	dbURL := fs.String("database-url", "", "database URL (default: MUSTER_DATABASE_URL or muster.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load("muster", dbArgs(*dbURL))
	if err != nil {
		return err
	}
	password, ok := os.LookupEnv("MUSTER_SETUP_PASSWORD")
	if !ok {
		fmt.Fprint(os.Stderr, "Password for "+*email+": ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	ctx := context.Background()
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	_, ws, err := store.Setup(ctx, models.SetupInput{WorkspaceName: *wsName, Name: *name, Email: *email, Password: password})
	if err != nil {
		return err
	}
	fmt.Printf("Created workspace %q with %s as its Admin.\nSign in at %s/w/%s/members\n", ws.Name, models.NormalizeEmail(*email), cfg.BaseURL, ws.Slug)
	return nil
}

func demoCmd(args []string) error {
	fs := flag.NewFlagSet("muster demo", flag.ContinueOnError)
	slug := fs.String("workspace", "", "slug of the workspace to fill (required)")
	n := fs.Int("members", 1000, "how many members to add")
	seed := fs.Uint64("seed", 1, "random seed: the same seed makes the same people")
	dbURL := fs.String("database-url", "", "database URL (default: MUSTER_DATABASE_URL or muster.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" || *n < 1 {
		return errors.New("usage: muster demo -workspace SLUG [-members N] [-seed S]")
	}
	cfg, err := config.Load("muster", dbArgs(*dbURL))
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, ws, err := openWorkspace(ctx, cfg, *slug)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	start := time.Now()
	if err := store.SeedDemo(ctx, ws.ID, *n, *seed); err != nil {
		return err
	}
	fmt.Printf("Added %d members to %s in %s.\n", *n, ws.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

// openWorkspace opens the store and finds a workspace by its slug, for the
// commands that act on one.
func openWorkspace(ctx context.Context, cfg config.Config, slug string) (*models.Store, *models.Workspace, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	ws, err := store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		store.DB().Close()
		return nil, nil, fmt.Errorf("workspace %q: %w", slug, err)
	}
	return store, ws, nil
}

// commandConfig reads the settings for a command that takes its own
// -database-url and -base-url flags (empty: the environment or defaults).
func commandConfig(dbURL, baseURL string) (config.Config, error) {
	args := dbArgs(dbURL)
	if baseURL != "" {
		args = append(args, "-base-url", baseURL)
	}
	return config.Load("muster", args)
}

func dbArgs(dbURL string) []string {
	if dbURL == "" {
		return nil
	}
	return []string{"-database-url", dbURL}
}
