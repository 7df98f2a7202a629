package scim

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
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

	// setUser is the User a set-based create takes (setUserOf), once
	// decoded and prepared, and setName its userName as sent; setChecked
	// says whether that was tried.
	setUser    *models.SCIMUser
	setName    string
	setChecked bool
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

// bulkState is a /Bulk request as it runs. It holds two chunks of decoded
// operations at a time (readAhead); across the request only what references need:
// the bulkIds some operation refers to (refs), and of those the ones a
// POST may still resolve (declared) or has resolved (resolved); the
// operations waiting for one (deferred, by position); and the answer.
type bulkState struct {
	s            *Server
	req          request
	failOnErrors int
	refs         map[string]bool
	declared     map[string]bool
	resolved     map[string]string
	results      *bulkResults
	errorsSeen   int
	stopped      bool
	// progress: an operation settled in this round.
	progress bool
	// setBased: runs of POST /Users are created set-based when the token
	// may create members at all (otherwise each gets its 403 the usual way).
	setBased bool
	// deferred are the operations of this round that wait for a bulkId a
	// later operation declares: the next round runs them.
	deferred []bulkPending
	stats    bulkStats
	// held counts the operations of the first round decoded and not yet
	// run; readAhead keeps its peak in heldPeak.
	held, heldPeak atomic.Int64
}

// bulkChunkRead is a chunk of the first round as readAhead read it.
type bulkChunkRead struct {
	ops []bulkOp
	at  []bulkPending
	err error
}

