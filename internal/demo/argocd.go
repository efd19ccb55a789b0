package demo

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// argoPoll is how often the simulated application controller looks at the Applications.
const argoPoll = 200 * time.Millisecond

// waitingForVault is the health message of Vault's Applications while Vault cannot serve.
const waitingForVault = "waiting for Vault: sealed, or not bootstrapped yet (no kubernetes auth method)"

// argoController plays ArgoCD's application controller once the install's root Application exists (in
// namespace argocd): the root is Synced and Healthy and lists every other Application of the namespace
// as its children (status.resources), as the app-of-apps makes them. A child that was never reconciled
// becomes Synced and Healthy; one with a status keeps it (the demo's faults write those). Vault's
// Applications (the plan's deferred ones) are Progressing until the demo's Vault is unsealed on every
// replica and bootstrapped, Healthy from then on, Progressing again if it is sealed. Nothing happens
// before the root exists: the console's era-1 Applications stay as seeded.
type argoController struct{ p *Platform }

func newArgoController(p *Platform) argoController { return argoController{p: p} }

func (a argoController) pass(ctx context.Context) {
	apps := a.p.kube.dyn.Resource(platform.ArgoApplication.GVR).Namespace(plan.DefaultArgoNamespace)
	root, err := apps.Get(ctx, gitops.RootName, metav1.GetOptions{})
	if err != nil {
		return
	}
	list, err := apps.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].GetName() < list.Items[j].GetName() })
	deferred := plan.GitOps{}.WithDefaults().Deferred
	vaultOK := a.p.vault.serving()
	revision := gitRevision(root)

	resources := []any{}
	for i := range list.Items {
		app := &list.Items[i]
		name := app.GetName()
		if name == gitops.RootName || app.GetDeletionTimestamp() != nil {
			continue
		}
		sync := health.Str(app, "status", "sync", "status")
		h := health.Str(app, "status", "health", "status")
		status := map[string]any{}
		if sync == "" {
			sync = "Synced"
			status["sync"] = map[string]any{"status": sync, "revision": revision}
			status["operationState"] = map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"}
		}
		switch {
		case slices.Contains(deferred, name):
			want, msg := "Healthy", any(nil)
			if !vaultOK {
				want, msg = "Progressing", waitingForVault
			}
			if cur := health.Str(app, "status", "health", "message"); h != want || (msg == nil) != (cur == "") {
				h = want
				status["health"] = map[string]any{"status": want, "message": msg}
			}
		case h == "":
			h = "Healthy"
			status["health"] = map[string]any{"status": h}
		}
		if len(status) > 0 {
			a.patch(ctx, name, status)
		}
		resources = append(resources, map[string]any{"group": platform.ArgoApplication.GVR.Group,
			"version": platform.ArgoApplication.GVR.Version, "kind": platform.ArgoApplication.Kind,
			"namespace": app.GetNamespace(), "name": name, "status": sync, "health": map[string]any{"status": h}})
	}

	want := map[string]any{
		"sync":           map[string]any{"status": "Synced", "revision": revision},
		"health":         map[string]any{"status": "Healthy"},
		"operationState": map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
		"resources":      resources,
	}
	cur, _, _ := unstructured.NestedMap(root.Object, "status")
	for k, v := range want {
		if !sameJSON(cur[k], v) {
			a.patch(ctx, gitops.RootName, want)
			return
		}
	}
}

// patch merges status into the Application's status.
func (a argoController) patch(ctx context.Context, name string, status map[string]any) {
	_ = mergeStatus(ctx, a.p.kube.dyn.Resource(platform.ArgoApplication.GVR).Namespace(plan.DefaultArgoNamespace), name, status)
}

// gitRevision is the commit the root's source is "at": a stable stand-in derived from it.
func gitRevision(root *unstructured.Unstructured) string {
	src, _, _ := unstructured.NestedStringMap(root.Object, "spec", "source")
	sum := sha1.Sum([]byte(src["repoURL"] + "@" + src["targetRevision"] + ":" + src["path"]))
	return hex.EncodeToString(sum[:])
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
