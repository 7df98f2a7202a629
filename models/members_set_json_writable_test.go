package models

import (
	"database/sql"
	"database/sql/driver"
	"reflect"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// TestJSONWritable: a table goes through the JSON statement only when
// every field is one appendJSONValue writes as Bun would; a field Bun
// writes otherwise (NULL or DEFAULT for its zero value, its own Value)
// keeps the table on the text path. The five set tables all qualify.
func TestJSONWritable(t *testing.T) {
	db := bun.NewDB(nil, sqlitedialect.New())
	type plain struct {
		ID   string     `bun:"id,pk"`
		N    int        `bun:"n"`
		B    *bool      `bun:"b"`
		At   *time.Time `bun:"at"`
		Text string     `bun:"text"`
	}
	type nullZero struct {
		ID   string `bun:"id,pk"`
		Text string `bun:"text,nullzero"`
	}
	type defaulted struct {
		ID string `bun:"id,pk"`
		N  int    `bun:"n,default:7"`
	}
	type valuer struct {
		ID   string         `bun:"id,pk"`
		Text sql.NullString `bun:"text"`
	}
	type perms struct {
		ID   string    `bun:"id,pk"`
		Mask valueMask `bun:"mask"`
	}
	for _, c := range []struct {
		row  any
		want bool
	}{{plain{}, true}, {nullZero{}, false}, {defaulted{}, false}, {valuer{}, false}, {perms{}, false}} {
		if got := jsonWritable(db.Table(reflect.TypeOf(c.row)).Fields); got != c.want {
			t.Errorf("%T: %v, want %v", c.row, got, c.want)
		}
	}
	for _, row := range setRowTypes {
		if !jsonWritable(db.Table(reflect.TypeOf(row)).Fields) {
			t.Errorf("%T is not JSON-writable", row)
		}
	}
}

// valueMask is a string Bun writes through its Value method.
type valueMask string

func (m valueMask) Value() (driver.Value, error) { return "mask:" + string(m), nil }
