package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/elimity-com/scim/errors"
)

// A BulkRequest is read twice: readBulk checks all of it before any
// operation runs (so a bad operation 9,000 still refuses the whole
// request, and maxOperations is known), keeping no operation; the run then
// decodes the operations again a chunk at a time (opReader). A request of
// 10,000 operations never holds them all decoded at once.

// bulkRequest is what readBulk learnt of a BulkRequest: where its
// operations are, not the operations.
type bulkRequest struct {
	lists        []int64 // the offset of each Operations list's '[' (a body may repeat the key)
	count        int
	failOnErrors int
	// refs are the bulkIds some operation refers to (bulkId:x): only these
	// need remembering, as declared or resolved, while the request runs.
	refs map[string]bool
}

// readBulk checks a BulkRequest, one operation at a time.
func readBulk(body []byte) (req bulkRequest, res response) {
	d := json.NewDecoder(bytes.NewReader(body))
	syntax := func(detail string) response { return badRequest(errors.ScimTypeInvalidSyntax, detail) }
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return req, syntax("The body is not a BulkRequest object.")
	}
	var schemas []string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return req, syntax("The body is not valid JSON.")
		}
		key, _ := t.(string)
		switch strings.ToLower(key) {
		case "schemas":
			if err := d.Decode(&schemas); err != nil {
				return req, syntax("schemas must be a list of strings.")
			}
		case "failonerrors":
			if err := d.Decode(&req.failOnErrors); err != nil || req.failOnErrors < 0 {
				return req, badRequest(errors.ScimTypeInvalidValue, "failOnErrors must be a positive integer.")
			}
		case "operations":
			if t, err := d.Token(); err != nil || t != json.Delim('[') {
				return req, syntax("Operations must be a list.")
			}
			req.lists = append(req.lists, d.InputOffset()-1)
			for d.More() {
				if req.count == MaxOperations {
					return req, fail(http.StatusRequestEntityTooLarge, "", fmt.Sprintf(
						"This request has more than maxOperations (%d) operations; split it into several /Bulk requests.", MaxOperations))
				}
				var op bulkOp
				if err := d.Decode(&op); err != nil {
					return req, syntax(fmt.Sprintf("Operation %d is not a valid bulk operation: %v", req.count+1, err))
				}
				req.count++
				for _, id := range opRefs(op) {
					if req.refs == nil {
						req.refs = map[string]bool{}
					}
					req.refs[id] = true
				}
			}
			if _, err := d.Token(); err != nil {
				return req, syntax("Operations is not closed.")
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return req, syntax("The body is not valid JSON.")
			}
		}
	}
	if !hasSchema(schemas, bulkRequestURN) {
		return req, syntax(`schemas must be ["` + bulkRequestURN + `"].`)
	}
	if req.count == 0 {
		return req, badRequest(errors.ScimTypeInvalidValue, "Operations must list at least one operation.")
	}
	return req, response{}
}

// opRefs are the bulkIds an operation's path and data refer to. A space
// between them: a path ending in bulkId:x must not run into the data's
// opening brace ("x{").
func opRefs(op bulkOp) []string {
	if !strings.Contains(op.Path, "bulkId:") && !bytes.Contains(op.Data, []byte("bulkId:")) {
		return nil
	}
	var ids []string
	for _, m := range bulkRef.FindAllStringSubmatch(op.Path+" "+string(op.Data), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// opSpan is where an operation is in the body (with the comma and spaces
// before it), to decode it again when it waits for a later round.
type opSpan struct{ from, to int32 }

// decode decodes the operation at span again; its data is the body's bytes.
func (p opSpan) decode(body []byte) (op bulkOp, err error) {
	// json.Unmarshal hands bodySpan a slice of its input: of the body.
	err = json.Unmarshal(bytes.TrimLeft(body[p.from:p.to], ", \t\r\n"), &op)
	return op, err
}

// opReader reads the operations of a BulkRequest that readBulk checked, in
// order, one at a time.
type opReader struct {
	body  []byte
	lists []int64
	d     *json.Decoder
	base  int64
}

func newOpReader(body []byte, req bulkRequest) *opReader {
	return &opReader{body: body, lists: req.lists}
}

// next is the next operation and where it is in the body; ok is false
// after the last.
func (r *opReader) next() (op bulkOp, span opSpan, ok bool, err error) {
	for {
		if r.d == nil {
			if len(r.lists) == 0 {
				return op, span, false, nil
			}
			r.base, r.lists = r.lists[0], r.lists[1:]
			r.d = json.NewDecoder(bytes.NewReader(r.body[r.base:]))
			if t, err := r.d.Token(); err != nil || t != json.Delim('[') {
				return op, span, false, fmt.Errorf("scim: bulk operations moved (%v)", err)
			}
		}
		if !r.d.More() {
			r.d = nil
			continue
		}
		from := r.d.InputOffset()
		if err := r.d.Decode(&op); err != nil {
			return op, span, false, err
		}
		to := r.d.InputOffset()
		// op.Data is in the decoder's buffer; the operation keeps the same
		// bytes where they are in the body, which the request holds
		// anyway: a request holds its body once.
		if k := bytes.Index(r.body[r.base+from:r.base+to], op.Data); len(op.Data) > 0 && k >= 0 {
			at := r.base + from + int64(k)
			op.Data = r.body[at : at+int64(len(op.Data)) : at+int64(len(op.Data))]
		} else {
			op.Data = bytes.Clone(op.Data)
		}
		return op, opSpan{int32(r.base + from), int32(r.base + to)}, true, nil
	}
}
