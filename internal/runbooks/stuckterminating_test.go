package runbooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var (
	shopNS     = runbook.Target{Kind: "Namespace", Name: "shop"}
	settingsCM = runbook.Target{Kind: "ConfigMap", Namespace: "shop", Name: "settings"}
	stuckT0    = time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)
)

func TestJudge(t *testing.T) {
	cm := leftObject{kind: "ConfigMap", resource: "configmaps", name: "settings", finalizers: []string{"example.com/hold"}, deleting: true}
	crd := leftObject{kind: "Bucket", resource: "buckets.example.com", name: "media", finalizers: []string{"example.com/bucket"}, deleting: true}
	pod := leftObject{kind: "Pod", resource: "pods", name: "web", deleting: true}
	remaining := health.Condition{Type: "NamespaceContentRemaining", Status: "True", Message: "Some resources are remaining: configmaps. has 1 resource instances"}
	discovery := health.Condition{Type: "NamespaceDeletionDiscoveryFailure", Status: "True", Message: "Discovery failed for some groups: metrics.k8s.io/v1beta1"}
	failing := health.Condition{Type: "NamespaceDeletionContentFailure", Status: "True", Message: "Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: shop for gvr: /v1, Resource=pods"}
	fine := health.Condition{Type: "NamespaceDeletionContentFailure", Status: "False", Message: "All content successfully deleted"}
	deleting := stuckFacts{target: shopNS, exists: true, deleting: stuckT0, specFinalizers: []string{"kubernetes"}}
	with := func(f stuckFacts, edit func(*stuckFacts)) stuckFacts { edit(&f); return f }
	for _, tc := range []struct {
		name    string
		f       stuckFacts
		applies bool
		why     string
		details []string
		lacks   []string
	}{
		{name: "gone", f: stuckFacts{target: shopNS}, why: "Namespace/shop does not exist: nothing is stuck"},
		{name: "active", f: stuckFacts{target: shopNS, exists: true}, why: "Namespace/shop is not being deleted: nothing is stuck"},
		{name: "held by a ConfigMap, a pod left, an Application deploying it", applies: true,
			f: with(deleting, func(f *stuckFacts) {
				f.conditions = []health.Condition{remaining, fine}
				f.content = []leftObject{cm, pod}
				f.consumers = []string{"pod shop/web (Running, being deleted, on worker-1)"}
				f.parents = []parentApp{{namespace: "argocd", name: "shop", why: "deploys into namespace shop", automated: true}}
			}),
			why: "Namespace/shop has been Terminating for 5m: 1 object held by finalizers (configmap/settings)",
			details: []string{"NamespaceContentRemaining: Some resources are remaining: configmaps. has 1 resource instances",
				"held by finalizers: configmap/settings (example.com/hold)",
				"left: pod/web (being deleted, no finalizer: a pod ends when its kubelet says so (node-lost if its node is gone))",
				"spec.finalizers kubernetes: the namespace controller removes it once nothing is left — never forced here",
				"live consumer: pod shop/web (Running, being deleted, on worker-1) — no finalizer is removed while it lives",
				"Argo CD Application argocd/shop deploys into namespace shop, automated sync on: paused first, restored after"},
			lacks: []string{"All content successfully deleted"}},
		{name: "a kind remove-finalizers does not act on, besides", applies: true,
			f:       with(deleting, func(f *stuckFacts) { f.content = []leftObject{cm, crd} }),
			why:     "1 object held by finalizers (configmap/settings); 1 object more left to a person",
			details: []string{"held by finalizers, left to a person (remove-finalizers does not act on a Bucket): buckets.example.com media (example.com/bucket)"}},
		{name: "only a kind remove-finalizers does not act on",
			f:   with(deleting, func(f *stuckFacts) { f.content = []leftObject{crd} }),
			why: "held by 1 object that remove-finalizers does not act on: see each by hand"},
		{name: "an API that does not answer",
			f:       with(deleting, func(f *stuckFacts) { f.conditions = []health.Condition{discovery}; f.content = []leftObject{pod} }),
			why:     "it waits on an API that does not answer, not on a finalizer",
			details: []string{"NamespaceDeletionDiscoveryFailure: Discovery failed for some groups: metrics.k8s.io/v1beta1"}},
		{name: "a deletion that fails", f: with(deleting, func(f *stuckFacts) { f.conditions = []health.Condition{failing} }),
			why: "a deletion of its content fails, not a finalizer"},
		{name: "only pods being deleted", f: with(deleting, func(f *stuckFacts) { f.content = []leftObject{pod}; f.conditions = []health.Condition{failing} }),
			why: "Namespace/shop has been Terminating for 5m, but no finalizer holds it: it waits on 1 object being deleted"},
		{name: "the namespace's own finalizer", f: with(deleting, func(f *stuckFacts) { f.finalizers = []string{"example.com/ns"} }),
			why: "held by its own finalizers example.com/ns, which this runbook does not remove"},
		{name: "nothing left", f: deleting, why: "but nothing holds it: its controller finishes it shortly"},
		{name: "a ConfigMap held, a pod reading it, an Application paused already", applies: true,
			f: stuckFacts{target: settingsCM, exists: true, deleting: stuckT0, finalizers: []string{"example.com/hold"},
				consumers: []string{"pod shop/web (Running) mounts it as volume cfg"},
				parents:   []parentApp{{namespace: "argocd", name: "shop", why: "deploys it", paused: true, pausedBy: "cedille:ada"}}},
			why: "ConfigMap/shop/settings has been Terminating for 5m: 1 object held by finalizers (configmap/settings)",
			details: []string{"held by finalizers: example.com/hold", "live consumer: pod shop/web (Running) mounts it as volume cfg",
				"Argo CD Application argocd/shop deploys it, automated sync paused already by cedille:ada: restored at the end"}},
		{name: "a ConfigMap being deleted without finalizers", f: stuckFacts{target: settingsCM, exists: true, deleting: stuckT0},
			why: "but nothing holds it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeStuck(tc.f, stuckT0.Add(5*time.Minute))
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
				t.Fatalf("applies %v, why %q; want %v, %q", v.Applies, v.Why, tc.applies, tc.why)
			}
			all := strings.Join(v.Details, "\n")
			for _, d := range tc.details {
				if !strings.Contains(all, d) {
					t.Errorf("details lack %q:\n%s", d, all)
				}
			}
			for _, d := range tc.lacks {
				if strings.Contains(all, d) {
					t.Errorf("details say %q:\n%s", d, all)
				}
			}
		})
	}
}

