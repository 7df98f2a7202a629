package handlers_test

// The harness for the browser tests: a real Muster on a loopback port, a
// headless Chromium driven by chromedp, waits on conditions (never fixed
// sleeps), and a screenshot plus the DOM when a test fails.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/mail/mailtest"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

const (
	// browserStepTimeout bounds every step: one action or one wait.
	browserStepTimeout = 20 * time.Second
	browserWidth       = 1280
	browserHeight      = 800
)

// browserTest is one test's app and browser tab.
type browserTest struct {
	t     *testing.T
	ctx   context.Context // the chromedp tab
	base  string          // http://127.0.0.1:port
	store *models.Store
	label string // names the tab's artifacts when a test has several tabs
	// mail receives what the outbox worker sends (withMail only).
	mail *mailtest.Server
	// clock is the store's clock (modelstest's, from Epoch): fixtures and
	// the server read the same one; advanceClock moves it while serving.
	clock *modelstest.Clock
	// scimLog is the provisioning log's writer, as main.go runs it.
	scimLog *models.SCIMLog

	mu      sync.Mutex
	console []string // what the page wrote to its console, for failure reports
}

// browserOption changes what newBrowserTest starts.
type browserOption func(*browserConfig)

type browserConfig struct {
	mail    bool
	dialect string
}

// onDatabase runs the app on dialect ("sqlite", the default, or "postgres").
func onDatabase(dialect string) browserOption { return func(c *browserConfig) { c.dialect = dialect } }

// withMail also runs the outbox worker, sending through a real SMTP server
// on loopback (bt.mail) with links to the app's own address, so
// invitation emails really go out and their links can be followed.
func withMail() browserOption { return func(c *browserConfig) { c.mail = true } }

// newBrowserTest starts Muster on a fresh store (SQLite unless onDatabase
// says otherwise) and a headless
// Chromium pointed at it. Everything is torn down when the test ends; if
// the test failed, a screenshot and the DOM are saved first.
func newBrowserTest(t *testing.T, options ...browserOption) *browserTest {
	t.Helper()
	cfg := browserConfig{dialect: "sqlite"}
	for _, o := range options {
		o(&cfg)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not found; browser tests skipped (install it, or set CI to make this a failure)")
		}
		t.Fatalf("chromium not found and CI is set: %v", err)
	}

	// The app, exactly as main.go builds it, on a free loopback port. The
	// store's clock is read at request time, so a test moves it with
	// clock.Add, never by replacing store.Now while serving.
	store := modelstest.Open(t, cfg.dialect)
	clock := modelstest.ClockOf(store)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	// The import job runs as in main.go, in small batches so that a test
	// sees the progress bar move.
	imports := models.NewImportRunner(store, logger)
	imports.Batch = 40
	scimLog := store.StartSCIMLog(models.SCIMLogOptions{Logger: logger})
	t.Cleanup(scimLog.Close) // after the app has stopped, before the store closes
	app := handlers.New(handlers.Options{Store: store, Logger: logger, BaseURL: base, ImportStarted: imports.Wake, SCIMLog: scimLog})
	runCtx, stopRunner := context.WithCancel(context.Background())
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); imports.Run(runCtx, func() {}) }()
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shut down the app: %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
		stopRunner()
		<-runnerDone
	})

	// The browser. Its profile directory is made before the browser's
	// cleanup is registered, so it is removed only after Chromium exited.
	profile := t.TempDir()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Headless,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(browserWidth, browserHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
	})
	// The first action starts the browser; it runs on the tab's own context
	// (not a timeout child), which would otherwise end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	bt := &browserTest{t: t, ctx: ctx, base: base, store: store, clock: clock, scimLog: scimLog}
	if cfg.mail {
		bt.mail = startMailWorker(t, store, base)
	}
	go bt.collectConsole()
	t.Cleanup(bt.saveArtifactsOnFailure) // runs first: the browser is still up
	bt.do("set the viewport", chromedp.EmulateViewport(browserWidth, browserHeight))
	return bt
}

