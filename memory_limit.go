package main

import "runtime/debug"

// defaultMemoryLimit is the server's soft limit on the Go runtime's memory
// (heap, stacks, its own bookkeeping) where GOMEMLIMIT sets none. At the
// default GOGC the heap may grow to twice what is live before it is
// collected, and freed pages go back to the system slowly: the bench kit's
// wrk phases (50 clients' POSTs, then lookups) and a /Bulk of 10,000 users
// at 100,000 members took the server's peak RSS to 139.5–140.4 MiB, once
// 159.8. With this limit the collector runs, and returns pages, sooner as
// Go's memory nears it, and the same load peaked at 132.2–132.9 MiB, at
// about 1 % more CPU for that /Bulk. It is soft: nothing fails above it,
// but a server whose live data stays near it collects often, up to half
// the CPU (Go's cap), and needs a higher GOMEMLIMIT. SQLite's caches are
// outside it.
const defaultMemoryLimit = 64 << 20

// setMemoryLimit applies defaultMemoryLimit unless the GOMEMLIMIT
// environment variable (which the Go runtime read at start) sets one.
func setMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
