package scim

import (
	"encoding/json"
	stderrors "errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// WriteRefused answers, as SCIM JSON, a request whose request line and
// headers did not fit the server's read buffer (limit bytes), when it was
// meant for /scim/v2. fasthttp refuses such a request before it is parsed,
// so neither routing nor Fiber's error handler knows its path, and Fiber
// would answer with plain text. The error fasthttp reports carries the first
// bytes it read, and so the request line's start; that is all there is to
// tell a SCIM client by. It reports whether it answered: other requests
// are left to Fiber.
func WriteRefused(fctx *fasthttp.RequestCtx, err error, limit int) bool {
	var small *fasthttp.ErrSmallBuffer
	if !stderrors.As(err, &small) {
		return false
	}
	head, ok := refusedHead(err.Error())
	if !ok {
		return false
	}
	line, _, complete := strings.Cut(head, "\r\n")
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 || (parts[1] != Prefix && !strings.HasPrefix(parts[1], Prefix+"/") && !strings.HasPrefix(parts[1], Prefix+"?")) {
		return false
	}
	status, detail := http.StatusRequestHeaderFieldsTooLarge, fmt.Sprintf(
		"The request's headers are larger than Muster reads (%d bytes with the request line).", limit)
	if !complete { // the request line alone did not fit in what was shown
		status, detail = http.StatusRequestURITooLong, fmt.Sprintf(
			"The request line is longer than Muster reads (%d bytes with the headers): send a long filter in the body of POST /Users/.search or /Groups/.search.", limit)
	}
	b, _ := json.Marshal(scimError(status, "", detail))
	fctx.Response.Reset()
	fctx.SetStatusCode(status)
	fctx.Response.Header.Set(fasthttp.HeaderContentType, ContentType)
	fctx.Response.Header.Set(fasthttp.HeaderConnection, "close")
	fctx.SetBody(b)
	return true
}

// refusedHead finds the start of the request in fasthttp's error text:
// `… contents: "GET /scim/v2/Users?… HTTP/1.1\r\n…"…"…"`, quoted by %q.
func refusedHead(msg string) (string, bool) {
	_, rest, ok := strings.Cut(msg, "contents: ")
	if !ok {
		return "", false
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", false
	}
	head, err := strconv.Unquote(quoted)
	return head, err == nil
}
