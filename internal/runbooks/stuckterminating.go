package runbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/units"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// StuckTerminating is `stuck-terminating`: a namespace, a ConfigMap or a PersistentVolumeClaim deleted
// and still there. Following the platform's card (never skip the consumer check) and the namespace
// deleter's own conditions, it reads why the object waits — for a namespace its deletion conditions
// and every object left in it — and who still uses it; pauses the automated sync of the Argo CD
// Applications that deploy it (they would re-create or fight the fix), the outermost first; has the
// person deal with what the finalizers would have cleaned up; removes the finalizers one object at a
// time through remove-finalizers, which refuses while a live consumer is left; waits until the object
// is gone; and puts each Application's automated sync back exactly as recorded.
//
// A namespace's own spec.finalizers (kubernetes) is never forced: the namespace controller removes it
// once the content is gone, and forcing it would leave that content behind in etcd. A run stopped
// after the pause leaves the Applications paused, each with its record (annotation
// cedille-tui/paused-sync): the next run's precheck names them, and its last step restores them.
func StuckTerminating() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookStuckTerminating, Title: "A namespace or an object stuck Terminating",
		Summary: "read why it waits and who still uses it, pause the Applications that would fight the fix, release what finalizers hold once nothing uses it, wait for it to go, restore the sync",
		Kinds:   []string{"Namespace", "ConfigMap", "PersistentVolumeClaim"},
		Steps: []runbook.Step{
			{ID: "why", Kind: runbook.Precheck, Title: "Read why it waits: its deletion conditions, what remains, who still uses it", Check: stuckWhy},
			{ID: "pause", Kind: runbook.Action, Title: "Pause the automated sync of the Argo CD Applications that deploy it", Do: "argocd-pause-sync", Objects: appsToPause},
			{ID: "cleanup", Kind: runbook.Manual, Title: "Deal with what the finalizers would have cleaned up", Instructions: finalizerInstructions},
			{ID: "release", Kind: runbook.Action, Title: "Remove the finalizers, one object at a time, once nothing uses it", Do: "remove-finalizers", Objects: heldObjects},
			{ID: "gone", Kind: runbook.Postcheck, Title: "Wait until it is gone", Wait: stuckGone, Every: 2 * time.Second, Timeout: 5 * time.Minute},
			{ID: "restore", Kind: runbook.Action, Title: "Put the automated sync back as it was", Do: "argocd-restore-sync", Objects: appsToRestore},
		}}
}

// resourceOf is the resource of a target kind the runbook reads.
func resourceOf(kind string) (schema.GroupVersionResource, error) {
	for k, r := range map[string]string{"Namespace": "namespaces", "ConfigMap": "configmaps", "PersistentVolumeClaim": "persistentvolumeclaims"} {
		if strings.EqualFold(k, kind) {
			return corev1.SchemeGroupVersion.WithResource(r), nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("stuck-terminating reads no %s", kind)
}

func isNamespace(t runbook.Target) bool { return strings.EqualFold(t.Kind, "Namespace") }

// readStuck reads the run's target; nil when it does not exist.
func readStuck(ctx context.Context, w runbook.World, t runbook.Target) (*unstructured.Unstructured, error) {
	if w.Dynamic == nil {
		return nil, fmt.Errorf("no cluster to read %s from", t)
	}
	r, err := resourceOf(t.Kind)
	if err != nil {
		return nil, err
	}
	u, err := w.Dynamic.Resource(r).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return u, nil
}

// leftObject is one object left in a namespace being deleted.
type leftObject struct {
	kind, resource, name string // ConfigMap, configmaps (with its group: "foos.example.com"), held
	finalizers           []string
	deleting             bool
}

func (i leftObject) String() string { return strings.ToLower(i.kind) + "/" + i.name }

// releasable tells whether remove-finalizers acts on it.
func (i leftObject) releasable() bool {
	return slices.ContainsFunc(actions.FinalizerKinds(), func(k string) bool { return k == i.kind })
}

// contentOf lists every object left in namespace ns, as the namespace deleter sees them: every
// namespaced resource the API server serves and lists. Resources it cannot discover or list are said
// in notes.
func contentOf(ctx context.Context, w runbook.World, ns string) ([]leftObject, []string, error) {
	if w.Kube == nil || w.Dynamic == nil {
		return nil, nil, errors.New("no cluster to list the namespace's content from")
	}
	lists, err := w.Kube.Discovery().ServerPreferredNamespacedResources()
	var notes []string
	if err != nil {
		if !discovery.IsGroupDiscoveryFailedError(err) {
			return nil, nil, fmt.Errorf("discover the namespaced resources: %w", err)
		}
		notes = append(notes, "not every API answers, so what it serves is not listed: "+err.Error())
	}
	var out []leftObject
	seen := map[string]bool{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			// Skipped: subresources, what cannot be listed, and v1 Endpoints (deprecated: listing them makes
			// the API server send a warning that client-go prints on the terminal; EndpointSlices are listed).
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") || (l.GroupVersion == "v1" && r.Name == "endpoints") {
				continue
			}
			objs, err := w.Dynamic.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				notes = append(notes, fmt.Sprintf("cannot list %s: %v", gv.WithResource(r.Name).GroupResource(), err))
				continue
			}
			res := gv.WithResource(r.Name).GroupResource().String()
			for _, o := range objs.Items {
				if seen[string(o.GetUID())] {
					continue
				}
				seen[string(o.GetUID())] = true
				out = append(out, leftObject{kind: r.Kind, resource: res, name: o.GetName(), finalizers: o.GetFinalizers(), deleting: o.GetDeletionTimestamp() != nil})
			}
		}
	}
	slices.SortFunc(out, func(a, b leftObject) int { return strings.Compare(a.resource+"/"+a.name, b.resource+"/"+b.name) })
	return out, notes, nil
}

