// Package static holds the browser's files, embedded into the binary.
package static

import "embed"

// FS holds htmx (pinned at 2.0.11 from the npm package htmx.org), app.css and app.js.
//
//go:embed *.js *.css *.svg
var FS embed.FS
