package drill_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/drill"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// person answers the runbook's questions as an operator who follows it: yes to each action (the
// object's name for a destructive one), done to each manual step; anything else ends the conversation.
type person struct {
	mu   sync.Mutex
	said []string
}

var typeName = regexp.MustCompile(`type (\S+) to run it`)

func (p *person) Say(lines ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.said = append(p.said, lines...)
}

func (p *person) Ask(q string) (string, error) {
	p.Say("? " + q)
	switch {
	case strings.HasPrefix(q, "Type done"):
		return "done, as the drill asks", nil
	case typeName.MatchString(q):
		return typeName.FindStringSubmatch(q)[1], nil
	case strings.HasPrefix(q, "Run it?"):
		return "yes", nil
	}
	return "", io.EOF // a failure, or anything unexpected: the test fails on ErrStopped
}

func (p *person) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.said, "\n")
}

// harness is the demo platform in service with a drill injected, and what a console on it would use:
// the dispatcher on its fakes, the runbooks' engine, the audit trail (here in memory).
type harness struct {
	p       *demo.Platform
	d       *drill.Drill
	rec     runbooks.Recovery
	mu      sync.Mutex
	records []audit.Record
}

func start(t *testing.T, ctx context.Context, name string) *harness {
	t.Helper()
	p, err := demo.Start(ctx, demo.Options{Installed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	sc, err := drill.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Lookup(sc.Runbook)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{p: p}
	if h.d, err = drill.Start(ctx, sc, rb, p, drill.Options{Boot: -1}); err != nil {
		t.Fatal(err)
	}
	sink := h.d.Sink(func(r audit.Record) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.records = append(h.records, r)
		return nil
	})
	disp, err := actions.NewDispatcher(p.Clients(), sink, actions.Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := runbook.OpenStore(filepath.Join(dir, "runbooks"))
	if err != nil {
		t.Fatal(err)
	}
	targets := p.Targets()
	w := runbook.World{Kube: p.Kube.Typed, Dynamic: p.Kube.Dynamic, Vault: p.VaultReplicas,
		Snapshot: func() watch.Snapshot { return watch.Collect(ctx, targets, 20*time.Second, time.Now()) }}
	h.rec = runbooks.Recovery{Engine: &runbook.Engine{Store: store, Audit: sink, Incidents: filepath.Join(dir, "incidents")},
		Dispatcher: disp, Who: actions.As(actions.LocalActor("drill", "test")), World: w}
	return h
}

// run drives the drill's runbook to its end as the person answers (runbook.Drive), and checks the
// drill's report.
func (h *harness) run(t *testing.T, ctx context.Context) drill.Report {
	t.Helper()
	return h.runWith(t, ctx, func(s *runbook.Session, who *person) error {
		return runbook.Drive(ctx, s, who, h.rec.Destructive)
	})
}

// runWith drives the run with drive, and checks the drill's report.
func (h *harness) runWith(t *testing.T, ctx context.Context, drive func(*runbook.Session, *person) error) drill.Report {
	t.Helper()
	s, err := h.rec.Start(ctx, h.d.Scenario().Runbook, h.d.Target(), false)
	if err != nil {
		t.Fatal(err)
	}
	who := &person{}
	if err := drive(s, who); err != nil {
		t.Fatalf("%v\n%s", err, who.transcript())
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("the run ended %q, not done:\n%s", run.Outcome, who.transcript())
	}
	if err := h.d.Wait(); err != nil {
		t.Fatal(err)
	}
	r := h.d.Report(run.Report)
	p := r.Progress
	if p.Detection() <= 0 || p.Response() < p.Detection() || p.Repair() < p.Response() {
		t.Errorf("the drill's times are not all there, in order: detection %s, response %s, repair %s", p.Detection(), p.Response(), p.Repair())
	}
	if p.Run != run.ID || p.Outcome != "done" {
		t.Errorf("the drill saw run %q end %q; the engine's was %s, %s", p.Run, p.Outcome, run.ID, run.Outcome)
	}
	if _, err := os.Stat(run.Report); err != nil {
		t.Errorf("the run's incident report: %v", err)
	}
	md := r.Markdown()
	for _, want := range []string{"| detection | response | repair |", run.Report, h.d.Scenario().Runbook} {
		if !strings.Contains(md, want) {
			t.Errorf("the drill's report lacks %q:\n%s", want, md)
		}
	}
	return r
}

func drillContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestDrillNodeLost(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "node-lost")
	h.run(t, ctx)
	// The node's pods were made again elsewhere, Ready, and their volumes attached there.
	pods, err := h.p.Kube.Typed.CoreV1().Pods("vault").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "worker-2" {
			t.Errorf("pod %s is still on worker-2", p.Name)
		}
	}
	vas, err := h.p.Kube.Typed.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, va := range vas.Items {
		nodes[va.Spec.NodeName] = true
	}
	if nodes["worker-2"] || len(vas.Items) != 3 {
		t.Errorf("volume attachments on %v, want vault's 3 volumes on the other workers", nodes)
	}
}

