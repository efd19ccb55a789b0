package watch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeSource is a Source whose contents the test sets; it notifies on every change.
type fakeSource struct {
	mu     sync.Mutex
	nodes  []*corev1.Node
	state  SourceState
	notify func()
	ready  chan struct{}
}

func newFakeSource() *fakeSource {
	return &fakeSource{state: SourceState{Configured: true, Synced: true}, ready: make(chan struct{})}
}

func (f *fakeSource) Name() platform.Source { return platform.SourceKubernetes }
func (f *fakeSource) Run(ctx context.Context, notify func()) {
	f.mu.Lock()
	f.notify = notify
	f.mu.Unlock()
	close(f.ready)
	<-ctx.Done()
}
func (f *fakeSource) Fill(s *Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.Sources[platform.SourceKubernetes] = f.state
	s.Nodes = append([]*corev1.Node(nil), f.nodes...)
}
func (f *fakeSource) set(nodes []*corev1.Node, st SourceState) {
	f.mu.Lock()
	f.nodes, f.state = nodes, st
	n := f.notify
	f.mu.Unlock()
	n()
}

func readyNode(name string, ready bool) *corev1.Node {
	s := corev1.ConditionTrue
	if !ready {
		s = corev1.ConditionFalse
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: s}}}}
}

// syncingSource is a fakeSource that reports its sync without a Fill, as KubeSource does.
type syncingSource struct{ *fakeSource }

func (s syncingSource) Synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Synced
}

