package scim

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestReadBulkDataInBody: each operation's data is the body's own bytes
// (no copy made, none kept), byte for byte as sent, whatever the spacing
// around it; an operation without data has none.
func TestReadBulkDataInBody(t *testing.T) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[` +
		`{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"a","x":[1, 2 ,"}"]}},` +
		`{"data" :  {"userName":"b"}  ,"method":"POST","path":"/Users","bulkId":"b"},` +
		`{"method":"DELETE","path":"/Users/1"},` +
		`{"method":"PATCH","path":"/Users/2","data":null}]}`)
	br, res := readBulk(body)
	if res.status != 0 {
		t.Fatalf("readBulk answered %d: %v", res.status, res.body)
	}
	// The run reads them again, in order (opReader), or one by one from
	// where each is (opSpan.decode, for an operation that waited).
	var ops, again []bulkOp
	r := newOpReader(body, br)
	for {
		op, span, ok, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		ops = append(ops, op)
		op2, err := span.decode(body)
		if err != nil {
			t.Fatal(err)
		}
		again = append(again, op2)
	}
	if br.count != len(ops) {
		t.Errorf("readBulk counted %d operations, the reader read %d", br.count, len(ops))
	}
	ops = append(ops, again...)
	want := []string{`{"userName":"a","x":[1, 2 ,"}"]}`, `{"userName":"b"}`, ``, `null`}
	want = append(want, want...)
	if len(ops) != len(want) {
		t.Fatalf("%d operations, want %d", len(ops), len(want))
	}
	start, end := uintptr(unsafe.Pointer(&body[0])), uintptr(unsafe.Pointer(&body[len(body)-1]))
	for i, op := range ops {
		if string(op.Data) != want[i] {
			t.Errorf("operation %d: data %q, want %q", i, op.Data, want[i])
		}
		if len(op.Data) == 0 {
			continue
		}
		if p := uintptr(unsafe.Pointer(&op.Data[0])); p < start || p > end {
			t.Errorf("operation %d: data is a copy, not the body's bytes", i)
		}
		if cap(op.Data) != len(op.Data) || !bytes.Contains(body, op.Data) {
			t.Errorf("operation %d: data may be appended into the body (cap %d)", i, cap(op.Data))
		}
	}
}