// startMailWorker runs the outbox worker against a mailtest SMTP server
// until the test ends (before the store closes: cleanups run last first).
func startMailWorker(t *testing.T, store *models.Store, base string) *mailtest.Server {
	t.Helper()
	srv := mailtest.StartServer(t)
	sender, err := mail.NewSMTPSender(srv.URL(), "Muster <muster@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	w := &mail.Worker{Store: store, Sender: sender, BaseURL: base,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// Nothing in the app wakes the worker, so it polls often.
		Interval: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

// advanceClock moves the store's clock forward by d, for the server too.
func (bt *browserTest) advanceClock(d time.Duration) { bt.clock.Add(d) }

// newPrivateTab opens a tab in a new browser context of the same browser:
// no cookies shared with bt's tab, like another person's browser. It is
// closed when the test ends.
func (bt *browserTest) newPrivateTab(label string) *browserTest {
	bt.t.Helper()
	ctx, cancel := chromedp.NewContext(bt.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		bt.t.Fatalf("open a private tab: %v", err)
	}
	tab := &browserTest{t: bt.t, ctx: ctx, base: bt.base, store: bt.store, label: label, mail: bt.mail, clock: bt.clock}
	go tab.collectConsole()
	bt.t.Cleanup(cancel)
	bt.t.Cleanup(tab.saveArtifactsOnFailure) // runs before the tab closes
	tab.do("set the viewport", chromedp.EmulateViewport(browserWidth, browserHeight))
	return tab
}

func (bt *browserTest) collectConsole() {
	for m, err := range chromedp.Console(bt.ctx) {
		if err != nil {
			return
		}
		bt.mu.Lock()
		bt.console = append(bt.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
		bt.mu.Unlock()
	}
}

// consoleErrors returns the console's errors and uncaught exceptions so far.
func (bt *browserTest) consoleErrors() []string {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	var out []string
	for _, line := range bt.console {
		if strings.HasPrefix(line, string(chromedp.ConsoleError)+" ") || strings.HasPrefix(line, string(chromedp.ConsoleException)+" ") {
			out = append(out, line)
		}
	}
	return out
}

// saveArtifactsOnFailure keeps what the browser showed when a test failed:
// a full-page screenshot, the DOM and the console, in $MUSTER_TEST_ARTIFACTS
// or a new temporary directory that outlives the test.
func (bt *browserTest) saveArtifactsOnFailure() {
	t := bt.t
	if !t.Failed() {
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	if bt.label != "" {
		name += "-" + bt.label
	}
	var dir string
	var err error
	if root := os.Getenv("MUSTER_TEST_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, name+"-"+time.Now().Format("20060102-150405.000"))
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "muster-"+name+"-")
	}
	if err != nil {
		t.Logf("cannot save browser artifacts: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(bt.ctx, 15*time.Second)
	defer cancel()
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Logf("screenshot failed: %v", err)
	} else if err := os.WriteFile(filepath.Join(dir, "screenshot.png"), shot, 0o644); err != nil {
		t.Logf("save screenshot: %v", err)
	}
	if dom, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`)); err != nil {
		t.Logf("read DOM failed: %v", err)
	} else if err := os.WriteFile(filepath.Join(dir, "dom.html"), []byte(dom), 0o644); err != nil {
		t.Logf("save DOM: %v", err)
	}
	bt.mu.Lock()
	console := strings.Join(bt.console, "\n")
	bt.mu.Unlock()
	_ = os.WriteFile(filepath.Join(dir, "console.txt"), []byte(console), 0o644)
	t.Logf("browser artifacts (screenshot.png, dom.html with the URL on its first line, console.txt): %s", dir)
}

// do runs actions as one step, failing the test if they fail or time out.
func (bt *browserTest) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		bt.t.Fatalf("%s: %v", what, err)
	}
}

// browserEval evaluates a JavaScript expression in the page.
func browserEval[T any](bt *browserTest, expr string) T {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		bt.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// browserWait evaluates expr until ok accepts its value, and returns that
// value. Errors while a new page loads (no document, a destroyed context)
// count as "not yet", so this also waits across full navigations.
func browserWait[T any](bt *browserTest, what, expr string, ok func(T) bool) T {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	var last T
	var lastErr error
	for {
		evalCtx, evalCancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := chromedp.Run(evalCtx, chromedp.Evaluate[T](expr))
		evalCancel()
		if err == nil && ok(v) {
			return v
		}
		if err == nil {
			last = v
		}
		lastErr = err
		select {
		case <-ctx.Done():
			bt.t.Fatalf("timed out after %v waiting for %s; last value %+v, last error %v", browserStepTimeout, what, last, lastErr)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// waitTrue waits until a JavaScript condition holds.
func (bt *browserTest) waitTrue(what, cond string) {
	bt.t.Helper()
	browserWait(bt, what, "!!("+cond+")", func(b bool) bool { return b })
}

// waitPath waits until the page's path is path and no htmx request is in
// flight, and returns the full location.
func (bt *browserTest) waitPath(path string) *url.URL {
	bt.t.Helper()
	bt.waitTrue("the page at "+path, fmt.Sprintf(
		`location.pathname === %q && document.readyState === "complete" && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`, path))
	return bt.location()
}

func (bt *browserTest) location() *url.URL {
	bt.t.Helper()
	u, err := url.Parse(browserEval[string](bt, "location.href"))
	if err != nil {
		bt.t.Fatal(err)
	}
	return u
}

// fill replaces a field's value by typing. chromedp.SetValue(sel, "") does
// not clear a field, so the old value is removed with JavaScript first.
func (bt *browserTest) fill(sel, value string) {
	bt.t.Helper()
	bt.do("clear "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)))
	if value != "" {
		bt.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
	}
	if got := bt.value(sel); got != value {
		bt.t.Fatalf("%s holds %q after typing %q", sel, got, value)
	}
}

func (bt *browserTest) click(sel string) {
	bt.t.Helper()
	// Content htmx has just swapped in gets its hx- attributes processed
	// only when it settles, a timer later (20 ms, far longer on a busy
	// machine); a link clicked before then is followed as a plain link.
	// A person cannot click that fast, so wait for the element to settle.
	bt.waitTrue("settled "+sel, fmt.Sprintf(
		`(el => !!el && !el.closest(".htmx-added, .htmx-settling, .htmx-swapping"))(document.querySelector(%q))`, sel))
	deadline := time.Now().Add(browserStepTimeout)
	for {
		ctx, cancel := context.WithDeadline(bt.ctx, deadline)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		// htmx may swap the element out between finding it and clicking
		// it (a poll's refresh): find it again.
		if err != nil && strings.Contains(err.Error(), "node with given id") && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			bt.t.Fatalf("click %s: %v", sel, err)
		}
		return
	}
}

func (bt *browserTest) value(sel string) string {
	bt.t.Helper()
	return browserEval[string](bt, fmt.Sprintf(`document.querySelector(%q).value`, sel))
}

// text is an element's text with white space folded, or "" if it is absent.
func (bt *browserTest) text(sel string) string {
	bt.t.Helper()
	return browserEval[string](bt, fmt.Sprintf(
		`(document.querySelector(%q)?.textContent ?? "").replace(/\s+/g, " ").trim()`, sel))
}

// screenshotForDocs writes a viewport-sized PNG into docs/screenshots when
// MUSTER_UPDATE_SCREENSHOTS=1 (the README shows them).
func (bt *browserTest) screenshotForDocs(name string) {
	bt.t.Helper()
	bt.screenshotForDocsAt(name, browserWidth, browserHeight)
}

// screenshotForDocsAt is screenshotForDocs for a viewport of width×height.
func (bt *browserTest) screenshotForDocsAt(name string, width, height int) {
	bt.t.Helper()
	if os.Getenv("MUSTER_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	// No hover highlight or text cursor in the picture.
	bt.do("park the mouse", chromedp.MouseEvent(chromedp.MouseMoved, 8, float64(height-8)),
		chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur()`))
	ctx, cancel := context.WithTimeout(bt.ctx, browserStepTimeout)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		bt.t.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || cfg.Width != width || cfg.Height != height {
		bt.t.Fatalf("screenshot %s: want a %dx%d PNG, got %+v (%v)", name, width, height, cfg, err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		bt.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		bt.t.Fatal(err)
	}
	bt.t.Logf("wrote %s", path)
}
