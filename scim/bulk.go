package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/elimity-com/scim/errors"

	"github.com/muster-app/muster/models"
)

// /Bulk (RFC 7644 §3.7). Each operation runs through serve, exactly as if
// it had come on its own; operations commit together in batches, one
// transaction per batch, each in a savepoint of its own, so one failing
// operation undoes only its own writes.

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	// bulkBatch operations share a commit: enough to spread its cost,
	// few enough that other writers wait only briefly.
	bulkBatch = 250
	// bulkChunk consecutive POST /Users are checked and written together
	// (models.CreateSCIMUsers): one lookup and a few multi-row INSERTs.
	bulkChunk = 1000
)

type bulkOp struct {
	Method  string   `json:"method"`
	BulkID  string   `json:"bulkId"`
	Path    string   `json:"path"`
	Version string   `json:"version"`
	Data    bodySpan `json:"data"`
}

// bodySpan is an operation's data as the decoder found it: unlike
// json.RawMessage it is not copied (readBulk points it into the request
// body before the decoder reads on), so decoding 10,000 operations makes
// no second copy of their data to be dropped again.
type bodySpan []byte

func (b *bodySpan) UnmarshalJSON(data []byte) error {
	*b = data[:len(data):len(data)] // the decoder's buffer: valid until it reads on
	return nil
}

type bulkResult struct {
	Method   string `json:"method"`
	BulkID   string `json:"bulkId,omitempty"`
	Location string `json:"location,omitempty"`
	Version  string `json:"version,omitempty"`
	Status   string `json:"status"`
	Response any    `json:"response,omitempty"`
}

var bulkRef = regexp.MustCompile(`bulkId:([^"\s/?]+)`)

// readBulk decodes a BulkRequest one operation at a time.
func readBulk(body []byte) (ops []bulkOp, failOnErrors int, res response) {
	d := json.NewDecoder(bytes.NewReader(body))
	syntax := func(detail string) response { return badRequest(errors.ScimTypeInvalidSyntax, detail) }
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, 0, syntax("The body is not a BulkRequest object.")
	}
	var schemas []string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, 0, syntax("The body is not valid JSON.")
		}
		key, _ := t.(string)
		switch strings.ToLower(key) {
		case "schemas":
			if err := d.Decode(&schemas); err != nil {
				return nil, 0, syntax("schemas must be a list of strings.")
			}
		case "failonerrors":
			if err := d.Decode(&failOnErrors); err != nil || failOnErrors < 0 {
				return nil, 0, badRequest(errors.ScimTypeInvalidValue, "failOnErrors must be a positive integer.")
			}
		case "operations":
			if t, err := d.Token(); err != nil || t != json.Delim('[') {
				return nil, 0, syntax("Operations must be a list.")
			}
			for d.More() {
				if len(ops) == MaxOperations {
					return nil, 0, fail(http.StatusRequestEntityTooLarge, "", fmt.Sprintf(
						"This request has more than maxOperations (%d) operations; split it into several /Bulk requests.", MaxOperations))
				}
				var op bulkOp
				from := d.InputOffset()
				if err := d.Decode(&op); err != nil {
					return nil, 0, syntax(fmt.Sprintf("Operation %d is not a valid bulk operation: %v", len(ops)+1, err))
				}
				// op.Data is in the decoder's buffer; the operation keeps
				// the same bytes where they are in the body, which the
				// request holds anyway: a request holds its body once.
				if k := bytes.Index(body[from:d.InputOffset()], op.Data); len(op.Data) > 0 && k >= 0 {
					op.Data = body[from+int64(k) : from+int64(k)+int64(len(op.Data)) : from+int64(k)+int64(len(op.Data))]
				} else {
					op.Data = bytes.Clone(op.Data)
				}
				ops = append(ops, op)
			}
			if _, err := d.Token(); err != nil {
				return nil, 0, syntax("Operations is not closed.")
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, 0, syntax("The body is not valid JSON.")
			}
		}
	}
	if !hasSchema(schemas, bulkRequestURN) {
		return nil, 0, syntax(`schemas must be ["` + bulkRequestURN + `"].`)
	}
	if len(ops) == 0 {
		return nil, 0, badRequest(errors.ScimTypeInvalidValue, "Operations must list at least one operation.")
	}
	return ops, failOnErrors, response{}
}

