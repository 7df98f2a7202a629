package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/muster-app/muster/handlers"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// env is a running Muster with one workspace and a SCIM token for it.
type env struct {
	t     testing.TB
	app   *fiber.App
	store *models.Store
	ws    *models.Workspace
	admin *models.Account
	token string
	log   *models.SCIMLog // the provisioning log; nil when it is off
}

func newEnv(t testing.TB, dialect string) *env {
	return newEnvLog(t, dialect, true)
}

// newEnvLog is newEnv with the provisioning log on or off.
func newEnvLog(t testing.TB, dialect string, logging bool) *env {
	t.Helper()
	store := modelstest.Open(t, dialect)
	acc, ws := modelstest.SetUp(t, store)
	token, _, err := store.CreateSCIMToken(context.Background(), models.SystemActor, ws, "Okta")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, ws: ws, admin: acc, token: token}
	if logging {
		e.log = store.StartSCIMLog(models.SCIMLogOptions{})
		t.Cleanup(e.log.Close) // before the database closes (cleanups run last first)
	}
	e.app = handlers.New(handlers.Options{Store: store, BaseURL: "https://muster.example.com", SCIMLog: e.log})
	return e
}

// flushLog waits until every request so far is in the provisioning log.
func (e *env) flushLog() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.log.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// each runs fn on SQLite, and on PostgreSQL when it is configured.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
}

type result struct {
	Status int
	Header http.Header
	Raw    string
	JSON   map[string]any
}

// do sends a SCIM request with the env's token; headers come in pairs.
func (e *env) do(method, path, body string, headers ...string) *result {
	e.t.Helper()
	return e.doAs(e.token, method, path, body, headers...)
}

func (e *env) doAs(token, method, path, body string, headers ...string) *result {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := &result{Status: res.StatusCode, Header: res.Header, Raw: string(b)}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out.JSON); err != nil {
			e.t.Fatalf("%s %s: body is not JSON (%d): %s", method, path, res.StatusCode, b)
		}
	}
	return out
}

// want fails the test unless the status is one of codes.
func (r *result) want(t testing.TB, codes ...int) *result {
	t.Helper()
	for _, c := range codes {
		if r.Status == c {
			return r
		}
	}
	t.Fatalf("status %d, want %v: %s", r.Status, codes, r.Raw)
	return r
}

// str reads a string at a dotted path of the JSON body ("name.givenName").
func (r *result) str(path string) string {
	var v any = r.JSON
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

func (r *result) num(key string) int {
	f, _ := r.JSON[key].(float64)
	return int(f)
}

func (r *result) resources() []map[string]any {
	list, _ := r.JSON["Resources"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i], _ = x.(map[string]any)
	}
	return out
}

// isSCIMError checks an error body: the Error schema, the status as a
// string, and the SCIM media type.
func isSCIMError(t testing.TB, r *result, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Errorf("Content-Type %q, want application/scim+json", ct)
	}
	schemas, _ := r.JSON["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("schemas %v, want the Error schema: %s", schemas, r.Raw)
	}
	if r.str("status") != strconv.Itoa(status) {
		t.Errorf("status %q, want %q", r.str("status"), strconv.Itoa(status))
	}
	if scimType != "" && r.str("scimType") != scimType {
		t.Errorf("scimType %q, want %q: %s", r.str("scimType"), scimType, r.Raw)
	}
	if r.str("detail") == "" {
		t.Errorf("no detail: %s", r.Raw)
	}
}
