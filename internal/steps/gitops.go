package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/assets"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ArgoRelease is the Helm release of ArgoCD.
const ArgoRelease = "argocd"

// GitOpsStep installs ArgoCD with the Helm SDK (the pinned argo-cd chart, the platform's values), waits
// for its workloads, creates the root Application of the app-of-apps and follows its children until
// they are Synced and Healthy. Running it again upgrades the release (never a second one) and updates
// the root Application.
type GitOpsStep struct{}

func (GitOpsStep) ID() ID           { return GitOps }
func (GitOpsStep) Title() string    { return "GitOps" }
func (GitOpsStep) Fields() []string { return []string{"gitops"} }

func (GitOpsStep) Describe(p plan.Plan) []string {
	g := p.GitOps.WithDefaults()
	out := []string{fmt.Sprintf("install or upgrade ArgoCD (release %s, chart %s from %s) in namespace %s, served at https://%s",
		ArgoRelease, plan.ArgoCDChart, chartSource(g.Chart), g.Namespace, g.Domain)}
	if p.Vault.SSO.ArgoCD.ClientID != "" {
		out = append(out, fmt.Sprintf("  Dex GitHub login for %s (client %s; its secret from Secret %s/dex-secret, filled from Vault)",
			g.GitHubOrg, p.Vault.SSO.ArgoCD.ClientID, g.Namespace))
	} else {
		out = append(out, "  no GitHub SSO in the plan: the local admin stays enabled")
	}
	return append(out, "wait for its Deployments and StatefulSets",
		fmt.Sprintf("create the root Application %s: %s at %s, path %s (synced automatically, self-heal, prune)",
			gitops.RootName, g.Root.RepoURL, g.Root.Revision, g.Root.Path),
		"follow its child Applications until each is Synced and Healthy; a failing one shows ArgoCD's message")
}

func (s GitOpsStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	if ps := p.ValidateGitOps(); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	k, err := e.vault().Kube(ctx, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	g := p.GitOps.WithDefaults()
	root, children, done, err := readApps(ctx, k, g.Namespace, g.Deferred...)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if !sameSource(root, g.Root) {
		return Outcome{Detail: "the root Application points elsewhere than the plan"}, nil
	}
	if !done {
		return Outcome{Detail: fmt.Sprintf("%d of %d child Applications Synced and Healthy", countOK(children), len(children))}, nil
	}
	return Outcome{Holds: true, Detail: "ArgoCD runs; the root Application and " + childCount(len(children)) + " are Synced and Healthy"}, nil
}

func sameSource(root *unstructured.Unstructured, r plan.RootApp) bool {
	src, _, _ := unstructured.NestedStringMap(root.Object, "spec", "source")
	return src["repoURL"] == r.RepoURL && src["targetRevision"] == r.Revision && src["path"] == r.Path
}

func countOK(cs []gitops.Child) int {
	n := 0
	for _, c := range cs {
		if c.OK {
			n++
		}
	}
	return n
}

func (s GitOpsStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: GitOps, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateGitOps(); len(ps) > 0 {
		return Result{}, ps
	}
	g := p.GitOps.WithDefaults()
	k, err := e.vault().Kube(ctx, *p)
	if err != nil {
		return Result{}, err
	}
	vals, err := p.ArgoCDValues(assets.FS)
	if err != nil {
		return Result{}, err
	}
	if p.Vault.SSO.ArgoCD.ClientID != "" {
		c, _ := vaultops.SSOClientNamed("argocd")
		if _, err := k.Typed.CoreV1().Secrets(g.Namespace).Get(ctx, c.Secret, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			say("Secret %s/%s is not there yet: Dex cannot log anyone in until vault-config-operator writes it from Vault "+
				"(VaultSecret %s/%s)", g.Namespace, c.Secret, g.Namespace, c.Secret)
		}
	}
	say("installing or upgrading ArgoCD: chart %s from %s into namespace %s", plan.ArgoCDChart, chartSource(g.Chart), g.Namespace)
	res, err := e.charts().InstallOrUpgrade(ctx, k, helmops.Release{Name: ArgoRelease, Namespace: g.Namespace,
		Timeout: 10 * time.Minute, TakeOwnership: true}, plan.ArgoCDChart, g.Chart, vals)
	if err != nil {
		return Result{}, err
	}
	verb := "upgraded to"
	if res.Installed {
		verb = "installed as"
	}
	if res.Recovered {
		say("an earlier run was interrupted: its revision was marked failed")
	}
	say("ArgoCD %s %s %s, revision %d (%s)", verb, res.Chart, res.Version, res.Revision, res.Status)
	if err := waitWorkloads(ctx, e, k, GitOps, res.Workloads, emit); err != nil {
		return Result{}, err
	}
	root := gitops.RootApplication(g.Namespace, g.Root.RepoURL, g.Root.Revision, g.Root.Path)
	did, err := applyObject(ctx, k, platform.ArgoApplication, root)
	if err != nil {
		return Result{}, fmt.Errorf("the root Application: %w", k.Classify(err))
	}
	say("root Application %s %s: %s at %s, path %s", gitops.RootName, did, g.Root.RepoURL, g.Root.Revision, g.Root.Path)
	items, err := followChildren(ctx, e, k, GitOps, g.Namespace, g.Deferred, emit)
	if err != nil {
		return Result{}, err
	}
	children := items[1:] // the root first
	synced := 0
	for _, c := range children {
		if c.OK {
			synced++
		}
	}
	return GitOpsResult(*p, synced, len(children)-synced), nil
}

// applyObject creates the object of that kind (the root Application, a VaultSecret), or updates its
// spec; it says which ("created", "updated", "kept").
func applyObject(ctx context.Context, k *platform.Kube, kind platform.Kind, u *unstructured.Unstructured) (string, error) {
	ri := k.Dynamic.Resource(kind.GVR).Namespace(u.GetNamespace())
	cur, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = ri.Create(ctx, u, metav1.CreateOptions{})
		return "created", err
	}
	if err != nil {
		return "", err
	}
	// Compared as printed: the server's copy holds []any and int64 where ours may hold []string and int,
	// which reflect.DeepEqual would call different.
	if fmt.Sprint(cur.Object["spec"]) == fmt.Sprint(u.Object["spec"]) {
		return "kept", nil
	}
	cur.Object["spec"] = u.Object["spec"]
	_, err = ri.Update(ctx, cur, metav1.UpdateOptions{})
	return "updated", err
}