// stuckFacts are what the precheck reads of the target; judge makes the verdict of them.
type stuckFacts struct {
	target   runbook.Target
	exists   bool
	deleting time.Time // zero: not being deleted
	// finalizers are the target's own metadata.finalizers; specFinalizers a namespace's spec.finalizers.
	finalizers, specFinalizers []string
	conditions                 []health.Condition // a namespace's deletion conditions
	content                    []leftObject       // what is left in a namespace
	consumers                  []string           // live consumers
	parents                    []parentApp
	notes                      []string // what could not be read
}

// judgeStuck says whether the runbook applies, and why, from what was read.
func judgeStuck(f stuckFacts, now time.Time) runbook.Verdict {
	t := f.target
	if !f.exists {
		return runbook.Verdict{Why: t.String() + " does not exist: nothing is stuck"}
	}
	if f.deleting.IsZero() {
		return runbook.Verdict{Why: t.String() + " is not being deleted: nothing is stuck"}
	}
	v := runbook.Verdict{}
	var held, other []leftObject
	var waiting int
	if isNamespace(t) {
		for _, c := range f.conditions {
			if c.Status == string(corev1.ConditionTrue) {
				v.Details = append(v.Details, c.Type+": "+c.Message)
			}
		}
		for _, i := range f.content {
			switch {
			case len(i.finalizers) > 0 && i.releasable():
				held = append(held, i)
				v.Details = append(v.Details, fmt.Sprintf("held by finalizers: %s (%s)", i, strings.Join(i.finalizers, ", ")))
			case len(i.finalizers) > 0:
				other = append(other, i)
				v.Details = append(v.Details, fmt.Sprintf("held by finalizers, left to a person (remove-finalizers does not act on a %s): %s %s (%s)",
					i.kind, i.resource, i.name, strings.Join(i.finalizers, ", ")))
			default:
				waiting++
				why := "not deleted yet"
				if i.deleting {
					why = "being deleted, no finalizer"
				}
				if i.kind == "Pod" {
					why += ": a pod ends when its kubelet says so (node-lost if its node is gone)"
				}
				v.Details = append(v.Details, fmt.Sprintf("left: %s (%s)", i, why))
			}
		}
		if len(f.finalizers) > 0 {
			v.Details = append(v.Details, "the namespace's own finalizers "+strings.Join(f.finalizers, ", ")+": not removed by this runbook")
		}
		if len(f.specFinalizers) > 0 {
			v.Details = append(v.Details, "spec.finalizers "+strings.Join(f.specFinalizers, ", ")+
				": the namespace controller removes it once nothing is left — never forced here (that would leave the content behind in etcd)")
		}
	} else if len(f.finalizers) > 0 {
		held = append(held, leftObject{kind: t.Kind, name: t.Name, finalizers: f.finalizers})
		v.Details = append(v.Details, "held by finalizers: "+strings.Join(f.finalizers, ", "))
	}
	for _, c := range f.consumers {
		v.Details = append(v.Details, "live consumer: "+c+" — no finalizer is removed while it lives")
	}
	for _, p := range f.parents {
		v.Details = append(v.Details, p.describe())
	}
	v.Details = append(v.Details, f.notes...)

	since := fmt.Sprintf("%s has been Terminating for %s", t, units.Duration(now.Sub(f.deleting)))
	if len(held) > 0 {
		var names []string
		for _, i := range held {
			names = append(names, i.String())
		}
		v.Applies = true
		v.Why = fmt.Sprintf("%s: %s held by finalizers (%s)", since, units.Count(len(held), "object"), strings.Join(names, ", "))
		if len(other) > 0 {
			v.Why += fmt.Sprintf("; %s more left to a person", units.Count(len(other), "object"))
		}
		return v
	}
	failed := func(types ...corev1.NamespaceConditionType) bool {
		return slices.ContainsFunc(f.conditions, func(c health.Condition) bool {
			return c.Status == string(corev1.ConditionTrue) && slices.Contains(types, corev1.NamespaceConditionType(c.Type))
		})
	}
	switch {
	case len(other) > 0:
		v.Why = fmt.Sprintf("%s, held by %s that remove-finalizers does not act on: see each by hand", since, units.Count(len(other), "object"))
	case failed(corev1.NamespaceDeletionDiscoveryFailure, corev1.NamespaceDeletionGVParsingFailure):
		v.Why = since + ": it waits on an API that does not answer, not on a finalizer — make the API answer or delete its APIService (kubectl get apiservices)"
	case waiting > 0:
		v.Why = fmt.Sprintf("%s, but no finalizer holds it: it waits on %s being deleted", since, units.Count(waiting, "object"))
	case failed(corev1.NamespaceDeletionContentFailure):
		v.Why = since + ": a deletion of its content fails, not a finalizer: see NamespaceDeletionContentFailure"
	case len(f.finalizers) > 0:
		v.Why = since + ", held by its own finalizers " + strings.Join(f.finalizers, ", ") + ", which this runbook does not remove"
	default:
		v.Why = since + ", but nothing holds it: its controller finishes it shortly"
	}
	return v
}

