package models

import "strconv"

// A search's count walks up to memberCountCap matches, and was a third of
// a members search's time; paging through the results, sorting them or the
// table's refresh asked for the same count again. The workspace's change
// counter (workspace_changes, read in one primary-key lookup) moves with
// every change to a member, their roles or a role, on any replica, so a
// count kept under the counter's value is exact for as long as it is
// served: the first view after any change counts afresh. The "expired"
// filter depends on the time too, so its counts are not kept.

// searchCountCacheMax bounds the counts kept (searchCounts, by
// searchCountKey); full, one at random makes room (bounded.Map): counts
// under an older counter are dead anyway.
const searchCountCacheMax = 512

type searchCount struct {
	total  int
	capped bool
}

// searchCountKey names a count: workspace, change counter (changes, as
// listMembers read it), and what filters it (the sort and the page do not
// change a count).
func searchCountKey(wsID string, changes int64, term string, q MemberQuery) string {
	return wsID + "\x00" + strconv.FormatInt(changes, 10) + "\x00" + strconv.Itoa(memberCountCap) + "\x00" + q.Status + "\x00" + q.RoleID + "\x00" + term
}

// cachedSearchCount fills page's total from the cache and tells whether
// it could; on a miss it sets *missKey, for keepSearchCount. changes is
// the workspace's change counter, read before anything else of the page
// (ok false: not read, for the "expired" filter).
func (s *Store) cachedSearchCount(wsID string, changes int64, ok bool, term string, q MemberQuery, page *MemberPage, missKey *string) bool {
	if !ok {
		return false
	}
	key := searchCountKey(wsID, changes, term, q)
	if v, ok := s.searchCounts.Get(key); ok {
		page.Total, page.TotalCapped = v.total, v.capped
		return true
	}
	*missKey = key
	return false
}

// keepSearchCount keeps the count just made under the key noted before.
func (s *Store) keepSearchCount(key string, page *MemberPage) {
	if key != "" {
		s.searchCounts.Put(key, searchCount{page.Total, page.TotalCapped})
	}
}
