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
