package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testGatewayKinds are the Gateway API kinds of the project's test bundle, with whether each is
// namespaced.
var testGatewayKinds = []struct {
	kind, plural string
	namespaced   bool
}{
	{"GatewayClass", "gatewayclasses", false}, {"Gateway", "gateways", true}, {"HTTPRoute", "httproutes", true},
	{"GRPCRoute", "grpcroutes", true}, {"ReferenceGrant", "referencegrants", true}, {"TLSRoute", "tlsroutes", true},
}

// testGatewayBundle is the project's own stand-in for upstream's experimental-install.yaml in the tests
// (a test API server needs CRDs, not upstream's schemas): one CRD per kind Cilium needs, but the kinds
// left out, each annotated with the release as upstream's are.
func testGatewayBundle(version string, leaveOut ...string) []byte {
	var b strings.Builder
	b.WriteString("# Gateway API test bundle\n")
	for _, k := range testGatewayKinds {
		if contains(leaveOut, k.plural) {
			continue
		}
		scope := "Cluster"
		if k.namespaced {
			scope = "Namespaced"
		}
		fmt.Fprintf(&b, `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[2]s.gateway.networking.k8s.io
  annotations:
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/2466
    gateway.networking.k8s.io/bundle-version: %[4]s
    gateway.networking.k8s.io/channel: experimental
spec:
  group: gateway.networking.k8s.io
  names: {kind: %[1]s, listKind: %[1]sList, plural: %[2]s, singular: %[5]s}
  scope: %[3]s
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`, k.kind, k.plural, scope, version, strings.ToLower(k.kind))
	}
	return []byte(b.String())
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestParseGatewayBundle(t *testing.T) {
	cases := []struct {
		name    string
		bundle  []byte
		objects int
		err     string
	}{
		{name: "the release the plan names", bundle: testGatewayBundle("v1.2.1"), objects: 6},
		{name: "another release", bundle: testGatewayBundle("v1.6.0"), err: `is of release "v1.6.0", the plan says v1.2.1`},
		{name: "the standard channel (no TLSRoute)", bundle: testGatewayBundle("v1.2.1", "tlsroutes"),
			err: "lacks tlsroutes.gateway.networking.k8s.io, which Cilium needs"},
		{name: "not YAML", bundle: []byte("kind: [\n"), err: "not YAML"},
		{name: "an object without a name", bundle: []byte("kind: Namespace\n"), err: "without kind or name"},
		{name: "empty", bundle: []byte("# nothing\n"), err: "lacks gatewayclasses"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objs, err := ParseGatewayBundle(c.bundle, "v1.2.1")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want it to say %q", err, c.err)
				}
				return
			}
			if err != nil || len(objs) != c.objects {
				t.Fatalf("%d objects, %v", len(objs), err)
			}
		})
	}
}

func TestCiliumAgentReady(t *testing.T) {
	ds := func(gen, observed int64, st appsv1.DaemonSetStatus) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Status: st}
		d.Status.ObservedGeneration = observed
		return d
	}
	cases := []struct {
		name string
		ds   *appsv1.DaemonSet
		ok   bool
		says string
	}{
		{name: "absent", says: "absent"},
		{name: "not observed", ds: ds(2, 1, appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, NumberReady: 3, UpdatedNumberScheduled: 3}), says: "latest spec"},
		{name: "scheduled nowhere", ds: ds(1, 1, appsv1.DaemonSetStatus{}), says: "no node runs one yet"},
		{name: "starting", ds: ds(1, 1, appsv1.DaemonSetStatus{DesiredNumberScheduled: 5, NumberReady: 2, UpdatedNumberScheduled: 5}), says: "2 of 5 ready, 5 up to date"},
		{name: "rolling", ds: ds(1, 1, appsv1.DaemonSetStatus{DesiredNumberScheduled: 5, NumberReady: 5, UpdatedNumberScheduled: 4}), says: "4 up to date"},
		{name: "one unavailable", ds: ds(1, 1, appsv1.DaemonSetStatus{DesiredNumberScheduled: 5, NumberReady: 5, UpdatedNumberScheduled: 5, NumberUnavailable: 1}), says: "5 of 5"},
		{name: "ready", ds: ds(1, 1, appsv1.DaemonSetStatus{DesiredNumberScheduled: 5, NumberReady: 5, UpdatedNumberScheduled: 5}), ok: true, says: "5 of 5 ready"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, line := CiliumAgentReady(c.ds)
			if ok != c.ok || !strings.Contains(line, c.says) {
				t.Fatalf("%v %q, want %v saying %q", ok, line, c.ok, c.says)
			}
		})
	}
}

