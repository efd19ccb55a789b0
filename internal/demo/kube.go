package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clubcedille/cedille-tui/assets"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// installedAt is when the simulated cluster was built (era 1, autumn 2023).
func installedAt() time.Time { return time.Date(2023, 10, 14, 18, 30, 0, 0, time.UTC) }

// versions are the versions a demo cluster runs: Talos (without "v") and Kubernetes (without "v").
type versions struct{ talos, kubernetes string }

// eraOne are era 1's versions.
func eraOne() versions {
	return versions{talos: EraOneTalosVersion, kubernetes: EraOneKubernetesVersion}
}

// kubeFakes is the simulated Kubernetes API: a typed fake for built-in kinds, a dynamic fake for the
// platform's custom resources and a metadata fake for Secrets, all with working watches, so objects added
// after a watch started (the platform seeded once its cluster is installed) reach the console's informers.
// Until the cluster exists (up false) the API server's /version probe answers as an unresolvable host
// does.
type kubeFakes struct {
	typed *fake.Clientset
	dyn   *dynamicfake.FakeDynamicClient
	md    *metadatafake.FakeMetadataClient
	gvrOf map[schema.GroupVersionKind]schema.GroupVersionResource

	up      atomic.Bool
	version atomic.Pointer[string] // the /version answer
	rv      *versions64            // the resourceVersions of every write (apiserver.go)
}

// kubeHost is the simulated API server's address (never dialled).
const kubeHost = "https://cedille-cluster.demo.invalid"

// newKubeFakes builds the empty fakes; discovery serves the platform's CRDs from the start, so that a
// console watching before the install picks the custom resources up as soon as they are seeded.
func newKubeFakes(v versions) (*kubeFakes, error) {
	return newKubeFakesServing(v, platform.CRDKinds())
}

// newKubeFakesServing builds the empty fakes whose discovery serves the given custom resources (an era-1
// cluster's, or an era-2 one's: fleet.go); the dynamic fake holds those and the kinds the demo's
// simulation writes.
func newKubeFakesServing(v versions, served []platform.Kind) (*kubeFakes, error) {
	listKinds := map[schema.GroupVersionResource]string{}
	gvrOf := map[schema.GroupVersionKind]schema.GroupVersionResource{}
	kinds := dynamicKinds()
	for _, k := range served {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		listKinds[k.GVR] = k.ListKind()
		gvrOf[k.GVR.GroupVersion().WithKind(k.Kind)] = k.GVR
	}
	typedRes := typedResources()
	for gvr, gvk := range typedRes {
		listKinds[gvr] = gvk.Kind + "List"
	}
	sch := runtime.NewScheme()
	if err := metav1.AddMetaToScheme(sch); err != nil {
		return nil, err
	}
	f := &kubeFakes{
		typed: fake.NewClientset(),
		dyn:   dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds),
		md:    metadatafake.NewSimpleMetadataClient(sch),
		gvrOf: gvrOf,
		rv:    &versions64{},
	}
	typedWrites := writes{tracker: f.typed.Tracker(), scratch: typedScratch, rv: f.rv, now: time.Now}
	typedWrites.serve(f.typed.PrependReactor)
	writes{tracker: f.dyn.Tracker(), scratch: dynamicScratch, rv: f.rv, now: time.Now}.serve(f.dyn.PrependReactor)
	// Discovery serves the platform's CRDs, as the real cluster does once they are installed.
	if fd, ok := f.typed.Discovery().(*fakediscovery.FakeDiscovery); ok {
		fd.Resources = append(fd.Resources, crdDiscovery(served)...)
		fd.Resources = append(fd.Resources, coreDiscovery()...)
	}
	serveTokenRequests(f.typed)
	mirrorSecretMetadata(f.typed, typedWrites.react, f.md.Tracker())
	f.serveTypedThroughDynamic(typedRes)
	copyWatchedObjects(f.typed.PrependWatchReactor, f.typed.Tracker())
	copyWatchedObjects(f.dyn.PrependWatchReactor, f.dyn.Tracker())
	copyWatchedObjects(f.md.PrependWatchReactor, f.md.Tracker())
	f.setVersion(v.kubernetes)
	return f, nil
}

