package watch

import (
	"errors"
	"testing"
	"time"
)

// TestSourceStateFailRecover: a failing source is stale from its first failure, through further ones,
// until it reads again; Configured, Synced and DependsOn are not touched.
func TestSourceStateFailRecover(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	refused, timeout := errors.New("connection refused"), errors.New("timeout")
	type step struct {
		fail  error // nil: recovered
		at    time.Time
		since time.Time // StaleSince after the step
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"a failure makes it stale now", []step{{refused, t0, t0}}},
		{"a later failure keeps the first time, takes the new error", []step{{refused, t0, t0}, {timeout, t0.Add(time.Minute), t0}}},
		{"recovery clears both", []step{{refused, t0, t0}, {nil, t0.Add(time.Minute), time.Time{}}}},
		{"a failure after a recovery starts again", []step{{refused, t0, t0}, {nil, t0.Add(time.Minute), time.Time{}},
			{timeout, t0.Add(2 * time.Minute), t0.Add(2 * time.Minute)}}},
		{"recovering a fresh source changes nothing", []step{{nil, t0, time.Time{}}}},
	} {
		st := SourceState{Configured: true, Synced: true, DependsOn: "kubernetes"}
		for i, s := range c.steps {
			if s.fail != nil {
				st.failed(s.fail, s.at)
			} else {
				st.recovered()
			}
			if st.Err != s.fail || !st.StaleSince.Equal(s.since) || st.Stale() != !s.since.IsZero() {
				t.Errorf("%s, step %d: Err %v StaleSince %v, want %v %v", c.name, i, st.Err, st.StaleSince, s.fail, s.since)
			}
			if !st.Configured || !st.Synced || st.DependsOn != "kubernetes" {
				t.Errorf("%s, step %d: touched more than Err and StaleSince: %+v", c.name, i, st)
			}
		}
	}
}