func stuckWhy(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	f, err := readFacts(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeStuck(f, stuckNow(w)), nil
}

func stuckNow(w runbook.World) time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// readFacts reads the target, and when it is being deleted what holds it, who uses it and which
// Applications deploy it.
func readFacts(ctx context.Context, w runbook.World, t runbook.Target) (stuckFacts, error) {
	f := stuckFacts{target: t}
	u, err := readStuck(ctx, w, t)
	if err != nil || u == nil {
		return f, err
	}
	f.exists = true
	if ts := u.GetDeletionTimestamp(); ts != nil {
		f.deleting = ts.Time
	}
	f.finalizers = u.GetFinalizers()
	if f.deleting.IsZero() {
		return f, nil
	}
	if isNamespace(t) {
		f.specFinalizers, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "finalizers")
		f.conditions = health.Conditions(u)
		if f.content, f.notes, err = contentOf(ctx, w, t.Name); err != nil {
			return f, err
		}
		if f.consumers, err = actions.NamespaceConsumers(ctx, w.Kube, t.Name); err != nil {
			return f, fmt.Errorf("list the pods left in %s: %w", t.Name, err)
		}
	} else {
		o, err := actions.ObjectTarget(t.Kind, t.Namespace, t.Name)
		if err != nil {
			return f, err
		}
		if f.consumers, err = actions.Consumers(ctx, w.Kube, w.Dynamic, o); err != nil {
			return f, fmt.Errorf("read what uses %s: %w", t, err)
		}
	}
	f.parents, err = readParents(ctx, w, t, u)
	return f, err
}

