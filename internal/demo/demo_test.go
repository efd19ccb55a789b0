package demo

import (
	"context"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDemoContents reads the simulated platform through the same clients the console uses.
func TestDemoContents(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{})
	s := watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	if len(s.Nodes) != 6 || len(s.Machines) != 6 {
		t.Fatalf("%d nodes, %d machines; want 6 and 6", len(s.Nodes), len(s.Machines))
	}
	cluster, _ := s.Report.Layer(health.LayerCluster)
	secrets, _ := s.Report.Layer(health.LayerSecrets)
	if cluster.Status != health.OK || secrets.Status != health.Down {
		t.Fatalf("fresh demo: cluster %v, secrets %v; want OK, Down (uninitialized)", cluster.Status, secrets.Status)
	}
	for _, obj := range []string{"Vault/vault-0", "Vault/vault-1", "Vault/vault-2", "Policy/vault/config-admin"} {
		found := false
		for _, f := range secrets.Findings {
			if f.Object == obj {
				found = true
				if f.Status == health.OK {
					t.Errorf("fresh demo: %s is OK, want a failure (%s)", obj, f.Reason)
				}
			}
		}
		if !found {
			t.Errorf("fresh demo: no finding for %s", obj)
		}
	}
	// As era 1 left it: the vclusters run but are not registered in ArgoCD.
	if vc, _ := s.Report.Layer(health.LayerVClusters); vc.Status != health.Degraded {
		t.Errorf("fresh demo vclusters = %v, want Degraded (not registered)", vc.Status)
	}
	for _, name := range []health.Layer{health.LayerStorage, health.LayerMesh, health.LayerGitOps, health.LayerCertificates, health.LayerIngress} {
		if l, ok := s.Report.Layer(name); !ok || l.Status != health.OK {
			t.Errorf("fresh demo %s = %v (%v), want OK", name, l.Status, l.Worst())
		}
	}
	checks := []struct {
		kind platform.Kind
		ns   string
		want int
	}{
		{platform.DiskPool, "mayastor", 6},
		{platform.ArgoApplication, "argocd", 18},
		{platform.KumaMesh, "", 1},
		{platform.KumaDataplane, "calidum-rotae", 3},
		{platform.KumaDPInsight, "calidum-rotae", 3},
		{platform.CertManagerCert, "", 3},
	}
	for _, c := range checks {
		l, err := d.Kube.Dynamic.Resource(c.kind.GVR).Namespace(c.ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(l.Items) != c.want {
			t.Errorf("%s: %v items (%v), want %d", c.kind.Kind, len(l.Items), err, c.want)
		}
	}
	sc, err := d.Kube.Typed.StorageV1().StorageClasses().Get(ctx, "mayastor", metav1.GetOptions{})
	if err != nil || sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" {
		t.Fatalf("StorageClass mayastor default: %v %v", err, sc)
	}
	for _, vc := range []string{"staging", "sandbox"} {
		if _, err := d.Kube.Typed.AppsV1().StatefulSets("vcluster-"+vc).Get(ctx, vc, metav1.GetOptions{}); err != nil {
			t.Errorf("vcluster %s: %v", vc, err)
		}
		sec, err := d.Kube.Typed.CoreV1().Secrets("vcluster-"+vc).Get(ctx, "vc-"+vc, metav1.GetOptions{})
		if err != nil {
			t.Errorf("vcluster %s secret: %v", vc, err)
			continue
		}
		for _, k := range []string{"config", "certificate-authority", "client-certificate", "client-key"} {
			if _, ok := sec.StringData[k]; !ok {
				if _, ok := sec.Data[k]; !ok {
					t.Errorf("vc-%s lacks key %s", vc, k)
				}
			}
		}
	}
}

// TestFaults injects and heals each fault and checks the console's view of it through Collect.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{Installed: true})
	faults := map[string]Fault{}
	for _, f := range d.Faults() {
		faults[f.Key] = f
	}
	collect := func() watch.Snapshot { return watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now()) }
	if r := collect().Report; r.Overall != health.OK {
		t.Fatalf("an installed demo starts healthy on every layer, got %v: %+v", r.Overall, r)
	}
	for _, key := range []string{"N", "V"} {
		if _, err := faults[key].Run(ctx); err != nil {
			t.Fatalf("fault %s: %v", key, err)
		}
	}
	s := collect()
	cl, _ := s.Report.Layer(health.LayerCluster)
	if cl.Status != health.Down || (cl.Worst().Object != "Machine/worker-2" && cl.Worst().Object != "Node/worker-2") {
		t.Fatalf("after N the cluster layer is %v, worst %s", cl.Status, cl.Worst().Object)
	}
	if sec, _ := s.Report.Layer(health.LayerSecrets); sec.Status != health.Down || sec.Worst().Reason != "sealed, v1.13.3" {
		t.Fatalf("after V the secrets layer is %v %q", sec.Status, sec.Worst().Reason)
	}
	for _, key := range []string{"P", "A"} {
		if _, err := faults[key].Run(ctx); err != nil {
			t.Fatalf("fault %s: %v", key, err)
		}
	}
	s = collect()
	if st, _ := s.Report.Layer(health.LayerStorage); st.Status != health.Degraded {
		t.Fatalf("after P storage is %v", st.Status)
	}
	if g, _ := s.Report.Layer(health.LayerGitOps); g.Status != health.Degraded || g.Worst().Object != "Application/argocd/calidum-rotae" {
		t.Fatalf("after A gitops is %v, worst %s", g.Status, g.Worst().Object)
	}
	pool, err := d.Kube.Dynamic.Resource(platform.DiskPool.GVR).Namespace("mayastor").Get(ctx, faultPool, metav1.GetOptions{})
	if err != nil || pool.Object["status"].(map[string]any)["pool_status"] != "Degraded" {
		t.Fatalf("pool after P: %v %v", err, pool)
	}
	app, err := d.Kube.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd").Get(ctx, faultApp, metav1.GetOptions{})
	if err != nil || app.Object["status"].(map[string]any)["sync"].(map[string]any)["status"] != "OutOfSync" {
		t.Fatalf("app after A: %v", err)
	}
	note, err := faults["H"].Run(ctx)
	if err != nil || note != "demo: healed 4 fault(s)" {
		t.Fatalf("heal: %q %v", note, err)
	}
	if r := collect().Report; r.Overall != health.OK {
		t.Fatalf("after H the platform is %v: %+v", r.Overall, r)
	}
}

// TestVaultFaultNeedsAnInitializedVault: sealing a Vault that was never initialized is refused with a
// message that says what to do.
func TestVaultFaultNeedsAnInitializedVault(t *testing.T) {
	d := startDemo(t, Options{})
	for _, f := range d.Faults() {
		if f.Key == "V" {
			if _, err := f.Run(context.Background()); err == nil {
				t.Fatal("want a refusal")
			}
		}
	}
}
