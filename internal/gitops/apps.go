package gitops

import (
	"cmp"
	"slices"
	"sort"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RootName is the app-of-apps Application the install creates.
const RootName = "root"

// RootApplication is the app-of-apps (PLATFORM.md §4.1: the platform's was never in git): the Git
// repository, revision and directory of the child Applications, synced automatically with self-heal
// and pruning, its own resources cleaned up with it.
func RootApplication(argoNamespace, repoURL, revision, path string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": platform.ArgoApplication.GVR.GroupVersion().String(),
		"kind":       platform.ArgoApplication.Kind,
		"metadata": map[string]any{"name": RootName, "namespace": argoNamespace,
			"labels":     map[string]any{"app.kubernetes.io/managed-by": "cedille-tui"},
			"finalizers": []any{"resources-finalizer.argocd.argoproj.io"}},
		"spec": map[string]any{
			"project":     "default",
			"source":      map[string]any{"repoURL": repoURL, "targetRevision": revision, "path": path},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": argoNamespace},
			"syncPolicy":  map[string]any{"automated": map[string]any{"prune": true, "selfHeal": true}},
		},
	}}
}

// Child is one Application the root made, as the live list shows it.
type Child struct {
	Name   string
	OK     bool // Synced and Healthy
	Failed bool // Degraded, Missing, or its last sync failed
	// Deferred: its health waits for a later step (Vault's Applications, until Vault is unsealed and
	// bootstrapped): it does not hold the list back.
	Deferred bool
	State    string
	Detail   string
}

// Children lists the Applications the root tracks (status.resources of kind Application), judged from
// their statuses with the console's own rules; an Application the root lists but that does not exist
// yet is waiting. done is true when the root itself is Synced and every child is Synced and Healthy —
// but for the deferred ones, which only need to exist (their health is checked after the steps they
// wait for). The root's own health is not required when a deferred child holds it back.
func Children(root *unstructured.Unstructured, apps map[string]*unstructured.Unstructured, deferred ...string) (children []Child, done bool) {
	var names []string
	res, _, _ := unstructured.NestedSlice(root.Object, "status", "resources")
	for _, r := range res {
		m, ok := r.(map[string]any)
		if !ok || m["kind"] != platform.ArgoApplication.Kind {
			continue
		}
		if n, _ := m["name"].(string); n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	rootOK := health.Application(root).Status == health.OK
	rootSynced := health.Str(root, "status", "sync", "status") == "Synced"
	done = len(names) > 0
	anyDeferred := false
	for _, n := range names {
		app, ok := apps[n]
		if !ok {
			children = append(children, Child{Name: n, State: "not created yet"})
			done = false
			continue
		}
		f := health.Application(app)
		sync := health.Str(app, "status", "sync", "status")
		h := health.Str(app, "status", "health", "status")
		c := Child{Name: n, State: cmp.Or(sync, "-") + "/" + cmp.Or(h, "-"), OK: f.Status == health.OK}
		if !c.OK && slices.Contains(deferred, n) {
			c.Deferred, c.Detail = true, "checked after the Vault steps: "+f.Reason
			anyDeferred = true
		} else if !c.OK {
			c.Detail = f.Reason
			phase := health.Str(app, "status", "operationState", "phase")
			c.Failed = f.Status == health.Down || phase == "Failed" || phase == "Error"
			done = false
		}
		children = append(children, c)
	}
	done = done && (rootOK || (anyDeferred && rootSynced))
	return children, done
}