// readAhead reads the request's operations a chunk at a time on a
// goroutine of its own, decoding the Users a set-based create will take,
// and hands each chunk over when the one before has been taken: at most
// two chunks are held, the one running and the next. stop ends the
// goroutine and waits for it, so nothing reads the request's body after
// the handler returned.
func (b *bulkState) readAhead(r *opReader, count int) (<-chan bulkChunkRead, func()) {
	chunks := make(chan bulkChunkRead)
	done := make(chan struct{})
	finished := make(chan struct{})
	bulkReaders.Add(1)
	go func() {
		defer close(finished)
		defer bulkReaders.Add(-1)
		defer close(chunks)
		// A panic here would end the process: it becomes the request's
		// error, as a panic inside the writer's operation does.
		defer func() {
			if p := recover(); p != nil {
				select {
				case chunks <- bulkChunkRead{err: fmt.Errorf("scim: reading /Bulk operations: panic: %v", p)}:
				case <-done:
				}
			}
		}()
		for i := 0; ; {
			size := max(min(count-i, bulkChunk), 0)
			c := bulkChunkRead{ops: make([]bulkOp, 0, size), at: make([]bulkPending, 0, size)}
			for len(c.ops) < bulkChunk {
				op, span, ok, err := r.next()
				if err != nil {
					c.err = err
					break
				}
				if !ok {
					break
				}
				c.ops, c.at = append(c.ops, op), append(c.at, bulkPending{i, span})
				i++
			}
			if len(c.ops) == 0 && c.err == nil {
				return
			}
			if b.setBased {
				for k := range c.ops {
					if readAheadHook != nil {
						readAheadHook(&c.ops[k])
					}
					c.ops[k].setUserOf()
				}
			}
			if held := b.held.Add(int64(len(c.ops))); held > b.heldPeak.Load() {
				b.heldPeak.Store(held) // this goroutine alone stores it
			}
			select {
			case chunks <- c:
			case <-done:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	return chunks, func() {
		close(done)
		<-finished
	}
}

// readAheadHook, set by tests only, sees each operation readAhead decodes.
var readAheadHook func(*bulkOp)

// bulkReaders counts readAhead's goroutines still running (tests: none
// outlives its request).
var bulkReaders atomic.Int64

// bulkStats is the most a /Bulk request held at once, for the tests that
// keep it bounded by a chunk rather than by the request's size.
type bulkStats struct {
	Ops      int // operations in the request
	Decoded  int // operations decoded and held at once (the chunk running and the one read ahead)
	Declared int // bulkIds kept as declared (only those referred to)
	Resolved int // bulkIds kept as resolved
	Waiting  int // operations waiting for a later round
	Held     int // results held apart from the answer (of waiting operations)
}

// bulkWatch, when set (tests), is told each /Bulk request's bulkStats.
var bulkWatch atomic.Pointer[func(bulkStats)]

// bulkPending is an operation by its position in the request and in the body.
type bulkPending struct {
	i    int
	span opSpan
}

func (s *Server) bulk(req request) response {
	br, res := readBulk(req.body)
	if res.status != 0 {
		return res
	}
	b := &bulkState{s: s, req: req, failOnErrors: br.failOnErrors, refs: br.refs, results: newBulkResults(br.count)}
	if len(br.refs) > 0 {
		b.declared, b.resolved = map[string]bool{}, map[string]string{}
		r := newOpReader(req.body, br)
		for {
			op, _, ok, err := r.next()
			if err != nil {
				return s.internal(err)
			}
			if !ok {
				break
			}
			if op.BulkID != "" && b.refs[op.BulkID] && strings.EqualFold(op.Method, http.MethodPost) {
				b.declared[op.BulkID] = true
			}
		}
	}
	b.stats.Declared = len(b.declared)
	b.setBased = authorize(req, "users", "").status == 0

	// The first round: every operation in order, a chunk at a time, the
	// next chunk read and its Users decoded (readAhead) while the writer
	// runs this one, so that decoding, a tenth of a /Bulk of creates, is
	// done on another core instead of inside the writer's transaction.
	chunks, stop := b.readAhead(newOpReader(req.body, br), br.count)
	defer stop()
	for c := range chunks {
		if c.err != nil {
			return s.internal(c.err)
		}
		err := b.window(c.ops, c.at, true)
		b.held.Add(-int64(len(c.ops)))
		if err != nil {
			return s.internal(err)
		}
		if b.stopped {
			break
		}
	}
	// Later rounds: the operations that waited, until none is left or a
	// round settles none.
	var ops []bulkOp
	var at []bulkPending
	for len(b.deferred) > 0 && !b.stopped {
		pending := b.deferred
		if !b.progress { // what is left refers to itself in a circle
			for _, p := range pending {
				op, err := p.span.decode(req.body)
				if err != nil {
					return s.internal(err)
				}
				b.results.set(p.i, s.bulkFailure(req, op, fail(http.StatusConflict, "", "This operation's bulkId references form a circle that cannot be resolved.")))
			}
			break
		}
		b.deferred, b.progress = nil, false
		for start := 0; start < len(pending) && !b.stopped; start += bulkChunk {
			ops, at = ops[:0], at[:0]
			for _, p := range pending[start:min(start+bulkChunk, len(pending))] {
				op, err := p.span.decode(req.body)
				if err != nil {
					return s.internal(err)
				}
				ops, at = append(ops, op), append(at, p)
			}
			if err := b.window(ops, at, false); err != nil {
				return s.internal(err)
			}
		}
	}
	if watch := bulkWatch.Load(); watch != nil {
		b.stats.Decoded = max(b.stats.Decoded, int(b.heldPeak.Load()))
		b.stats.Ops, b.stats.Resolved, b.stats.Held = br.count, len(b.resolved), len(b.results.fills)
		(*watch)(b.stats)
	}
	return response{status: http.StatusOK, body: b.results.response()}
}

// window runs a chunk of operations (ops, at their positions at), in
// batches of bulkBatch, one transaction each; an operation that waits for
// a bulkId goes to the next round (first: this is the first round, so its
// result gets its place in the answer now).
func (b *bulkState) window(ops []bulkOp, at []bulkPending, first bool) error {
	if !first { // the first round's are counted as read (readAhead)
		b.stats.Decoded = max(b.stats.Decoded, len(ops))
	}
	for start := 0; start < len(ops) && !b.stopped; {
		err := b.s.store.InBatch(b.req.ctx, func(ctx context.Context) error {
			req := b.req
			// The batch's operations are logged in its transaction.
			if b.s.reqLog != nil {
				var logged []models.SCIMLogEntry
				req.opLog = &logged
				defer func() { b.s.reqLog.WriteInBatch(ctx, logged) }()
			}
			for n := 0; start < len(ops) && n < bulkBatch; {
				if b.setBased {
					if run, users := createRun(ops[start:]); run > 0 {
						done, err := b.createUsers(ctx, req, ops[start:start+run], at[start:start+run], users)
						if err != nil {
							return err
						}
						b.progress = true
						if b.stopped {
							return nil
						}
						start += done
						n += bulkBatch * done / bulkChunk // a chunk costs about as much as a batch
						continue
					}
				}
				op, p := ops[start], at[start]
				start++
				var failed bool
				if ok, refused := b.ready(req, op); refused != nil {
					failed = b.results.set(p.i, refused)
				} else if !ok {
					if first {
						b.results.wait(p.i)
					}
					b.deferred = append(b.deferred, p)
					b.stats.Waiting = max(b.stats.Waiting, len(b.deferred))
					continue
				} else {
					failed = b.results.set(p.i, b.run(ctx, req, op))
					n++
				}
				b.progress = true
				if b.settle(op, failed) {
					b.stopped = true
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ready reports whether every bulkId op refers to is resolved; a
// reference nothing can resolve fails the operation.
func (b *bulkState) ready(req request, op bulkOp) (bool, *bulkResult) {
	for _, id := range opRefs(op) {
		if _, ok := b.resolved[id]; ok {
			continue
		}
		if b.declared[id] && id != op.BulkID {
			return false, nil
		}
		return false, b.s.bulkFailure(req, op, fail(http.StatusConflict, "", "bulkId:"+id+" refers to no operation that created a resource."))
	}
	return true, nil
}

// settle counts a finished operation; it reports whether failOnErrors
// stops the request here.
func (b *bulkState) settle(op bulkOp, failed bool) bool {
	if !failed {
		return false
	}
	if op.BulkID != "" {
		delete(b.declared, op.BulkID) // nothing will resolve it now
	}
	b.errorsSeen++
	return b.failOnErrors > 0 && b.errorsSeen >= b.failOnErrors
}

// resolve remembers the id a POST created, when some operation refers to it.
func (b *bulkState) resolve(bulkID, id string) {
	if b.refs[bulkID] {
		b.resolved[bulkID] = id
	}
}

// createRun finds the run of POST /Users at the head of ops that can be
// created set-based: each with a bulkId, referring to no other operation
// (nothing to resolve, so nothing to wait for), and a body that reads as a
// User. It ends before the first that cannot; that one runs on its own.
func createRun(ops []bulkOp) (int, []models.SCIMUser) {
	var users []models.SCIMUser
	n := 0
	for ; n < len(ops) && n < bulkChunk; n++ {
		user := ops[n].setUserOf()
		if user == nil {
			break
		}
		if users == nil {
			users = make([]models.SCIMUser, 0, len(ops)-n)
		}
		users = append(users, *user)
	}
	return n, users
}

// setUserOf is the User op creates when a set-based create can take it:
// a POST /Users with a bulkId, referring to no other operation, whose body
// reads as a User; nil otherwise. It decodes and prepares it once.
func (op *bulkOp) setUserOf() *models.SCIMUser {
	if op.setChecked {
		return op.setUser
	}
	op.setChecked = true
	if !strings.EqualFold(op.Method, http.MethodPost) || op.BulkID == "" || !strings.EqualFold(strings.Trim(op.Path, "/"), "users") ||
		strings.Contains(op.Path, "bulkId:") || bytes.Contains(op.Data, []byte("bulkId:")) {
		return nil
	}
	user, res := newUserFromBody(op.Data)
	if res.status != 0 {
		return nil
	}
	op.setName = user.UserName
	user.Prepare()
	op.setUser = &user
	return op.setUser
}

// createUsers creates a run of users (createRun) and answers each
// operation as users.create would have. It returns how many operations it
// went through, which is fewer than the run when failOnErrors stopped it.
func (b *bulkState) createUsers(ctx context.Context, req request, ops []bulkOp, at []bulkPending, batch []models.SCIMUser) (int, error) {
	s := b.s
	budget := max(b.failOnErrors-b.errorsSeen, 0) // errors failOnErrors still allows; 0: no limit
	start := time.Now()
	created, err := s.store.CreateSCIMUsers(ctx, req.actor, req.ws, batch, budget)
	if err != nil {
		return 0, err
	}
	each := time.Since(start) / time.Duration(max(len(created), 1))
	u := users{s}
	for k, c := range created {
		op := ops[k]
		var res response
		if c.Err != nil {
			res = u.createFailed(models.SCIMUser{UserName: op.setName}, c.Err) // as sent: a log entry names the user so
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
			b.resolve(op.BulkID, c.Member.ID)
		}
		// Every result of the run is answered; failOnErrors counts them
		// in order up to the one that stops the request.
		if failed := b.results.set(at[k].i, out); !b.stopped && b.settle(op, failed) {
			b.stopped = true
		}
	}
	return len(created), nil
}

// run runs one operation with its bulkId references replaced.
func (b *bulkState) run(ctx context.Context, req request, op bulkOp) *bulkResult {
	s := b.s
	method := strings.ToUpper(op.Method)
	path, data := op.Path, op.Data
	if strings.Contains(path, "bulkId:") || bytes.Contains(data, []byte("bulkId:")) {
		replace := func(in []byte) []byte {
			return bulkRef.ReplaceAllFunc(in, func(m []byte) []byte { return []byte(b.resolved[string(m[len("bulkId:"):])]) })
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
		b.resolve(op.BulkID, res.location[strings.LastIndexByte(res.location, '/')+1:])
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
