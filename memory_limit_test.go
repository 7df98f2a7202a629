package main

import (
	"runtime/debug"
	"testing"
)

// TestServerMemoryLimit: the server sets its soft memory limit unless
// GOMEMLIMIT gives one, which then stands.
func TestServerMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	setMemoryLimit(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, int64(defaultMemoryLimit))
	}

	const given = 200 << 20 // as the runtime would have set it from GOMEMLIMIT=200MiB
	debug.SetMemoryLimit(given)
	setMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "200MiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != given {
		t.Errorf("with GOMEMLIMIT=200MiB the limit is %d, want it kept (%d)", got, int64(given))
	}
}
