package demo

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// demoRelease is one Helm release the simulated Helm keeps: its latest revision and the workloads that
// revision made (an upgrade deletes those it no longer makes, as Helm does).
type demoRelease struct {
	revision  int
	workloads []helmops.Workload
}

// Charts is the demo's Helm: the install's charts "installed" into the simulated cluster. It keeps the
// releases in memory (install, then a new revision per upgrade) and makes, in the fake Kubernetes API,
// the Deployments and StatefulSets the real chart would, already ready. It knows argo-cd and vcluster;
// a vcluster's syncer writes its vc-<name> Secret a moment after the install, as the real one does once
// it runs. It fetches nothing: the plan's chart source only names the version.
func (p *Platform) Charts() steps.ChartInstaller { return demoCharts{p: p} }

type demoCharts struct{ p *Platform }

// argoWorkloads are the workloads of the argo-cd chart (7.x) with its default components in namespace
// ns; Dex's (argoDex) is added when the values configure a connector.
func argoWorkloads(ns string) []helmops.Workload {
	var out []helmops.Workload
	for _, n := range []string{"argocd-applicationset-controller", "argocd-notifications-controller", "argocd-redis",
		"argocd-repo-server", "argocd-server"} {
		out = append(out, helmops.Workload{Kind: "Deployment", Namespace: ns, Name: n})
	}
	return append(out, helmops.Workload{Kind: "StatefulSet", Namespace: ns, Name: "argocd-application-controller"})
}

const argoDex = "argocd-dex-server"

func (c demoCharts) InstallOrUpgrade(ctx context.Context, _ *platform.Kube, r helmops.Release, name string, src plan.Chart,
	vals map[string]any) (helmops.Result, error) {
	p := c.p
	if err := ctx.Err(); err != nil {
		return helmops.Result{}, err
	}
	if !p.kube.up.Load() {
		return helmops.Result{}, fmt.Errorf("install %s: Kubernetes cluster unreachable: dial tcp: lookup %s: no such host",
			r.Name, strings.TrimPrefix(kubeHost, "https://"))
	}
	var ws []helmops.Workload
	labels := map[string]string{"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": r.Name}
	switch name {
	case plan.ArgoCDChart:
		ws = argoWorkloads(r.Namespace)
		if dexConfigured(vals) {
			ws = append(ws, helmops.Workload{Kind: "Deployment", Namespace: r.Namespace, Name: argoDex})
		}
		labels["app.kubernetes.io/part-of"] = "argocd"
	case plan.VClusterChart:
		ws = []helmops.Workload{{Kind: "StatefulSet", Namespace: r.Namespace, Name: r.Name}}
		labels["app"], labels["release"] = "vcluster", r.Name
	default:
		return helmops.Result{}, fmt.Errorf("demo: no simulated chart %q (the demo knows %s and %s)", name,
			plan.ArgoCDChart, plan.VClusterChart)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Kind+ws[i].Name < ws[j].Kind+ws[j].Name })

	if err := p.ensureNamespace(ctx, r.Namespace); err != nil {
		return helmops.Result{}, fmt.Errorf("install %s: %w", r.Name, err)
	}
	for _, w := range ws {
		if err := p.applyReadyWorkload(ctx, w, labels); err != nil {
			return helmops.Result{}, fmt.Errorf("install %s: %s %s: %w", r.Name, w.Kind, w.Name, err)
		}
	}

	key := r.Namespace + "/" + r.Name
	p.relMu.Lock()
	rel := p.releases[key]
	installed := rel == nil
	if installed {
		rel = &demoRelease{}
		p.releases[key] = rel
	}
	gone := removed(rel.workloads, ws)
	rel.revision++
	rel.workloads = ws
	revision := rel.revision
	p.relMu.Unlock()

	for _, w := range gone {
		if err := p.deleteWorkload(ctx, w); err != nil {
			return helmops.Result{}, fmt.Errorf("upgrade %s: delete %s %s: %w", r.Name, w.Kind, w.Name, err)
		}
	}
	if name == plan.VClusterChart {
		p.startSyncer(r.Name, r.Namespace, vclusterServer(r.Name, r.Namespace, vals))
	}

	version := src.Version
	if src.File != "" {
		version = filepath.Base(src.File)
	}
	return helmops.Result{Revision: revision, Installed: installed, Status: "deployed", Chart: name, Version: version,
		Workloads: slices.Clone(ws)}, nil
}

