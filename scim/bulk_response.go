package scim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
)

// bulkResults is a /Bulk request's answer as it is written: each
// operation's result is encoded when it settles and goes straight into the
// response (a few hundred bytes), in the request's order. An operation
// that waits for a later bulkId leaves a place (wait) that its result
// fills when a later round settles it; only those results are held apart.
type bulkResults struct {
	out   []byte // the BulkResponse so far, each result followed by a comma
	holes []bulkHole
	fills map[int][]byte // the results of waiting operations, by position
	buf   bytes.Buffer
	enc   *json.Encoder
}

// bulkHole is where in out a waiting operation's result goes.
type bulkHole struct{ at, op int }

// bulkResultSize is about the size of a created user's result: the
// answer's first guess at its size.
const bulkResultSize = 160

func newBulkResults(ops int) *bulkResults {
	r := &bulkResults{out: make([]byte, 0, 64+ops*bulkResultSize)}
	r.out = append(r.out, `{"Operations":[`...)
	r.enc = json.NewEncoder(&r.buf) // as json.Marshal: HTML escaped
	return r
}

// wait leaves operation i's place in the answer for a later round.
func (r *bulkResults) wait(i int) {
	r.holes = append(r.holes, bulkHole{at: len(r.out), op: i})
}

// set encodes operation i's result; it reports whether the result is an
// error (status 4xx or 5xx).
func (r *bulkResults) set(i int, res *bulkResult) bool {
	r.buf.Reset()
	if err := r.enc.Encode(res); err != nil { // a result is strings and a document the handlers built
		panic(err)
	}
	b := bytes.TrimSuffix(r.buf.Bytes(), []byte("\n"))
	// Places are left in the first round, in order.
	if _, waited := slices.BinarySearchFunc(r.holes, i, func(h bulkHole, i int) int { return cmp.Compare(h.op, i) }); waited {
		if r.fills == nil {
			r.fills = map[int][]byte{}
		}
		r.fills[i] = bytes.Clone(b)
	} else {
		r.out = append(append(r.out, b...), ',')
	}
	return res.Status != "" && res.Status[0] >= '4'
}

// response is the BulkResponse: the results of the operations that ran,
// in the request's order.
func (r *bulkResults) response() rawJSON {
	out := r.out
	if len(r.holes) > 0 {
		size := len(r.out)
		for _, b := range r.fills {
			size += len(b) + 1
		}
		out = make([]byte, 0, size+64)
		last := 0
		for _, h := range r.holes {
			out, last = append(out, r.out[last:h.at]...), h.at
			if b, ok := r.fills[h.op]; ok { // none: failOnErrors stopped the request first
				out = append(append(out, b...), ',')
			}
		}
		out = append(out, r.out[last:]...)
	}
	out = bytes.TrimSuffix(out, []byte(","))
	// The keys in the order json.Marshal gave them from a map before.
	return append(out, `],"schemas":["`+bulkResponseURN+`"]}`...)
}

// rawJSON is a response body already encoded.
type rawJSON []byte

func (b rawJSON) MarshalJSON() ([]byte, error) { return b, nil }
