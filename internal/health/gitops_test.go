package health

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// readTestdataList decodes a YAML `kind: List` (or a single object) under testdata/ into unstructured
// objects, in file order.
func readTestdataList(t testing.TB, name string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	items, ok := doc["items"].([]any)
	if !ok {
		return []*unstructured.Unstructured{{Object: doc}}
	}
	out := make([]*unstructured.Unstructured, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("%s: item %d is not an object", name, i)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

// findingsByObject indexes a layer's findings, failing on a duplicate object.
func findingsByObject(t testing.TB, l LayerReport) map[string]Finding {
	t.Helper()
	m := make(map[string]Finding, len(l.Findings))
	for _, f := range l.Findings {
		if _, dup := m[f.Object]; dup {
			t.Errorf("two findings for %s", f.Object)
		}
		if strings.Contains(f.Reason, "\n") || strings.Contains(f.Hint, "\n") {
			t.Errorf("%s: reason or hint spans lines: %q / %q", f.Object, f.Reason, f.Hint)
		}
		m[f.Object] = f
	}
	return m
}

// layerCase is one expected finding of a layer.
type layerCase struct {
	object    string
	want      Status
	reasonHas []string
	hintHas   string // "" means the hint must be empty
	reasonNot string
}

func checkFinding(t *testing.T, got map[string]Finding, tc layerCase) {
	t.Helper()
	f, ok := got[tc.object]
	if !ok {
		t.Fatalf("no finding for %s", tc.object)
	}
	if f.Status != tc.want {
		t.Errorf("status = %v, want %v (%s)", f.Status, tc.want, f.Reason)
	}
	for _, r := range tc.reasonHas {
		if !strings.Contains(f.Reason, r) {
			t.Errorf("reason %q lacks %q", f.Reason, r)
		}
	}
	if tc.reasonNot != "" && strings.Contains(f.Reason, tc.reasonNot) {
		t.Errorf("reason %q should not contain %q", f.Reason, tc.reasonNot)
	}
	switch {
	case tc.hintHas == "" && f.Hint != "":
		t.Errorf("hint = %q, want none", f.Hint)
	case !strings.Contains(f.Hint, tc.hintHas):
		t.Errorf("hint %q lacks %q", f.Hint, tc.hintHas)
	}
}

func TestGitOps(t *testing.T) {
	apps := readTestdataList(t, "gitops/applications.yaml")
	l := GitOps(Objects{Applications: apps})
	got := findingsByObject(t, l)
	tests := []layerCase{
		{object: "Application/argocd/vault", want: OK, reasonHas: []string{"Synced, Healthy"}, reasonNot: "Ingress"},
		{object: "Application/argocd/kuma", want: Degraded, reasonHas: []string{"OutOfSync, Healthy"}, hintHas: "runbook: app-sync"},
		{object: "Application/argocd/k8s-poc-vault", want: Degraded, reasonHas: []string{"Synced, progressing"}, hintHas: "HTTPRoute with no status.parents"},
		{object: "Application/argocd/k8s-poc-garagehq", want: Down,
			reasonHas: []string{"Degraded: VaultStaticSecret storage-config/garagehq-credentials: Failed to sync the secret", "SyncError: Failed sync attempt"},
			hintHas:   "argocd app get argocd/k8s-poc-garagehq"},
		{object: "Application/argocd/calidum-rotae", want: OK, reasonHas: []string{"Synced, Healthy (Ingress health is forced by ArgoCD: not proven)"}},
		{object: "Application/argocd-apps/calidum-rotae", want: Down, reasonHas: []string{"OutOfSync", "Missing"}, hintHas: "argocd app sync argocd-apps/calidum-rotae"},
		{object: "Application/argocd/grafana", want: Unknown, reasonHas: []string{"not reconciled yet"}, hintHas: "application controller"},
		{object: "Application/argocd/mayastor-helm", want: Down,
			reasonHas: []string{"sync Unknown", "Missing", "ComparisonError: Failed to load target state: chart metallb not found in repository …"},
			hintHas:   "cannot render or compare the source (https://charts.invalid/mayastor-extensions metallb@2.4.0)"},
		{object: "Application/argocd/netdata", want: Degraded, reasonHas: []string{"Suspended"}, hintHas: "resume"},
		{object: "Application/argocd/crossplane-helm", want: Degraded, reasonHas: []string{"last sync Failed: one or more objects failed to apply"}, hintHas: "app-sync"},
		{object: "Application/argocd/opentelemetry-operator", want: Degraded, reasonHas: []string{"Synced, Healthy", "last sync Error: rpc error"}, hintHas: "app-sync"},
		{object: "Application/argocd/kubevirt", want: Degraded, reasonHas: []string{"sync running: waiting for completion of hook"}, hintHas: "wait for the sync"},
		{object: "Application/argocd/clickhouse-operator", want: Degraded, reasonHas: []string{"sync being terminated"}, hintHas: "sync again"},
		{object: "Application/argocd/kubevious", want: Unknown, reasonHas: []string{"Synced, health Unknown"}},
		{object: "Application/argocd/grav-demo", want: Unknown, reasonHas: []string{"sync Unknown, Healthy"}, hintHas: "apps/samples/grav-demo@HEAD"},
		{object: "Application/argocd/mayastor-configs", want: Degraded,
			reasonHas: []string{"InvalidSpecError: Application referencing project platforme-cedille which does not exist"},
			hintHas:   "cannot render or compare the source (https://github.com/ClubCedille/Plateforme-Cedille system/mayastor/configs@HEAD)"},
		{object: "Application/argocd/argocd", want: Degraded, reasonHas: []string{"SharedResourceWarning: ConfigMap/argocd-cm"}, hintHas: "ApplicationSet name collision"},
		{object: "Application/argocd/cert-manager", want: OK, reasonHas: []string{"Synced, Healthy, OrphanedResourceWarning"}},
		{object: "Application/argocd/pixie-helm", want: Unknown, reasonHas: []string{"health Pending"}},
		{object: "Application/argocd/vcluster-sandbox", want: Degraded, reasonHas: []string{"OutOfSync", "(listed 2 times: the worst is shown)"}, hintHas: "app-sync"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != len(tests) {
		t.Errorf("%d findings, want %d (one per Application, duplicates merged)", len(l.Findings), len(tests))
	}
	if l.Status != Down || l.Name != LayerGitOps {
		t.Errorf("layer %s = %v, want gitops Down", l.Name, l.Status)
	}
}

func TestApplicationQuirks(t *testing.T) {
	byName := map[string]*unstructured.Unstructured{}
	for _, a := range readTestdataList(t, "gitops/applications.yaml") {
		byName[a.GetNamespace()+"/"+a.GetName()] = a
	}
	tests := []struct {
		name, app  string
		wantSource string
	}{
		{"single source", "argocd/k8s-poc-vault", "https://github.com/ClubCedille/k8s-foundation.git common/vault/overlays/k8s-poc@HEAD"},
		{"several sources", "argocd/vault", "https://charts.invalid/hashicorp vault@0.26.1, https://charts.invalid/redhat-cop vault-config-operator@0.8.24"},
		{"values-only ref source skipped", "argocd/argocd", "https://charts.invalid/argo argo-cd@6.7.9, https://github.com/ClubCedille/Plateforme-Cedille system/argocd/resources@HEAD"},
		{"misplaced sync-wave and project in destination", "argocd/kuma", "https://github.com/ClubCedille/Plateforme-Cedille system/kuma/kuma-resources@HEAD"},
		{"wrong chart name kept as written", "argocd/mayastor-helm", "https://charts.invalid/mayastor-extensions metallb@2.4.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := byName[tt.app]
			if a == nil {
				t.Fatalf("no App %s in testdata", tt.app)
			}
			if got := appSources(a); got != tt.wantSource {
				t.Errorf("sources = %q, want %q", got, tt.wantSource)
			}
			f := Application(a)
			if f.Object != "Application/"+tt.app {
				t.Errorf("object %q", f.Object)
			}
			if strings.Contains(f.Reason, "platforme-cedille") || strings.Contains(f.Reason, "sync-wave") {
				t.Errorf("a key ArgoCD ignores leaked into the verdict: %q", f.Reason)
			}
		})
	}
}

func TestGitOpsEdgeCases(t *testing.T) {
	app := func(status map[string]any) *unstructured.Unstructured {
		o := map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": "calidum-rotae", "namespace": "argocd"},
			"spec":     map[string]any{"source": "not-a-map", "sources": []any{"junk", 3}},
		}
		if status != nil {
			o["status"] = status
		}
		return &unstructured.Unstructured{Object: o}
	}
	tests := []struct {
		name   string
		app    *unstructured.Unstructured
		want   Status
		reason string
	}{
		{"empty status map", app(map[string]any{}), Unknown, "not reconciled yet"},
		{"status with only reconciledAt", app(map[string]any{"reconciledAt": "2026-07-20T15:10:00Z"}), Unknown, "not reconciled yet"},
		{"malformed spec sources tolerated", app(map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}), OK, "Synced, Healthy"},
		{"unknown sync value", app(map[string]any{"sync": map[string]any{"status": "Drifting"}, "health": map[string]any{"status": "Healthy"}}), Unknown, "sync Drifting"},
		{"unknown operation phase", app(map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"},
			"operationState": map[string]any{"phase": "Pausing"}}), Unknown, "sync operation Pausing"},
		{"legacy extensions Ingress", app(map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"},
			"resources": []any{map[string]any{"group": "extensions", "kind": "Ingress", "name": "grafana"}}}), OK, "not proven"},
		{"Contour HTTPProxy is not an Ingress", app(map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"},
			"resources": []any{map[string]any{"group": "projectcontour.io", "kind": "HTTPProxy", "name": "grav"}}}), OK, "Synced, Healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Application(tt.app)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reason)
			}
			if tt.name == "Contour HTTPProxy is not an Ingress" && strings.Contains(f.Reason, "Ingress") {
				t.Errorf("HTTPProxy taken for an Ingress: %q", f.Reason)
			}
		})
	}
}

