package modelstest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muster-app/muster/models"
)

// PGMeter measures what a PostgreSQL server spends on a store's database
// while it runs, for benchmarks that report the database's share of an
// operation: the CPU of the backends serving the store's database (each
// test store has a database of its own, so they are its pool's
// connections) and the WAL the server wrote.
type PGMeter struct {
	s       *models.Store
	wal     int64
	first   map[int]time.Duration // each backend's CPU when first seen
	last    map[int]time.Duration // and when last seen
	fresh   map[int]bool          // backends that started after the meter
	mu      sync.Mutex
	stop    chan struct{}
	stopped chan struct{}
}

// StartPGMeter starts measuring s's database; nil on SQLite or where the
// server's processes cannot be read (another host, another user).
func StartPGMeter(ctx context.Context, s *models.Store) *PGMeter {
	if !s.IsPostgres() {
		return nil
	}
	m := &PGMeter{s: s, first: map[int]time.Duration{}, last: map[int]time.Duration{}, fresh: map[int]bool{},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	var err error
	if m.wal, err = m.walNow(ctx); err != nil || !m.sample(ctx, false) {
		return nil
	}
	// Backends a pool closes while the meter runs take their CPU with
	// them: sampling every 50 ms keeps all but their last moments.
	go func() {
		defer close(m.stopped)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample(ctx, true)
			}
		}
	}()
	return m
}

// Stop ends the measure: the backends' CPU and the server's WAL bytes
// since the start.
func (m *PGMeter) Stop(ctx context.Context) (cpu time.Duration, wal int64) {
	close(m.stop)
	<-m.stopped
	m.sample(ctx, true)
	w, _ := m.walNow(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, c := range m.last {
		cpu += c
		if !m.fresh[pid] {
			cpu -= m.first[pid]
		}
	}
	return cpu, w - m.wal
}

func (m *PGMeter) walNow(ctx context.Context) (int64, error) {
	var lsn string
	err := m.s.DB().NewRaw("SELECT (pg_current_wal_lsn() - '0/0')::text").Scan(ctx, &lsn)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(lsn, 10, 64)
}

// sample reads the CPU of the database's backends; running says whether
// the meter started (a backend first seen then is a new connection).
func (m *PGMeter) sample(ctx context.Context, running bool) bool {
	var pids []int
	if err := m.s.DB().NewRaw("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'").
		Scan(ctx, &pids); err != nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, pid := range pids {
		cpu, ok := processCPU(pid)
		if !ok {
			if !running {
				return false
			}
			continue // ended meanwhile
		}
		if _, seen := m.first[pid]; !seen {
			m.first[pid] = cpu
			m.fresh[pid] = running
		}
		m.last[pid] = cpu
	}
	return true
}

// processCPU is utime+stime of a process, from /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command may hold spaces: the fields start after its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	return time.Duration(ut+st) * (time.Second / clockTicks), true
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times,
// 100 on every architecture Go builds Linux for.
const clockTicks = 100
