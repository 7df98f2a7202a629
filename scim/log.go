package scim

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/elimity-com/scim/errors"

	"github.com/muster-app/muster/models"
)

// The provisioning log (models/scim_log.go): every request that names a
// known token is recorded, and each operation of a /Bulk request as well,
// after it has been answered. Requests with no token, or one Muster does not
// know, belong to no workspace and are not recorded.

// touched is the member or role a request touched, for the log.
type touched struct {
	kind, id, name string
}

func memberTarget(m *models.Member) touched {
	return touched{kind: "member", id: m.ID, name: m.DisplayName}
}

func roleTarget(r *models.Role) touched {
	return touched{kind: "role", id: r.ID, name: r.Name}
}

// kindOf names what a resource's requests touch.
func kindOf(resource string) string {
	if resource == "groups" {
		return "role"
	}
	return "member"
}

// logEntry fills what every entry shares.
func (s *Server) logEntry(e models.SCIMLogEntry, tok *models.SCIMToken, ws *models.Workspace, method, path string, res response, took time.Duration) models.SCIMLogEntry {
	e.WorkspaceID, e.TokenID, e.TokenName = ws.ID, tok.ID, truncate(tok.Name, 100)
	e.Method, e.Path, e.Status, e.DurationUS = truncate(method, 10), truncate(path, 2000), res.status, took.Microseconds()
	e.TargetKind, e.TargetID, e.TargetName = res.target.kind, truncate(res.target.id, 255), truncate(res.target.name, 255)
	return e
}

// failure adds what a failed request needs to be understood: the error's
// detail, the body sent (secrets masked) and the answer.
func failure(e *models.SCIMLogEntry, reqBody []byte, res response, resBody []byte) {
	if res.status < 400 {
		return
	}
	if serr, ok := res.body.(errors.ScimError); ok {
		e.Detail = serr.Detail
	}
	e.Request = models.MaskSecrets(reqBody)
	var pretty bytes.Buffer
	if resBody == nil && res.body != nil {
		resBody, _ = json.Marshal(res.body)
	}
	if json.Indent(&pretty, resBody, "", "  ") == nil {
		resBody = pretty.Bytes()
	}
	e.Response = truncate(string(resBody), 16<<10)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		n--
	}
	return s[:n]
}