// heldObjects are what the release step acts on: each object held by finalizers that remove-finalizers
// acts on — in a namespace, every one left in it; else the target itself.
func heldObjects(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	if !isNamespace(t) {
		o, err := actions.ObjectTarget(t.Kind, t.Namespace, t.Name)
		return []actions.Target{o}, err
	}
	content, _, err := contentOf(ctx, w, t.Name)
	if err != nil {
		return nil, err
	}
	var out []actions.Target
	for _, i := range content {
		if len(i.finalizers) > 0 && i.deleting && i.releasable() {
			o, err := actions.ObjectTarget(i.kind, t.Name, i.name)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// gone reads whether the target is gone: no object by its name, or a new one made since (not being
// deleted).
func stuckGone(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	u, err := readStuck(ctx, w, t)
	switch {
	case err != nil:
		return runbook.Progress{}, err
	case u == nil:
		return runbook.Progress{Done: true, Line: t.String() + " is gone"}, nil
	case u.GetDeletionTimestamp() == nil:
		return runbook.Progress{Done: true, Line: fmt.Sprintf("%s is gone; a new one by that name was made %s ago", t, units.Duration(stuckNow(w).Sub(u.GetCreationTimestamp().Time)))}, nil
	}
	line := fmt.Sprintf("still Terminating after %s", units.Duration(stuckNow(w).Sub(u.GetDeletionTimestamp().Time)))
	if isNamespace(t) {
		for _, typ := range []corev1.NamespaceConditionType{corev1.NamespaceContentRemaining, corev1.NamespaceFinalizersRemaining} {
			if c, ok := health.FindCondition(health.Conditions(u), string(typ)); ok && c.Status == string(corev1.ConditionTrue) {
				line += "; " + c.Message
			}
		}
	} else if fs := u.GetFinalizers(); len(fs) > 0 {
		line += "; finalizers " + strings.Join(fs, ", ")
	}
	return runbook.Progress{Line: line}, nil
}

// finalizerInstructions say what the finalizers the platform meets would have done.
func finalizerInstructions(t runbook.Target, _ func(string) runbook.StepState) []string {
	return []string{
		"Each finalizer the precheck listed on " + t.String() + " is a controller's promise to clean up before the object goes; once removed, that cleanup never happens.",
		"kubernetes.io/pvc-protection: the claim is in use — the release step itself checks no pod mounts it and its volume is detached.",
		"resources-finalizer.argocd.argoproj.io: Argo CD deletes the Application's resources first; without it they stay in the cluster.",
		"csi.ceph.com/cleanup, cephcluster.ceph.rook.io, ceph.rook.io/disaster-protection: Rook cleans the Ceph side up; remove ceph.rook.io/disaster-protection only when the CephCluster is external.",
		"Any other: find the controller that set it; if it runs, read its logs (it may finish by itself once its fault is fixed); if it is gone for good, do its cleanup by hand (a volume on the storage, a bucket, a DNS record).",
		"Tick when what each finalizer held is dealt with, or knowingly left.",
	}
}

// parentApp is an Argo CD Application that deploys the target, or (app of apps) deploys one that does:
// with automated sync it would re-create or fight what the runbook repairs.
type parentApp struct {
	namespace, name string
	why             string // "deploys into namespace shop", "deploys Application argocd/shop"
	depth           int    // 0 deploys the target; 1 deploys one that does; …
	automated       bool
	paused          bool   // carries a pause record
	pausedBy        string // who paused it
}

func (p parentApp) String() string { return p.namespace + "/" + p.name }

func (p parentApp) target() actions.Target {
	return actions.Target{Kind: actions.KindApplication, Namespace: p.namespace, Name: p.name}
}

// describe is the precheck's line about p.
func (p parentApp) describe() string {
	line := fmt.Sprintf("Argo CD Application %s %s", p, p.why)
	switch {
	case p.automated && p.paused:
		return line + fmt.Sprintf(", automated sync on again although paused by %s: paused again first (the first record kept), restored after", p.pausedBy)
	case p.automated:
		return line + ", automated sync on: paused first, restored after"
	case p.paused:
		return line + fmt.Sprintf(", automated sync paused already by %s: restored at the end", p.pausedBy)
	}
	return line + ", automated sync off: nothing to pause"
}

// findParents finds, among apps, those that deploy the target t — tracked by name (tracking, from the
// target's label or annotation), listing it among their resources, or (a namespace) deploying into it
// — and the Applications that deploy those, outermost first.
func findParents(apps []unstructured.Unstructured, t runbook.Target, tracking string) []parentApp {
	named := func(u *unstructured.Unstructured, ref string) bool {
		return ref != "" && (ref == u.GetName() || ref == u.GetNamespace()+"_"+u.GetName())
	}
	var out []parentApp
	seen := map[string]bool{}
	add := func(u *unstructured.Unstructured, why string, depth int) {
		key := u.GetNamespace() + "/" + u.GetName()
		if seen[key] {
			return
		}
		seen[key] = true
		p := parentApp{namespace: u.GetNamespace(), name: u.GetName(), why: why, depth: depth}
		_, p.automated = actions.AutomatedOf(u)
		if rec, ok, _ := actions.PausedSyncOf(u); ok {
			p.paused, p.pausedBy = true, rec.By
			if p.pausedBy == "" {
				p.pausedBy = "someone"
			}
		}
		out = append(out, p)
	}
	for i := range apps {
		u := &apps[i]
		if why := appDeploys(u, t); why != "" {
			add(u, why, 0)
		} else if named(u, tracking) {
			add(u, "tracks it (its Argo CD tracking label or annotation)", 0)
		}
	}
	for i := 0; i < len(out); i++ { // out grows: each parent's own parent joins it
		child := out[i]
		for j := range apps {
			c := &apps[j]
			if c.GetNamespace() != child.namespace || c.GetName() != child.name {
				continue
			}
			ref := actions.ArgoTracking(c.GetLabels(), c.GetAnnotations())
			for k := range apps {
				if named(&apps[k], ref) {
					add(&apps[k], "deploys Application "+child.String()+" (app of apps)", child.depth+1)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b parentApp) int {
		if a.depth != b.depth {
			return b.depth - a.depth
		}
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// appDeploys says how Application u deploys the target, or "".
func appDeploys(u *unstructured.Unstructured, t runbook.Target) string {
	resources, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
	into := false
	for _, r := range resources {
		m, _ := r.(map[string]any)
		kind, _ := m["kind"].(string)
		ns, _ := m["namespace"].(string)
		name, _ := m["name"].(string)
		switch {
		case isNamespace(t) && kind == "Namespace" && name == t.Name:
			return "deploys namespace " + t.Name + " itself"
		case isNamespace(t) && ns == t.Name:
			into = true
		case !isNamespace(t) && strings.EqualFold(kind, t.Kind) && ns == t.Namespace && name == t.Name:
			return "deploys it"
		}
	}
	dest, _, _ := unstructured.NestedString(u.Object, "spec", "destination", "namespace")
	if into || (isNamespace(t) && dest == t.Name) {
		return "deploys into namespace " + t.Name
	}
	return ""
}

// readParents reads the Applications and finds the target's; u is the target as read (nil: gone, so
// only what the Applications say of it counts). No Application resource: Argo CD is not there, none.
func readParents(ctx context.Context, w runbook.World, t runbook.Target, u *unstructured.Unstructured) ([]parentApp, error) {
	if w.Dynamic == nil {
		return nil, fmt.Errorf("no cluster to read the Applications from")
	}
	list, err := w.Dynamic.Resource(actions.ApplicationsResource()).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the Argo CD Applications: %w", err)
	}
	tracking := ""
	if u != nil {
		tracking = actions.ArgoTracking(u.GetLabels(), u.GetAnnotations())
	}
	return findParents(list.Items, t, tracking), nil
}

// appsToPause are the target's Applications whose automated sync is on, outermost first: a parent
// left syncing would put its child's automated back.
func appsToPause(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	u, err := readStuck(ctx, w, t)
	if err != nil {
		return nil, err
	}
	ps, err := readParents(ctx, w, t, u)
	var out []actions.Target
	for _, p := range ps {
		if p.automated {
			out = append(out, p.target())
		}
	}
	return out, err
}

// appsToRestore are the target's Applications carrying a pause record, innermost first: the record on
// each Application, not this run's pause step, says it was paused, so that an Application left paused by
// an earlier run cut short (the precheck says "paused already by …: restored at the end") is restored
// too. Its preview names who paused it: leave it alone with a reason if it must stay paused.
func appsToRestore(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	u, err := readStuck(ctx, w, t)
	if err != nil {
		return nil, err
	}
	ps, err := readParents(ctx, w, t, u)
	var out []actions.Target
	for _, p := range slices.Backward(ps) {
		if p.paused {
			out = append(out, p.target())
		}
	}
	return out, err
}
