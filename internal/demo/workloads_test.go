package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/watch"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// workloads is the workloads layer's findings of a snapshot, by object.
func workloads(t *testing.T, s watch.Snapshot) (health.LayerReport, map[string]health.Finding) {
	t.Helper()
	l, ok := s.Report.Layer(health.LayerWorkloads)
	if !ok {
		t.Fatal("no workloads layer")
	}
	by := map[string]health.Finding{}
	for _, f := range l.Findings {
		by[f.Object] = f
	}
	return l, by
}

// TestDemoWorkloads: era 1 as it was left — Vault never initialized, so its servers are not Ready and the
// apps that need it do not start, as the scenario's events say — then installed, every pod and
// controller OK.
func TestDemoWorkloads(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{})
	s := watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	l, by := workloads(t, s)
	want := map[string]struct {
		status             health.Status
		reasonHas, hintHas string
	}{
		"StatefulSet/vault/vault":                         {health.Down, "0/3 ready; 3 pods failing: 3 Vault server not Ready", "runbook: " + health.RunbookVaultSealed},
		"Pod/vault/vault-1":                               {health.Degraded, "Running but not Ready", "runbook: " + health.RunbookVaultSealed},
		"Pod/calidum-rotae/calidum-rotae-7c9d8f6b5-xk2lp": {health.Down, "waiting on its volumes for 2h: FailedMount: MountVolume.SetUp failed for volume \"vault-secrets\"", "H unseals the demo's Vault"},
		"Pod/acets/acets-grav-5f7b9c6d48-q8zvn":           {health.Down, "CrashLoopBackOff (init container vault-agent-init), 512 restarts", "H unseals"},
		"Deployment/acets/acets-grav":                     {health.Down, "0/1 ready; 1 pod failing: 1 waiting on Vault", "runbook: " + health.RunbookVaultSealed},
		"DaemonSet/kube-system/kube-flannel":              {health.OK, "6/6 ready", ""},
		"DaemonSet/mayastor/mayastor-io-engine":           {health.OK, "3/3 ready", ""},
		"Deployment/kube-system/coredns":                  {health.OK, "2/2 ready", ""},
		"StatefulSet/vcluster-staging/staging":            {health.OK, "1/1 ready", ""},
		health.PodsObject:                                 {health.OK, "26 pods: 21 Running, 3 Vault server not Ready, 2 waiting on Vault", ""},
	}
	for obj, w := range want {
		f, ok := by[obj]
		if !ok {
			t.Errorf("no finding for %s", obj)
			continue
		}
		if f.Status != w.status || !strings.Contains(f.Reason, w.reasonHas) || !strings.Contains(f.Hint, w.hintHas) {
			t.Errorf("%s: %v %q → %q, want %v ~%q → ~%q", obj, f.Status, f.Reason, f.Hint, w.status, w.reasonHas, w.hintHas)
		}
	}
	if l.Status != health.Down {
		t.Errorf("workloads %v, want Down", l.Status)
	}

	installed := startDemo(t, Options{Installed: true})
	s = watch.Collect(ctx, installed.Targets(), 5*time.Second, time.Now())
	if l, _ := workloads(t, s); l.Status != health.OK || l.Worst().Status != health.OK {
		t.Fatalf("installed: workloads %v, worst %+v", l.Status, l.Worst())
	}
}

// TestDemoWorkloadsFaults: the N fault makes worker-2's pods fail (their node is lost) and its
// DaemonSets' findings say so; V makes Vault's servers not Ready and the kubelets keep the apps that
// already run; H heals both.
func TestDemoWorkloadsFaults(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{Installed: true})
	faults := map[string]Fault{}
	for _, f := range d.Faults() {
		faults[f.Key] = f
	}
	for _, key := range []string{"N", "V"} {
		if _, err := faults[key].Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	_, by := workloads(t, s)
	onWorker2 := 0
	for _, p := range s.Pods {
		if p.Node != faultNode {
			continue
		}
		onWorker2++
		f := by[p.Object()]
		if f.Status != health.Down || !strings.Contains(f.Reason, "its node worker-2 is not Ready") || !strings.HasPrefix(f.Hint, "press N again") {
			t.Errorf("%s on the lost node: %v %q → %q", p.Object(), f.Status, f.Reason, f.Hint)
		}
	}
	if onWorker2 < 5 {
		t.Fatalf("%d pods on %s: the demo spreads its pods over the workers", onWorker2, faultNode)
	}
	if f := by["DaemonSet/kube-system/kube-proxy"]; f.Status != health.Degraded || !strings.Contains(f.Reason, "1 node not Ready") ||
		!strings.Contains(f.Hint, "runbook: "+health.RunbookNodeLost) {
		t.Errorf("kube-proxy after N: %+v", f)
	}
	if f := by["StatefulSet/vault/vault"]; f.Status != health.Down || !strings.HasPrefix(f.Reason, "0/3 ready") {
		t.Errorf("vault after V: %+v", f)
	}
	calidum := by["Pod/calidum-rotae/calidum-rotae-7c9d8f6b5-xk2lp"]
	if calidum.Status != health.OK {
		t.Errorf("a running app keeps running when Vault seals: %+v", calidum)
	}
	if _, err := faults["H"].Run(ctx); err != nil {
		t.Fatal(err)
	}
	s = watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	if l, _ := workloads(t, s); l.Status != health.OK {
		t.Fatalf("after H: workloads %v, worst %+v", l.Status, l.Worst())
	}
	sts, err := d.Kube.Typed.AppsV1().StatefulSets("vault").Get(ctx, "vault", metav1.GetOptions{})
	if err != nil || sts.Status.ReadyReplicas != 3 {
		t.Fatalf("vault after H: %v ready (%v)", sts.Status.ReadyReplicas, err)
	}
}
