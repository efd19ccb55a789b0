//go:build e2e

package deploy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// warnings collects what the API server warns about (Pod Security, unknown fields, deprecations).
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

// applier sends server-side applies to the lab's real kube-apiserver.
type applier struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func (a applier) apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	gvk := o.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	data, err := json.Marshal(o.Object)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = a.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: "cedille-tui-deploy-test", Force: &force, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	return err
}

// TestManifestsPassServerSideDryRun applies every manifest of deploy/ (the kustomization as built, and
// the host key Secret's example) with a server-side dry run, strict field validation, against the lab's
// real kube-apiserver: a field it does not know, an RBAC rule it refuses, a Deployment the restricted
// Pod Security level warns about, fails the test. Only the namespaces are created, as namespaced objects
// cannot be dry-run into a namespace that does not exist.
func TestManifestsPassServerSideDryRun(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := rest.CopyConfig(l.RESTConfig())
	warned := &warnings{}
	cfg.WarningHandler = warned
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kc.Discovery()))}

	objs := append(rendered(t), examples(t)...)
	namespaces := map[string]bool{}
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" {
			namespaces[ns] = true
		}
	}
	// The Namespaces first, dry run; then made, so that the rest can be dry-run into them.
	for _, o := range objs {
		if o.GetKind() != "Namespace" {
			continue
		}
		if err := a.apply(ctx, o, true); err != nil {
			t.Fatalf("dry run of Namespace %s: %v", o.GetName(), err)
		}
		if err := a.apply(ctx, o, false); err != nil {
			t.Fatalf("Namespace %s: %v", o.GetName(), err)
		}
		delete(namespaces, o.GetName())
	}
	for ns := range namespaces { // namespaces the platform makes (vault)
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("Namespace")
		u.SetName(ns)
		if err := a.apply(ctx, u, false); err != nil {
			t.Fatalf("Namespace %s: %v", ns, err)
		}
	}
	applied := 0
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			continue
		}
		if err := a.apply(ctx, o, true); err != nil {
			t.Errorf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		applied++
	}
	if w := warned.take(); len(w) > 0 {
		t.Errorf("the API server warned:\n  %s", strings.Join(w, "\n  "))
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.GetKind()] = true
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
		"ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service"} {
		if !kinds[k] {
			t.Errorf("no %s among the %d manifests dry-run", k, applied)
		}
	}
	// A dry run leaves nothing behind.
	if _, err := kc.CoreV1().ServiceAccounts("cedille-console").Get(ctx, "cedille-console", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the dry run left the ServiceAccount behind: %v", err)
	}

	// The same checks refuse what they must: a field the API server does not know, and a container the
	// restricted Pod Security level forbids (an added capability) (a warning on the Deployment, the pod refused later).
	var d *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			d = o.DeepCopy()
		}
	}
	bad := d.DeepCopy()
	_ = unstructured.SetNestedField(bad.Object, int64(1), "spec", "replicaz")
	if err := a.apply(ctx, bad, true); err == nil || !strings.Contains(err.Error(), "replicaz") {
		t.Errorf("an unknown field must be refused: %v", err)
	}
	netAdmin := d.DeepCopy()
	cs, _, _ := unstructured.NestedSlice(netAdmin.Object, "spec", "template", "spec", "containers")
	_ = unstructured.SetNestedStringSlice(cs[0].(map[string]any), []string{"NET_ADMIN"}, "securityContext", "capabilities", "add")
	_ = unstructured.SetNestedSlice(netAdmin.Object, cs, "spec", "template", "spec", "containers")
	if err := a.apply(ctx, netAdmin, true); err != nil {
		t.Fatalf("Deployment adding NET_ADMIN: %v", err)
	}
	if w := warned.take(); !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "NET_ADMIN") }) {
		t.Errorf("an added capability must draw a Pod Security warning; warnings: %v", w)
	}
}