// dynamicKinds are the custom resources the dynamic fake lists: the console's, and the VaultSecrets the
// install writes for the SSO secrets (the fake panics on a list of a kind it was not told about).
func dynamicKinds() []platform.Kind {
	kinds := platform.CRDKinds()
	if !slices.Contains(kinds, platform.VaultSecret) {
		kinds = append(kinds, platform.VaultSecret)
	}
	return append(kinds, certManagerChain()...)
}

// certManagerChain are cert-manager's other kinds: the issuers, and the chain a Certificate's issuance
// goes through (what cert-renewal follows).
func certManagerChain() []platform.Kind {
	k := func(group, resource, kind string, namespaced bool) platform.Kind {
		return platform.Kind{GVR: schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}, Kind: kind, Namespaced: namespaced}
	}
	return []platform.Kind{
		k("cert-manager.io", "clusterissuers", "ClusterIssuer", false),
		k("cert-manager.io", "issuers", "Issuer", true),
		k("cert-manager.io", "certificaterequests", "CertificateRequest", true),
		k("acme.cert-manager.io", "orders", "Order", true),
		k("acme.cert-manager.io", "challenges", "Challenge", true),
	}
}

// serveTokenRequests answers the TokenRequest API (ServiceAccounts(ns).CreateToken), which the fake's
// tracker cannot serve: a demo token, valid for the expiration asked (an hour by default), for a
// ServiceAccount that exists; NotFound for one that does not.
func serveTokenRequests(c *fake.Clientset) {
	c.PrependReactor("create", "serviceaccounts", func(action k8stesting.Action) (bool, runtime.Object, error) {
		ca, ok := action.(k8stesting.CreateActionImpl)
		if !ok || ca.GetSubresource() != "token" {
			return false, nil, nil
		}
		if _, err := c.Tracker().Get(ca.GetResource(), ca.GetNamespace(), ca.Name); err != nil {
			return true, nil, err
		}
		out := &authv1.TokenRequest{}
		if in, ok := ca.GetObject().(*authv1.TokenRequest); ok && in != nil {
			out = in.DeepCopy()
		}
		secs := int64(3600)
		if out.Spec.ExpirationSeconds != nil {
			secs = *out.Spec.ExpirationSeconds
		}
		out.Name, out.Namespace = ca.Name, ca.GetNamespace()
		out.Spec.ExpirationSeconds = &secs
		out.Status = authv1.TokenRequestStatus{Token: "demo." + randomHex(32),
			ExpirationTimestamp: metav1.NewTime(time.Now().Add(time.Duration(secs) * time.Second))}
		return true, out, nil
	})
}

// mirrorSecretMetadata keeps the metadata fake's Secrets (what the console reads) in step with the
// typed fake's (what the install writes: the vclusters' vc-<name> Secrets, their ArgoCD registrations):
// each write of a Secret through the typed clientset is also made to its metadata.
func mirrorSecretMetadata(c *fake.Clientset, react k8stesting.ReactionFunc, md k8stesting.ObjectTracker) {
	gvr := corev1.SchemeGroupVersion.WithResource("secrets")
	c.PrependReactor("*", "secrets", func(action k8stesting.Action) (bool, runtime.Object, error) {
		verb := action.GetVerb()
		if verb != "create" && verb != "update" && verb != "patch" && verb != "delete" {
			return false, nil, nil
		}
		handled, obj, err := react(action)
		if err != nil || !handled || isDryRun(action) {
			return handled, obj, err
		}
		ns := action.GetNamespace()
		if da, ok := action.(k8stesting.DeleteAction); ok {
			if derr := md.Delete(gvr, ns, da.GetName()); derr != nil && !apierrors.IsNotFound(derr) {
				return true, obj, derr
			}
			return true, obj, nil
		}
		sec, ok := obj.(*corev1.Secret)
		if !ok {
			return true, obj, nil
		}
		pom := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: *sec.ObjectMeta.DeepCopy()}
		merr := md.Update(gvr, pom, ns)
		if apierrors.IsNotFound(merr) {
			merr = md.Create(gvr, pom, ns)
		}
		return true, obj, merr
	})
}