// argoApp is an Application argocd/name deploying into dest, with automated sync or not, labels and status
// resources.
func argoApp(name, dest string, automated bool, labels map[string]any, resources ...map[string]any) unstructured.Unstructured {
	spec := map[string]any{"destination": map[string]any{"namespace": dest}}
	if automated {
		spec["syncPolicy"] = map[string]any{"automated": map[string]any{"selfHeal": true}}
	}
	md := map[string]any{"name": name, "namespace": "argocd"}
	if labels != nil {
		md["labels"] = labels
	}
	var rs []any
	for _, r := range resources {
		rs = append(rs, r)
	}
	return unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": md, "spec": spec, "status": map[string]any{"resources": rs}}}
}

func TestFindParents(t *testing.T) {
	root := argoApp("root", "argocd", true, nil)
	mid := argoApp("platform", "argocd", true, map[string]any{"app.kubernetes.io/instance": "root"})
	shop := argoApp("shop", "shop", true, map[string]any{"app.kubernetes.io/instance": "platform"})
	other := argoApp("blog", "blog", true, map[string]any{"app.kubernetes.io/instance": "root"},
		map[string]any{"kind": "ConfigMap", "namespace": "blog", "name": "settings"})
	lister := argoApp("ns-maker", "argocd", false, nil, map[string]any{"kind": "Namespace", "name": "shop"})
	tracker := argoApp("tracker", "elsewhere", false, nil)
	selfish := argoApp("argocd", "argocd", true, map[string]any{"app.kubernetes.io/instance": "argocd"},
		map[string]any{"kind": "ConfigMap", "namespace": "shop", "name": "settings"})
	all := []unstructured.Unstructured{root, mid, shop, other, lister, tracker}
	for _, tc := range []struct {
		name     string
		apps     []unstructured.Unstructured
		target   runbook.Target
		tracking string
		want     string // "ns/name why" per parent, outermost first
	}{
		{"a namespace, through two levels of app of apps", all, shopNS, "",
			"argocd/root deploys Application argocd/platform (app of apps)\n" +
				"argocd/platform deploys Application argocd/shop (app of apps)\n" +
				"argocd/ns-maker deploys namespace shop itself\n" +
				"argocd/shop deploys into namespace shop"},
		{"tracked by the target's label, in namespace_name form", all, shopNS, "argocd_tracker",
			"argocd/root deploys Application argocd/platform (app of apps)\n" +
				"argocd/platform deploys Application argocd/shop (app of apps)\n" +
				"argocd/ns-maker deploys namespace shop itself\n" +
				"argocd/shop deploys into namespace shop\n" +
				"argocd/tracker tracks it (its Argo CD tracking label or annotation)"},
		{"an object: only who deploys it", all, runbook.Target{Kind: "ConfigMap", Namespace: "blog", Name: "settings"}, "",
			"argocd/root deploys Application argocd/blog (app of apps)\nargocd/blog deploys it"},
		{"an Application that deploys itself does not loop", []unstructured.Unstructured{selfish}, settingsCM, "",
			"argocd/argocd deploys it"},
		{"nobody", all, runbook.Target{Kind: "Namespace", Name: "empty"}, "", ""},
	} {
		var got []string
		for _, p := range findParents(tc.apps, tc.target, tc.tracking) {
			got = append(got, p.String()+" "+p.why)
		}
		if g := strings.Join(got, "\n"); g != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, g, tc.want)
		}
	}
	paused := argoApp("shop", "shop", false, nil)
	paused.SetAnnotations(map[string]string{actions.PausedSyncAnnotation: `{"by":"cedille:ada","syncPolicy":{"automated":{}}}`})
	ps := findParents([]unstructured.Unstructured{paused}, shopNS, "")
	if len(ps) != 1 || !ps[0].paused || ps[0].pausedBy != "cedille:ada" || ps[0].automated {
		t.Fatalf("a paused Application: %+v", ps)
	}
}

