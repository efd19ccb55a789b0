package steps

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestUntil: the shared wait looks until done, stops on the poll's error, gives the expired error once the
// clock passes the limit (not before), and ctx's error when ctx ends.
func TestUntil(t *testing.T) {
	now := time.Unix(0, 0)
	e := &Env{Poll: time.Millisecond, Now: func() time.Time { return now }}
	expired := errors.New("expired")
	late := func() error { return expired }

	calls := 0
	if err := e.until(context.Background(), time.Minute, func() (bool, error) { calls++; return calls == 3, nil }, late); err != nil || calls != 3 {
		t.Fatalf("done on the 3rd look: err %v after %d looks", err, calls)
	}

	boom := errors.New("boom")
	calls = 0
	if err := e.until(context.Background(), time.Minute, func() (bool, error) { calls++; return false, boom }, late); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("the poll's error stops the wait: %v after %d looks", err, calls)
	}

	calls = 0
	err := e.until(context.Background(), time.Minute, func() (bool, error) {
		calls++
		now = now.Add(25 * time.Second) // the third look is past the minute
		return false, nil
	}, late)
	if !errors.Is(err, expired) || calls != 3 {
		t.Fatalf("past the limit: %v after %d looks, want expired after 3", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.until(ctx, time.Hour, func() (bool, error) { return false, nil }, late); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: %v", err)
	}
}
