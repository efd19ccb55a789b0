package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VClustersStep installs each vcluster with the Helm SDK (values built and validated with the vcluster
// project's config types, the syncer told to write its kubeconfig for the in-cluster service URL),
// waits for its StatefulSet and its vc-<name> Secret, and registers it in ArgoCD as a cluster Secret —
// from inside the cluster, with the credentials the vcluster itself publishes (PLATFORM.md §4.3: the
// registration era 1 never managed). Each registration is checked by a real request with exactly the
// registered credentials; a rerun repairs a stale or missing one.
type VClustersStep struct{}

func (VClustersStep) ID() ID           { return VClusters }
func (VClustersStep) Title() string    { return "vclusters" }
func (VClustersStep) Fields() []string { return []string{"vclusters"} }

func (VClustersStep) Describe(p plan.Plan) []string {
	out := []string{"install or upgrade each vcluster (chart " + plan.VClusterChart + " from " + chartSource(p.VClusters.Chart) + "):"}
	for _, c := range p.VClusters.List() {
		if c.RegisterOnly {
			out = append(out, fmt.Sprintf("  %s in namespace %s: installed by its owner (registerOnly), only registered, as %s", c.Name, c.Namespace, c.Server))
			continue
		}
		out = append(out, fmt.Sprintf("  %s in namespace %s, its kubeconfig written for %s", c.Name, c.Namespace, c.Server))
	}
	return append(out, "wait for each StatefulSet and its "+vcluster.KubeconfigSecret("<name>")+" Secret",
		fmt.Sprintf("register each in ArgoCD (Secret %s in %s, server = the URL above, TLS client credentials from the vcluster's Secret)",
			argocd.ClusterSecretName("<name>"), p.GitOps.WithDefaults().Namespace),
		"check each registration with a real request made with exactly those credentials")
}

func (s VClustersStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	if ps := p.ValidateVClusters(); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	k, err := e.vault().Kube(ctx, p)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	argo := p.GitOps.WithDefaults().Namespace
	for _, c := range p.VClusters.List() {
		if _, _, ok, err := workloadReady(ctx, k, helmops.Workload{Kind: "StatefulSet", Namespace: c.Namespace, Name: c.Name}); err != nil || !ok {
			return Outcome{Detail: fmt.Sprintf("vcluster %s: StatefulSet not ready", c.Name)}, nil
		}
		if why := registrationProblem(ctx, e, k, argo, c); why != "" {
			return Outcome{Detail: fmt.Sprintf("vcluster %s: %s", c.Name, why)}, nil
		}
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("%d vclusters running and registered in ArgoCD (checked)", len(p.VClusters.List()))}, nil
}

// registrationProblem says what is wrong with a vcluster's ArgoCD registration ("" when it matches the
// vcluster's own credentials and a request with them succeeds).
func registrationProblem(ctx context.Context, e *Env, k *platform.Kube, argo string, c plan.VCluster) string {
	st, err := gitops.Inspect(ctx, k.Typed, argo, c.Name, c.Namespace, c.Server, e.checkRegistration)
	if err != nil {
		return k.Classify(err).Error()
	}
	return st.Problem
}

func (s VClustersStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	say := func(f string, a ...any) { emit(Event{Step: VClusters, Message: fmt.Sprintf(f, a...)}) }
	if ps := p.ValidateVClusters(); len(ps) > 0 {
		return Result{}, ps
	}
	k, err := e.vault().Kube(ctx, *p)
	if err != nil {
		return Result{}, err
	}
	argo := p.GitOps.WithDefaults().Namespace
	if err := ensureNamespace(ctx, k, argo); err != nil {
		return Result{}, err
	}
	list := p.VClusters.List()
	apps, err := deployedByArgo(ctx, k, list)
	if err != nil {
		return Result{}, err
	}
	for i, app := range apps {
		if app != "" {
			if err := leaveToArgo(ctx, e, p, list, i, app, say); err != nil {
				return Result{}, err
			}
		}
	}
	var ws []helmops.Workload
	for _, c := range list {
		ws = append(ws, helmops.Workload{Kind: "StatefulSet", Namespace: c.Namespace, Name: c.Name})
		if c.RegisterOnly {
			say("vcluster %s in %s: installed by its owner (registerOnly); waiting for it, then registering it", c.Name, c.Namespace)
			continue
		}
		vals, err := vcluster.ValuesFor(c.Name, c.Namespace, c.Server)
		if err != nil {
			return Result{}, fmt.Errorf("vcluster %s: its values: %w", c.Name, err)
		}
		res, err := e.charts().InstallOrUpgrade(ctx, k, helmops.Release{Name: c.Name, Namespace: c.Namespace, Timeout: 10 * time.Minute, TakeOwnership: true},
			plan.VClusterChart, p.VClusters.Chart, vals)
		if err != nil {
			return Result{}, fmt.Errorf("vcluster %s: %w", c.Name, err)
		}
		verb := "upgraded to"
		if res.Installed {
			verb = "installed as"
		}
		say("vcluster %s %s %s %s in %s, revision %d", c.Name, verb, res.Chart, res.Version, c.Namespace, res.Revision)
	}
	if err := waitWorkloads(ctx, e, k, VClusters, ws, emit); err != nil {
		return Result{}, err
	}
	if err := registerAll(ctx, e, k, argo, list, emit); err != nil {
		return Result{}, err
	}
	return VClustersResult(*p), nil
}

// deployedByArgo reads the vcluster StatefulSets of each namespace of list before anything is installed.
// Another vcluster in a namespace stops the step (foreignVClusters): two releases there would sync into
// the same objects. Otherwise it returns, for each vcluster of list, the ArgoCD Application that deploys
// it, which Helm must not install over ("" for none, or when the plan already only registers it).
func deployedByArgo(ctx context.Context, k *platform.Kube, list []plan.VCluster) ([]string, error) {
	apps := make([]string, len(list))
	var ps plan.Problems
	for i, c := range list {
		sts, err := k.Typed.AppsV1().StatefulSets(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=vcluster"})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, k.Classify(err)
		}
		ps = append(ps, foreignVClusters(i, c, sts.Items)...)
		for _, s := range sts.Items {
			if s.Name == c.Name && !c.RegisterOnly {
				apps[i] = argoTracking(s.ObjectMeta)
			}
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return apps, nil
}

// argoTracking is the ArgoCD Application that deploys an object, or "": its tracking annotation, or the
// instance label ArgoCD sets by default on what it renders (a Helm release's own objects carry Helm's
// release annotation instead).
func argoTracking(m metav1.ObjectMeta) string {
	if id := m.Annotations["argocd.argoproj.io/tracking-id"]; id != "" {
		app, _, _ := strings.Cut(id, ":")
		return app
	}
	if app := m.Labels["app.kubernetes.io/instance"]; app != "" && m.Annotations["meta.helm.sh/release-name"] == "" {
		return app
	}
	return ""
}

// leaveToArgo settles the plan's i-th vcluster, which ArgoCD Application app deploys: installing it with
// Helm would fight ArgoCD's self-heal. The wizard asks whether to only register it (the answer is kept in
// the plan); unattended, the plan must say so.
func leaveToArgo(ctx context.Context, e *Env, p *plan.Plan, list []plan.VCluster, i int, app string, say func(string, ...any)) error {
	c := list[i]
	path := fmt.Sprintf("vclusters.clusters[%d].registerOnly", i)
	why := fmt.Sprintf("vcluster %s in %s is deployed by ArgoCD Application %s: installing it with Helm would fight ArgoCD's self-heal", c.Name, c.Namespace, app)
	if e.Ask == nil {
		return plan.Problems{{Path: path, Message: why + "; set registerOnly: true to only register it (or take it out of the app-of-apps)"}}
	}
	a, err := e.ask(ctx, Prompt{Kind: PromptYesNo, Title: "Register vcluster " + c.Name + " as it is?", Default: true,
		Lines: []string{why + ".", "Yes: leave its install to ArgoCD and only register it (kept in the plan as registerOnly). " +
			"No: stop here, to take it out of the app-of-apps first."}})
	if err != nil {
		return err
	}
	if !a.Yes {
		return fmt.Errorf("%s; take it out of the app-of-apps, or rerun and choose to only register it", why)
	}
	if len(p.VClusters.Clusters) == 0 { // the defaults: write them out to keep the choice
		for _, d := range list {
			p.VClusters.Clusters = append(p.VClusters.Clusters, plan.VCluster{Name: d.Name, Namespace: d.Namespace})
		}
	}
	p.VClusters.Clusters[i].RegisterOnly = true
	list[i].RegisterOnly = true
	say("vcluster %s: left to ArgoCD Application %s, only registered (registerOnly saved in the plan)", c.Name, app)
	return nil
}

// foreignVClusters are the problems of installing vcluster c (the plan's i-th) in a namespace where
// StatefulSets of another vcluster run: two releases in one namespace would sync into the same objects.
// The platform's vclusters were releases vcluster-<env> in vcluster-<env>, deployed by ArgoCD.
func foreignVClusters(i int, c plan.VCluster, sts []appsv1.StatefulSet) plan.Problems {
	var ps plan.Problems
	for _, s := range sts {
		if s.Name == c.Name {
			continue
		}
		by := ""
		if app := argoTracking(s.ObjectMeta); app != "" {
			by = ", deployed by ArgoCD Application " + app
		}
		ps = append(ps, plan.Problem{Path: fmt.Sprintf("vclusters.clusters[%d].name", i), Message: fmt.Sprintf(
			"namespace %s already runs vcluster %s (StatefulSet %s%s): name this vcluster %s to take that one over, or give it another namespace",
			c.Namespace, s.Name, s.Name, by, s.Name)})
	}
	return ps
}

// registerAll waits for each vcluster's Secret, registers it, and checks the registration; the live list
// shows each vcluster's state.
func registerAll(ctx context.Context, e *Env, k *platform.Kube, argo string, list []plan.VCluster, emit func(Event)) error {
	pending := len(list)
	if pending == 0 {
		return nil
	}
	items := make([]Item, len(list))
	for i, c := range list {
		items[i] = Item{Name: c.Name, State: "waiting for " + vcluster.KubeconfigSecret(c.Name)}
	}
	return e.until(ctx, e.clusterWait(), func() (bool, error) {
		for i, c := range list {
			if items[i].OK {
				continue
			}
			it, err := registerOne(ctx, e, k, argo, c)
			if err != nil {
				return false, err
			}
			items[i] = it
			if it.OK {
				pending--
				emit(Event{Step: VClusters, Message: fmt.Sprintf("vcluster %s registered in ArgoCD as %s (%s); %s",
					c.Name, c.Server, it.Detail, it.State)})
			}
		}
		emit(Event{Step: VClusters, Items: items, Done: int64(len(list) - pending), Total: int64(len(list)), Unit: "vclusters"})
		return pending == 0, nil
	}, func() error {
		return fmt.Errorf("%d vcluster(s) not registered after %s: see each one's state (the syncer writes %s once the vcluster runs)",
			pending, e.clusterWait(), vcluster.KubeconfigSecret("<name>"))
	})
}

// registerOne registers one vcluster if its Secret is there; the item says where it stands. An error is
// returned only for what waiting cannot fix.
func registerOne(ctx context.Context, e *Env, k *platform.Kube, argo string, c plan.VCluster) (Item, error) {
	it := Item{Name: c.Name}
	vc, err := k.Typed.CoreV1().Secrets(c.Namespace).Get(ctx, vcluster.KubeconfigSecret(c.Name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		it.State = "waiting for " + vcluster.KubeconfigSecret(c.Name)
		return it, nil
	}
	if err != nil {
		return it, k.Classify(err)
	}
	r, err := gitops.FromVClusterSecret(c.Name, c.Namespace, c.Server, vc)
	if err != nil {
		it.State = err.Error()
		return it, nil
	}
	did, err := gitops.Register(ctx, k.Typed, argo, r)
	if err != nil {
		return it, k.Classify(err)
	}
	cur, err := k.Typed.CoreV1().Secrets(argo).Get(ctx, argocd.ClusterSecretName(c.Name), metav1.GetOptions{})
	if err != nil {
		return it, k.Classify(err)
	}
	user, err := e.checkRegistration(ctx, cur)
	if err != nil {
		it.State, it.Failed = "registered, but the check failed: "+err.Error(), true
		return it, nil
	}
	it.OK = true
	it.State = "registered"
	if did != "" {
		it.State = "registration " + did
	}
	it.Detail = "authenticated as " + user
	return it, nil
}
