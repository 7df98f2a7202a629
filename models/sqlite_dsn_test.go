package models_test

import (
	"path/filepath"
	"testing"

	"github.com/muster-app/muster/models"
)

// TestSQLitePragmaFromURL: a pragma the database URL sets replaces the
// default one (the memory settings, mmap_size and cache_size, are the
// operator's to tune); the others keep their defaults.
func TestSQLitePragmaFromURL(t *testing.T) {
	for _, tc := range []struct {
		query     string
		mmap      int64
		cacheSize int64
	}{
		{"", 0, -16000},
		{"?_pragma=mmap_size(67108864)", 64 << 20, -16000},
		{"?_pragma=MMAP_SIZE(1048576)&_pragma=cache_size(-2000)", 1048576, -2000},
	} {
		db, err := models.Open("sqlite://" + filepath.Join(t.TempDir(), "m.db") + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var mmap, cache, timeout, autockpt int64
		for _, q := range []struct {
			sql string
			dst *int64
		}{{"PRAGMA mmap_size", &mmap}, {"PRAGMA cache_size", &cache}, {"PRAGMA busy_timeout", &timeout}, {"PRAGMA wal_autocheckpoint", &autockpt}} {
			if err := db.QueryRow(q.sql).Scan(q.dst); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		if mmap != tc.mmap || cache != tc.cacheSize || timeout != 10000 || autockpt != models.WALAutocheckpointPages {
			t.Errorf("%q: mmap_size %d cache_size %d busy_timeout %d wal_autocheckpoint %d, want %d %d 10000 %d", tc.query, mmap, cache, timeout, autockpt, tc.mmap, tc.cacheSize, models.WALAutocheckpointPages)
		}
	}
}

// TestSQLiteReaderMemoryPragmas: the reader pool maps no file and keeps a
// small page cache (each of its connections would map and cache the file
// on its own); a pragma in the URL still replaces the default.
func TestSQLiteReaderMemoryPragmas(t *testing.T) {
	for _, tc := range []struct {
		query     string
		mmap      int64
		cacheSize int64
	}{
		{"", 0, -4000},
		{"?_pragma=mmap_size(1048576)&_pragma=cache_size(-2000)", 1048576, -2000},
	} {
		url := "sqlite://" + filepath.Join(t.TempDir(), "m.db") + tc.query
		w, err := models.Open(url)
		if err != nil {
			t.Fatal(err)
		}
		r, err := models.OpenReader(url)
		if err != nil {
			t.Fatal(err)
		}
		var mmap, cache int64
		if err := r.QueryRow("PRAGMA mmap_size").Scan(&mmap); err != nil {
			t.Fatal(err)
		}
		if err := r.QueryRow("PRAGMA cache_size").Scan(&cache); err != nil {
			t.Fatal(err)
		}
		r.Close()
		w.Close()
		if mmap != tc.mmap || cache != tc.cacheSize {
			t.Errorf("%q: reader mmap_size %d cache_size %d, want %d %d", tc.query, mmap, cache, tc.mmap, tc.cacheSize)
		}
	}
}