func (s *Server) bulk(req request) response {
	ops, failOnErrors, res := readBulk(req.body)
	if res.status != 0 {
		return res
	}
	declared := map[string]bool{} // bulkIds some POST may still resolve
	for _, op := range ops {
		if op.BulkID != "" && strings.EqualFold(op.Method, http.MethodPost) {
			declared[op.BulkID] = true
		}
	}
	resolved := map[string]string{} // bulkId → the id it created
	// Each operation's result is encoded as it is settled (a few hundred
	// bytes), not kept as values until the whole response is marshalled.
	results := make(bulkResults, len(ops))
	errorsSeen := 0
	stopped := false

	// ready reports whether every bulkId op refers to is resolved; a
	// reference nothing can resolve fails the operation.
	ready := func(i int) (bool, *bulkResult) {
		op := ops[i]
		// A space between them: a path ending in bulkId:x must not run
		// into the data's opening brace ("x{").
		for _, m := range bulkRef.FindAllStringSubmatch(op.Path+" "+string(op.Data), -1) {
			if _, ok := resolved[m[1]]; ok {
				continue
			}
			if declared[m[1]] && m[1] != op.BulkID {
				return false, nil
			}
			return false, s.bulkFailure(req, op, fail(http.StatusConflict, "", "bulkId:"+m[1]+" refers to no operation that created a resource."))
		}
		return true, nil
	}

	// settle counts a finished operation; it reports whether failOnErrors
	// stops the request here.
	settle := func(i int) bool {
		if results.failed(i) {
			if ops[i].BulkID != "" {
				delete(declared, ops[i].BulkID) // nothing will resolve it now
			}
			if errorsSeen++; failOnErrors > 0 && errorsSeen >= failOnErrors {
				return true
			}
		}
		return false
	}
	// Runs of POST /Users are created set-based when the token may create
	// members at all (otherwise each gets its 403 the usual way).
	setBased := authorize(req, "users", "").status == 0

	pending := make([]int, len(ops))
	for i := range ops {
		pending[i] = i
	}
	for len(pending) > 0 && !stopped {
		var next []int
		progress := false
		for start := 0; start < len(pending) && !stopped; {
			err := s.store.InBatch(req.ctx, func(ctx context.Context) error {
				// The batch's operations are logged in its transaction.
				var logged []models.SCIMLogEntry
				if s.reqLog != nil {
					req.opLog = &logged
					defer func() { req.opLog = nil; s.reqLog.WriteInBatch(ctx, logged) }()
				}
				for n := 0; start < len(pending) && n < bulkBatch; {
					if setBased {
						if chunk, users := s.createRun(ops, pending[start:]); len(chunk) > 0 {
							done, err := s.bulkCreateUsers(ctx, req, ops, chunk, users, failOnErrors-errorsSeen, results, resolved)
							if err != nil {
								return err
							}
							progress = true
							for _, i := range chunk[:done] {
								if settle(i) {
									stopped = true
									return nil
								}
							}
							start += done
							n += bulkBatch * done / bulkChunk // a chunk costs about as much as a batch
							continue
						}
					}
					i := pending[start]
					start++
					ok, failed := ready(i)
					if failed != nil {
						results.set(i, failed)
						progress = true
					} else if !ok {
						next = append(next, i)
						continue
					} else {
						results.set(i, s.bulkRun(ctx, req, ops[i], resolved))
						progress = true
						n++
					}
					if settle(i) {
						stopped = true
						return nil
					}
				}
				return nil
			})
			if err != nil {
				return s.internal(err)
			}
		}
		if !progress { // what is left refers to itself in a circle
			for _, i := range next {
				results.set(i, s.bulkFailure(req, ops[i], fail(http.StatusConflict, "", "This operation's bulkId references form a circle that cannot be resolved.")))
			}
			break
		}
		pending = next
	}
	return response{status: http.StatusOK, body: results.response()}
}

// createRun finds the run of POST /Users at the head of pending that can be
// created set-based: each with a bulkId, referring to no other operation
// (nothing to resolve, so nothing to wait for), and a body that reads as a
// User. It ends before the first that cannot; that one runs on its own.
func (s *Server) createRun(ops []bulkOp, pending []int) ([]int, []models.SCIMUser) {
	var users []models.SCIMUser
	n := 0
	for ; n < len(pending) && n < bulkChunk; n++ {
		op := ops[pending[n]]
		if !strings.EqualFold(op.Method, http.MethodPost) || op.BulkID == "" || !strings.EqualFold(strings.Trim(op.Path, "/"), "users") ||
			strings.Contains(op.Path, "bulkId:") || bytes.Contains(op.Data, []byte("bulkId:")) {
			break
		}
		user, _, res := userFromBody(op.Data)
		if res.status != 0 {
			break
		}
		if len(user.Roles) == 0 { // as users.create: none given
			user.Roles = nil
		}
		users = append(users, user)
	}
	return pending[:n], users
}

