package watch

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// OmniSource watches Omni's machines, clusters and cluster machines through COSI watches, reconnecting
// with backoff.
type OmniSource struct {
	om    *platform.Omni
	clock func() time.Time
	// Backoff bounds the wait between two reconnection attempts.
	MinBackoff, MaxBackoff time.Duration

	mu       sync.Mutex
	state    SourceState
	machines map[resource.ID]*omni.MachineStatus
	clusters map[resource.ID]*omni.ClusterStatus
	members  map[resource.ID]*omni.ClusterMachineStatus
	booted   map[string]bool
}

// The watches of an OmniSource, by name: the source is synced once each has its bootstrap contents.
const (
	watchMachines        = "machines"
	watchClusters        = "clusters"
	watchClusterMachines = "clustermachines"
)

// NewOmniSource prepares a source over the connection; nothing is contacted until Run.
func NewOmniSource(om *platform.Omni) *OmniSource {
	return &OmniSource{om: om, clock: time.Now, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second,
		state:    SourceState{Configured: true},
		machines: map[resource.ID]*omni.MachineStatus{}, clusters: map[resource.ID]*omni.ClusterStatus{},
		members: map[resource.ID]*omni.ClusterMachineStatus{}, booted: map[string]bool{}}
}

func (s *OmniSource) Name() platform.Source { return platform.SourceOmni }

// Run keeps the three watches (MachineStatus, ClusterStatus, ClusterMachineStatus) alive until ctx ends.
func (s *OmniSource) Run(ctx context.Context, notify func()) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		watchKind(ctx, s, watchMachines, omni.NewMachineStatus("").Metadata(), s.machines, notify)
	}()
	go func() {
		defer wg.Done()
		watchKind(ctx, s, watchClusters, omni.NewClusterStatus("").Metadata(), s.clusters, notify)
	}()
	go func() {
		defer wg.Done()
		watchKind(ctx, s, watchClusterMachines, omni.NewClusterMachineStatus("").Metadata(), s.members, notify)
	}()
	wg.Wait()
}

// watchKind runs one COSI watch with bootstrap contents, keeping into a map, and restarts it after errors.
func watchKind[T resource.Resource](ctx context.Context, s *OmniSource, name string, kind resource.Kind,
	into map[resource.ID]T, notify func()) {
	backoff := s.MinBackoff
	for ctx.Err() == nil {
		ch := make(chan safe.WrappedStateEvent[T])
		wctx, cancel := context.WithCancel(ctx)
		err := safe.StateWatchKind[T](wctx, s.om.State(), kind, ch, state.WithBootstrapContents(true))
		if err == nil {
			err = consume(wctx, s, name, ch, into, notify)
			if err == nil {
				backoff = s.MinBackoff
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.fail(name, s.om.Classify(err))
			notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.MaxBackoff)
	}
}

func consume[T resource.Resource](ctx context.Context, s *OmniSource, name string, ch chan safe.WrappedStateEvent[T],
	into map[resource.ID]T, notify func()) error {
	fresh := map[resource.ID]T{}
	bootstrapped := false
	for {
		var ev safe.WrappedStateEvent[T]
		select {
		case <-ctx.Done():
			return nil
		case ev = <-ch:
		}
		switch ev.Type() {
		case state.Errored:
			return ev.Error()
		case state.Bootstrapped:
			bootstrapped = true
			s.mu.Lock()
			clear(into)
			for k, v := range fresh {
				into[k] = v
			}
			s.booted[name] = true
			s.state.Synced = s.booted[watchMachines] && s.booted[watchClusters] && s.booted[watchClusterMachines]
			s.state.recovered()
			s.mu.Unlock()
			notify()
			continue
		case state.Noop:
			continue
		}
		r, err := ev.Resource()
		if err != nil {
			continue
		}
		if !bootstrapped {
			if ev.Type() != state.Destroyed {
				fresh[r.Metadata().ID()] = r
			}
			continue
		}
		s.mu.Lock()
		if ev.Type() == state.Destroyed {
			delete(into, r.Metadata().ID())
		} else {
			into[r.Metadata().ID()] = r
		}
		s.state.recovered()
		s.mu.Unlock()
		notify()
	}
}

func (s *OmniSource) fail(_ string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.failed(err, s.clock())
}

// Fill copies the machines (sorted by name), the clusters and the cluster machines (sorted by ID).
func (s *OmniSource) Fill(snap *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap.Sources[platform.SourceOmni] = s.state
	snap.Machines = make([]*omni.MachineStatus, 0, len(s.machines))
	for _, m := range s.machines {
		snap.Machines = append(snap.Machines, m)
	}
	sort.Slice(snap.Machines, func(i, j int) bool {
		return health.MachineName(snap.Machines[i]) < health.MachineName(snap.Machines[j])
	})
	snap.ClusterStatuses = make([]*omni.ClusterStatus, 0, len(s.clusters))
	for _, c := range s.clusters {
		snap.ClusterStatuses = append(snap.ClusterStatuses, c)
	}
	sort.Slice(snap.ClusterStatuses, func(i, j int) bool {
		return snap.ClusterStatuses[i].Metadata().ID() < snap.ClusterStatuses[j].Metadata().ID()
	})
	snap.ClusterMachines = make([]*omni.ClusterMachineStatus, 0, len(s.members))
	for _, c := range s.members {
		snap.ClusterMachines = append(snap.ClusterMachines, c)
	}
	sort.Slice(snap.ClusterMachines, func(i, j int) bool {
		return snap.ClusterMachines[i].Metadata().ID() < snap.ClusterMachines[j].Metadata().ID()
	})
}
