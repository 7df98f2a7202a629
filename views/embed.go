// Package views holds the html/template files, embedded into the binary.
// Every file is parsed into one set and named by its path without ".html"
// ("members/_row"); partials start with "_" and are called by that path.
package views

import "embed"

//go:embed layouts members auth workspaces errors partials
var FS embed.FS
