package health

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func fromYAML(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func TestApplicationSet(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      Status
		reason    string
	}{
		{"selected by the stack label", `
metadata: {name: kf-vault, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - clusters:
      selector:
        matchLabels: {stack: k8s-foundation}`, OK, "stack=k8s-foundation"},
		{"no selector: every cluster, the hub included", `
metadata: {name: vault, namespace: argocd}
spec:
  generators:
  - clusters: {}`, Down, "generators[0]"},
		{"an empty selector selects everything too", `
metadata: {name: vault, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {}}`, Down, "without a selector"},
		{"inside a matrix", `
metadata: {name: m, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - git: {repoURL: x}
      - clusters: {}`, Down, "generators[0].matrix.generators[1]"},
		{"a list generator only", `
metadata: {name: l, namespace: argocd}
spec:
  generators:
  - list: {elements: []}`, OK, "no cluster generator"},
		{"selected but the controller errs", `
metadata: {name: e, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {matchLabels: {stack: k8s-base}}}
status:
  conditions:
  - {type: ErrorOccurred, status: "True", message: "two sets generate app x"}`, Degraded, "two sets generate app x"},
	} {
		f := ApplicationSet(fromYAML(t, tc.doc))
		if f.Status != tc.want || !strings.Contains(f.Reason, tc.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.name, f.Status, f.Reason, tc.want, tc.reason)
		}
	}
}

func TestSpokeRefusedInGitOps(t *testing.T) {
	app := fromYAML(t, `
metadata: {name: k8s-cedille-sandbox-vault, namespace: argocd}
spec:
  destination: {server: "https://cedille.kubernetes.omni.example?cluster=k8s-cedille-sandbox", namespace: vault}
status:
  sync: {status: Unknown}
  health: {status: Healthy}
  conditions:
  - type: ComparisonError
    message: "Failed to load live state: the server has asked for the client to provide credentials (get pods)"`)
	other := fromYAML(t, `
metadata: {name: ok, namespace: argocd}
status:
  sync: {status: Unknown}
  health: {status: Healthy}
  conditions:
  - {type: ComparisonError, message: "rpc error: repository not found"}`)
	l := GitOps(Objects{Applications: []*unstructured.Unstructured{app, other}})
	got := map[string]Finding{}
	for _, f := range l.Findings {
		got[f.Object] = f
	}
	f := got["Application/argocd/k8s-cedille-sandbox-vault"]
	if f.Status != Down || !strings.Contains(f.Reason, "k8s-cedille-sandbox refuses ArgoCD's token") ||
		!strings.Contains(f.Hint, "recover spoke-token --target Cluster/k8s-cedille-sandbox") {
		t.Errorf("refused spoke: %+v", f)
	}
	if o := got["Application/argocd/ok"]; o.Status == Down || strings.Contains(o.Hint, RunbookSpokeToken) {
		t.Errorf("a repository error is not a refused token: %+v", o)
	}
	if c := ClusterOfServer("https://kubernetes.default.svc"); c != "" {
		t.Errorf("in-cluster server names cluster %q", c)
	}
}
