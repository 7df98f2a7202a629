package models

// SetSearchLookupMax lets tests take both of ListMembers' search plans.
func SetSearchLookupMax(n int) (restore func()) {
	old := searchLookupMax
	searchLookupMax = n
	return func() { searchLookupMax = old }
}

// ImportLeaseForTest is how long a worker holds a running import.
const ImportLeaseForTest = importLease

// SetMemberCountCap lowers how far ListMembers counts a search's matches.
func SetMemberCountCap(n int) (restore func()) {
	old := memberCountCap
	memberCountCap = n
	return func() { memberCountCap = old }
}

// SetSCIMNarrowing turns the trigram index's part in SCIM co/sw/ew filters
// on or off.
func SetSCIMNarrowing(on bool) (restore func()) {
	old := scimNarrowing
	scimNarrowing = on
	return func() { scimNarrowing = old }
}
