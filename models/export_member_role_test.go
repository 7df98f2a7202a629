package models

// KeepMemberRole makes r the Member role a PostgreSQL create keeps for the
// workspace (pgKnownMemberRole), as if an earlier read had found it: tests
// put a wrong one there to show that the create's statement refuses it.
func (s *Store) KeepMemberRole(wsID string, r Role) {
	s.stmts.pgMemberRole.known.Store(wsID, r)
}