// TestPauseAndRestoreObjects: the pause step lists the Applications syncing by themselves, outermost
// first; the restore step those carrying a record, innermost first.
func TestPauseAndRestoreObjects(t *testing.T) {
	ctx := context.Background()
	root := argoApp("root", "argocd", true, nil)
	shop := argoApp("shop", "shop", true, map[string]any{"app.kubernetes.io/instance": "root"})
	off := argoApp("docs", "shop", false, nil)
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{actions.ApplicationsResource(): "ApplicationList"}, &root, &shop, &off)
	w := runbook.World{Dynamic: dc}
	names := func(ts []actions.Target) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.String())
		}
		return strings.Join(out, ",")
	}
	got, err := appsToPause(ctx, w, shopNS)
	if err != nil || names(got) != "application/argocd/root,application/argocd/shop" {
		t.Fatalf("to pause: %s %v", names(got), err)
	}
	got, err = appsToRestore(ctx, w, shopNS)
	if err != nil || len(got) != 0 {
		t.Fatalf("to restore before any pause: %s %v", names(got), err)
	}
	for _, u := range []*unstructured.Unstructured{&root, &shop} {
		u.SetAnnotations(map[string]string{actions.PausedSyncAnnotation: `{"by":"cedille:olive","syncPolicy":{"automated":{}}}`})
		unstructured.RemoveNestedField(u.Object, "spec", "syncPolicy", "automated")
	}
	dc = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{actions.ApplicationsResource(): "ApplicationList"}, &root, &shop, &off)
	w.Dynamic = dc
	got, err = appsToRestore(ctx, w, shopNS)
	if err != nil || names(got) != "application/argocd/shop,application/argocd/root" {
		t.Fatalf("to restore: %s %v", names(got), err)
	}
	if got, err = appsToPause(ctx, w, shopNS); err != nil || len(got) != 0 {
		t.Fatalf("to pause once paused: %s %v", names(got), err)
	}
}

func TestGone(t *testing.T) {
	ctx := context.Background()
	ns := func(md map[string]any, status map[string]any) *unstructured.Unstructured {
		md["name"] = "shop"
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": md, "status": status}}
	}
	w := func(objs ...runtime.Object) runbook.World {
		return runbook.World{Dynamic: dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), objs...),
			Now: func() time.Time { return stuckT0.Add(90 * time.Second) }}
	}
	for _, tc := range []struct {
		name string
		w    runbook.World
		done bool
		line string
	}{
		{"gone", w(), true, "Namespace/shop is gone"},
		{"made anew", w(ns(map[string]any{"creationTimestamp": "2026-12-07T03:13:00Z"}, nil)), true, "Namespace/shop is gone; a new one by that name was made 30s ago"},
		{"still there", w(ns(map[string]any{"deletionTimestamp": "2026-12-07T03:12:00Z"}, map[string]any{"conditions": []any{
			map[string]any{"type": "NamespaceContentRemaining", "status": "True", "message": "Some resources are remaining: configmaps. has 1 resource instances"},
			map[string]any{"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "message": "All resources successfully discovered"},
		}})), false, "still Terminating after 1m30s; Some resources are remaining: configmaps. has 1 resource instances"},
	} {
		p, err := stuckGone(ctx, tc.w, shopNS)
		if err != nil || p.Done != tc.done || p.Line != tc.line {
			t.Errorf("%s: %+v %v; want %v %q", tc.name, p, err, tc.done, tc.line)
		}
	}
}

func TestStuckTerminatingAims(t *testing.T) {
	rb := StuckTerminating()
	for _, tc := range []struct {
		t  runbook.Target
		ok bool
	}{
		{shopNS, true}, {settingsCM, true}, {runbook.Target{Kind: "persistentvolumeclaim", Namespace: "shop", Name: "data"}, true},
		{runbook.Target{Kind: "Secret", Namespace: "shop", Name: "db"}, false}, {runbook.Target{}, false},
	} {
		if err := rb.Aims(tc.t); (err == nil) != tc.ok {
			t.Errorf("Aims(%s): %v", tc.t, err)
		}
	}
	for _, k := range rb.Kinds[1:] {
		if _, err := actions.ObjectTarget(k, "shop", "x"); err != nil {
			t.Errorf("the runbook aims at a %s that remove-finalizers does not act on: %v", k, err)
		}
	}
	objs, err := heldObjects(context.Background(), runbook.World{}, settingsCM)
	if err != nil || len(objs) != 1 || objs[0].String() != "object/shop/configmap/settings" {
		t.Errorf("a ConfigMap's release step acts on %v %v", objs, err)
	}
}
