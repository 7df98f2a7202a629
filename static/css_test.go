package static

import (
	"strings"
	"testing"
)

// TestCSSBlocksClose: every block of app.css closes where it should. A
// media query left open once swallowed every rule after it, so the
// members pager, the Undo toast and the audit dates were styled on phones
// only; browsers report no error for that.
func TestCSSBlocksClose(t *testing.T) {
	b, err := FS.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	depth, line := 0, 1
	for i := 0; i < len(css); i++ {
		switch {
		case strings.HasPrefix(css[i:], "/*"):
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				t.Fatalf("line %d: a comment does not end", line)
			}
			line += strings.Count(css[i:i+2+end+2], "\n")
			i += 2 + end + 1
			continue
		case css[i] == '"' || css[i] == '\'':
			end := strings.IndexByte(css[i+1:], css[i])
			if end < 0 {
				t.Fatalf("line %d: a string does not end", line)
			}
			i += end + 1
			continue
		case css[i] == '\n':
			line++
		case css[i] == '{':
			depth++
			// Rules nest in @media (and @supports) only: a third level
			// is a block left open.
			if depth > 2 {
				t.Fatalf("line %d: a block opens inside a rule: one above it is not closed", line)
			}
		case css[i] == '}':
			depth--
			if depth < 0 {
				t.Fatalf("line %d: a block closes that was not open", line)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("app.css ends with %d block(s) open", depth)
	}
}
