// Package watch holds the data sources (client-go informers, Omni COSI watches, Vault polling) and the hub
// that turns their contents into immutable snapshots, evaluates health on them, and fans them out,
// coalesced, to any number of subscribers. One hub per process, whatever the number of UIs.
package watch

import (
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// SourceState says how far a source can be trusted.
type SourceState struct {
	// Configured is false when nothing points at this source (the layer is left out, not failed).
	Configured bool
	// Synced is true once the first full list arrived.
	Synced bool
	// Err is the last error, nil once the source reads again.
	Err error
	// StaleSince is when the source stopped receiving updates (zero while fresh).
	StaleSince time.Time
	// DependsOn names the source this one is reached through ("" for none): Vault's pods are found and
	// reached through the Kubernetes API, so its outage is that one's, not a second failure.
	DependsOn platform.Source
}

// Stale tells whether the source's data is older than what the server has.
func (s SourceState) Stale() bool { return !s.StaleSince.IsZero() }

// failed records that the source cannot read (err): its data is stale from now on, or from when it first
// failed if it still fails. Every source marks itself so.
func (s *SourceState) failed(err error, now time.Time) {
	s.Err = err
	if s.StaleSince.IsZero() {
		s.StaleSince = now
	}
}

// recovered records that the source reads again: no error, fresh.
func (s *SourceState) recovered() { s.Err, s.StaleSince = nil, time.Time{} }

// Snapshot is what the platform looked like at At. It is immutable: the objects in it are shared with
// the caches and must not be modified.
type Snapshot struct {
	Seq      uint64
	At       time.Time
	Platform string
	Demo     bool

	// Objects is what the rules read (Objects.Now is At).
	health.Objects
	// Events are the newest Kubernetes Warning events (at most MaxEvents), newest first. They are shown,
	// never judged: no health rule reads them (Objects.MountProblems, taken from them, only explains a pod
	// judged from its status). Shared between snapshots: never modify.
	Events []Event

	Sources map[platform.Source]SourceState
	Report  health.Report
}

// Source returns the state of one source (zero value when unknown).
func (s Snapshot) Source(name platform.Source) SourceState { return s.Sources[name] }

// StaleSince returns the earliest time a configured source went stale, zero when all are fresh.
func (s Snapshot) StaleSince() time.Time {
	var t time.Time
	for _, st := range s.Sources {
		if st.Configured && st.Stale() && (t.IsZero() || st.StaleSince.Before(t)) {
			t = st.StaleSince
		}
	}
	return t
}