func TestGitOpsUnavailable(t *testing.T) {
	apps := readTestdataList(t, "gitops/applications.yaml")[:2] // vault (OK), kuma (OutOfSync)
	o := Objects{
		Unavailable:  map[string]error{ResourceApplications: errors.New(`applications.argoproj.io is forbidden: User "reader" cannot list resource "applications"`)},
		Applications: apps,
	}
	l := GitOps(o)
	got := findingsByObject(t, l)
	for _, tc := range []layerCase{
		{object: "CRD/applications.argoproj.io", want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "list/watch on applications.argoproj.io"},
		{object: "Application/argocd/vault", want: OK, reasonHas: []string{"Synced, Healthy"}},
		{object: "Application/argocd/kuma", want: Degraded, reasonHas: []string{"OutOfSync"}, hintHas: "app-sync"},
	} {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if l.Status != Degraded {
		t.Errorf("layer = %v, want Degraded", l.Status)
	}

	t.Run("nothing else readable", func(t *testing.T) {
		l := GitOps(Objects{Unavailable: map[string]error{ResourceApplications: errors.New(`the server could not find the requested resource`)}})
		if l.Status != Unknown || len(l.Findings) != 1 || l.Findings[0].Object != "CRD/applications.argoproj.io" {
			t.Fatalf("got %+v", l)
		}
	})
	t.Run("no Applications at all", func(t *testing.T) {
		if l := GitOps(Objects{}); l.Status != Unknown || len(l.Findings) != 0 {
			t.Fatalf("got %+v", l)
		}
	})
}