// TestHubPublishesTheFirstSyncAtOnce: the change that completes a source's first read is published
// without waiting for the coalescing interval (an hour here).
func TestHubPublishesTheFirstSyncAtOnce(t *testing.T) {
	src := syncingSource{newFakeSource()}
	src.state.Synced = false
	hub := NewHub(HubOptions{MinInterval: time.Hour, Heartbeat: time.Hour}, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, unsub := hub.Subscribe()
	defer unsub()
	go hub.Run(ctx)
	<-src.ready
	for s := range ch { // the primed snapshot, then Run's first publish
		if s.Seq == 1 {
			break
		}
	}
	src.set([]*corev1.Node{readyNode("worker-1", true)}, SourceState{Configured: true, Synced: true})
	select {
	case s := <-ch:
		if !s.Source(platform.SourceKubernetes).Synced || len(s.Nodes) != 1 {
			t.Fatalf("published %+v", s.Sources)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first synced snapshot waited for the coalescing interval")
	}
}

func TestHubCoalescesAndFansOut(t *testing.T) {
	src := newFakeSource()
	hub := NewHub(HubOptions{Platform: "lab", MinInterval: 200 * time.Millisecond, Heartbeat: time.Hour}, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, unsubA := hub.Subscribe()
	b, unsubB := hub.Subscribe()
	defer unsubB()
	go hub.Run(ctx)
	<-src.ready

	// A burst of 50 changes must not turn into 50 snapshots.
	var published atomic.Int32
	for i := 0; i < 50; i++ {
		src.set([]*corev1.Node{readyNode("worker-1", i%2 == 0)}, SourceState{Configured: true, Synced: true})
	}
	src.set([]*corev1.Node{readyNode("worker-1", false), readyNode("worker-2", true)}, SourceState{Configured: true, Synced: true})

	deadline := time.After(5 * time.Second)
	var last Snapshot
	for len(last.Nodes) != 2 {
		select {
		case last = <-a:
			published.Add(1)
		case <-deadline:
			t.Fatalf("subscriber a never saw the final state (last had %d nodes)", len(last.Nodes))
		}
	}
	if got := published.Load(); got > 6 {
		t.Errorf("a burst of 51 changes produced %d snapshots; the hub must coalesce", got)
	}
	if last.Report.Overall != health.Down {
		t.Errorf("overall = %v, want Down (worker-1 NotReady)", last.Report.Overall)
	}
	if last.Platform != "lab" || last.Seq == 0 {
		t.Errorf("snapshot lacks platform or sequence: %q %d", last.Platform, last.Seq)
	}
	// The second subscriber gets the same newest snapshot, never a queue of old ones.
	var fromB Snapshot
	for fromB.Seq < last.Seq {
		select {
		case fromB = <-b:
		case <-deadline:
			t.Fatalf("subscriber b stuck at seq %d < %d", fromB.Seq, last.Seq)
		}
	}
	if len(fromB.Nodes) != 2 {
		t.Errorf("subscriber b has %d nodes", len(fromB.Nodes))
	}
	if hub.Subscribers() != 2 {
		t.Fatalf("subscribers = %d", hub.Subscribers())
	}
	unsubA()
	unsubA() // twice is harmless
	if _, ok := <-a; ok {
		// drain a value that was already buffered, then the channel must be closed
		if _, ok := <-a; ok {
			t.Fatal("unsubscribe must close the channel")
		}
	}
	if hub.Subscribers() != 1 {
		t.Fatalf("subscribers after unsubscribe = %d", hub.Subscribers())
	}
}

func TestSubscribeIsPrimedWithLatest(t *testing.T) {
	src := newFakeSource()
	src.nodes = []*corev1.Node{readyNode("controlplane-1", true)}
	hub := NewHub(HubOptions{}, src)
	ch, unsub := hub.Subscribe()
	defer unsub()
	s := <-ch
	cl, _ := s.Report.Layer(health.LayerCluster)
	if len(s.Nodes) != 1 || cl.Status != health.OK {
		t.Fatalf("primed snapshot = %d nodes, cluster %v", len(s.Nodes), cl.Status)
	}
}

func TestEvaluateSources(t *testing.T) {
	unreachable := &platform.ConnError{Source: platform.SourceKubernetes, Problem: platform.Unreachable, What: "API server unreachable"}
	forbidden := &platform.ConnError{Source: platform.SourceKubernetes, Problem: platform.Refused, What: "forbidden"}
	kubeLayers := []health.Layer{health.LayerCluster, health.LayerStorage, health.LayerMesh, health.LayerGitOps,
		health.LayerVClusters, health.LayerCertificates, health.LayerIngress, health.LayerSecrets, health.LayerWorkloads}
	tests := []struct {
		name       string
		snap       Snapshot
		wantLayers []health.Layer
		want       health.Status
		// layer whose worst finding is object
		layer  health.Layer
		object string
	}{
		{"nothing configured", Snapshot{Sources: map[platform.Source]SourceState{}}, nil, health.Unknown, "", ""},
		{"kube down before first sync: every kube layer says so", Snapshot{Sources: map[platform.Source]SourceState{
			platform.SourceKubernetes: {Configured: true, Err: unreachable}}},
			kubeLayers, health.Down, health.LayerStorage, "API/kubernetes"},
		{"kube forbidden before sync is unknown, not down", Snapshot{Sources: map[platform.Source]SourceState{
			platform.SourceKubernetes: {Configured: true, Err: forbidden}}},
			kubeLayers, health.Unknown, health.LayerCluster, "API/kubernetes"},
		{"stale after sync keeps nodes and adds a Down finding", Snapshot{
			Objects: health.Objects{Nodes: []*corev1.Node{readyNode("worker-1", true)}},
			Sources: map[platform.Source]SourceState{
				platform.SourceKubernetes: {Configured: true, Synced: true, Err: unreachable, StaleSince: time.Unix(1, 0)}}},
			kubeLayers, health.Down, health.LayerCluster, "API/kubernetes"},
		{"vault alone: only the secrets layer", Snapshot{
			Objects: health.Objects{Vault: []health.VaultStatus{{Name: "vault-0", Err: errors.New("connection refused")}}},
			Sources: map[platform.Source]SourceState{platform.SourceVault: {Configured: true, Synced: true}}},
			[]health.Layer{health.LayerSecrets}, health.Down, health.LayerSecrets, "Vault/vault-0"},
		{"omni alone: only the cluster layer", Snapshot{
			Sources: map[platform.Source]SourceState{platform.SourceOmni: {Configured: true, Err: unreachable}}},
			[]health.Layer{health.LayerCluster}, health.Down, health.LayerCluster, "API/omni"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(tt.snap)
			if r.Overall != tt.want {
				t.Fatalf("overall = %v, want %v", r.Overall, tt.want)
			}
			if len(r.Layers) != len(tt.wantLayers) {
				t.Fatalf("%d layers, want %v", len(r.Layers), tt.wantLayers)
			}
			for i, l := range tt.wantLayers {
				if r.Layers[i].Name != l {
					t.Fatalf("layer %d = %s, want %s", i, r.Layers[i].Name, l)
				}
			}
			if tt.layer != "" {
				l, _ := r.Layer(tt.layer)
				if l.Worst().Object != tt.object {
					t.Errorf("%s: worst object = %q, want %q", tt.layer, l.Worst().Object, tt.object)
				}
			}
		})
	}
}

func TestStripForCache(t *testing.T) {
	n := readyNode("worker-1", true)
	n.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	n.Annotations = map[string]string{lastApplied: `{"big":"json"}`, "keep": "me"}
	out, err := StripForCache(n)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Node)
	if got.ManagedFields != nil || got.Annotations[lastApplied] != "" || got.Annotations["keep"] != "me" {
		t.Fatalf("strip left %+v %+v", got.ManagedFields, got.Annotations)
	}
	if _, err := StripForCache("not an object"); err != nil {
		t.Fatal("non-objects pass through")
	}
}

// TestEvaluateDemoHints: a snapshot of the demo gets the demo's hints (what works there first), any other
// the real platform's; the statuses are the same.
func TestEvaluateDemoHints(t *testing.T) {
	sealed := Snapshot{
		Objects: health.Objects{Vault: []health.VaultStatus{{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true, Sealed: true}}}},
		Sources: map[platform.Source]SourceState{platform.SourceVault: {Configured: true, Synced: true}}}
	const real = "unseal it with a threshold of the key shares: cedille-tui install --only vault-unseal; runbook: vault-sealed"
	for _, tt := range []struct {
		demo bool
		want string
	}{
		{false, real},
		{true, "press V again (or H) to unseal the demo's Vault (a real platform: " + real + ")"},
	} {
		s := sealed
		s.Demo = tt.demo
		r := Evaluate(s)
		l, _ := r.Layer(health.LayerSecrets)
		if r.Overall != health.Down || l.Worst().Hint != tt.want {
			t.Errorf("demo %v: %v, hint %q, want Down and %q", tt.demo, r.Overall, l.Worst().Hint, tt.want)
		}
	}
}