func TestNodesReady(t *testing.T) {
	node := func(name string, st corev1.ConditionStatus) corev1.Node {
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if st != "" {
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: st}}
		}
		return n
	}
	cases := []struct {
		name  string
		nodes []corev1.Node
		want  int
		ok    bool
		says  string
	}{
		{name: "no CNI yet", nodes: []corev1.Node{node("cp-1", corev1.ConditionFalse), node("w-1", corev1.ConditionFalse)}, want: 2,
			says: "nodes: 0 of 2 Ready (NotReady: cp-1, w-1)"},
		{name: "a node without status", nodes: []corev1.Node{node("cp-1", corev1.ConditionTrue), node("w-1", "")}, want: 2, says: "NotReady: w-1"},
		{name: "a node still to join", nodes: []corev1.Node{node("cp-1", corev1.ConditionTrue)}, want: 2, says: "1 of 2 Ready"},
		{name: "all Ready", nodes: []corev1.Node{node("cp-1", corev1.ConditionTrue), node("w-1", corev1.ConditionTrue)}, want: 2, ok: true, says: "2 of 2 Ready"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, line := NodesReady(c.nodes, c.want)
			if ok != c.ok || line != c.says && !strings.Contains(line, c.says) {
				t.Fatalf("%v %q, want %v saying %q", ok, line, c.ok, c.says)
			}
		})
	}
}

func TestCiliumReleaseDrift(t *testing.T) {
	rel := func(st release.Status, version string, vals map[string]any) *release.Release {
		return &release.Release{Info: &release.Info{Status: st}, Config: vals,
			Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: version}}}
	}
	// Helm keeps values as JSON: the port comes back a float.
	stored := plan.CiliumValues()
	stored["k8sServicePort"] = float64(plan.KubePrismPort)
	other := plan.CiliumValues()
	other["k8sServiceHost"] = "10.0.130.11"
	cases := []struct {
		name string
		rel  *release.Release
		says string // "" = as planned
	}{
		{name: "none", says: "no release kube-system/cilium"},
		{name: "failed", rel: rel(release.StatusFailed, "1.17.3", stored), says: "is failed"},
		{name: "another chart", rel: rel(release.StatusDeployed, "1.16.5", stored), says: "has chart 1.16.5, the plan says 1.17.3"},
		{name: "other values", rel: rel(release.StatusDeployed, "1.17.3", other), says: "other values"},
		{name: "as planned", rel: rel(release.StatusDeployed, "1.17.3", stored)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := releaseDrift(c.rel, "1.17.3", plan.CiliumValues())
			if c.says == "" && got != "" || !strings.Contains(got, c.says) {
				t.Fatalf("%q, want %q", got, c.says)
			}
		})
	}
}

func ciliumTestPlan(t *testing.T, stack string) plan.Plan {
	t.Helper()
	p := era2TestPlan(t)
	p.Era2.Stack = stack
	return p
}

// TestEra2CiliumDescribe: k8s-foundation says what it installs; k8s-base has nothing to do, and its
// Check holds and its Run does nothing without reaching Omni.
func TestEra2CiliumDescribe(t *testing.T) {
	s := Era2CiliumStep{}
	d := strings.Join(s.Describe(ciliumTestPlan(t, plan.StackFoundation)), "\n")
	for _, w := range []string{"Gateway API v1.2.1 CRDs from https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/experimental-install.yaml",
		"install Cilium from chart repository https://helm.cilium.io/, version 1.17.3 as release kube-system/cilium",
		"KubePrism localhost:7445", "wait for DaemonSet kube-system/cilium and the"} {
		if !strings.Contains(d, w) {
			t.Errorf("describe lacks %q:\n%s", w, d)
		}
	}
	base := ciliumTestPlan(t, plan.StackBase)
	if d := s.Describe(base); len(d) != 1 || d[0] != "nothing: stack k8s-base uses kube-proxy" {
		t.Errorf("k8s-base: %q", d)
	}
	ctx := context.Background()
	e := &Env{} // no Omni: k8s-base must not need it
	if o, err := s.Check(ctx, e, base); err != nil || !o.Holds || o.Detail != "nothing: stack k8s-base uses kube-proxy" {
		t.Errorf("check: %+v %v", o, err)
	}
	var lines []string
	if _, err := s.Run(ctx, e, &base, func(ev Event) { lines = append(lines, ev.Message) }); err != nil || len(lines) != 1 {
		t.Errorf("run: %q %v", lines, err)
	}
	if pv, err := s.Preview(ctx, e, base); err != nil || len(pv) != 1 {
		t.Errorf("preview: %q %v", pv, err)
	}
	if ids := Order(Era2Steps()); strings.Join(idStrings(ids), ",") != "era2-cluster,era2-cilium,era2-register,era2-vault-init,era2-vault-bootstrap" {
		t.Errorf("era 2's steps: %v", ids)
	}
}

// TestEra2CiliumPreviewBeforeTheCluster: the dry run of a new cluster, which Omni has not made yet, says
// what the step will do there.
func TestEra2CiliumPreviewBeforeTheCluster(t *testing.T) {
	_, om := omnisimtest.Start(t, omnisim.Options{})
	p := ciliumTestPlan(t, plan.StackFoundation)
	pv, err := (Era2CiliumStep{}).Preview(context.Background(), &Env{Omni: om}, p)
	if err != nil || len(pv) != 6 || !strings.HasPrefix(pv[0], "cluster k8s-lab cannot be reached yet (") ||
		!strings.Contains(pv[2], "  apply the Gateway API v1.2.1 CRDs") {
		t.Fatalf("%q %v", pv, err)
	}
}

func idStrings(ids []ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
