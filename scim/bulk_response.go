package scim

import (
	"bytes"
	"encoding/json"
)

// bulkResults are a /Bulk request's answers by operation, each encoded as
// JSON when it is settled: a request of 10,000 operations holds 10,000
// short byte strings until it answers, not 10,000 results with their
// error documents, and the response is their concatenation rather than
// one more marshalling of everything.
type bulkResults [][]byte

// set encodes operation i's result.
func (r bulkResults) set(i int, res *bulkResult) {
	b, err := json.Marshal(res)
	if err != nil { // a result is strings and a document the handlers built
		panic(err)
	}
	r[i] = b
}

// failed reports whether operation i's result is an error (status 4xx or
// 5xx): set writes "status" after method, bulkId, location and version,
// none of which can hold the unescaped quote that ends it.
func (r bulkResults) failed(i int) bool {
	k := bytes.Index(r[i], []byte(`"status":"`))
	return k >= 0 && len(r[i]) > k+10 && r[i][k+10] >= '4'
}

// response is the BulkResponse: the results of the operations that ran,
// in the request's order.
func (r bulkResults) response() rawJSON {
	size := len(bulkResponseURN) + 40
	for _, b := range r {
		size += len(b) + 1
	}
	out := make([]byte, 0, size)
	// The keys in the order json.Marshal gave them from a map before.
	out = append(out, `{"Operations":[`...)
	first := true
	for _, b := range r {
		if b == nil {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		out, first = append(out, b...), false
	}
	return append(out, `],"schemas":["`+bulkResponseURN+`"]}`...)
}

// rawJSON is a response body already encoded.
type rawJSON []byte

func (b rawJSON) MarshalJSON() ([]byte, error) { return b, nil }
