package watch

import (
	"context"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Targets are the connections a snapshot is read from; nil fields are left out.
type Targets struct {
	Name  string
	Demo  bool
	Kube  *platform.Kube
	Omni  *platform.Omni
	Vault []VaultTarget
}

// TargetsFor builds the targets of a platform: its Vault address as the single Vault replica.
func TargetsFor(p *platform.Platform) Targets {
	t := Targets{Name: p.Name, Demo: p.Demo, Kube: p.Kube, Omni: p.Omni}
	if p.Vault != nil {
		name := p.Vault.Addr
		if u, err := url.Parse(p.Vault.Addr); err == nil && u.Host != "" {
			name = u.Host
		}
		t.Vault = []VaultTarget{{Name: name, Vault: p.Vault}}
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
	if len(t.Vault) > 0 {
		s = append(s, NewVaultSource(t.Vault...))
	}
	return s
}

// Collect reads every target once, in parallel, each within timeout, and evaluates the result: what
// `status` prints. A target that fails shows as a source error; the others are still read.
func Collect(ctx context.Context, t Targets, timeout time.Duration, now time.Time) Snapshot {
	s := Snapshot{At: now, Platform: t.Name, Demo: t.Demo, Sources: map[platform.Source]SourceState{}}
	s.Now = now
	var wg sync.WaitGroup
	var mu sync.Mutex
	set := func(src platform.Source, err error) {
		mu.Lock()
		defer mu.Unlock()
		st := SourceState{Configured: true, Synced: err == nil, Err: err}
		s.Sources[src] = st
	}
	if t.Kube != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			list, err := t.Kube.Typed.CoreV1().Nodes().List(cctx, metav1.ListOptions{})
			if err == nil {
				nodes := make([]*corev1.Node, 0, len(list.Items))
				for i := range list.Items {
					nodes = append(nodes, &list.Items[i])
				}
				sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
				mu.Lock()
				s.Nodes = nodes
				mu.Unlock()
			}
			set(platform.SourceKubernetes, t.Kube.Classify(err))
		}()
	}
	if t.Omni != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ms, err := safe.StateListAll[*omni.MachineStatus](cctx, t.Omni.State())
			var cs safe.List[*omni.ClusterStatus]
			if err == nil {
				cs, err = safe.StateListAll[*omni.ClusterStatus](cctx, t.Omni.State())
			}
			if err == nil {
				machines := make([]*omni.MachineStatus, 0, ms.Len())
				for m := range ms.All() {
					machines = append(machines, m)
				}
				sort.Slice(machines, func(i, j int) bool {
					return health.MachineName(machines[i]) < health.MachineName(machines[j])
				})
				clusters := make([]*omni.ClusterStatus, 0, cs.Len())
				for c := range cs.All() {
					clusters = append(clusters, c)
				}
				mu.Lock()
				s.Machines, s.ClusterStatuses = machines, clusters
				mu.Unlock()
			}
			set(platform.SourceOmni, t.Omni.Classify(err))
		}()
	}
	if len(t.Vault) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := NewVaultSource(t.Vault...)
			src.Timeout = timeout
			src.poll(ctx)
			mu.Lock()
			defer mu.Unlock()
			src.Fill(&s)
		}()
	}
	wg.Wait()
	s.Report = Evaluate(s)
	return s
}
