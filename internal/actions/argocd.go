package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/access"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// ApplicationsResource is Argo CD's Application resource.
func ApplicationsResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
}

// RefreshAnnotation asks Argo CD's application controller to compare the Application with git again
// ("normal"; "hard" also drops its manifest cache); the controller removes it when done.
const RefreshAnnotation = "argocd.argoproj.io/refresh"

// ErrOperationInProgress: an Application already has an operation (a sync running or queued); Argo
// CD's own API refuses a second one the same way.
var ErrOperationInProgress = errors.New("another operation is already in progress")

// ArgoRefresh asks Argo CD to refresh an Application (annotation argocd.argoproj.io/refresh=normal,
// as `argocd app get --refresh` does): it reads git again and compares; the cluster is not changed.
func ArgoRefresh() Action {
	return Action{Name: "argocd-refresh", Kind: KindApplication, Role: access.Operator,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: Argo CD reads git again and compares; nothing in the cluster changes", t)
		},
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			return previewApp(ctx, c, t, refreshPatch())
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, err := patchApp(ctx, c, t, refreshPatch(), expect, nil)
			return err
		},
	}
}

func refreshPatch() map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{RefreshAnnotation: "normal"}}}
}

// ArgoSync starts a sync of an Application the way Argo CD's API does for `argocd app sync`: it sets
// .operation (initiatedBy the acting user, sync with the hook strategy, no prune, the revision left
// to spec's targetRevision) and clears .status.operationState; the application controller then runs
// it. Refused while an operation is already set.
func ArgoSync() Action {
	return Action{Name: "argocd-sync", Kind: KindApplication, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: Argo CD applies git's manifests to the cluster now (no prune); live edits to its resources are overwritten", t)
		},
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			return previewApp(ctx, c, t, syncPatch(c.User))
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			if expect.IsZero() {
				// Unbound: bind to what is there now, so that the in-progress check holds at the write.
				app, err := apps(c.Dynamic, t).Get(ctx, t.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				if err := noOperation(app); err != nil {
					return err
				}
				expect = Precondition{UID: app.GetUID(), ResourceVersion: app.GetResourceVersion()}
			}
			_, err := patchApp(ctx, c, t, syncPatch(c.User), expect, nil)
			return err
		},
	}
}

// syncPatch is the merge patch that starts a sync initiated by user.
func syncPatch(user string) map[string]any {
	return map[string]any{
		"operation": map[string]any{
			"initiatedBy": map[string]any{"username": user},
			"sync":        map[string]any{"syncStrategy": map[string]any{"hook": map[string]any{}}},
		},
		"status": map[string]any{"operationState": nil},
	}
}

// noOperation refuses an Application that already has an operation.
func noOperation(app *unstructured.Unstructured) error {
	if op, ok := app.Object["operation"]; ok && op != nil {
		by, _, _ := unstructured.NestedString(app.Object, "operation", "initiatedBy", "username")
		if by == "" {
			by = "someone"
		}
		return fmt.Errorf("%w (started by %s)", ErrOperationInProgress, by)
	}
	return nil
}

func apps(d dynamic.Interface, t Target) dynamic.ResourceInterface {
	return d.Resource(ApplicationsResource()).Namespace(t.Namespace)
}

// patchApp sends patch bound to expect and returns the Application as patched; dryRun set makes it a
// dry run.
func patchApp(ctx context.Context, c Client, t Target, patch map[string]any, expect Precondition, dryRun []string) (*unstructured.Unstructured, error) {
	body, err := boundPatch(patch, expect)
	if err != nil {
		return nil, err
	}
	out, err := apps(c.Dynamic, t).Patch(ctx, t.Name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun})
	return out, changed(t, expect, err)
}

// previewApp reads the Application, refuses one with an operation in progress, dry-runs the patch
// bound to what it read and lists the changes, with the Application's source and state as notes.
func previewApp(ctx context.Context, c Client, t Target, patch map[string]any) (Preview, error) {
	app, err := apps(c.Dynamic, t).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Preview{}, err
	}
	if err := noOperation(app); err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: app.GetUID(), ResourceVersion: app.GetResourceVersion()}
	after, err := patchApp(ctx, c, t, patch, expect, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	return Preview{Changes: diff(app.Object, after.Object), Notes: appNotes(app), Expect: expect}, nil
}

// appNotes says where an Application comes from and how it stands (PLATFORM.md: .status.sync.status,
// .status.health.status, .status.operationState.phase).
func appNotes(app *unstructured.Unstructured) []string {
	str := func(path ...string) string {
		s, _, _ := unstructured.NestedString(app.Object, path...)
		if s == "" {
			return "?"
		}
		return s
	}
	var notes []string
	if repo, ok, _ := unstructured.NestedString(app.Object, "spec", "source", "repoURL"); ok {
		notes = append(notes, fmt.Sprintf("source %s %s at %s", repo, str("spec", "source", "path"), str("spec", "source", "targetRevision")))
	} else if srcs, ok, _ := unstructured.NestedSlice(app.Object, "spec", "sources"); ok {
		notes = append(notes, fmt.Sprintf("%d sources", len(srcs)))
	}
	notes = append(notes, fmt.Sprintf("now: sync %s at %s, health %s, last operation %s",
		str("status", "sync", "status"), str("status", "sync", "revision"), str("status", "health", "status"),
		str("status", "operationState", "phase")))
	if _, ok, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy", "automated"); ok {
		notes = append(notes, "automated sync is on: Argo CD also syncs by itself")
	}
	return notes
}
