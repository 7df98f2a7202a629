package models

import "context"

// LookupDeclTypes are the declared types the SQLite driver sees for a
// lookup's columns (lookupColumnsSQLite).
func LookupDeclTypes(ctx context.Context, s *Store) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+lookupColumnsSQLite+` FROM members AS m
		LEFT JOIN member_roles AS mr ON mr.member_id = m.id LEFT JOIN roles AS r ON r.id = mr.role_id LIMIT 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.DatabaseTypeName()
	}
	return names, nil
}
