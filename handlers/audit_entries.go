package handlers

import "github.com/muster-app/muster/models"

// auditEntry is one audit event as the log words it: what happened to
// whom, and the details that matter.
type auditEntry struct {
	What, Target string
	Details      []auditDetail
}

// auditDetail is one changed field. Was marks what something had when it
// went away (a removed member's roles): the value it had, not a change to
// "(none)".
type auditDetail struct {
	Field, Before, After string
	Was                  bool
}

// endings are the actions whose subject goes away: their fields record what
// it was, not a change.
var endings = map[string]bool{"invite.revoked": true, "member.removed": true, "role.deleted": true}

func auditLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// newAuditEntry words e. A revoked invitation reads "Revoked the invitation
// of grace@example.com", not "email grace@example.com → (none)".
func newAuditEntry(e *models.AuditEvent) auditEntry {
	en := auditEntry{What: auditLabel(e.Action), Target: e.TargetName}
	changes := e.ChangeList()
	if e.Action == "invite.revoked" {
		email := e.TargetName
		for _, ch := range changes {
			if ch.Field == "email" && ch.Before != "" {
				email = ch.Before
			}
		}
		en.What, en.Target = "Revoked the invitation of "+email, ""
		if email != e.TargetName {
			en.Target = e.TargetName
		}
		return en
	}
	for _, ch := range changes {
		d := auditDetail{Field: ch.Field, Before: ch.Before, After: ch.After}
		if endings[e.Action] && ch.After == "" {
			if ch.Field == "name" && ch.Before == e.TargetName {
				continue // the target says it already
			}
			d.Was = true
		}
		en.Details = append(en.Details, d)
	}
	return en
}

// text is a detail for the CSV export.
func (d auditDetail) text() string {
	if d.Was {
		return d.Field + ": " + d.Before
	}
	return d.Field + ": " + d.Before + " → " + d.After
}
