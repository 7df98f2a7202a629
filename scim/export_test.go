package scim

// BulkStats is what a /Bulk request held at most (bulkStats).
type BulkStats = bulkStats

// BulkChunk is how many operations /Bulk decodes and runs at once.
const BulkChunk = bulkChunk

// WatchBulk sends every /Bulk request's BulkStats to fn until stop.
func WatchBulk(fn func(BulkStats)) (stop func()) {
	bulkWatch.Store(&fn)
	return func() { bulkWatch.Store(nil) }
}

// BulkReaders is how many /Bulk read-ahead goroutines are running.
func BulkReaders() int64 { return bulkReaders.Load() }

// PanicReadingAhead makes /Bulk's read-ahead panic at an operation whose
// bulkId is bulkID, until the returned function is called.
func PanicReadingAhead(bulkID string) (stop func()) {
	readAheadHook = func(op *bulkOp) {
		if op.BulkID == bulkID {
			panic("reading " + bulkID)
		}
	}
	return func() { readAheadHook = nil }
}
