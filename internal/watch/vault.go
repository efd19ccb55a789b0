package watch

import (
	"context"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// VaultTarget is one Vault server to poll.
type VaultTarget struct {
	Name  string
	Vault *platform.Vault
}

// VaultSource polls sys/health of each target every Interval (Vault has no watch API).
type VaultSource struct {
	targets  []VaultTarget
	Interval time.Duration
	Timeout  time.Duration
	clock    func() time.Time

	mu       sync.Mutex
	state    SourceState
	replicas []health.VaultStatus
}

// NewVaultSource polls the given servers; nothing is contacted until Run.
func NewVaultSource(targets ...VaultTarget) *VaultSource {
	return &VaultSource{targets: targets, Interval: 5 * time.Second, Timeout: 3 * time.Second, clock: time.Now,
		state: SourceState{Configured: true}}
}

func (s *VaultSource) Name() platform.Source { return platform.SourceVault }

// Run polls until ctx ends.
func (s *VaultSource) Run(ctx context.Context, notify func()) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.poll(ctx)
		notify()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *VaultSource) poll(ctx context.Context) {
	out := make([]health.VaultStatus, len(s.targets))
	var wg sync.WaitGroup
	for i, tg := range s.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := tg.Vault.Health(ctx, s.Timeout)
			out[i] = health.VaultStatus{Name: tg.Name, Health: h, Err: err}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicas = out
	s.state.Synced = true
	var firstErr error
	all := len(out) > 0
	for _, r := range out {
		if r.Err == nil {
			all = false
		} else if firstErr == nil {
			firstErr = r.Err
		}
	}
	if all {
		s.state.Err = firstErr
		if s.state.StaleSince.IsZero() {
			s.state.StaleSince = s.clock()
		}
	} else {
		s.state.Err, s.state.StaleSince = nil, time.Time{}
	}
}

// Fill copies the last answers.
func (s *VaultSource) Fill(snap *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap.Sources[platform.SourceVault] = s.state
	snap.Vault = append([]health.VaultStatus(nil), s.replicas...)
}
