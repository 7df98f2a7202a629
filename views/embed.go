// Package views holds the html/template files, embedded into the binary.
// Every file is parsed into one set and named by its path without ".html"
// ("members/_row"); partials start with "_" and are called by that path.
package views

import "embed"

// "all:" because go:embed would otherwise skip the "_" partials.
//
//go:embed all:layouts all:members all:auth all:workspaces all:errors all:partials all:invite all:roles all:audit all:settings all:scim all:account
//go:embed all:sso
var FS embed.FS
