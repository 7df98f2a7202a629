package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// A SCIM list's totalResults counts every match of its filter. A value the
// trigram index cannot narrow (one or two characters, or one most members
// hold) made that count read every member of the workspace, 0.2–0.5 s at
// 100,000, and identity providers page through the same filter, so each
// page counted again. Counts are kept, as the members search's are
// (members_count_cache.go), under the workspace's change counter, which
// moves with every change to a member, their roles or a role on any
// replica: a kept count is exact while it is served. Concurrent requests
// for one count share one scan (eight clients paging one filter held the
// whole reader pool, each connection filling its page cache with the
// same rows).

const scimCountCacheMax = 512

type scimCountCache struct {
	mu      sync.Mutex
	entries map[string]int
	flights map[string]*scimCountFlight
}

type scimCountFlight struct {
	done chan struct{}
	n    int
	err  error
}

// scimCountKey names a count: workspace, change counter, resource and the
// filter's SQL with its values (the sort and the page do not change it).
func scimCountKey(wsID string, changes int64, res SCIMResource, where string, args []any) string {
	var b strings.Builder
	b.WriteString(wsID)
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(changes, 10))
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(int(res)))
	b.WriteByte(0)
	b.WriteString(where)
	for _, a := range args {
		fmt.Fprintf(&b, "\x00%T:%v", a, a)
	}
	return b.String()
}

// kept returns the count kept under key ("": none).
func (c *scimCountCache) kept(key string) (int, bool) {
	if key == "" {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.entries[key]
	return n, ok
}

// get returns the count under key, from the cache, from a count
// another request is making, or by running count (and keeping what it
// found). A request that waited for another's count and saw it fail counts
// for itself: the other's context may have ended, not its own.
func (c *scimCountCache) get(ctx context.Context, key string, count func() (int, error)) (int, error) {
	c.mu.Lock()
	if n, ok := c.entries[key]; ok {
		c.mu.Unlock()
		return n, nil
	}
	if f := c.flights[key]; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.err == nil {
				return f.n, nil
			}
			return count()
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	f := &scimCountFlight{done: make(chan struct{})}
	if c.flights == nil {
		c.flights = map[string]*scimCountFlight{}
	}
	c.flights[key] = f
	c.mu.Unlock()

	f.n, f.err = count()

	c.mu.Lock()
	delete(c.flights, key)
	if f.err == nil {
		c.keep(key, f.n)
	}
	c.mu.Unlock()
	close(f.done)
	return f.n, f.err
}

// put keeps n under key ("": nothing), a count known another way (a first
// page that held every match).
func (c *scimCountCache) put(key string, n int) {
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep(key, n)
}

func (c *scimCountCache) keep(key string, n int) {
	if c.entries == nil || len(c.entries) >= scimCountCacheMax {
		c.entries = map[string]int{} // start over: old counters' entries are dead anyway
	}
	c.entries[key] = n
}

// scimScanSlots bounds how many SCIM list queries that may read every
// member (a filter the trigram index did not narrow) run at once, so they
// cannot take every connection of the reader pool (GOMAXPROCS + 2 on
// SQLite) from page views and lookups: the others wait for a slot until
// their list deadline, then end in ErrQueryTimeout (a SCIM 503).
func (s *Store) scanSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.scanSlots <- struct{}{}:
		return func() { <-s.scanSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
