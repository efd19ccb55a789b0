package watch

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Targets are the connections a snapshot is read from; nil fields are left out.
type Targets struct {
	Name  string
	Demo  bool
	Kube  *platform.Kube
	Omni  *platform.Omni
	Vault []VaultTarget
	// VaultPods, when set, finds the Vault server pods in the cluster and polls each through a port-forward.
	VaultPods func() *VaultPods
}

// TargetsFor builds the targets of a platform: its Vault address as the single Vault replica, or, with
// no address and a cluster, the cluster's Vault server pods.
func TargetsFor(p *platform.Platform) Targets {
	t := Targets{Name: p.Name, Demo: p.Demo, Kube: p.Kube, Omni: p.Omni}
	if p.Vault != nil {
		name := p.Vault.Addr
		if u, err := url.Parse(p.Vault.Addr); err == nil && u.Host != "" {
			name = u.Host
		}
		t.Vault = []VaultTarget{{Name: name, Vault: p.Vault}}
	}
	if p.VaultInCluster {
		t.VaultPods = func() *VaultPods { return NewVaultPods(p.Kube, p.VaultCACert) }
	}
	return t
}

// Sources are the long-running sources over the targets (one hub per process).
func (t Targets) Sources() []Source {
	var s []Source
	if t.Kube != nil {
		s = append(s, NewKubeSource(t.Kube))
	}
	if t.Omni != nil {
		s = append(s, NewOmniSource(t.Omni))
	}
	switch {
	case t.VaultPods != nil:
		v := NewInClusterVaultSource(t.VaultPods())
		v.targets = t.Vault
		s = append(s, v)
	case len(t.Vault) > 0:
		s = append(s, NewVaultSource(t.Vault...))
	}
	return s
}

// Collect reads every target once — the same sources the console runs, stopped as soon as each has its
// first full picture or has failed, or timeout passes — and evaluates the result: what `status` prints.
// A target that fails shows as a source error; the others are still read.
func Collect(ctx context.Context, t Targets, timeout time.Duration, now time.Time) Snapshot {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sources := t.Sources()
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src.Run(ctx, notify)
		}()
	}
	fill := func() Snapshot {
		s := Snapshot{At: now, Platform: t.Name, Demo: t.Demo, Sources: map[platform.Source]SourceState{}}
		s.Now = now
		for _, src := range sources {
			src.Fill(&s)
		}
		return s
	}
	var s Snapshot
	for {
		s = fill()
		if s.Settled() {
			break
		}
		select {
		case <-changed:
			continue
		case <-ctx.Done():
		}
		s = fill()
		for name, st := range s.Sources {
			if !st.Synced && st.Err == nil {
				st.Err = &platform.ConnError{Source: name, Problem: platform.Unreachable,
					What: "no complete answer within " + timeout.String(), Fix: "retry with a longer --timeout"}
				if dep := s.Sources[st.DependsOn]; st.DependsOn != "" && dep.Err != nil {
					st.Err = &platform.ConnError{Source: name, Problem: platform.Unreachable,
						What: "reached through " + string(st.DependsOn) + ", which failed", Err: dep.Err}
				}
				s.Sources[name] = st
			}
		}
		break
	}
	cancel()
	wg.Wait()
	s.Report = Evaluate(s)
	return s
}

// Settled tells whether every configured source has delivered its first full read (or failed): what the
// snapshot says is then the platform's state, not the sources still starting.
func (s Snapshot) Settled() bool {
	for _, st := range s.Sources {
		if st.DependsOn != "" && s.Sources[st.DependsOn].Err != nil && !s.Sources[st.DependsOn].Synced {
			continue
		}
		if st.Configured && !st.Synced && st.Err == nil {
			return false
		}
	}
	return true
}
