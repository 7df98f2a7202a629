package scim

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/elimity-com/scim/errors"
	"github.com/gofiber/fiber/v2"
)

// A SCIM request's body is read where fasthttp holds it, not through
// c.Body(): with Immutable set (handlers.New) that is a copy, 3.5 MB more
// held through a /Bulk of 10,000. Nothing keeps a slice of the body once
// the request is answered: what it says is decoded into new values, the
// log keeps strings, and /Bulk's read-ahead ends before the handler returns
// (TestBulkReadAheadEnds, TestRequestBodyNotKept).
//
// A compressed body is decoded here rather than by c.Body(), which decodes
// it whole before anyone can look at its size (a megabyte of gzip can make
// gigabytes) and did so before the token was checked. Here it is decoded
// only for a request whose token is good and within its rate, never past
// MaxPayloadSize, and through one coding at most: gzip or deflate (no
// identity provider compresses its requests that we know of; brotli's
// decoder takes up to 16 MiB of window for a body of a few bytes).

// acceptedEncodings is what a 415 names in Accept-Encoding.
const acceptedEncodings = "gzip, deflate"

// contentCodings lists the request's Content-Encoding codings, from every
// such header, lower case, without identity.
func contentCodings(c *fiber.Ctx) []string {
	var codings []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
		for _, coding := range strings.Split(string(v), ",") {
			if coding = strings.ToLower(strings.TrimSpace(coding)); coding != "" && coding != "identity" {
				codings = append(codings, coding)
			}
		}
	}
	return codings
}

// undecoded is what the provisioning log keeps of a body it cannot read:
// not the compressed bytes.
func undecoded(body []byte, codings []string) []byte {
	return fmt.Appendf(nil, "(%d bytes sent with Content-Encoding: %s, not decoded)", len(body), strings.Join(codings, ", "))
}

// decodeBody undoes body's content coding, or answers the request: 415 for
// a coding Muster does not decode (with Accept-Encoding) or more than one,
// 400 for a body that does not decode, 413 for one larger than
// MaxPayloadSize once decoded (reading one byte past it, no more).
func decodeBody(c *fiber.Ctx, codings []string, body []byte) ([]byte, *response) {
	if len(codings) == 0 || len(body) == 0 {
		return body, nil
	}
	var open func(io.Reader) (io.Reader, error)
	switch codings[0] {
	case "gzip", "x-gzip":
		open = func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case "deflate": // HTTP's deflate is the zlib format (RFC 9110 §8.4.1.2)
		open = func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }
	}
	if open == nil && len(codings) == 1 && !compressing[codings[0]] && looksLikeJSON(body) {
		// Not a coding but a charset in the wrong header ("UTF-8", which
		// some HTTP clients send): the body is as it was written. Fiber
		// read such a body as is, too.
		return body, nil
	}
	if open == nil || len(codings) > 1 {
		c.Set(fiber.HeaderAcceptEncoding, acceptedEncodings)
		return nil, refuse(fail(http.StatusUnsupportedMediaType, "", fmt.Sprintf(
			"Content-Encoding %q is not supported: send the body as is, or compressed once with gzip or deflate.", strings.Join(codings, ", "))))
	}
	r, err := open(bytes.NewReader(body))
	var out []byte
	if err == nil {
		out, err = io.ReadAll(io.LimitReader(r, MaxPayloadSize+1))
	}
	switch {
	case err != nil:
		return nil, refuse(badRequest(errors.ScimTypeInvalidSyntax, fmt.Sprintf(
			"The body is not valid %s, as its Content-Encoding says it is: %v.", codings[0], err)))
	case len(out) > MaxPayloadSize:
		return nil, refuse(fail(http.StatusRequestEntityTooLarge, "", fmt.Sprintf(
			"The request body, once decoded, is larger than maxPayloadSize (%d bytes).", MaxPayloadSize)))
	}
	return out, nil
}

// compressing are codings Muster does not decode that surely compress: a
// body with one of them is refused even if its first byte happens to be
// a bracket (a brotli stream may start with "[").
var compressing = map[string]bool{"br": true, "zstd": true, "compress": true, "x-compress": true}

// looksLikeJSON: body starts as a JSON object or array does.
func looksLikeJSON(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && (body[0] == '{' || body[0] == '[')
}

func refuse(res response) *response { return &res }
