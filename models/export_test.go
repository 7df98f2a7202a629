package models

// SetSearchLookupMax lets tests take both of ListMembers' search plans.
func SetSearchLookupMax(n int) (restore func()) {
	old := searchLookupMax
	searchLookupMax = n
	return func() { searchLookupMax = old }
}
