package fleet

import (
	"context"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Collect reads the whole fleet once — every cluster Omni lists, each through its own watch set, stopped
// as soon as each has its first full picture or has failed, or timeout passes — and judges it: what
// `status --fleet` prints. A cluster that did not answer in time is Unknown with that reason; the
// others are judged all the same.
func Collect(ctx context.Context, o Options, timeout time.Duration) Snapshot {
	o.All = true
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w := New(o)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	ch, unsubscribe := w.Subscribe()
	defer unsubscribe()
	var s Snapshot
	for {
		select {
		case s = <-ch:
			if s.Complete(o.Omni != nil) {
				cancel()
				<-done
				return s
			}
			continue
		case <-ctx.Done():
		}
		break
	}
	cancel()
	<-done
	in := w.inputs()
	late := &platform.ConnError{Source: platform.SourceKubernetes, Problem: platform.Unreachable,
		What: "no complete answer within " + timeout.String(), Fix: "retry with a longer --timeout"}
	for name, m := range in.Watched {
		if m.Err == nil && (m.Snapshot == nil || !m.Snapshot.Settled()) {
			m.Err = late
			in.Watched[name] = m
		}
	}
	if o.Omni != nil && !in.OmniSynced && in.OmniErr == nil {
		in.OmniErr = &platform.ConnError{Source: platform.SourceOmni, Problem: platform.Unreachable,
			What: "no complete answer within " + timeout.String(), Fix: "retry with a longer --timeout"}
	}
	return Snapshot{At: in.Now, Inputs: in, Report: Evaluate(in)}
}

// Complete tells whether s is the whole fleet's answer: settled (Settled) with a watch set for each
// cluster Omni lists.
func (s Snapshot) Complete(omniConfigured bool) bool {
	return s.Settled(omniConfigured) && everyListedWatched(s)
}

// everyListedWatched tells whether each cluster Omni lists has a watch set.
func everyListedWatched(s Snapshot) bool {
	for _, c := range s.Inputs.Omni {
		if _, ok := s.Inputs.Watched[c.Metadata().ID()]; !ok {
			return false
		}
	}
	return true
}