// copyWatchedObjects makes the fake's watches deliver copies. The fakes' tracker hands a watch that
// starts after a write (between an informer's list and its watch) the stored object itself, which the
// console's informers then modify (StripForCache) while the tracker reads it for the next write: a data
// race, and the stored object changed behind the tracker's back.
func copyWatchedObjects(prepend func(string, k8stesting.WatchReactionFunc), tracker k8stesting.ObjectTracker) {
	prepend("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := action.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := tracker.Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return false, nil, err
		}
		return true, watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
			if e.Object != nil {
				e.Object = e.Object.DeepCopyObject()
			}
			return e, true
		}), nil
	})
}

// setVersion sets what /version says (the API server's Kubernetes version).
func (f *kubeFakes) setVersion(kubernetes string) {
	major, minor, _ := strings.Cut(strings.TrimPrefix(kubernetes, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	b, _ := json.Marshal(map[string]string{"major": major, "minor": minor, "gitVersion": "v" + strings.TrimPrefix(kubernetes, "v"),
		"platform": "linux/amd64"})
	s := string(b)
	f.version.Store(&s)
}

// kube is the connection the console reads the fakes through.
func (f *kubeFakes) kube() *platform.Kube {
	return &platform.Kube{
		Config:   &rest.Config{Host: kubeHost},
		Typed:    demoClientset{Clientset: f.typed, fakes: f},
		Dynamic:  f.dyn,
		Metadata: f.md,
		Context:  "demo",
		Host:     kubeHost,
	}
}

// newKube builds the simulated Kubernetes API holding the era-1 platform on the given machines.
func newKube(machines []DemoMachine, o Options) (*kubeFakes, error) {
	f, err := newKubeFakes(eraOne())
	if err != nil {
		return nil, err
	}
	if err := f.seed(machines, eraOne(), o); err != nil {
		return nil, err
	}
	f.up.Store(true)
	return f, nil
}

// seed adds the platform to the fakes: the scenario (assets/demo/platform.yaml) with its time- and
// install-dependent status, a Node per machine running v's versions, the era-1 Applications and, when
// installed, the vclusters' ArgoCD registrations. A Blank demo's platform has no DiskPools (its install
// makes them), or when Installed the install's. Objects already there are left as they are, so a seed cut short can be run again.
func (f *kubeFakes) seed(machines []DemoMachine, v versions, o Options) error {
	typed, dyn, err := loadScenario(assets.FS, "demo/platform.yaml")
	if err != nil {
		return err
	}
	now := o.now()
	// The nodes joined when the cluster was built: in autumn 2023 (7 minutes apart) for era 1's, a few
	// seconds ago (2 seconds apart) for those of a Blank demo's install.
	born, apart := installedAt(), 7*time.Minute
	if o.Blank {
		apart = 2 * time.Second
		born = now.Add(-time.Duration(len(machines)) * apart)
	}
	if typed, err = settleEvents(typed, now, o.Installed); err != nil {
		return err
	}
	if o.Blank {
		// The install's storage step makes the pools on these disks (named after their node and serial):
		// the scenario's era-1 pools would be second pools on the same disks. Installed, the platform is
		// as the wizard leaves it: the install's pools are there.
		var era1 []*unstructured.Unstructured
		dyn = slices.DeleteFunc(dyn, func(u *unstructured.Unstructured) bool {
			if u.GroupVersionKind() == platform.DiskPool.GVR.GroupVersion().WithKind(platform.DiskPool.Kind) {
				era1 = append(era1, u)
				return true
			}
			return false
		})
		if o.Installed {
			dyn = append(dyn, installedPools(era1, machines)...)
		}
	}
	for _, u := range dyn {
		if err := settle(u, now, o.Installed); err != nil {
			return err
		}
	}
	if err := publishVClusterCredentials(typed); err != nil {
		return err
	}
	if o.Installed {
		regs, err := vclusterRegistrations()
		if err != nil {
			return err
		}
		typed = append(typed, regs...)
	}
	for i, m := range machines {
		typed = append(typed, demoNode(m, i, v, born, apart))
	}
	for _, d := range demoDaemonSets(machines) {
		typed = append(typed, d)
	}
	typed = append(typed, demoCoreDNS())
	typed = append(typed, demoPods(typed, machines, born.Add(time.Duration(len(machines))*apart+time.Minute), now, o.Installed)...)
	settleControllers(typed)
	typed = append(typed, serviceAccounts()...)
	for _, a := range eraOneApplications() {
		dyn = append(dyn, a)
	}
	if err := f.store(typed, dyn); err != nil {
		return err
	}
	f.setVersion(v.kubernetes)
	return nil
}

// store adds seeded objects to the fakes: each custom resource under its declared resource, the built-in
// objects to the typed fake and the Secrets' metadata to the metadata fake. Objects already there are
// left as they are.
func (f *kubeFakes) store(typed []runtime.Object, dyn []*unstructured.Unstructured) error {
	// Each CR under its declared resource: the fake would guess plurals ("Mesh" → "meshs").
	for _, u := range dyn {
		gvr, ok := f.gvrOf[u.GroupVersionKind()]
		if !ok {
			return fmt.Errorf("demo scenario: %s %s is not a kind the console reads", u.GetKind(), u.GetName())
		}
		f.rv.stampSeeded(u, u.GetKind())
		if err := f.dyn.Tracker().Create(gvr, u, u.GetNamespace()); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("demo scenario: %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	for _, obj := range typed {
		if m, err := meta.Accessor(obj); err == nil {
			f.rv.stampSeeded(m, fmt.Sprintf("%T", obj))
		}
		if err := f.typed.Tracker().Add(obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("demo scenario: %T: %w", obj, err)
		}
	}
	pom, err := metadataOf(typed)
	if err != nil {
		return err
	}
	for _, obj := range pom {
		if err := f.md.Tracker().Add(obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("demo scenario: secret metadata: %w", err)
		}
	}
	return nil
}

// crdDiscovery lists the given custom resources by group version.
func crdDiscovery(kinds []platform.Kind) []*metav1.APIResourceList {
	byGV := map[string]*metav1.APIResourceList{}
	var order []string
	for _, k := range kinds {
		gv := k.GVR.GroupVersion().String()
		l, ok := byGV[gv]
		if !ok {
			l = &metav1.APIResourceList{GroupVersion: gv}
			byGV[gv] = l
			order = append(order, gv)
		}
		l.APIResources = append(l.APIResources, metav1.APIResource{
			Name: k.GVR.Resource, Kind: k.Kind, Namespaced: k.Namespaced, Verbs: []string{"get", "list", "watch"},
		})
	}
	out := make([]*metav1.APIResourceList, 0, len(order))
	for _, gv := range order {
		out = append(out, byGV[gv])
	}
	return out
}

// metadataOf is the metadata-only view of the scenario's Secrets (the console never reads their data).
func metadataOf(objs []runtime.Object) ([]runtime.Object, error) {
	var pom []runtime.Object
	for _, o := range objs {
		sec, ok := o.(*corev1.Secret)
		if !ok {
			continue
		}
		pom = append(pom, &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: *sec.ObjectMeta.DeepCopy(),
		})
	}
	return pom, nil
}

// settle gives the scenario's objects their time- and install-dependent status: certificates expire a
// number of days after the demo starts, vault-config-operator reconciles only once Vault is set up.
func settle(u *unstructured.Unstructured, now time.Time, installed bool) error {
	if d := u.GetAnnotations()["demo.cedille-tui/expires-in-days"]; d != "" {
		days, err := strconv.Atoi(d)
		if err != nil {
			return fmt.Errorf("demo scenario: %s %s: expires-in-days %q: %w", u.GetKind(), u.GetName(), d, err)
		}
		notAfter := now.Add(time.Duration(days) * 24 * time.Hour).UTC()
		if err := unstructured.SetNestedField(u.Object, notAfter.Format(time.RFC3339), "status", "notAfter"); err != nil {
			return err
		}
		renewal := notAfter.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
		if err := unstructured.SetNestedField(u.Object, renewal, "status", "renewalTime"); err != nil {
			return err
		}
	}
	if u.GroupVersionKind().Group != platform.VaultPolicy.GVR.Group {
		return nil
	}
	cond := map[string]any{"type": "ReconcileSuccessful", "status": "True", "reason": "LastReconcileCycleSucceded",
		"lastTransitionTime": now.Add(-time.Hour).UTC().Format(time.RFC3339)}
	if !installed {
		cond["status"], cond["reason"] = "False", "LastReconcileCycleFailed"
		cond["message"] = `Put "http://vault.vault.svc.cluster.local:8200/v1/auth/kubernetes/login" Code: 400. Errors: * invalid role name "config-admin"`
	}
	return unstructured.SetNestedSlice(u.Object, []any{cond}, "status", "conditions")
}

// installPools are the pools the install's storage step makes on the era-1 pools' disks (plan.DiskPools:
// named <node>-<last 4 of the serial>, the disk by its WWN by-id path, as the disks step records it), and
// the era-1 pool on each disk, by that path.
func installPools(machines []DemoMachine) ([]plan.PoolSpec, map[string]string) {
	var p plan.Plan
	era1 := map[string]string{}
	for _, m := range machines {
		pm := plan.Machine{ID: m.ID, Hostname: m.Hostname, Role: plan.Role(m.Role)}
		for _, d := range m.Disks {
			if d.Pool != "" {
				id := plan.DiskFacts{Model: d.Model, Serial: d.Serial, WWID: d.WWID, Transport: d.Transport}.Identity()
				pm.PoolDisks = append(pm.PoolDisks, id)
				era1[id.ByID] = d.Pool
			}
		}
		p.Machines = append(p.Machines, pm)
	}
	specs, _ := p.DiskPools()
	return specs, era1
}

// installedPools are the era-1 pools as the install's storage step makes them on the same disks
// (installPools), each with its era-1 status.
func installedPools(era1 []*unstructured.Unstructured, machines []DemoMachine) []*unstructured.Unstructured {
	byName := map[string]*unstructured.Unstructured{}
	for _, u := range era1 {
		byName[u.GetName()] = u
	}
	specs, poolOf := installPools(machines)
	out := make([]*unstructured.Unstructured, 0, len(specs))
	for _, pl := range specs {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": platform.DiskPool.GVR.GroupVersion().String(), "kind": platform.DiskPool.Kind,
			"metadata": map[string]any{"name": pl.Name, "namespace": pl.Namespace,
				"labels": map[string]any{"app.kubernetes.io/managed-by": "cedille-tui"}},
			"spec": map[string]any{"node": pl.Node, "disks": []any{pl.Disk}},
		}}
		if old := byName[poolOf[pl.Disk]]; old != nil {
			if st, ok := old.Object["status"].(map[string]any); ok {
				status := map[string]any{}
				for k, v := range st {
					if f, ok := v.(float64); ok {
						v = int64(f) // byte counts, integers as the API server returns them
					}
					status[k] = v
				}
				u.Object["status"] = status
			}
		}
		out = append(out, u)
	}
	return out
}