// bulkCreateUsers creates a run of users (createRun) and answers each
// operation as users.create would have. budget is how many more errors
// failOnErrors allows (none: no limit); it returns how many operations it
// went through, which is fewer than the run when the budget ran out.
func (s *Server) bulkCreateUsers(ctx context.Context, req request, ops []bulkOp, chunk []int, batch []models.SCIMUser,
	budget int, results bulkResults, resolved map[string]string) (int, error) {
	budget = max(budget, 0)
	names := make([]string, len(batch)) // as sent: a log entry names the user so
	for i, u := range batch {
		names[i] = u.UserName
	}
	start := time.Now()
	created, err := s.store.CreateSCIMUsers(ctx, req.actor, req.ws, batch, budget)
	if err != nil {
		return 0, err
	}
	each := time.Since(start) / time.Duration(max(len(created), 1))
	u := users{s}
	for k, c := range created {
		i := chunk[k]
		op := ops[i]
		var res response
		if c.Err != nil {
			res = u.createFailed(models.SCIMUser{UserName: names[k]}, c.Err)
		} else {
			res = u.created(c.Member)
		}
		if s.reqLog != nil {
			s.recordOp(req, s.store.NewSCIMLogEntry(), time.Now().Add(-each), http.MethodPost, op.Path, op.Data, res)
		}
		out := &bulkResult{Method: http.MethodPost, BulkID: op.BulkID, Location: res.location, Version: res.etag, Status: strconv.Itoa(res.status)}
		if res.status >= 400 {
			out.Response = res.body
			out.Location, out.Version = "", ""
		} else {
			resolved[op.BulkID] = c.Member.ID
		}
		results.set(i, out)
	}
	return len(created), nil
}

// bulkRun runs one operation with its bulkId references replaced.
func (s *Server) bulkRun(ctx context.Context, req request, op bulkOp, resolved map[string]string) *bulkResult {
	method := strings.ToUpper(op.Method)
	path, data := op.Path, op.Data
	if strings.Contains(path+string(data), "bulkId:") {
		replace := func(b []byte) []byte {
			return bulkRef.ReplaceAllFunc(b, func(m []byte) []byte { return []byte(resolved[string(m[len("bulkId:"):])]) })
		}
		path, data = string(replace([]byte(path))), replace(data)
	}
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return s.bulkFailure(req, op, badRequest(errors.ScimTypeInvalidValue, "method must be POST, PUT, PATCH or DELETE."))
	}
	if method == http.MethodPost && op.BulkID == "" {
		return s.bulkFailure(req, op, badRequest(errors.ScimTypeInvalidValue, "A POST in /Bulk needs a bulkId."))
	}
	if p := strings.ToLower(strings.Trim(path, "/")); !strings.HasPrefix(p, "users") && !strings.HasPrefix(p, "groups") {
		return s.bulkFailure(req, op, notFoundPath(path))
	}
	start := time.Now()
	var entry models.SCIMLogEntry
	if s.reqLog != nil {
		entry = s.store.NewSCIMLogEntry()
	}
	res := s.serve(request{ctx: ctx, method: method, path: path, query: nil, body: data, ifMatch: op.Version, ws: req.ws, actor: req.actor})
	s.recordOp(req, entry, start, method, path, data, res)
	out := &bulkResult{Method: method, BulkID: op.BulkID, Location: res.location, Version: res.etag, Status: strconv.Itoa(res.status)}
	if res.status >= 400 {
		out.Response = res.body
		out.Location, out.Version = "", ""
	} else if method == http.MethodPost && op.BulkID != "" {
		resolved[op.BulkID] = res.location[strings.LastIndexByte(res.location, '/')+1:]
	}
	return out
}

// recordOp adds one operation of a /Bulk request to the provisioning log,
// under the /Bulk request's own entry.
func (s *Server) recordOp(req request, e models.SCIMLogEntry, start time.Time, method, path string, data []byte, res response) {
	if s.reqLog == nil || req.token == nil {
		return
	}
	e = s.logEntry(e, req.token, req.ws, method, path, res, time.Since(start))
	if req.logID != "" {
		e.ParentID = &req.logID
	}
	failure(&e, data, res, nil)
	if req.opLog != nil {
		*req.opLog = append(*req.opLog, e)
		return
	}
	s.reqLog.Add(e)
}

// bulkFailure answers an operation refused before it ran; it is logged too.
func (s *Server) bulkFailure(req request, op bulkOp, res response) *bulkResult {
	if s.reqLog != nil {
		s.recordOp(req, s.store.NewSCIMLogEntry(), time.Now(), strings.ToUpper(op.Method), op.Path, op.Data, res)
	}
	return &bulkResult{Method: strings.ToUpper(op.Method), BulkID: op.BulkID, Status: strconv.Itoa(res.status), Response: res.body}
}