func TestDrillVaultSealed(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "vault-sealed")
	h.run(t, ctx)
}

func TestDrillPoolDegraded(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "pool-degraded")
	if h.d.Target().Kind != "DiskPool" || h.d.Target().Name == "" {
		t.Fatalf("the drill aims at %s", h.d.Target())
	}
	h.run(t, ctx)
}

func TestDrillAppSync(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "app-sync")
	h.run(t, ctx)
}

func TestDrillCertRenewal(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "cert-renewal")
	h.run(t, ctx)
}

func TestDrillStuckTerminating(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "stuck-terminating")
	// The workloads layer names the runbook on the namespace, deleted 20 minutes ago as the drill has it.
	now := time.Now()
	var ns []*corev1.Namespace
	if l, err := h.p.Kube.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	} else {
		for i := range l.Items {
			ns = append(ns, &l.Items[i])
		}
	}
	if s, ok := runbook.SuggestedFor(health.Report{Layers: []health.LayerReport{health.Workloads(health.Objects{Now: now, Namespaces: ns})}},
		"Namespace/ets-demo"); !ok || s.Runbook != "stuck-terminating" {
		t.Fatalf("no finding names stuck-terminating on Namespace/ets-demo: %+v", s)
	}
	// Through the Session's calls, as a console page makes them.
	h.runWith(t, ctx, func(s *runbook.Session, who *person) error { return driveSession(ctx, s, h.rec.Destructive) })
	if _, err := h.p.Kube.Typed.CoreV1().Namespaces().Get(ctx, "ets-demo", metav1.GetOptions{}); err == nil {
		t.Error("namespace ets-demo is still there")
	}
	// The Application that deploys it has its automated sync back.
	app, err := h.p.Kube.Dynamic.Resource(actions.ApplicationsResource()).Namespace("argocd").Get(ctx, "ets-demo-grav", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := app.Object["spec"].(map[string]any)["syncPolicy"].(map[string]any)["automated"]; !ok {
		t.Errorf("ets-demo-grav's automated sync was not restored: %v", app.Object["spec"])
	}
}