// serviceAccounts are the accounts a real cluster has in the namespaces the install's Vault steps use:
// each namespace's default (made by the controller manager) and Vault's own (made by its chart).
func serviceAccounts() []runtime.Object {
	var out []runtime.Object
	for _, sa := range [][2]string{{"vault", "default"}, {"vault", "vault"}, {"argocd", "default"}, {"grafana", "default"}} {
		out = append(out, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1], Namespace: sa[0]}})
	}
	return out
}

// vclusterRegistrations are the ArgoCD cluster Secrets the install registers for each vcluster (the step
// era 1 never managed), as gitops.ClusterSecret writes them from the vcluster's credentials (named and
// labelled as health.VClusters matches them).
func vclusterRegistrations() ([]runtime.Object, error) {
	var out []runtime.Object
	for _, name := range []string{"staging", "sandbox"} {
		ns := "vcluster-" + name
		ca, cert, key := vclusterCredentials(name, ns)
		s, err := gitops.ClusterSecret("argocd", gitops.Registration{Name: name, Namespace: ns,
			Server: vcluster.Server(name, ns), CA: ca, Cert: cert, Key: key})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// publishVClusterCredentials gives the scenario's vc-<name> Secrets (placeholders there) what the
// simulated vcluster's syncer writes (vcluster.go): a kubeconfig for its service URL and the demo's
// stand-in credentials, which the registrations and CheckRegistration agree with.
func publishVClusterCredentials(objs []runtime.Object) error {
	for _, o := range objs {
		s, ok := o.(*corev1.Secret)
		if !ok || !strings.HasPrefix(s.Name, "vc-") || s.Labels["vcluster.loft.sh/kubeconfig"] != "true" {
			continue
		}
		name := strings.TrimPrefix(s.Name, "vc-")
		data, err := vclusterSecretData(name, s.Namespace, vcluster.Server(name, s.Namespace))
		if err != nil {
			return err
		}
		s.Data, s.StringData = data, nil
	}
	return nil
}

// loadScenario reads a multi-document YAML file: built-in kinds become typed objects, the rest unstructured.
func loadScenario(fsys fs.FS, name string) ([]runtime.Object, []*unstructured.Unstructured, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, nil, err
	}
	var typed []runtime.Object
	var dyn []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 1; ; i++ {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		gvk := u.GroupVersionKind()
		if !scheme.Scheme.Recognizes(gvk) {
			dyn = append(dyn, u)
			continue
		}
		obj, err := scheme.Scheme.New(gvk)
		if err != nil {
			return nil, nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
			return nil, nil, fmt.Errorf("%s: document %d (%s %s): %w", name, i, gvk.Kind, u.GetName(), err)
		}
		typed = append(typed, obj)
	}
	return typed, dyn, nil
}

// demoNode is the Node a Talos machine registers as, running v's versions.
func demoNode(m DemoMachine, i int, v versions, born time.Time, apart time.Duration) *corev1.Node {
	labels := map[string]string{
		"kubernetes.io/hostname": m.Hostname, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}
	var taints []corev1.Taint
	if m.Role == RoleControlPlane {
		labels["node-role.kubernetes.io/control-plane"] = ""
		taints = append(taints, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule})
	} else {
		labels["openebs.io/engine"] = "mayastor"
	}
	created := metav1.NewTime(born.Add(time.Duration(i) * apart))
	kernel, containerd := talosComponents(v.talos)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: m.Hostname, Labels: labels, CreationTimestamp: created},
		Spec:       corev1.NodeSpec{Taints: taints, PodCIDR: fmt.Sprintf("10.244.%d.0/24", i)},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: m.Address}, {Type: corev1.NodeHostName, Address: m.Hostname},
			},
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(fmt.Sprint(m.CPUThreads)),
				corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", m.MemoryMiB)),
			},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v" + strings.TrimPrefix(v.kubernetes, "v"), OSImage: "Talos (v" + strings.TrimPrefix(v.talos, "v") + ")",
				KernelVersion: kernel, ContainerRuntimeVersion: containerd, Architecture: "amd64", OperatingSystem: "linux",
			},
			Conditions: readyConditions(created),
		},
	}
}

