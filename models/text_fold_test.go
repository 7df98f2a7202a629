package models

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// foldCase's ASCII shortcut gives what Unicode folding after NFC gives:
// every ASCII byte alone and in text, and text that is not ASCII (or not
// UTF-8) still takes the full path.
func TestFoldCaseASCII(t *testing.T) {
	full := func(s string) string { return folder.String(norm.NFC.String(s)) }
	var all strings.Builder
	for c := 0; c < 0x80; c++ {
		s := string(rune(c))
		if got, want := foldCase(s), full(s); got != want {
			t.Errorf("foldCase(%q) = %q, want %q", s, got, want)
		}
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", all.String(), "Bench.User-1@Example.COM", "already lower", "ÄNNE Müller", "KELVIN \u212a", "e\u0301tienne", "bad \xff UTF-8 ABC", "ŞAHİN"} {
		if got, want := foldCase(s), full(s); got != want {
			t.Errorf("foldCase(%q) = %q, want %q", s, got, want)
		}
	}
	// Lower-case ASCII comes back as it is, without a copy.
	if n := testing.AllocsPerRun(100, func() { _ = foldCase("bench-1@bench.example.com") }); n != 0 {
		t.Errorf("foldCase of lower-case ASCII allocated %v times", n)
	}
}
