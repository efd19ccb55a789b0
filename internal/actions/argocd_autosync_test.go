package actions

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// application is Application argocd/shop with syncPolicy (nil: none) and annotations.
func application(policy map[string]any, annotations map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": "shop", "namespace": "argocd", "uid": "uid-shop", "resourceVersion": "7"}
	if annotations != nil {
		md["annotations"] = annotations
	}
	spec := map[string]any{"destination": map[string]any{"namespace": "shop"}}
	if policy != nil {
		spec["syncPolicy"] = policy
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": md, "spec": spec}}
}

func record(by string, policy map[string]any) string {
	b, _ := json.Marshal(PausedSync{By: by, SyncPolicy: policy})
	return string(b)
}

// TestPauseAndRestore: a pause records the syncPolicy and removes automated; a restore puts exactly that
// back and drops the record; each refuses what it cannot do.
func TestPauseAndRestore(t *testing.T) {
	on := map[string]any{"automated": map[string]any{"prune": true, "selfHeal": true}, "syncOptions": []any{"CreateNamespace=true"}}
	off := map[string]any{"syncOptions": []any{"CreateNamespace=true"}}
	for _, tc := range []struct {
		name      string
		patch     autosyncPatch
		app       *unstructured.Unstructured
		wantErr   string
		wantPatch string
		wantNote  string
	}{
		{name: "pause", patch: pausePatch, app: application(on, nil),
			wantPatch: `{"metadata":{"annotations":{"cedille-tui/paused-sync":` + quote(record("cedille:olive", on)) + `}},"spec":{"syncPolicy":{"automated":null}}}`,
			wantNote:  `automated sync now: {"prune":true,"selfHeal":true}`},
		{name: "pause again after a parent put it back keeps the first record", patch: pausePatch,
			app:       application(on, map[string]any{PausedSyncAnnotation: record("cedille:ada", on)}),
			wantPatch: `{"spec":{"syncPolicy":{"automated":null}}}`, wantNote: "paused before by cedille:ada and switched on again since"},
		{name: "pause with automated off", patch: pausePatch, app: application(off, nil), wantErr: "has no automated sync: nothing to pause"},
		{name: "pause without a syncPolicy", patch: pausePatch, app: application(nil, nil), wantErr: "has no automated sync"},
		{name: "pause when paused", patch: pausePatch, app: application(off, map[string]any{PausedSyncAnnotation: record("cedille:ada", on)}),
			wantErr: "paused already (by cedille:ada)"},
		{name: "restore", patch: restorePatch, app: application(off, map[string]any{PausedSyncAnnotation: record("cedille:olive", on)}),
			wantPatch: `{"metadata":{"annotations":{"cedille-tui/paused-sync":null}},"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}`,
			wantNote:  "paused by cedille:olive"},
		{name: "restore says what else changed and leaves it", patch: restorePatch,
			app:       application(map[string]any{"syncOptions": []any{"CreateNamespace=false"}}, map[string]any{PausedSyncAnnotation: record("cedille:olive", on)}),
			wantPatch: `{"metadata":{"annotations":{"cedille-tui/paused-sync":null}},"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":true}}}}`,
			wantNote:  `the rest of its syncPolicy changed since the pause ({"syncOptions":["CreateNamespace=true"]}, now {"syncOptions":["CreateNamespace=false"]})`},
		{name: "restore without a record", patch: restorePatch, app: application(on, nil), wantErr: "carries no pause record"},
		{name: "a record that is not one", patch: restorePatch, app: application(off, map[string]any{PausedSyncAnnotation: "yes"}), wantErr: "is not a pause record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			patch, notes, err := tc.patch(tc.app, "cedille:olive")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(patch); string(b) != tc.wantPatch {
				t.Errorf("patch\n %s\nwant\n %s", b, tc.wantPatch)
			}
			if !strings.Contains(strings.Join(notes, "\n"), tc.wantNote) {
				t.Errorf("notes %q lack %q", notes, tc.wantNote)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPauseThenRestoreRoundTrips: on fake clients, a pause then a restore leave the syncPolicy exactly
// as it was, and the Application without a record.
func TestPauseThenRestoreRoundTrips(t *testing.T) {
	ctx := context.Background()
	on := map[string]any{"automated": map[string]any{"prune": true, "selfHeal": true, "allowEmpty": false}, "retry": map[string]any{"limit": int64(5)}}
	app := application(on, nil)
	app.SetLabels(map[string]string{"app.kubernetes.io/instance": "root"})
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ApplicationsResource(): "ApplicationList"}, app)
	c := Client{Dynamic: dc, User: "cedille:olive"}
	shop := Target{Kind: KindApplication, Namespace: "argocd", Name: "shop"}
	p, err := ArgoPauseSync().Preview(ctx, c, shop)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "deployed by Application root: if that one syncs by itself, it puts automated back") {
		t.Errorf("notes %q do not name the parent", p.Notes)
	}
	// The fake applies dry runs too: start again from the Application as it was.
	dc = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ApplicationsResource(): "ApplicationList"}, app)
	c.Dynamic = dc
	for _, a := range []Action{ArgoPauseSync(), ArgoRestoreSync()} {
		if err := a.Run(ctx, c, shop, Precondition{}); err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		got, err := apps(dc, shop).Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, auto := AutomatedOf(got)
		_, paused, _ := PausedSyncOf(got)
		if auto == (a.Name == "argocd-pause-sync") || paused != (a.Name == "argocd-pause-sync") {
			t.Fatalf("after %s: automated %v, paused %v", a.Name, auto, paused)
		}
		if a.Name == "argocd-restore-sync" {
			policy, _, _ := unstructured.NestedMap(got.Object, "spec", "syncPolicy")
			if !reflect.DeepEqual(policy, on) {
				t.Fatalf("restored %v, want %v", policy, on)
			}
		}
	}
}
