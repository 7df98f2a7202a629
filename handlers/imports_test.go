package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/muster-app/muster/models/modelstest"
)

// upload posts a multipart form with a file, as the Import dialog does.
func (c *client) upload(target, filename, content string, fields map[string]string) *response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.WriteField("_csrf", c.csrf)
	if filename != "" {
		fw, _ := w.CreateFormFile("file", filename)
		fw.Write([]byte(content))
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, target, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	for name, value := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	res, err := c.app.Test(req, -1)
	if err != nil {
		c.t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	return &response{Response: res, Body: b.String(), Doc: doc}
}

func TestImportThroughTheDialog(t *testing.T) {
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			_, store, ws, c := signedInAdmin(t, d)
			hx := []string{"HX-Request", "true"}
			dlg := c.get("/w/acme/members/import", hx...)
			if dlg.Doc.Find("#import-dialog input[type=file]").Length() != 1 {
				t.Fatalf("import dialog: %s", dlg.Body)
			}
			example := c.get("/w/acme/members/import/example.csv")
			if !strings.HasPrefix(example.Body, "email,name,role,location") {
				t.Errorf("example: %q", example.Body)
			}
			// Files that cannot be imported say why, inside the dialog.
			for name, tc := range map[string]struct{ file, want string }{
				"no email column": {"name;city\nAda;London\n", "No email column"},
				"not text":        {"PK\x03\x04\x00\x00binary", "CSV"},
			} {
				res := c.upload("/w/acme/members/import", "people.csv", tc.file, nil)
				if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Doc.Find("#import-error").Text(), tc.want) {
					t.Errorf("%s: %d %q", name, res.StatusCode, res.Doc.Find("#import-error").Text())
				}
			}
			csv := "\ufeffE-mail;Name;Role;Location\r\ngrace@example.com;Grace Hopper;Member;Arlington\r\nalan@example.com;\"Turing, Alan\";;Manchester\r\nada@example.com;Ada;;\r\nbad-email;X;;\r\nx@example.com;X;Astronaut;\r\n"
			prev := c.upload("/w/acme/members/import", "people.csv", csv, map[string]string{"role": memberRoleID(t, store, ws.ID, "Member")})
			expectStatus(t, prev, 200)
			counts := strings.Join(strings.Fields(prev.Doc.Find("#import-counts").Text()), " ")
			for _, want := range []string{"2 will be invited", "1 already members", "1 invalid", "1 unknown role"} {
				if !strings.Contains(counts, want) {
					t.Errorf("counts %q lack %q", counts, want)
				}
			}
			start, ok := prev.Doc.Find("form[hx-post$='/start']").Attr("hx-post")
			if !ok {
				t.Fatalf("no confirm form: %s", prev.Body)
			}
			running := c.post(start, nil, hx...)
			expectStatus(t, running, 200)
			if running.Doc.Find("#import-bar").Length() != 1 {
				t.Fatalf("progress: %s", running.Body)
			}
			for {
				worked, err := store.ProcessImports(context.Background(), 500)
				if err != nil {
					t.Fatal(err)
				}
				if !worked {
					break
				}
			}
			poll, _ := running.Doc.Find("#import-progress").Attr("hx-get")
			done := c.get(poll, hx...)
			if !strings.Contains(done.Doc.Find("#import-title").Text(), "finished") || !strings.Contains(done.Header.Get("HX-Trigger"), "membersRefresh") {
				t.Errorf("done: %s", done.Body)
			}
			if v, _ := done.Doc.Find("#import-bar").Attr("value"); v != "5" {
				t.Errorf("bar value %q", v)
			}
			failedURL, _ := done.Doc.Find("#import-failed-csv").Attr("href")
			failed := c.get(failedURL)
			if !strings.HasPrefix(failed.Body, "email,name,role,location,line,reason") || strings.Count(failed.Body, "\n") != 3 || !strings.Contains(failed.Body, "Astronaut") {
				t.Errorf("failed rows: %q", failed.Body)
			}
			page := c.get("/w/acme/members?status=invited")
			if page.Doc.Find("#members-rows tr").Length() != 2 || !strings.Contains(page.Body, "Turing, Alan") {
				t.Errorf("invited rows: %d", page.Doc.Find("#members-rows tr").Length())
			}
		})
	}
}
