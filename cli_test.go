package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The command line as a person meets it: the built binary, run with
// arguments and settings, judged by what it prints and how it exits.

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// musterBinary builds muster once per test run, with a version and commit
// stamped in as a release build would.
func musterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "muster-cli-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "muster")
		out, err := exec.Command("go", "build", "-ldflags", "-X main.version=1.2.3 -X main.commit=abc1234", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binary = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build muster: %v\n%s", buildErr, binary)
	}
	return binary
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runMuster runs the binary with args and extra environment (as the user
// "nobody" when asNobody), failing the test if it runs for 30 s.
func runMuster(t *testing.T, env []string, asNobody bool, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, full := musterBinary(t), args
	if asNobody {
		name, full = "setpriv", append([]string{"--reuid", "65534", "--regid", "65534", "--clear-groups", musterBinary(t)}, args...)
	}
	cmd := exec.CommandContext(ctx, name, full...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run muster %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("muster %v did not end within 30 s", args)
	}
	return runResult{code, out.String(), errb.String()}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := runMuster(t, nil, false, args...)
		if r.code != 0 {
			t.Errorf("muster %v exits %d: %s", args, r.code, r.stderr)
		}
		for _, c := range commands {
			if !strings.Contains(r.stdout, "  "+c.name+" ") || !strings.Contains(r.stdout, c.help) {
				t.Errorf("muster %v does not list %s:\n%s", args, c.name, r.stdout)
			}
		}
	}
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		if r := runMuster(t, nil, false, c.name, "-h"); r.code != 0 || r.stdout+r.stderr == "" {
			t.Errorf("muster %s -h exits %d and prints %q", c.name, r.code, r.stdout+r.stderr)
		}
	}
	if r := runMuster(t, nil, false, "version"); r.code != 0 || strings.TrimSpace(r.stdout) != "muster 1.2.3 (abc1234)" {
		t.Errorf("muster version: %d %q", r.code, r.stdout)
	}
	if r := runMuster(t, nil, false, "frobnicate"); r.code != 1 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "scim-token") {
		t.Errorf("an unknown command: %d %q", r.code, r.stderr)
	}
}

// TestStartupErrorsSayWhatIsWrong: each way of failing to start says its
// cause, exits 1, and never claims that Muster is running.
func TestStartupErrorsSayWhatIsWrong(t *testing.T) {
	// Not t.TempDir, whose parent only its owner may enter: "nobody" must
	// reach these folders.
	dir, err := os.MkdirTemp("", "muster-startup-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	roDir := filepath.Join(dir, "readonly")
	if err := os.Mkdir(roDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(roDir, 0o755); os.RemoveAll(dir) })
	// A database made here, then made read-only, and its folder too: root
	// may write anywhere, so then Muster runs as "nobody" for these.
	roDB := filepath.Join(roDir, "muster.db")
	if r := runMuster(t, []string{"MUSTER_DATABASE_URL=" + roDB}, false, "migrate"); r.code != 0 {
		t.Fatalf("make a database: %s", r.stderr)
	}
	for p, mode := range map[string]os.FileMode{roDB: 0o444, roDir: 0o555} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	asNobody := os.Geteuid() == 0
	if _, err := exec.LookPath("setpriv"); asNobody && err != nil {
		t.Skip("running as root without setpriv: nothing is read-only for root")
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	fresh := filepath.Join(t.TempDir(), "muster.db")

	for _, c := range []struct {
		name   string
		env    []string
		nobody bool
		want   string
	}{
		{"a missing folder", []string{"MUSTER_DATABASE_URL=" + filepath.Join(dir, "missing", "muster.db")}, false, "does not exist"},
		{"a folder that is not writable", []string{"MUSTER_DATABASE_URL=" + filepath.Join(roDir, "new.db")}, asNobody, "is not writable"},
		{"a read-only database file", []string{"MUSTER_DATABASE_URL=" + roDB}, asNobody, "is read-only"},
		{"an unknown database", []string{"MUSTER_DATABASE_URL=mysql://muster:secret@db/muster"}, false, "is for mysql, which Muster does not run on"},
		{"a port in use", []string{"MUSTER_DATABASE_URL=" + fresh, "MUSTER_ADDR=" + busy.Addr().String()}, false, "address already in use"},
		{"a bad address", []string{"MUSTER_DATABASE_URL=" + fresh, "MUSTER_ADDR=nonsense"}, false, `listen on MUSTER_ADDR "nonsense"`},
	} {
		r := runMuster(t, c.env, c.nobody)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "Muster is running") || strings.Contains(r.stderr, "secret") {
			t.Errorf("%s: exit %d, stderr:\n%s", c.name, r.code, r.stderr)
		}
	}
}