// talosComponents are the kernel and container runtime a Talos minor version ships (1.5's from the era-1
// cluster; the later ones are a GUESS from the Talos release notes), for the Node's system info.
func talosComponents(talos string) (kernel, containerd string) {
	parts := strings.SplitN(strings.TrimPrefix(talos, "v"), ".", 3)
	minor := ""
	if len(parts) >= 2 {
		minor = parts[0] + "." + parts[1]
	}
	switch minor {
	case "1.6":
		return "6.1.82-talos", "containerd://1.7.13"
	case "1.7":
		return "6.6.33-talos", "containerd://1.7.18"
	case "1.8":
		return "6.6.43-talos", "containerd://2.0.0"
	}
	return "6.1.58-talos", "containerd://1.6.23"
}

func readyConditions(since metav1.Time) []corev1.NodeCondition {
	c := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastHeartbeatTime: since, LastTransitionTime: since}
	}
	return []corev1.NodeCondition{
		c(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
		c(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
		c(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
		c(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
	}
}

// app is one era-1 Application: name, destination namespace, sync wave and source.
type app struct {
	name, namespace, wave string
	repoPath, chart       string
	chartRepo, version    string
}

// eraOneApplications are the Applications of the era-1 app-of-apps (PLATFORM.md §4.1), all Synced and
// Healthy at start.
func eraOneApplications() []*unstructured.Unstructured {
	const repo = "https://github.com/ClubCedille/Plateforme-Cedille"
	apps := []app{
		{name: "argocd", namespace: "argocd", wave: "0", chart: "argo-cd", chartRepo: "https://charts.example.org/argo-helm", version: "5.46.8"},
		{name: "vault", namespace: "vault", wave: "0", chart: "vault", chartRepo: "https://charts.example.org/hashicorp", version: "0.26.1"},
		{name: "vault-configs", namespace: "vault", wave: "1", repoPath: "system/vault/configs"},
		{name: "cert-manager", namespace: "cert-manager", wave: "0", chart: "cert-manager", chartRepo: "https://charts.example.org/jetstack", version: "v1.13.1"},
		{name: "secret-store-csi", namespace: "kube-system", wave: "-1", chart: "secrets-store-csi-driver", chartRepo: "https://charts.example.org/secrets-store-csi-driver", version: "1.3.4"},
		{name: "gateway-api", namespace: "gateway-system", wave: "0", repoPath: "system/gateway-api/gateway-api-resources"},
		{name: "kuma", namespace: "kuma-system", wave: "0", repoPath: "system/kuma/kuma-resources"},
		{name: "merbridge", namespace: "kuma-system", wave: "0", repoPath: "system/merbridge/merbridge-resources"},
		{name: "grafana", namespace: "grafana", wave: "0", chart: "grafana", chartRepo: "https://charts.example.org/grafana", version: "7.0.1"},
		{name: "opentelemetry-operator", namespace: "opentelemetry-operator", wave: "0", chart: "opentelemetry-operator", chartRepo: "https://charts.example.org/opentelemetry", version: "0.42.0"},
		{name: "clickhouse-operator", namespace: "clickhouse-system", wave: "0", repoPath: "system/clickhouse/operator"},
		{name: "clickhouse-otel-monitoring", namespace: "clickhouse-system", wave: "2", repoPath: "system/clickhouse/otel-monitoring"},
		{name: "kubevirt", namespace: "kubevirt", wave: "0", repoPath: "system/kubevirt/kubevirt-resources"},
		{name: "crossplane-helm", namespace: "crossplane", wave: "0", chart: "crossplane", chartRepo: "https://charts.example.org/crossplane", version: "1.13.2"},
		{name: "kubevious", namespace: "kubevious", wave: "0", chart: "kubevious", chartRepo: "https://charts.example.org/kubevious", version: "1.2.1"},
		{name: "calidum-rotae", namespace: "calidum-rotae", wave: "2", repoPath: "apps/calidum-rotae/prod"},
		{name: "acets-grav", namespace: "acets", wave: "2", repoPath: "apps/acets/grav/prod"},
		{name: "ets-demo-grav", namespace: "ets-demo", wave: "2", repoPath: "apps/ets-demo/grav/prod"},
	}
	out := make([]*unstructured.Unstructured, 0, len(apps))
	for _, a := range apps {
		source := map[string]any{"repoURL": repo, "path": a.repoPath, "targetRevision": "HEAD"}
		if a.chart != "" {
			source = map[string]any{"repoURL": a.chartRepo, "chart": a.chart,
				"targetRevision": a.version}
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{
				"name": a.name, "namespace": "argocd",
				"annotations": map[string]any{"argocd.argoproj.io/sync-wave": a.wave},
				"finalizers":  []any{"resources-finalizer.argocd.argoproj.io"},
			},
			"spec": map[string]any{
				"project":     "default",
				"source":      source,
				"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": a.namespace},
				"syncPolicy":  map[string]any{"automated": map[string]any{"selfHeal": true}, "syncOptions": []any{"CreateNamespace=true"}},
			},
			"status": map[string]any{
				"sync":           map[string]any{"status": "Synced", "revision": "33723a99d80390acbf9debcdfcde5ffc76eb6432"},
				"health":         map[string]any{"status": "Healthy"},
				"operationState": map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
			},
		}}
		out = append(out, u)
	}
	return out
}
