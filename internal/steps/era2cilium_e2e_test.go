//go:build e2e

package steps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/helmops/helmtest"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestEra2CiliumRealAPIServer: on a real kube-apiserver of the lab standing for a new k8s-foundation
// cluster (its nodes NotReady: no CNI), reached through a kubeconfig the simulated Omni issues, the step
// applies the Gateway API bundle (the project's test stand-in, downloaded from a URL) and installs a
// test chart named cilium through the real Helm SDK as kube-system/cilium with the planned values; the
// test plays the DaemonSet controller and the kubelets, and the step waits for both, saying where they
// stand. A dry run changes nothing; a second run and a resume change nothing; k8s-base has nothing to do.
func TestEra2CiliumRealAPIServer(t *testing.T) {
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	p := ciliumTestPlan(t, plan.StackFoundation)
	nodes := []string{"k8s-lab-controlplane-1", "k8s-lab-worker-1"}
	for _, n := range nodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}
		if node, err = k.Typed.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse,
			Reason: "KubeletNotReady", Message: "container runtime network not ready: cni plugin not initialized"}}
		if _, err := k.Typed.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	srv, om := omnisimtest.Start(t, omnisim.Options{})
	if err := srv.State().Create(ctx, omni.NewCluster(p.Era2.Cluster)); err != nil {
		t.Fatal(err)
	}
	srv.SetClusterKubeconfig(p.Era2.Cluster, labKubeconfig(t, l, ""))
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.2.1/experimental-install.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(testGatewayBundle("v1.2.1"))
	})
	bundles := httptest.NewServer(mux)
	defer bundles.Close()
	repo, _ := helmtest.Repo(t, helmtest.Cilium("1.17.3"))
	p.Era2.Cilium = plan.Era2Cilium{Chart: plan.Chart{Repo: repo, Version: "1.17.3"},
		GatewayAPI: plan.GatewayAPI{Version: "v1.2.1", URL: bundles.URL + "/v1.2.1/experimental-install.yaml"}}
	e := &Env{Omni: om, Poll: 10 * time.Millisecond, ClusterWait: time.Minute}
	s := Era2CiliumStep{}

	if o, err := s.Check(ctx, e, p); err != nil || o.Holds || !strings.Contains(o.Detail, "gatewayclasses.gateway.networking.k8s.io absent") {
		t.Fatalf("check before: %+v %v", o, err)
	}
	preview, err := s.Preview(ctx, e, p)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(preview, "\n")
	for _, w := range []string{"Gateway API v1.2.1 from " + bundles.URL, "  creating CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io",
		"no release kube-system/cilium: Cilium from chart repository " + repo, "  DaemonSet kube-system/cilium",
		"  Deployment kube-system/cilium-operator", "  ConfigMap kube-system/cilium-config", "KubePrism localhost:7445",
		"then wait: cilium agents: DaemonSet kube-system/cilium absent; nodes: 0 of 2 Ready"} {
		if !strings.Contains(joined, w) {
			t.Errorf("the dry run lacks %q:\n%s", w, joined)
		}
	}
	if _, err := k.Dynamic.Resource(crdResource).Get(ctx, "gateways.gateway.networking.k8s.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the dry run applied the CRDs: %v", err)
	}
	hc, err := helmops.New(k.Config, plan.CiliumNamespace, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := hc.Current(plan.CiliumRelease); err != nil || rel != nil {
		t.Fatalf("the dry run installed a release: %v %v", rel, err)
	}

	// The run, with the test playing the DaemonSet controller and then the kubelets once Cilium runs.
	res, lines := runPlayingCilium(ctx, t, k, e, &p, nodes)
	joined = strings.Join(lines, "\n")
	for _, w := range []string{"creating CustomResourceDefinition tlsroutes.gateway.networking.k8s.io",
		"no release kube-system/cilium: installing Cilium from chart repository " + repo,
		"; nodes: 0 of 2 Ready (NotReady: k8s-lab-controlplane-1, k8s-lab-worker-1)",
		"cilium agents: 2 of 2 ready; nodes: 2 of 2 Ready"} {
		if !strings.Contains(joined, w) {
			t.Errorf("the run did not say %q:\n%s", w, joined)
		}
	}
	if n := len(res.Summary); n != 3 || !strings.Contains(res.Summary[0], "Gateway API v1.2.1: 6 objects applied") {
		t.Errorf("summary: %q", res.Summary)
	}

	// What the cluster has: the CRDs applied server-side by the install, the release ArgoCD adopts, the
	// values as the chart rendered them.
	crd, err := k.Dynamic.Resource(crdResource).Get(ctx, "gatewayclasses.gateway.networking.k8s.io", metav1.GetOptions{})
	if err != nil || crd.GetAnnotations()["gateway.networking.k8s.io/bundle-version"] != "v1.2.1" || len(crd.GetManagedFields()) == 0 ||
		crd.GetManagedFields()[0].Manager != "cedille-tui" || crd.GetManagedFields()[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("the GatewayClass CRD: %v %v", crd, err)
	}
	rel, err := hc.Current(plan.CiliumRelease)
	if err != nil || rel == nil || rel.Version != 1 || rel.Chart.Metadata.Version != "1.17.3" || rel.Namespace != "kube-system" ||
		!sameValues(rel.Config, plan.CiliumValues()) {
		t.Fatalf("the release: %+v %v", rel, err)
	}
	cm, err := k.Typed.CoreV1().ConfigMaps(plan.CiliumNamespace).Get(ctx, "cilium-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"kube-proxy-replacement": "true", "ipam": "kubernetes", "enable-gateway-api": "true",
		"enable-l2-announcements": "true", "cgroup-root": "/sys/fs/cgroup"} {
		if cm.Data[key] != want {
			t.Errorf("cilium-config %s = %q, want %q", key, cm.Data[key], want)
		}
	}
	ds, err := k.Typed.AppsV1().DaemonSets(plan.CiliumNamespace).Get(ctx, "cilium", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, v := range ds.Spec.Template.Spec.Containers[0].Env {
		env[v.Name] = v.Value
	}
	if env["KUBERNETES_SERVICE_HOST"] != "localhost" || env["KUBERNETES_SERVICE_PORT"] != "7445" {
		t.Errorf("the agent reaches the API server at %v", env)
	}
	issued := 0
	for _, i := range srv.Issued() {
		if i.Cluster != p.Era2.Cluster {
			continue
		}
		issued++
		if i.User != KubeconfigUser || strings.Join(i.Groups, ",") != "system:masters" {
			t.Errorf("kubeconfig issued to %s %v", i.User, i.Groups)
		}
	}
	if issued == 0 {
		t.Error("the cluster was not reached through a kubeconfig Omni issued")
	}

	// Done: the check holds, a second run changes nothing, a resume does not run it.
	if o, err := s.Check(ctx, e, p); err != nil || !o.Holds || o.Detail != "cilium agents: 2 of 2 ready; nodes: 2 of 2 Ready" {
		t.Fatalf("check after: %+v %v", o, err)
	}
	lines = nil
	if _, err := s.Run(ctx, e, &p, func(ev Event) { lines = append(lines, ev.Message) }); err != nil {
		t.Fatal(err)
	}
	if joined := strings.Join(lines, "\n"); !strings.Contains(joined, "CRDs are already in place") || !strings.Contains(joined, "already has the planned chart and values") {
		t.Errorf("second run: %s", joined)
	}
	if rel, err := hc.Current(plan.CiliumRelease); err != nil || rel.Version != 1 {
		t.Fatalf("the second run made a revision: %v %v", rel.Version, err)
	}
	var states []State
	r := &Runner{Steps: []Step{s}, Env: e, Store: Store{Path: filepath.Join(t.TempDir(), "state.yaml")},
		Report: func(u Update) { states = append(states, u.State) }}
	sv := Saved{Plan: p}
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st == Running {
			t.Fatalf("the resume ran the step again: %v", states)
		}
	}

	// Someone upgrades the release by hand with other values: not done, and a rerun puts the plan's back.
	vals := plan.CiliumValues()
	vals["k8sServiceHost"] = "10.0.130.11"
	if _, err := (HelmCharts{}).InstallOrUpgrade(ctx, k, ciliumRelease(), "cilium", p.Era2.Cilium.Chart, vals); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Check(ctx, e, p); o.Holds || !strings.Contains(o.Detail, "release kube-system/cilium has other values") {
		t.Fatalf("check after a hand upgrade: %+v", o)
	}
	runPlayingCilium(ctx, t, k, e, &p, nodes)
	if rel, err := hc.Current(plan.CiliumRelease); err != nil || rel.Version != 3 || !sameValues(rel.Config, plan.CiliumValues()) {
		t.Fatalf("after the repair: %+v %v", rel, err)
	}

	// k8s-base: nothing to do, nothing asked of Omni.
	before := len(srv.Issued())
	base := ciliumTestPlan(t, plan.StackBase)
	if o, err := s.Check(ctx, e, base); err != nil || !o.Holds || o.Detail != "nothing: stack k8s-base uses kube-proxy" {
		t.Fatalf("k8s-base check: %+v %v", o, err)
	}
	if res, err := s.Run(ctx, e, &base, func(Event) {}); err != nil || res.Summary[0] != "nothing: stack k8s-base uses kube-proxy" {
		t.Fatalf("k8s-base run: %+v %v", res, err)
	}
	if len(srv.Issued()) != before {
		t.Error("k8s-base asked Omni for a kubeconfig")
	}
}

