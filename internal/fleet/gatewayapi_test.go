package fleet

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/watch"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ciliumSnap is a cluster serving the Gateway API with Cilium's DaemonSet of image (none when "") and
// GatewayClasses of the given controllers.
func ciliumSnap(image string, controllers ...string) *watch.Snapshot {
	s := &watch.Snapshot{Objects: health.Objects{Now: now, Serves: map[string]bool{health.ResourceGatewayClasses: true}}}
	if image != "" {
		s.DaemonSets = []*appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cilium"},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "cilium-agent", Image: image}}}}}}}
	}
	for i, c := range controllers {
		s.GatewayClasses = append(s.GatewayClasses, &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "class-" + string(rune('a'+i))}, "spec": map[string]any{"controllerName": c}}})
	}
	return s
}

func TestGatewayAPIStacks(t *testing.T) {
	const c117, c118 = "quay.io/cilium/cilium:v1.17.3", "quay.io/cilium/cilium:v1.18.1"
	rows := func(stacks map[string]string) map[string]*Row {
		out := map[string]*Row{}
		for c, s := range stacks {
			out[c] = &Row{Cluster: c, Stack: s}
		}
		return out
	}
	foundation := map[string]string{"k8s-poc": "k8s-foundation", "k8s-sandbox": "k8s-foundation", "k8s-prod": "k8s-foundation"}
	for _, tt := range []struct {
		name      string
		stacks    map[string]string
		watched   map[string]Watched
		reasonHas string
	}{
		{"one stack, two Cilium minors", foundation, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap(c117)},
			"k8s-sandbox": {Snapshot: ciliumSnap(c118, "io.cilium/gateway-controller")},
			"k8s-prod":    {Snapshot: ciliumSnap(c117, "io.cilium/gateway-controller")},
		}, "(v1.2 on k8s-poc (Cilium 1.17), k8s-prod (Cilium 1.17); v1.3 on k8s-sandbox (Cilium 1.18))"},
		{"one Cilium minor, patches apart", foundation, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap("quay.io/cilium/cilium:v1.17.1")},
			"k8s-sandbox": {Snapshot: ciliumSnap(c117)},
		}, ""},
		{"two stacks, one minor each", map[string]string{"k8s-poc": "k8s-foundation", "k8s-sandbox": "k8s-base"}, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap(c117)},
			"k8s-sandbox": {Snapshot: ciliumSnap(c118)},
		}, ""},
		{"the other runs another Gateway controller", foundation, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap(c117)},
			"k8s-sandbox": {Snapshot: ciliumSnap(c118, "gateway.envoyproxy.io/gatewayclass-controller")},
		}, ""},
		{"the other not read, or its version unknown", foundation, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap(c117)},
			"k8s-sandbox": {Started: true},
			"k8s-prod":    {Snapshot: ciliumSnap("quay.io/cilium/cilium@sha256:1782794aeac951af")},
		}, ""},
		{"no stack label", map[string]string{"k8s-poc": "", "k8s-sandbox": ""}, map[string]Watched{
			"k8s-poc":     {Snapshot: ciliumSnap(c117)},
			"k8s-sandbox": {Snapshot: ciliumSnap(c118)},
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := gatewayAPIStacks(rows(tt.stacks), tt.watched)
			if tt.reasonHas == "" {
				if len(fs) != 0 {
					t.Fatalf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Object != "Stack/k8s-foundation" || fs[0].Status != health.Degraded ||
				!strings.Contains(fs[0].Reason, tt.reasonHas) || !strings.Contains(fs[0].Hint, "one Cilium minor") {
				t.Fatalf("findings %+v, want Stack/k8s-foundation Degraded with %q", fs, tt.reasonHas)
			}
		})
	}
}

// TestEvaluateGatewayAPIStacks: the stack's finding is one of the fleet's, beside each cluster's own row.
func TestEvaluateGatewayAPIStacks(t *testing.T) {
	in := Inputs{Now: now,
		Argo: []ArgoCluster{
			{Secret: "cluster-omni-1", Name: "poc", Server: "https://omni.example?cluster=poc", Labels: map[string]string{"stack": "k8s-foundation"}},
			{Secret: "cluster-omni-2", Name: "sandbox", Server: "https://omni.example?cluster=sandbox", Labels: map[string]string{"stack": "k8s-foundation"}},
		},
		Watched: map[string]Watched{
			"poc":     {Started: true, Snapshot: ciliumSnap("quay.io/cilium/cilium:v1.17.3")},
			"sandbox": {Started: true, Snapshot: ciliumSnap("quay.io/cilium/cilium:v1.18.1")},
		}}
	r := Evaluate(in)
	if len(r.Findings) != 1 || r.Findings[0].Object != "Stack/k8s-foundation" || r.Overall < health.Degraded {
		t.Fatalf("fleet findings %+v, overall %s", r.Findings, r.Overall)
	}
}
