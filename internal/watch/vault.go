package watch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
)

// VaultTarget is one Vault server to poll.
type VaultTarget struct {
	Name  string
	Vault *platform.Vault
}

// VaultSource polls sys/health of each target every Interval (Vault has no watch API), and the seal type
// (sys/seal-status) of a sealed one: fixed servers (VAULT_ADDR, the demo's replicas) and, with pods, the
// Vault server pods of the cluster.
type VaultSource struct {
	targets  []VaultTarget
	pods     *VaultPods
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

// NewInClusterVaultSource polls the Vault server pods VaultPods finds, through port-forwards.
func NewInClusterVaultSource(pods *VaultPods) *VaultSource {
	s := NewVaultSource()
	s.pods = pods
	s.state.DependsOn = platform.SourceKubernetes
	return s
}

func (s *VaultSource) Name() platform.Source { return platform.SourceVault }

// Run polls until ctx ends; a change to the Vault pods polls at once.
func (s *VaultSource) Run(ctx context.Context, notify func()) {
	podsChanged := make(chan struct{}, 1)
	if s.pods != nil {
		go s.pods.Run(ctx, func() {
			select {
			case podsChanged <- struct{}{}:
			default:
			}
		})
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if s.poll(ctx) {
			notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-podsChanged:
		}
	}
}

// poll asks every server once; false when there was nothing to report yet (pods not listed yet).
func (s *VaultSource) poll(ctx context.Context) bool {
	type job struct {
		name  string
		vault *platform.Vault
		err   error // why the server cannot be asked (its pod does not run, no forward)
		pod   bool
	}
	jobs := make([]job, 0, len(s.targets)+3)
	for _, tg := range s.targets {
		jobs = append(jobs, job{name: tg.Name, vault: tg.Vault})
	}
	if s.pods != nil {
		pts, ready, err := s.pods.targets(ctx, s.Timeout)
		if !ready {
			if err == nil {
				return false
			}
			s.mu.Lock()
			s.state.failed(err, s.clock())
			s.mu.Unlock()
			return true
		}
		if len(pts) == 0 && len(jobs) == 0 {
			jobs = append(jobs, job{name: "vault", err: &platform.ConnError{Source: platform.SourceVault,
				Problem: platform.NotConfigured,
				What:    fmt.Sprintf("no Vault server pods in namespace %s (label %s)", s.pods.Namespace, s.pods.Selector),
				Fix:     "install Vault (cedille-tui install), or set " + platform.EnvVaultAddr + " for a Vault outside the cluster"}})
		}
		for _, pt := range pts {
			jobs = append(jobs, job{name: pt.name, vault: pt.vault, err: pt.err, pod: true})
		}
	}
	out := make([]health.VaultStatus, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.vault == nil || j.err != nil {
			out[i] = health.VaultStatus{Name: j.name, Err: j.err}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := j.vault.Health(ctx, s.Timeout)
			if err != nil && j.pod {
				err = fmt.Errorf("pod %s did not answer sys/health through its port-forward: %w", j.name, platform.RootCause(err))
			}
			out[i] = health.VaultStatus{Name: j.name, Health: h, Err: err, SealType: sealType(ctx, j.vault, h, s.Timeout)}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicas = out
	s.state.Synced = true
	// The source itself is failing when every fixed server is unreachable; pods that do not answer are
	// findings of their own (the pod list itself worked).
	var firstErr error
	fixed := out[:len(s.targets)]
	all := len(fixed) > 0 && s.pods == nil
	for _, r := range fixed {
		if r.Err == nil {
			all = false
		} else if firstErr == nil {
			firstErr = r.Err
		}
	}
	if all {
		s.state.failed(firstErr, s.clock())
	} else {
		s.state.recovered()
	}
	return true
}

// sealType asks sys/seal-status of a server sys/health says is sealed, whose seal type decides how it is
// unsealed (key shares, or its KMS key for gcpckms…); "" for a server that is not sealed or did not say.
// Only a sealed server costs the second request: a healthy poll stays one request per server.
func sealType(ctx context.Context, v *platform.Vault, h *vault.HealthResponse, timeout time.Duration) string {
	if h == nil || !h.Initialized || !h.Sealed {
		return ""
	}
	st, err := v.SealStatus(ctx, timeout)
	if err != nil || st == nil {
		return ""
	}
	return st.Type
}

// Fill copies the last answers.
func (s *VaultSource) Fill(snap *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap.Sources[platform.SourceVault] = s.state
	snap.Vault = append([]health.VaultStatus(nil), s.replicas...)
}
