package main

import "runtime/debug"

// defaultMemoryLimit is the server's soft limit on the Go runtime's memory
// (heap, stacks, its own bookkeeping) where GOMEMLIMIT sets none. At the
// default GOGC the heap may grow to twice what is live before it is
// collected: a /Bulk of 10,000 users right after 50 clients' POSTs and
// lookups at 100,000 members took the server's peak RSS to 145–164 MiB,
// most of it such garbage. With this limit the collector runs sooner as the
// heap nears it, and the same load peaked at 136 MiB, at about 1 % more CPU
// for that /Bulk. It is soft: above it the collector works harder (Go caps
// it at half the CPU), nothing fails. SQLite's caches are outside it.
const defaultMemoryLimit = 64 << 20

// setMemoryLimit applies defaultMemoryLimit unless the GOMEMLIMIT
// environment variable (which the Go runtime read at start) sets one.
func setMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
