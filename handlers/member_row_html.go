package handlers

import (
	"html/template"
	"strings"
	"unicode/utf8"
)

// rowHTML writes a member's row (views/members/_row.html with its menu,
// views/members/_row_menu.html) in Go. Executed as templates, the 50 rows
// of a page were most of its CPU: html/template calls an escaper through
// reflection for every value of every row. The bytes are the same as the
// templates', with the same escaping per context (html.go and url.go in
// html/template); member_row_html_test.go renders both and compares them
// on tricky values, so change the templates and this function together.
func rowHTML(r memberRow) template.HTML {
	var w htmlWriter
	w.b.Grow(rowSize)
	w.row(&r)
	return w.html()
}

// rowSize is about what a row with its menu takes, so a page's buffer
// grows once.
const rowSize = 1600

// htmlWriter gathers HTML in a strings.Builder: its String does not copy
// a page's rows again.
type htmlWriter struct{ b strings.Builder }

func (w *htmlWriter) html() template.HTML { return template.HTML(w.b.String()) }

// s writes template text as it is.
func (w *htmlWriter) s(text string) { w.b.WriteString(text) }

// e writes a value in element text or a quoted attribute: html/template's
// htmlEscaper and attrEscaper, which are the same for a plain string.
func (w *htmlWriter) e(v string) { writeHTMLEscaped(&w.b, v) }

// url writes a value as a whole quoted URL attribute (href="{{.}}"):
// html/template's urlFilter (a scheme other than http, https or mailto
// becomes #ZgotmplZ), urlNormalizer, then attrEscaper.
func (w *htmlWriter) url(v string) {
	if !isSafeURL(v) {
		v = "#ZgotmplZ"
	}
	writeHTMLEscaped(&w.b, normalizeURL(v))
}

func writeHTMLEscaped(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Only ASCII is replaced; other runes (invalid bytes too) are
			// copied as html/template copies them.
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		var repl string
		switch c {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			i++
			continue
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		i++
		written = i
	}
	b.WriteString(s[written:])
}

func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		return strings.EqualFold(protocol, "http") || strings.EqualFold(protocol, "https") || strings.EqualFold(protocol, "mailto")
	}
	return true
}

// normalizeURL percent-encodes what html/template's urlNormalizer does:
// every byte but unreserved and reserved characters and valid escapes.
func normalizeURL(s string) string {
	var b []byte
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s)+16)
		}
		b = append(b, s[written:i]...)
		b = append(b, '%', lowerHex[c>>4], lowerHex[c&0xF])
		written = i + 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[written:]...))
}

const lowerHex = "0123456789abcdef"

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// row is views/members/_row.html.
func (w *htmlWriter) row(r *memberRow) {
	m := r.M
	w.s("\n\n<tr id=\"member-")
	w.e(m.ID)
	w.s("\" class=\"status-")
	w.e(m.Status)
	w.s("\"")
	if r.OOB {
		w.s(` hx-swap-oob="true"`)
	}
	w.s(">\n  ")
	if r.Select {
		w.s(`<td class="select"><input type="checkbox" class="row-select" value="`)
		w.e(m.ID)
		w.s(`" aria-label="Select `)
		w.e(m.DisplayName)
		w.s(`"></td>`)
	}
	w.s("\n  <td class=\"person\"><span class=\"avatar\" aria-hidden=\"true\">")
	w.e(r.Initials)
	w.s(`</span><a class="name" href="`)
	w.url(r.PageURL)
	w.s(`">`)
	w.e(m.DisplayName)
	w.s(`</a>`)
	if m.SCIMManaged {
		w.s(`<span class="badge scim" title="Managed by your identity provider">SCIM</span>`)
	}
	if r.New {
		w.s(`<span class="new-mark" title="Added just now: it moves to its place in the sort when the table reloads.">New</span>`)
	}
	w.s("</td>\n  <td class=\"email\">")
	if r.NoEmail {
		w.s(`<span class="no-email" title="Your identity provider sent no email address for this member.">No email</span>`)
	} else {
		w.e(m.Email)
	}
	w.s("</td>\n  <td class=\"roles\">")
	for i := range m.Roles {
		w.s(`<span class="chip`)
		if m.Roles[i].Builtin == "admin" {
			w.s(` admin`)
		}
		w.s(`">`)
		w.e(m.Roles[i].Name)
		w.s(`</span>`)
	}
	w.s("</td>\n  <td class=\"location\">")
	w.e(m.Location)
	w.s("</td>\n  <td>")
	if m.InviteExpired {
		w.s(`<span class="badge expired">Invite expired</span>`)
	} else {
		w.s(`<span class="badge `)
		w.e(m.Status)
		if r.NotInvited {
			w.s(` not-invited`)
		}
		w.s(`"`)
		if r.NotInvited {
			w.s(` title="Muster invites members by email: this one can be invited once your identity provider sends an address."`)
		}
		w.s(`>`)
		w.e(r.StatusLabel)
		w.s(`</span>`)
	}
	if m.EmailFailed {
		w.s(` <span class="badge failed" title="The invitation email could not be delivered. Copy the link and send it yourself.">Email failed</span>`)
	}
	w.s("</td>\n  <td class=\"seen\"><span title=\"")
	w.e(r.SeenTitle)
	w.s(`">`)
	w.e(r.Seen)
	w.s("</span></td>\n  <td class=\"row-menu\">")
	if r.Menu {
		w.menu(r)
	}
	w.s("</td>\n</tr>\n\n")
}