// A preview — every action's server-side dry run — changes nothing on the demo.
func TestDrillPreviewsChangeNothing(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "node-lost")
	cs := h.p.Kube.Typed.CoreV1()
	before, err := cs.Nodes().Get(ctx, "worker-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := cs.Pods("vault").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bound := h.rec.Dispatcher.Bind(actions.As(actions.LocalActor("drill", "test")))
	for _, a := range []struct {
		name string
		t    actions.Target
	}{
		{"cordon", actions.Target{Kind: actions.KindNode, Name: "worker-2"}},
		{"taint-out-of-service", actions.Target{Kind: actions.KindNode, Name: "worker-2"}},
		{"delete-pod", actions.Target{Kind: actions.KindPod, Namespace: "vault", Name: pods.Items[0].Name}},
		{"evict-pod", actions.Target{Kind: actions.KindPod, Namespace: "vault", Name: "vault-1"}},
		{"argocd-sync", actions.Target{Kind: actions.KindApplication, Namespace: "argocd", Name: "calidum-rotae"}},
	} {
		pv, err := bound.Preview(ctx, a.name, a.t)
		var budget *actions.DisruptionError
		if a.name == "evict-pod" && errors.As(err, &budget) {
			// The budget's answer depends on whether the simulated controllers have already marked the lost
			// node's Vault pod not Ready: a refusal is the server's answer too, and must change nothing.
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", a.name, a.t, err)
		}
		if pv.Expect.UID == "" || pv.Expect.ResourceVersion == "" {
			t.Errorf("%s %s: the preview binds nothing: %+v", a.name, a.t, pv.Expect)
		}
	}
	after, err := cs.Nodes().Get(ctx, "worker-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Spec.Unschedulable || len(after.Spec.Taints) != len(before.Spec.Taints) {
		t.Errorf("the previews changed worker-2: %+v", after.Spec)
	}
	for _, p := range pods.Items {
		got, err := cs.Pods("vault").Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil || got.DeletionTimestamp != nil {
			t.Errorf("the previews deleted or evicted %s: %v", p.Name, err)
		}
	}
}