// dexConfigured tells whether the argo-cd values configure Dex (configs.cm's dex.config).
func dexConfigured(vals map[string]any) bool {
	configs, _ := vals["configs"].(map[string]any)
	cm, _ := configs["cm"].(map[string]any)
	s, _ := cm["dex.config"].(string)
	return s != ""
}

// removed are the workloads of before that now lacks.
func removed(before, now []helmops.Workload) []helmops.Workload {
	keep := map[helmops.Workload]bool{}
	for _, w := range now {
		keep[w] = true
	}
	var out []helmops.Workload
	for _, w := range before {
		if !keep[w] {
			out = append(out, w)
		}
	}
	return out
}

// ensureNamespace creates the release's namespace when it is missing (Helm's --create-namespace).
func (p *Platform) ensureNamespace(ctx context.Context, ns string) error {
	_, err := p.kube.typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// applyReadyWorkload creates or updates a Deployment or StatefulSet of one replica with every replica
// ready and up to date. The fake API server neither bumps metadata.generation nor runs controllers, so
// both the generation and the status the controller would write are set here.
func (p *Platform) applyReadyWorkload(ctx context.Context, w helmops.Workload, labels map[string]string) error {
	one := int32(1)
	meta := metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": w.Name}}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: selector.MatchLabels}}
	switch w.Kind {
	case "Deployment":
		return upsertReady(ctx, p.kube.typed.AppsV1().Deployments(w.Namespace), w.Name, labels,
			func() *appsv1.Deployment {
				return &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Selector: selector, Template: template}}
			},
			func(d *appsv1.Deployment) {
				d.Spec.Replicas = &one
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: one, UpdatedReplicas: one,
					ReadyReplicas: one, AvailableReplicas: one}
			})
	case "StatefulSet":
		return upsertReady(ctx, p.kube.typed.AppsV1().StatefulSets(w.Namespace), w.Name, labels,
			func() *appsv1.StatefulSet {
				return &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{ServiceName: w.Name + "-headless",
					Selector: selector, Template: template}}
			},
			func(s *appsv1.StatefulSet) {
				s.Spec.Replicas = &one
				s.Status = appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: one, ReadyReplicas: one,
					CurrentReplicas: one, UpdatedReplicas: one, AvailableReplicas: one}
			})
	}
	return fmt.Errorf("no simulated workload kind %s", w.Kind)
}

// workloadAPI is the part of a typed workload client (Deployments, StatefulSets) upsertReady uses.
type workloadAPI[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// upsertReady gets the workload (fresh when there is none), adds labels to its own, bumps its generation,
// lets ready write its replicas and status, and creates or updates it.
func upsertReady[T metav1.Object](ctx context.Context, api workloadAPI[T], name string, labels map[string]string,
	fresh func() T, ready func(T)) error {
	obj, err := api.Get(ctx, name, metav1.GetOptions{})
	create := apierrors.IsNotFound(err)
	if err != nil && !create {
		return err
	}
	if create {
		obj = fresh()
	}
	merged := maps.Clone(obj.GetLabels())
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, labels)
	obj.SetLabels(merged)
	obj.SetGeneration(obj.GetGeneration() + 1)
	ready(obj)
	if create {
		_, err = api.Create(ctx, obj, metav1.CreateOptions{})
	} else {
		_, err = api.Update(ctx, obj, metav1.UpdateOptions{})
	}
	return err
}

func (p *Platform) deleteWorkload(ctx context.Context, w helmops.Workload) error {
	var err error
	switch w.Kind {
	case "Deployment":
		err = p.kube.typed.AppsV1().Deployments(w.Namespace).Delete(ctx, w.Name, metav1.DeleteOptions{})
	case "StatefulSet":
		err = p.kube.typed.AppsV1().StatefulSets(w.Namespace).Delete(ctx, w.Name, metav1.DeleteOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