// readApps reads the root Application in ns and judges its children (the deferred ones need only
// exist); done is gitops.Children's. The GitOps step's check and wait, and the hand-off's, all start here.
func readApps(ctx context.Context, k *platform.Kube, ns string, deferred ...string) (root *unstructured.Unstructured,
	children []gitops.Child, done bool, err error) {
	ri := k.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace(ns)
	root, err = ri.Get(ctx, gitops.RootName, metav1.GetOptions{})
	if err != nil {
		return nil, nil, false, fmt.Errorf("root Application: %w", k.Classify(err))
	}
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, false, fmt.Errorf("Applications in %s: %w", ns, k.Classify(err))
	}
	apps := make(map[string]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		apps[list.Items[i].GetName()] = &list.Items[i]
	}
	children, done = gitops.Children(root, apps, deferred...)
	return root, children, done, nil
}

// followChildren shows the root's children as a live list until every one is Synced and Healthy; it
// returns the list's last items, the root's first.
func followChildren(ctx context.Context, e *Env, k *platform.Kube, step ID, ns string, deferred []string, emit func(Event)) ([]Item, error) {
	var bad []string // the last look's root and children that are not Synced and Healthy, deferred ones aside
	var last []Item
	err := e.until(ctx, e.clusterWait(), func() (bool, error) {
		root, children, done, err := readApps(ctx, k, ns, deferred...)
		if err != nil {
			return false, err
		}
		items := make([]Item, 0, len(children)+1)
		items = append(items, gitopsRootItem(root))
		deferredN := 0
		for _, c := range children {
			items = append(items, Item{Name: c.Name, State: c.State, Detail: c.Detail, OK: c.OK, Failed: c.Failed})
			if c.Deferred {
				deferredN++
			}
		}
		last = items
		emit(Event{Step: step, Items: items, Done: int64(countOK(children)), Total: int64(len(children)), Unit: "applications"})
		if !done {
			bad = bad[:0]
			for i, it := range items {
				if !it.OK && (i == 0 || !children[i-1].Deferred) {
					bad = append(bad, it.Name+" ("+it.State+")")
				}
			}
			return false, nil
		}
		msg := "the root Application and " + childCount(len(children)) + " are Synced and Healthy"
		if deferredN > 0 {
			msg = fmt.Sprintf("the root Application's %d children are Synced and Healthy but %d that wait for the Vault steps",
				len(children), deferredN)
		}
		emit(Event{Step: step, Message: msg})
		return true, nil
	}, func() error {
		return fmt.Errorf("after %s, not Synced and Healthy: %s; see their messages above (argocd app get NAME)",
			e.clusterWait(), strings.Join(bad, ", "))
	})
	return last, err
}

func gitopsRootItem(root *unstructured.Unstructured) Item {
	sync, h := health.Str(root, "status", "sync", "status"), health.Str(root, "status", "health", "status")
	it := Item{Name: gitops.RootName + " (app-of-apps)", State: orDash(sync) + "/" + orDash(h), OK: sync == "Synced" && h == "Healthy"}
	if !it.OK {
		it.Detail = health.Str(root, "status", "operationState", "message")
	}
	return it
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// childCount is "its N children" (or "its child").
func childCount(n int) string {
	if n == 1 {
		return "its child"
	}
	return fmt.Sprintf("its %d children", n)
}
