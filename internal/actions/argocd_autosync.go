package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PausedSyncAnnotation is where argocd-pause-sync records, on the Application itself, the syncPolicy
// it found and who paused it (PausedSync as JSON): argocd-restore-sync puts its automated block back
// exactly, and anyone reading the Application sees that it is paused and by whom.
const PausedSyncAnnotation = "cedille-tui/paused-sync"

// PausedSync is the record argocd-pause-sync leaves on an Application.
type PausedSync struct {
	By         string         `json:"by"`         // who the API server saw pause it: cedille:olive
	SyncPolicy map[string]any `json:"syncPolicy"` // spec.syncPolicy as it was, automated included
}

// PausedSyncOf reads the pause record of an Application; false when it has none.
func PausedSyncOf(app *unstructured.Unstructured) (PausedSync, bool, error) {
	raw, ok := app.GetAnnotations()[PausedSyncAnnotation]
	if !ok {
		return PausedSync{}, false, nil
	}
	var p PausedSync
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return PausedSync{}, true, fmt.Errorf("application %s/%s: annotation %s is not a pause record: %w", app.GetNamespace(), app.GetName(), PausedSyncAnnotation, err)
	}
	return p, true, nil
}

// AutomatedOf is an Application's spec.syncPolicy.automated, and whether it has one.
func AutomatedOf(app *unstructured.Unstructured) (map[string]any, bool) {
	m, ok, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy", "automated")
	return m, ok
}

// ArgoPauseSync pauses an Application's automated sync, so that Argo CD neither re-creates nor fights
// what a runbook repairs by hand: spec.syncPolicy.automated removed (syncOptions, retry and the rest
// stay), the syncPolicy as it was recorded in annotation cedille-tui/paused-sync. Refused when
// automated sync is already off. An Application paused before and switched on again since (its
// parent Application synced it back) keeps its first record: that is what was there.
func ArgoPauseSync() Action {
	return autosyncAction("argocd-pause-sync", pausePatch,
		"Argo CD stops syncing it by itself (no self-heal, no auto-prune) until argocd-restore-sync; a sync by hand still works")
}

// ArgoRestoreSync puts back the automated sync that argocd-pause-sync recorded on an Application,
// exactly (spec.syncPolicy.automated as recorded), and removes the record. Refused when there is no
// record.
func ArgoRestoreSync() Action {
	return autosyncAction("argocd-restore-sync", restorePatch,
		"Argo CD syncs it by itself again as before the pause: what git declares is applied (and re-created) within minutes")
}

// autosyncAction is an operator's action that patches an Application's syncPolicy as build says.
func autosyncAction(name string, build autosyncPatch, blast string) Action {
	return Action{Name: name, Kind: KindApplication, Role: access.Operator,
		Blast: func(t Target) string { return t.String() + ": " + blast },
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			return previewAutosync(ctx, c, t, build)
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			return runAutosync(ctx, c, t, expect, build)
		},
	}
}

// autosyncPatch makes the merge patch for an Application as read, written by user, with notes for the
// preview; an error refuses it.
type autosyncPatch func(app *unstructured.Unstructured, user string) (patch map[string]any, notes []string, err error)

// pausePatch removes automated and records the syncPolicy (keeping an earlier record).
func pausePatch(app *unstructured.Unstructured, user string) (map[string]any, []string, error) {
	rec, paused, err := PausedSyncOf(app)
	if err != nil {
		return nil, nil, err
	}
	automated, on := AutomatedOf(app)
	switch {
	case !on && paused:
		return nil, nil, fmt.Errorf("its automated sync is paused already (by %s): nothing to pause", rec.By)
	case !on:
		return nil, nil, errors.New("it has no automated sync: nothing to pause")
	}
	show, _ := json.Marshal(automated)
	notes := []string{"automated sync now: " + string(show)}
	patch := map[string]any{"spec": map[string]any{"syncPolicy": map[string]any{"automated": nil}}}
	if paused {
		notes = append(notes, fmt.Sprintf("paused before by %s and switched on again since: the first record is kept", rec.By))
		return patch, notes, nil
	}
	policy, _, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy")
	b, err := json.Marshal(PausedSync{By: user, SyncPolicy: policy})
	if err != nil {
		return nil, nil, err
	}
	patch["metadata"] = map[string]any{"annotations": map[string]any{PausedSyncAnnotation: string(b)}}
	return patch, notes, nil
}