// menu is views/members/_row_menu.html.
func (w *htmlWriter) menu(r *memberRow) {
	m := r.M
	w.s("<details class=\"menu\">\n  <summary aria-label=\"Actions for ")
	w.e(m.DisplayName)
	w.s("\">…</summary>\n  <div class=\"menu-list right\" role=\"menu\">\n    ")
	if r.Edit {
		w.s(`<button type="button" role="menuitem" hx-get="`)
		w.e(r.Base)
		w.s(`/edit" hx-target="#dialog-slot">Edit</button>`)
	}
	w.s("\n    ")
	if r.SignIn {
		w.s(`<button type="button" role="menuitem" hx-get="`)
		w.e(r.Base)
		w.s(`/signin" hx-target="#dialog-slot">Password and two-factor…</button>`)
	}
	w.s("\n    ")
	if r.NoInvite {
		w.s("\n    <button type=\"button\" role=\"menuitem\" aria-disabled=\"true\" aria-describedby=\"no-email-")
		w.e(m.ID)
		w.s("\">Send invite</button>\n    <p class=\"menu-reason\" id=\"no-email-")
		w.e(m.ID)
		w.s("\">No email address: they can be invited once your identity provider sends one.</p>\n    ")
	}
	w.s("\n    ")
	if r.InviteActions {
		w.s("\n    <button type=\"button\" role=\"menuitem\" hx-post=\"")
		w.e(r.Base)
		w.s(`/resend">`)
		if m.InviteExpired {
			w.s("Invite again")
		} else {
			w.s("Resend invite")
		}
		w.s("</button>\n    <button type=\"button\" role=\"menuitem\" hx-post=\"")
		w.e(r.Base)
		w.s("/link\" hx-target=\"#dialog-slot\">Copy invite link</button>\n    <button type=\"button\" role=\"menuitem\" hx-get=\"")
		w.e(r.Base)
		w.s("/revoke\" hx-target=\"#dialog-slot\" class=\"danger\">Revoke invite…</button>\n    ")
	}
	w.s("\n    ")
	if r.InviteAgain {
		w.s(`<button type="button" role="menuitem" hx-post="`)
		w.e(r.Base)
		w.s(`/invite-again">Invite again</button>`)
	}
	w.s("\n    ")
	if r.Blocked != "" {
		w.s("\n    ")
		if r.Deactivate {
			w.s(`<button type="button" role="menuitem" aria-disabled="true" aria-describedby="blocked-`)
			w.e(m.ID)
			w.s(`">Deactivate</button>`)
		}
		w.s("\n    ")
		if r.Remove {
			w.s(`<button type="button" role="menuitem" aria-disabled="true" class="danger" aria-describedby="blocked-`)
			w.e(m.ID)
			w.s(`">Remove from workspace</button>`)
		}
		w.s("\n    ")
		if r.Deactivate || r.Remove {
			w.s(`<p class="menu-reason" id="blocked-`)
			w.e(m.ID)
			w.s(`">`)
			w.e(r.Blocked)
			w.s(`</p>`)
		}
		w.s("\n    ")
	} else {
		w.s("\n    ")
		if r.Deactivate {
			w.s(`<button type="button" role="menuitem" hx-post="`)
			w.e(r.Base)
			w.s(`/deactivate">Deactivate</button>`)
		}
		w.s("\n    ")
		if r.Remove {
			w.s(`<button type="button" role="menuitem" hx-get="`)
			w.e(r.Base)
			w.s(`/remove" hx-target="#dialog-slot" class="danger">Remove from workspace</button>`)
		}
		w.s("\n    ")
	}
	w.s("\n    ")
	if r.Reactivate {
		w.s(`<button type="button" role="menuitem" hx-post="`)
		w.e(r.Base)
		w.s(`/reactivate">Reactivate</button>`)
	}
	w.s("\n    ")
	if r.LogURL != "" {
		w.s(`<a role="menuitem" href="`)
		w.url(r.LogURL)
		w.s(`" class="menu-link">Provisioning history</a>`)
	}
	w.s("\n  </div>\n</details>\n")
}