// runPlayingCilium runs era2-cilium while playing the cluster's controllers: once the release is
// installed, the DaemonSet controller (every agent scheduled, up to date and ready), then, once the step
// says the agents are ready and the nodes not, the kubelets (every node Ready). It returns the result and
// the lines the step said.
func runPlayingCilium(ctx context.Context, t *testing.T, k *platform.Kube, e *Env, p *plan.Plan, nodes []string) (Result, []string) {
	t.Helper()
	events := make(chan string, 100)
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = (Era2CiliumStep{}).Run(ctx, e, p, func(ev Event) { events <- ev.Message })
		close(events)
		done <- err
	}()
	var lines []string
	for line := range events {
		lines = append(lines, line)
		switch {
		case strings.HasPrefix(line, "release kube-system/cilium: chart cilium 1.17.3"):
			ds, err := k.Typed.AppsV1().DaemonSets(plan.CiliumNamespace).Get(ctx, "cilium", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := int32(len(nodes))
			ds.Status.ObservedGeneration, ds.Status.DesiredNumberScheduled = ds.Generation, n
			ds.Status.CurrentNumberScheduled, ds.Status.NumberReady, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = n, n, n, n
			if _, err := k.Typed.AppsV1().DaemonSets(plan.CiliumNamespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "cilium agents: 2 of 2 ready; nodes: 0 of 2 Ready"):
			for _, n := range nodes {
				node, err := k.Typed.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
				if _, err := k.Typed.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return res, lines
}
