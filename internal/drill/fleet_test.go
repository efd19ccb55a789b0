package drill_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/drill"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fleetHarness is the simulated fleet with a fleet drill injected, and per cluster what its console
// would use: the dispatcher on its fakes, the runbooks' engine, the audit trail (in memory).
type fleetHarness struct {
	f   *demo.Fleet
	d   *drill.FleetDrill
	rec map[string]runbooks.Recovery

	mu      sync.Mutex
	records map[string][]audit.Record
}

func startFleetDrill(t *testing.T, ctx context.Context, name string) *fleetHarness {
	t.Helper()
	f, err := demo.StartFleet(ctx, demo.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	sc, err := drill.LookupFleet(name)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Lookup(sc.Runbook)
	if err != nil {
		t.Fatal(err)
	}
	h := &fleetHarness{f: f, rec: map[string]runbooks.Recovery{}, records: map[string][]audit.Record{}}
	if h.d, err = drill.StartFleet(ctx, sc, rb, f, drill.Options{Boot: -1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Clusters() {
		sink := h.d.Sink(c, func(r audit.Record) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.records[c] = append(h.records[c], r)
			return nil
		})
		clients, err := f.FleetClients(c)
		if err != nil {
			t.Fatal(err)
		}
		disp, err := actions.NewDispatcher(clients, sink, actions.Builtin()...)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), c)
		store, err := runbook.OpenStore(filepath.Join(dir, "runbooks"))
		if err != nil {
			t.Fatal(err)
		}
		kube, err := f.FleetKube(c)
		if err != nil {
			t.Fatal(err)
		}
		vault, err := f.FleetVaultReplicas(c)
		if err != nil {
			t.Fatal(err)
		}
		targets, err := f.Targets(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		w := runbook.World{Kube: kube.Typed, Dynamic: kube.Dynamic, Vault: vault,
			Snapshot: func() watch.Snapshot { return watch.Collect(ctx, targets, 20*time.Second, time.Now()) }}
		h.rec[c] = runbooks.Recovery{Engine: &runbook.Engine{Store: store, Audit: sink, Incidents: filepath.Join(dir, "incidents")},
			Dispatcher: disp, Who: actions.As(actions.LocalActor("drill", "test")), World: w}
	}
	return h
}

// The fleet's cold start as the power's return found it: on every cluster two thirds of the nodes
// NotReady and their machines disconnected in Omni, the CephCluster Connecting, Vault's pod on a
// Multi-Attach, a database pod failing to stat its volume, another crash-looping.
func TestFleetColdStartInjected(t *testing.T) {
	ctx := drillContext(t)
	h := startFleetDrill(t, ctx, "cold-start")
	if got := h.d.Banner(); !strings.Contains(got, "power's back: 3 clusters Down — open one, r on a stuck pod") {
		t.Errorf("banner before any run: %q", got)
	}
	for _, c := range h.f.Clusters() {
		targets, err := h.f.Targets(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		snap := watch.Collect(ctx, targets, 20*time.Second, time.Now())
		all := snap.Objects
		off, err := h.f.ColdStartOff(c)
		if err != nil || len(off) < len(all.Nodes)/2 {
			t.Fatalf("%s: off %v of %d nodes, %v", c, off, len(all.Nodes), err)
		}
		notReady := 0
		for _, n := range all.Nodes {
			if !nodeReady(n) {
				notReady++
			}
		}
		if notReady < len(off) {
			t.Errorf("%s: %d nodes NotReady, want at least %d", c, notReady, len(off))
		}
		if len(all.CephClusters) != 1 || health.Str(all.CephClusters[0], "status", "phase") != "Connecting" {
			t.Errorf("%s: the CephCluster is not Connecting", c)
		}
		var stuck []string
		for _, m := range all.MountProblems {
			stuck = append(stuck, m.Message)
		}
		if len(all.PGClusters) != 1 {
			t.Fatalf("%s: %d CloudNativePG Clusters", c, len(all.PGClusters))
		}
		waitFor(t, ctx, c+"'s database with fewer than 3 instances ready", func() (bool, error) {
			pg, err := kubeOf(t, h.f, c).Dynamic.Resource(platform.PGCluster.GVR).Namespace(all.PGClusters[0].GetNamespace()).
				Get(ctx, all.PGClusters[0].GetName(), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			n, _ := health.Num(pg, "status", "readyInstances")
			return n < 3, nil
		})
		crashing := "Pod/" + all.PGClusters[0].GetNamespace() + "/" + all.PGClusters[0].GetName() + "-1"
		hinted := false
		for _, l := range snap.Report.Layers {
			for _, f := range l.Findings {
				hinted = hinted || (f.Object == crashing && strings.Contains(f.Hint, "runbook: "+health.RunbookColdStart))
			}
		}
		if !hinted {
			t.Errorf("%s: the crash-looping %s names no runbook %s", c, crashing, health.RunbookColdStart)
		}
		joined := strings.Join(stuck, "\n")
		for _, want := range []string{"failed to stat", "Multi-Attach"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: no pod's mount problem says %q:\n%s", c, want, joined)
			}
		}
	}
	statuses, err := safe.StateListAll[*omni.ClusterStatus](ctx, h.f.Omni().State())
	if err != nil {
		t.Fatal(err)
	}
	for it := statuses.Iterator(); it.Next(); {
		cs := it.Value()
		m := cs.TypedSpec().Value.GetMachines()
		if m.GetConnected() >= m.GetTotal() || m.GetHealthy() >= m.GetTotal() || cs.TypedSpec().Value.GetReady() {
			t.Errorf("%s: Omni says %d/%d connected, %d healthy, ready %t after the power loss", cs.Metadata().ID(),
				m.GetConnected(), m.GetTotal(), m.GetHealthy(), cs.TypedSpec().Value.GetReady())
		}
	}
}

func kubeOf(t *testing.T, f *demo.Fleet, cluster string) *platform.Kube {
	t.Helper()
	k, err := f.FleetKube(cluster)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// The fleet's cold start, as a person completes it: cold-start run on each cluster, its power step
// ticked (the simulation boots the cluster's VMs), the stale VolumeAttachment and the stuck pods deleted,
// every postcheck held; then csi-plugins-stale on the DaemonSets the CephCluster's connection left stale.
// The drill's repair is the last cluster's.
func TestFleetDrillColdStart(t *testing.T) {
	ctx := drillContext(t)
	h := startFleetDrill(t, ctx, "cold-start")
	for _, c := range h.f.Clusters() {
		s, err := h.rec[c].Start(ctx, "cold-start", runbook.Target{}, false)
		if err != nil {
			t.Fatal(err)
		}
		who := &person{}
		if err := runbook.Drive(ctx, s, who, h.rec[c].Destructive); err != nil || s.Run().Outcome != "done" {
			t.Fatalf("%s: %v, %s\n%s", c, err, s.Run().Outcome, who.transcript())
		}
		p := h.d.Progress()
		if c != h.f.Clusters()[len(h.f.Clusters())-1] && !p.Repaired().IsZero() {
			t.Errorf("the fleet is repaired after %s only", c)
		}
	}
	if err := h.d.Wait(); err != nil {
		t.Fatal(err)
	}
	p := h.d.Progress()
	if p.Repaired().IsZero() || p.Detected().IsZero() || p.Responded().IsZero() {
		t.Fatalf("times: %+v", p)
	}
	last := p.Clusters[len(p.Clusters)-1].Repaired
	if !p.Repaired().Equal(last) {
		t.Errorf("the fleet's repair %s is not the last cluster's %s", p.Repaired(), last)
	}
	for _, c := range p.Clusters {
		var did []string
		for _, m := range c.Marks {
			did = append(did, m.Step+": "+m.Summary)
		}
		for _, want := range []string{"power: done by hand", "delete-volumeattachment: 1 done", "delete-pod: 2 done"} {
			if !strings.Contains(strings.Join(did, "\n"), want) {
				t.Errorf("%s: the run's steps lack %q:\n%s", c.Cluster, want, strings.Join(did, "\n"))
			}
		}
	}
	rep := h.d.Report(nil)
	md := rep.Markdown()
	for _, want := range append([]string{"| the fleet |", "across the fleet"}, h.f.Clusters()...) {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if got := h.d.Banner(); !strings.Contains(got, "done across the fleet") {
		t.Errorf("banner once repaired: %q", got)
	}
	// The CephCluster connected after the CSI plugins started: csi-plugins-stale restarts them.
	c := demo.FleetProduction
	targets, err := h.f.Targets(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	snap := watch.Collect(ctx, targets, 20*time.Second, time.Now())
	fs := health.StaleCSIPlugins(snap.Objects)
	if len(fs) == 0 {
		t.Fatal("no stale CSI plugin once the CephCluster connected")
	}
	for _, f := range fs {
		if !strings.Contains(f.Hint, health.RunbookCSIPluginsStale) {
			t.Errorf("finding %s's hint names no runbook: %q", f.Object, f.Hint)
		}
		ns, name, _ := strings.Cut(strings.TrimPrefix(f.Object, "DaemonSet/"), "/")
		s, err := h.rec[c].Start(ctx, health.RunbookCSIPluginsStale, runbook.Target{Kind: "DaemonSet", Namespace: ns, Name: name}, false)
		if err != nil {
			t.Fatal(err)
		}
		who := &person{}
		if err := runbook.Drive(ctx, s, who, h.rec[c].Destructive); err != nil || s.Run().Outcome != "done" {
			t.Fatalf("%s on %s: %v, %s\n%s", health.RunbookCSIPluginsStale, f.Object, err, s.Run().Outcome, who.transcript())
		}
	}
	waitFor(t, ctx, "no stale CSI plugin", func() (bool, error) {
		return len(health.StaleCSIPlugins(watch.Collect(ctx, targets, 20*time.Second, time.Now()).Objects)) == 0, nil
	})
	// The database's instance still crash-looping is deleted (as PLATFORM.md §6 did it): CloudNativePG
	// makes it again and the Cluster is whole.
	k := kubeOf(t, h.f, c)
	pg := snap.Objects.PGClusters[0]
	if err := k.Typed.CoreV1().Pods(pg.GetNamespace()).Delete(ctx, pg.GetName()+"-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the database's 3 instances ready", func() (bool, error) {
		u, err := k.Dynamic.Resource(platform.PGCluster.GVR).Namespace(pg.GetNamespace()).Get(ctx, pg.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		n, _ := health.Num(u, "status", "readyInstances")
		return n == 3 && health.Str(u, "status", "phase") == "Cluster in healthy state", nil
	})
}

// The fleet's times: detection and response the first cluster's, repair the last cluster's once every
// cluster is repaired; the banner says where the drill stands.
func TestFleetProgressAndBanner(t *testing.T) {
	t0 := time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	sc, err := drill.LookupFleet("cold-start")
	if err != nil {
		t.Fatal(err)
	}
	cp := func(name string, det, resp, rep int, marks ...drill.Mark) drill.ClusterProgress {
		p := drill.Progress{Injected: t0, Marks: marks}
		if det > 0 {
			p.Run, p.Detected = "run-"+name, at(det)
		}
		if resp > 0 {
			p.Responded = at(resp)
		}
		if rep > 0 {
			p.Repaired, p.Ended, p.Outcome = at(rep), at(rep), "done"
		}
		return drill.ClusterProgress{Cluster: name, Progress: p}
	}
	for _, tc := range []struct {
		name                     string
		clusters                 []drill.ClusterProgress
		detection, response, rep time.Duration
		banner                   string
	}{
		{"nothing started", []drill.ClusterProgress{cp("a", 0, 0, 0), cp("b", 0, 0, 0)}, 0, 0, 0,
			"DRILL cold-start: power's back: 2 clusters Down — open one, r on a stuck pod · 30m"},
		{"one started", []drill.ClusterProgress{cp("a", 0, 0, 0), cp("b", 3, 5, 0, drill.Mark{At: at(5), Step: "survey"})}, 3 * time.Minute, 5 * time.Minute, 0,
			"DRILL cold-start: 30m · 0 of 2 clusters repaired · b: tick power: the cluster's VMs boot"},
		{"one repaired", []drill.ClusterProgress{cp("a", 2, 4, 20, drill.Mark{At: at(20), Step: "synced"}), cp("b", 3, 5, 0)}, 2 * time.Minute, 4 * time.Minute, 0,
			"DRILL cold-start: 30m · 1 of 2 clusters repaired · a: next cluster: esc, then enter on another"},
		{"all repaired", []drill.ClusterProgress{cp("a", 2, 4, 20), cp("b", 3, 5, 25)}, 2 * time.Minute, 4 * time.Minute, 25 * time.Minute,
			"DRILL cold-start: done across the fleet: detection 2m, response 4m, repair 25m — q: the report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := drill.FleetProgress{Injected: t0, Clusters: tc.clusters}
			if p.Detection() != tc.detection || p.Response() != tc.response || p.Repair() != tc.rep {
				t.Errorf("times %s %s %s, want %s %s %s", p.Detection(), p.Response(), p.Repair(), tc.detection, tc.response, tc.rep)
			}
			if got := drill.FleetBanner(sc, p, at(30)); got != tc.banner {
				t.Errorf("banner\n got %q\nwant %q", got, tc.banner)
			}
		})
	}
}
