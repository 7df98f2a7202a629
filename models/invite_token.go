package models

import "strings"

// An invitation's link carries a token; invites keep only a key made from
// it (invites.token_hash, unique and indexed), by which the link is looked
// up. That key was the token's SHA-256: random, so every invitation a
// transaction wrote went into its own leaf of the index. A group of 8 SCIM
// creates wrote 8–14 of its ~100 pages there, and a /Bulk of 10,000 at
// 100,000 members most of the index. A token now starts with the time its
// invitation was made, and so does its key: keys made later sort later,
// and a transaction's new keys share the index's last leaves, as its
// members' ids (UUIDv7) do. Links sent before keep the key they had.
//
// The time is what the invitation's id holds, its first 48 bits
// (milliseconds since 1970) as 12 hex digits. A link shows when it was
// made; its email says as much.

const (
	inviteTimeLen  = 12                 // hex digits of the invitation's time, at the start of its token and key
	inviteTokenLen = inviteTimeLen + 43 // and NewToken's 32 bytes; tokens made before are those 43 characters alone
)

// newInviteToken makes the token of a link to the invitation id (a UUIDv7).
func newInviteToken(id string) string {
	return id[:8] + id[9:inviteTimeLen+1] + NewToken()
}

// inviteKey is what invites.token_hash holds for a link's token: the
// token's time and the first 52 hex digits of its SHA-256 (64 characters
// in all, as before), or for a token made before, its SHA-256.
func inviteKey(token string) string {
	if len(token) == inviteTokenLen && isLowerHex(token[:inviteTimeLen]) {
		return token[:inviteTimeLen] + HashToken(token)[:64-inviteTimeLen]
	}
	return HashToken(token)
}

func isLowerHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}
