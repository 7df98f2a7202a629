package models_test

import (
	"strings"
	"testing"

	"github.com/muster-app/muster/models"
)

// TestMaskSecrets: what the provisioning log keeps of a failed request's
// body never holds a password or token, in any form IdPs send one.
func TestMaskSecrets(t *testing.T) {
	for _, tc := range []struct{ name, body, keep string }{
		{"top level", `{"userName":"a","password":"hunter2"}`, `"userName": "a"`},
		{"nested and any case", `{"Operations":[{"op":"add","value":{"Password":"hunter2","x":{"apiKey":"hunter2"}}}]}`, `"op": "add"`},
		{"PATCH path", `{"Operations":[{"op":"replace","path":"password","value":"hunter2"}]}`, `"path": "password"`},
		{"bearer token field", `{"token":"hunter2","client_secret":"hunter2"}`, `{`},
		{"not JSON", `userName=a&password=hunter2`, `userName=a`},
		{"JSON-like text", `{"password": "hunter2", broken`, `broken`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := models.MaskSecrets([]byte(tc.body))
			if strings.Contains(got, "hunter2") || !strings.Contains(got, models.Masked) || !strings.Contains(got, tc.keep) {
				t.Errorf("MaskSecrets(%s) = %s", tc.body, got)
			}
		})
	}
	big := `{"Operations":[` + strings.Repeat(`{"method":"POST","data":{"password":"hunter2"}},`, 5000) + `]}`
	if got := models.MaskSecrets([]byte(big)); len(got) > 17<<10 || strings.Contains(got, "hunter2") || !strings.HasSuffix(got, "(cut at 16 KiB)") {
		t.Errorf("a large body: %d bytes, ends %q", len(got), got[len(got)-40:])
	}
	if models.MaskSecrets(nil) != "" {
		t.Error("an empty body is not empty")
	}
}
