package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

// A group waits for the writers that were about when the last one ended,
// so that they share its COMMIT; a lone writer does not wait.
func TestGroupGathersWriters(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	s.WriteWait = time.Minute // the wait ends when the writers come, never by this
	ctx := context.Background()

	start := time.Now()
	if err := models.Tx(ctx, s, putKV("gc-alone")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("a lone writer waited %v", d)
	}

	models.SetWriters(s, 2)
	before := models.GroupsRun(s)
	errs := make(chan error, 2)
	go func() { errs <- models.Tx(ctx, s, putKV("gc-first")) }()
	for deadline := time.Now().Add(10 * time.Second); models.Queued(s) < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the first operation never waited for the second (ran alone at once)")
		}
		time.Sleep(time.Millisecond)
	}
	go func() { errs <- models.Tx(ctx, s, putKV("gc-second")) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := models.GroupsRun(s) - before; n != 1 {
		t.Errorf("%d groups for two writers, want 1 (the first waits for the second)", n)
	}
	if keys := kvKeys(t, s); !keys["gc-first"] || !keys["gc-second"] || !keys["gc-alone"] {
		t.Errorf("kept %v", keys)
	}
}

// A group that found fewer operations than there were writers (they were
// slow to come back) counts one writer fewer for the next, not only those
// it found: else every later group would start alone without waiting.
func TestGroupWritersFallOneAtATime(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	// The others never come: each wait ends. Long enough that the runner,
	// waiting again on an empty queue once a group is done, does not give
	// up on the writers (and count none) before the test looks.
	s.WriteWait = 200 * time.Millisecond
	ctx := context.Background()
	models.SetWriters(s, 5)
	for i, want := range []int{4, 3, 2, 1} {
		if err := models.Tx(ctx, s, putKV(fmt.Sprintf("gw-%d", i))); err != nil {
			t.Fatal(err)
		}
		// The runner counts the writers just after answering the group.
		got := models.Writers(s)
		for deadline := time.Now().Add(s.WriteWait / 2); got != want && time.Now().Before(deadline); got = models.Writers(s) {
			time.Sleep(100 * time.Microsecond)
		}
		if got != want {
			t.Fatalf("after lone group %d: %d writers, want %d", i+1, got, want)
		}
	}
}
