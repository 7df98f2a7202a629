package models

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// BenchmarkSetJSONRows encodes a chunk of 1,000 members as insertSetJSON
// does, into a reused buffer (as setBufs gives it):
//
//	go test ./models -run '^$' -bench SetJSONRows -benchmem
func BenchmarkSetJSONRows(b *testing.B) {
	db := bun.NewDB(nil, sqlitedialect.New())
	fields := db.Table(reflect.TypeOf(Member{})).Fields
	now := time.Now()
	rows := make([]*Member, 1000)
	for i := range rows {
		id := strconv.Itoa(i)
		rows[i] = &Member{ID: "0193f2a0-0000-7000-8000-00000000" + id, WorkspaceID: "0193f2a0-0000-7000-8000-000000000000",
			Email: "user" + id + "@example.com", UserName: "user" + id + "@example.com", DisplayName: "User " + id,
			GivenName: "User", FamilyName: id, Status: StatusInvited, SCIMManaged: true, EmailType: "work",
			SCIMAttributes: `{"name":{"givenName":"User","familyName":"` + id + `"}}`, SortName: "user " + id,
			SearchText: "user " + id + " user" + id + "@example.com", Version: 1, CreatedAt: now, UpdatedAt: now}
	}
	slice := reflect.ValueOf(rows)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = appendJSONBRows(buf[:0], fields, nil, slice); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "bytes/chunk")
}
