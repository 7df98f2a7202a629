//go:build !linux && !sqlite_ncruces && !sqlite_mattn

package models

import "modernc.org/libc"

// usePageArena: the page-cache arena (sqlite_pagearena.go) is mapped on
// Linux only; elsewhere page-cache pages come from the allocator and the
// stash, as other blocks of their size.
func usePageArena(*libc.TLS) int32 { return 0 }