// restorePatch puts the recorded automated block back and removes the record.
func restorePatch(app *unstructured.Unstructured, _ string) (map[string]any, []string, error) {
	rec, paused, err := PausedSyncOf(app)
	if err != nil {
		return nil, nil, err
	}
	if !paused {
		return nil, nil, fmt.Errorf("it carries no pause record (%s): nothing to restore", PausedSyncAnnotation)
	}
	automated, ok := rec.SyncPolicy["automated"]
	if !ok {
		automated = nil
	}
	notes := []string{"paused by " + rec.By}
	now, _, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy")
	if !reflect.DeepEqual(withoutAutomated(now), withoutAutomated(rec.SyncPolicy)) {
		was, _ := json.Marshal(withoutAutomated(rec.SyncPolicy))
		is, _ := json.Marshal(withoutAutomated(now))
		notes = append(notes, fmt.Sprintf("the rest of its syncPolicy changed since the pause (%s, now %s): left as it is now", was, is))
	}
	if dest, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "namespace"); dest != "" {
		notes = append(notes, "git's manifests are applied to namespace "+dest+" again, creating what is missing")
	}
	return map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{PausedSyncAnnotation: nil}},
		"spec":     map[string]any{"syncPolicy": map[string]any{"automated": automated}},
	}, notes, nil
}

// withoutAutomated is a syncPolicy but its automated block (nil for none).
func withoutAutomated(policy map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range policy {
		if k != "automated" {
			out[k] = v
		}
	}
	return out
}

// previewAutosync reads the Application, makes the patch, dry-runs it bound to what it read and lists
// the changes, with the Application's source, state and who would put automated back by itself.
func previewAutosync(ctx context.Context, c Client, t Target, build autosyncPatch) (Preview, error) {
	app, err := apps(c.Dynamic, t).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Preview{}, err
	}
	patch, notes, err := build(app, c.User)
	if err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: app.GetUID(), ResourceVersion: app.GetResourceVersion()}
	after, err := patchApp(ctx, c, t, patch, expect, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	notes = append(notes, appNotes(app)...)
	notes = append(notes, managedBy(app)...)
	return Preview{Changes: diff(app.Object, after.Object), Notes: notes, Expect: expect}, nil
}

// runAutosync reads the Application, makes the patch and sends it bound to expect (to what it read when
// expect is zero).
func runAutosync(ctx context.Context, c Client, t Target, expect Precondition, build autosyncPatch) error {
	app, err := apps(c.Dynamic, t).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return changed(t, expect, err)
	}
	patch, _, err := build(app, c.User)
	if err != nil {
		return err
	}
	if expect.IsZero() {
		expect = Precondition{UID: app.GetUID(), ResourceVersion: app.GetResourceVersion()}
	}
	_, err = patchApp(ctx, c, t, patch, expect, nil)
	return err
}

// managedBy says what may put an Application's automated sync back by itself: the Application that
// deploys it (app of apps) or the ApplicationSet that generates it.
func managedBy(app *unstructured.Unstructured) []string {
	var out []string
	if parent := ArgoTracking(app.GetLabels(), app.GetAnnotations()); parent != "" {
		out = append(out, "deployed by Application "+parent+": if that one syncs by itself, it puts automated back — pause it first")
	}
	for _, o := range app.GetOwnerReferences() {
		if o.Kind == "ApplicationSet" {
			out = append(out, "generated by ApplicationSet "+o.Name+": its controller may put automated back unless it ignores syncPolicy differences")
		}
	}
	return out
}

// ArgoTracking is the name of the Argo CD Application that deploys an object with these labels and
// annotations, or "": its tracking annotation (argocd.argoproj.io/tracking-id, "APP:GROUP/KIND:NS/NAME",
// APP possibly "NAMESPACE_APP"), else the instance label Argo CD sets by default (a Helm release's own
// objects carry Helm's release annotation instead, and the label then names the release).
func ArgoTracking(labels, annotations map[string]string) string {
	if id := annotations["argocd.argoproj.io/tracking-id"]; id != "" {
		app, _, _ := strings.Cut(id, ":")
		return app
	}
	if app := labels["app.kubernetes.io/instance"]; app != "" && annotations["meta.helm.sh/release-name"] == "" {
		return app
	}
	return ""
}