// The cold start's scenario makes the faults its runbook reads, and ticking its power step boots the
// machines.
func TestColdStartScenario(t *testing.T) {
	ctx := drillContext(t)
	p, err := demo.Start(ctx, demo.Options{Installed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sc, err := drill.Lookup("cold-start")
	if err != nil {
		t.Fatal(err)
	}
	target, err := sc.Inject(ctx, p)
	if err != nil || !target.IsZero() {
		t.Fatalf("inject: %v, %s", err, target)
	}
	cs := p.Kube.Typed
	for _, n := range []string{"worker-2", "worker-3"} {
		if ready, err := p.NodeReady(ctx, n); err != nil || ready {
			t.Errorf("%s: ready %t, %v; want it off", n, ready, err)
		}
	}
	// staging-0 is made again, on worker-1, and waits on its volume: a stale attachment holds it on a
	// retired node (Multi-Attach).
	waitFor(t, ctx, "staging-0 waiting on a Multi-Attach", func() (bool, error) {
		ev, err := cs.CoreV1().Events("vcluster-staging").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range ev.Items {
			if e.InvolvedObject.Name == "staging-0" && e.Reason == "FailedMount" && strings.Contains(e.Message, "Multi-Attach") {
				pod, err := cs.CoreV1().Pods("vcluster-staging").Get(ctx, "staging-0", metav1.GetOptions{})
				return err == nil && pod.Status.Phase == corev1.PodPending, err
			}
		}
		return false, nil
	})
	vas, err := cs.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := ""
	for _, va := range vas.Items {
		if va.Spec.NodeName == "worker-0" {
			stale = va.Name
		}
	}
	if stale == "" {
		t.Fatal("no stale VolumeAttachment on the retired worker-0")
	}
	ev, err := cs.CoreV1().Events("calidum-rotae").List(ctx, metav1.ListOptions{})
	if err != nil || !strings.Contains(fmt.Sprint(ev.Items), "failed to mount secrets store objects") {
		t.Errorf("calidum-rotae's pods do not fail their secrets mount: %v", err)
	}
	seals, err := p.VaultReplicas(ctx)
	if err != nil || len(seals) != 3 {
		t.Fatalf("vault: %v", err)
	}
	for _, r := range seals {
		r.Close()
	}
	// Deleting the stale attachment (cold-start's action), then the pod, lets it start.
	if err := cs.StorageV1().VolumeAttachments().Delete(ctx, stale, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods("vcluster-staging").Delete(ctx, "staging-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "staging-0 mounted on a Ready node", func() (bool, error) {
		pod, err := cs.CoreV1().Pods("vcluster-staging").Get(ctx, "staging-0", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return pod.Status.Phase == corev1.PodRunning && pod.DeletionTimestamp == nil && pod.Status.Conditions[len(pod.Status.Conditions)-1].Status == corev1.ConditionTrue, nil
	})
	// Ticking the power step boots the machines.
	if err := sc.Hands["power"](ctx, p, target); err != nil {
		t.Fatal(err)
	}
	if err := sc.Hands["vault-sealed/unseal"](ctx, p, target); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"worker-2", "worker-3"} {
		if ready, err := p.NodeReady(ctx, n); err != nil || !ready {
			t.Errorf("%s after the power step: ready %t, %v", n, ready, err)
		}
	}
}

// driveSession runs the session to its end through its calls: prechecks read, manual steps ticked, each
// action's object previewed then done as confirmed, postchecks waited for.
func driveSession(ctx context.Context, s *runbook.Session, destructive func(string) bool) error {
	for {
		st, ok := s.Current()
		if !ok {
			return nil
		}
		var err error
		switch st.Kind {
		case runbook.Precheck:
			_, err = s.Check(ctx)
		case runbook.Manual:
			err = s.Tick("done, as the drill asks")
		case runbook.Postcheck:
			err = s.Wait(ctx, nil)
		case runbook.Action:
			var objs []runbook.ObjectState
			if objs, err = s.Objects(ctx); err != nil {
				return err
			}
			for _, o := range objs {
				kind, rest, _ := strings.Cut(o.Object, "/")
				ns, name, _ := strings.Cut(rest, "/")
				t := actions.Target{Kind: actions.Kind(kind), Namespace: ns, Name: name}
				pv, err := s.Preview(ctx, t)
				if err != nil {
					return err
				}
				c := actions.Confirmation{Expect: pv.Expect}
				if destructive(st.Do) {
					c.Typed = t.Name
				}
				if _, err := s.Act(ctx, t, c); err != nil {
					return err
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// waitFor polls cond until it holds or ctx ends (the simulated controllers act every quarter second).
func waitFor(t *testing.T, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not so before the test's deadline", what)
		case <-tick.C:
		}
	}
}

// The cold start, as a person completes it: Vault unsealed (vault-sealed, its custodians played by the
// drill) and the drifted Application synced (app-sync), then cold-start itself — the machines powered
// on when its manual step is ticked, the stale VolumeAttachment deleted, the stuck pod made again.
func TestDrillColdStart(t *testing.T) {
	ctx := drillContext(t)
	h := start(t, ctx, "cold-start")
	for _, other := range []struct {
		name string
		t    runbook.Target
	}{{"vault-sealed", runbook.Target{}}, {"app-sync", runbook.Target{Kind: "Application", Namespace: "argocd", Name: "calidum-rotae"}}} {
		s, err := h.rec.Start(ctx, other.name, other.t, false)
		if err != nil {
			t.Fatal(err)
		}
		who := &person{}
		if err := runbook.Drive(ctx, s, who, h.rec.Destructive); err != nil || s.Run().Outcome != "done" {
			t.Fatalf("%s: %v, %s\n%s", other.name, err, s.Run().Outcome, who.transcript())
		}
	}
	r := h.run(t, ctx)
	var did []string
	for _, m := range r.Progress.Marks {
		did = append(did, m.Step+": "+m.Summary)
	}
	for _, want := range []string{"delete-volumeattachment: 1 done", "delete-pod: 1 done", "power: done by hand"} {
		if !strings.Contains(strings.Join(did, "\n"), want) {
			t.Errorf("the run's steps lack %q:\n%s", want, strings.Join(did, "\n"))
		}
	}
}
