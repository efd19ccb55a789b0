package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// Era2Cilium is the step that installs Cilium on a k8s-foundation cluster, between era2-cluster and
// era2-register.
const Era2Cilium ID = "era2-cilium"

// ciliumTTL is how long the kubeconfig the step reaches the new cluster with lives: one step's work.
const ciliumTTL = time.Hour

// fieldManager names the install in the managed fields of what it applies.
const fieldManager = "cedille-tui"

// The Gateway API CRDs and the annotation upstream's bundle carries its release in.
const (
	gatewayAPIGroup      = "gateway.networking.k8s.io"
	gatewayBundleVersion = "gateway.networking.k8s.io/bundle-version"
	crdKind              = "CustomResourceDefinition"
	ciliumDaemonSet      = "cilium"
	ciliumChartName      = "cilium"
)

// ciliumGatewayCRDs are the Gateway API CRDs Cilium's operator needs when it starts to enable its Gateway
// API (Cilium's Gateway API documentation: the standard kinds and the experimental TLSRoute).
func ciliumGatewayCRDs() []string {
	out := []string{}
	for _, r := range []string{"gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants", "tlsroutes"} {
		out = append(out, r+"."+gatewayAPIGroup)
	}
	return out
}

// Era2CiliumStep installs Cilium on a k8s-foundation cluster before ArgoCD takes it over (PLATFORM.md
// §1.2): the cluster's nodes are NotReady without a CNI, so nothing ArgoCD syncs there could start. It
// reaches the cluster with a service-account kubeconfig Omni issues, applies upstream's Gateway API CRD
// bundle (server-side, so that the hub's gateway-api-crds App takes the fields over), installs the cilium
// chart as the release the hub's cilium App renders (kube-system/cilium, so ArgoCD adopts its objects)
// with kube-proxy replacement through KubePrism, then waits for the cilium DaemonSet and every node to be
// Ready. A k8s-base cluster has nothing to do: kube-proxy and its CNI come with Talos.
type Era2CiliumStep struct{}

func (Era2CiliumStep) ID() ID           { return Era2Cilium }
func (Era2CiliumStep) Title() string    { return "Cilium (before ArgoCD)" }
func (Era2CiliumStep) Fields() []string { return []string{"era2"} }

// ciliumNotNeeded is the step's line for a stack without Cilium.
func ciliumNotNeeded(e *plan.Era2) string { return "nothing: stack " + e.Stack + " uses kube-proxy" }

func (Era2CiliumStep) Describe(p plan.Plan) []string {
	if p.Era2 == nil {
		return []string{"no era2 section"}
	}
	e := p.Era2
	if !e.NeedsCilium() {
		return []string{ciliumNotNeeded(e)}
	}
	c := e.Cilium.WithDefaults()
	return []string{
		"reach " + e.Cluster + " with a service-account kubeconfig Omni issues",
		"apply the Gateway API " + c.GatewayAPI.Version + " CRDs from " + bundleSource(c.GatewayAPI) + " (server-side)",
		"install Cilium from " + chartSource(c.Chart) + " as release " + plan.CiliumNamespace + "/" + plan.CiliumRelease +
			" (the hub's cilium App adopts it)",
		"  " + ciliumValuesLine(),
		fmt.Sprintf("wait for DaemonSet %s/%s and the %d nodes to be Ready", plan.CiliumNamespace, ciliumDaemonSet, era2Machines(e)),
	}
}

// ciliumValuesLine says what the values set.
func ciliumValuesLine() string {
	return fmt.Sprintf("kube-proxy replacement reaching the API server at KubePrism %s:%d, IPAM kubernetes, Gateway API, L2 announcements",
		plan.KubePrismHost, plan.KubePrismPort)
}

// bundleSource says where the Gateway API bundle is read: its URL or file.
func bundleSource(g plan.GatewayAPI) string {
	if g.File != "" {
		return "the file " + g.File
	}
	return g.URL
}

// clusterKube reaches the era-2 cluster through Omni's Kubernetes proxy as OmniConnector does, with a
// service account of the cluster's administrators (installing a CNI needs it).
func clusterKube(ctx context.Context, e *Env, cluster string) (*platform.Kube, error) {
	om, err := e.omni()
	if err != nil {
		return nil, err
	}
	t, err := fleet.OmniConnector{Omni: om, User: KubeconfigUser, Groups: []string{"system:masters"}, TTL: ciliumTTL,
		UserAgent: "cedille-tui install"}.Connect(ctx, cluster)
	if err != nil {
		return nil, err
	}
	return t.Kube, nil
}

// readBundle reads the Gateway API bundle from its file or URL.
func readBundle(ctx context.Context, e *Env, g plan.GatewayAPI) ([]byte, error) {
	if g.File != "" {
		b, err := os.ReadFile(g.File)
		if err != nil {
			return nil, fmt.Errorf("read the Gateway API bundle: %w", err)
		}
		return b, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL, nil)
	if err != nil {
		return nil, err
	}
	hc := e.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download the Gateway API bundle: %w (without the internet, download it elsewhere and give era2.cilium.gatewayAPI.file)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download the Gateway API bundle %s: %s", g.URL, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 32<<20))
}

// ParseGatewayBundle reads a Gateway API CRD bundle (upstream's experimental-install.yaml): its objects,
// in order. Every CRD of the bundle must be of the release the plan names (the bundle-version annotation
// upstream sets), and the CRDs Cilium needs must all be in it.
func ParseGatewayBundle(b []byte, version string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	has := map[string]bool{}
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the Gateway API bundle is not YAML: %w", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("the Gateway API bundle has an object without kind or name")
		}
		if u.GetKind() == crdKind {
			if v := u.GetAnnotations()[gatewayBundleVersion]; v != version {
				return nil, fmt.Errorf("the Gateway API bundle's CRD %s is of release %q, the plan says %s: give that release's bundle",
					u.GetName(), v, version)
			}
			has[u.GetName()] = true
		}
		out = append(out, u)
	}
	var missing []string
	for _, n := range ciliumGatewayCRDs() {
		if !has[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the Gateway API bundle lacks %s, which Cilium needs: give the experimental channel's bundle (experimental-install.yaml)",
			strings.Join(missing, ", "))
	}
	return out, nil
}

// gatewayCRDsMissing says which CRDs Cilium needs are absent, of another release, or not yet served.
func gatewayCRDsMissing(ctx context.Context, k *platform.Kube, version string) ([]string, error) {
	var out []string
	for _, n := range ciliumGatewayCRDs() {
		crd, err := k.Dynamic.Resource(crdResource).Get(ctx, n, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			out = append(out, n+" absent")
			continue
		case err != nil:
			return nil, err
		}
		if v := crd.GetAnnotations()[gatewayBundleVersion]; v != version {
			out = append(out, fmt.Sprintf("%s of release %q", n, v))
		} else if !established(crd) {
			out = append(out, n+" not established yet")
		}
	}
	return out, nil
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// established tells whether a CRD's Established condition is True: the API server serves its kind.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// applyBundle applies the bundle's objects server-side (forcing: the install owns them until ArgoCD's
// own server-side apply takes them), or only as a server-side dry run; it says for each object whether
// it is created, updated from another release, or already there.
func applyBundle(ctx context.Context, k *platform.Kube, objs []*unstructured.Unstructured, dryRun bool) ([]string, error) {
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(k.Typed.Discovery()))
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: ptrTo(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var lines []string
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return lines, fmt.Errorf("the cluster does not serve %s of the Gateway API bundle: %w", gvk.Kind, err)
		}
		ri := k.Dynamic.Resource(m.Resource)
		name := o.GetKind() + " " + o.GetName()
		var r dynamic.ResourceInterface = ri
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := o.GetNamespace()
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
			r, name = ri.Namespace(ns), o.GetKind()+" "+ns+"/"+o.GetName()
		}
		verb := "creating "
		switch cur, err := r.Get(ctx, o.GetName(), metav1.GetOptions{}); {
		case apierrors.IsNotFound(err):
		case err != nil:
			return lines, err
		case cur.GetAnnotations()[gatewayBundleVersion] == o.GetAnnotations()[gatewayBundleVersion]:
			verb = "applying "
		default:
			verb = "updating "
			name += " (from release " + cur.GetAnnotations()[gatewayBundleVersion] + ")"
		}
		body, err := json.Marshal(o.Object)
		if err != nil {
			return lines, err
		}
		if _, err := r.Patch(ctx, o.GetName(), types.ApplyPatchType, body, opts); err != nil {
			return lines, fmt.Errorf("apply %s: %w", name, err)
		}
		lines = append(lines, verb+name)
	}
	return lines, nil
}

func ptrTo[T any](v T) *T { return &v }

// ciliumChartVersion is the version of the chart the plan names: its pinned version, or the local
// archive's.
func ciliumChartVersion(c plan.Era2Cilium) (string, error) {
	if c.Chart.File == "" {
		return c.Chart.Version, nil
	}
	ch, err := loadChart(ciliumChartName, c.Chart)
	if err != nil {
		return "", err
	}
	return ch.Metadata.Version, nil
}

// releaseDrift says how the cilium release differs from what the plan asks ("" when it does not): none,
// not deployed, another chart version, other values.
func releaseDrift(rel *release.Release, version string, want map[string]any) string {
	switch {
	case rel == nil:
		return "no release " + plan.CiliumNamespace + "/" + plan.CiliumRelease
	case rel.Info == nil || rel.Info.Status != release.StatusDeployed:
		return fmt.Sprintf("release %s/%s is %s", plan.CiliumNamespace, plan.CiliumRelease, rel.Info.Status)
	case rel.Chart == nil || rel.Chart.Metadata == nil || rel.Chart.Metadata.Version != version:
		have := "?"
		if rel.Chart != nil && rel.Chart.Metadata != nil {
			have = rel.Chart.Metadata.Version
		}
		return fmt.Sprintf("release %s/%s has chart %s, the plan says %s", plan.CiliumNamespace, plan.CiliumRelease, have, version)
	case !sameValues(rel.Config, want):
		return fmt.Sprintf("release %s/%s has other values than the install's", plan.CiliumNamespace, plan.CiliumRelease)
	}
	return ""
}

// sameValues compares values as Helm stores them (JSON: every number a float).
func sameValues(a, b map[string]any) bool {
	norm := func(m map[string]any) any {
		var out any
		if bs, err := json.Marshal(m); err == nil {
			_ = json.Unmarshal(bs, &out)
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// CiliumAgentReady judges the cilium DaemonSet: ready when its controller saw the latest spec and every
// node it is scheduled on runs an up-to-date, ready agent. The line says where it stands.
func CiliumAgentReady(ds *appsv1.DaemonSet) (bool, string) {
	if ds == nil {
		return false, "cilium agents: DaemonSet " + plan.CiliumNamespace + "/" + ciliumDaemonSet + " absent"
	}
	s := ds.Status
	switch {
	case s.ObservedGeneration < ds.Generation:
		return false, "cilium agents: the DaemonSet's controller has not seen its latest spec"
	case s.DesiredNumberScheduled == 0:
		return false, "cilium agents: no node runs one yet"
	case s.NumberReady < s.DesiredNumberScheduled || s.UpdatedNumberScheduled < s.DesiredNumberScheduled || s.NumberUnavailable > 0:
		return false, fmt.Sprintf("cilium agents: %d of %d ready, %d up to date", s.NumberReady, s.DesiredNumberScheduled, s.UpdatedNumberScheduled)
	}
	return true, fmt.Sprintf("cilium agents: %d of %d ready", s.NumberReady, s.DesiredNumberScheduled)
}

// NodesReady judges the cluster's nodes against the number the plan asks for: ready when at least want
// nodes exist and every one is Ready. The line names the nodes that are not.
func NodesReady(nodes []corev1.Node, want int) (bool, string) {
	var notReady []string
	for _, n := range nodes {
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready = c.Status == corev1.ConditionTrue
			}
		}
		if !ready {
			notReady = append(notReady, n.Name)
		}
	}
	slices.Sort(notReady)
	line := fmt.Sprintf("nodes: %d of %d Ready", len(nodes)-len(notReady), want)
	if len(notReady) > 0 {
		line += " (NotReady: " + strings.Join(notReady, ", ") + ")"
	}
	return len(nodes) >= want && len(notReady) == 0, line
}

// ciliumRunning reads the DaemonSet and the nodes: whether both are ready, and one line on each.
func ciliumRunning(ctx context.Context, k *platform.Kube, nodes int) (bool, string, error) {
	ds, err := k.Typed.AppsV1().DaemonSets(plan.CiliumNamespace).Get(ctx, ciliumDaemonSet, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ds, err = nil, nil
	}
	if err != nil {
		return false, "", err
	}
	nl, err := k.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, "", err
	}
	aok, a := CiliumAgentReady(ds)
	nok, n := NodesReady(nl.Items, nodes)
	return aok && nok, a + "; " + n, nil
}

// ciliumState is what the cluster has of the step's outcome: the Gateway API CRDs not as the plan asks,
// how the release differs, whether the agents and nodes are ready.
type ciliumState struct {
	crds    []string
	drift   string
	running bool
	line    string
}

func (s ciliumState) done() bool { return len(s.crds) == 0 && s.drift == "" && s.running }

// readCilium reads the step's outcome on the cluster.
func readCilium(ctx context.Context, k *platform.Kube, e *plan.Era2) (ciliumState, error) {
	c := e.Cilium.WithDefaults()
	var s ciliumState
	var err error
	if s.crds, err = gatewayCRDsMissing(ctx, k, c.GatewayAPI.Version); err != nil {
		return s, k.Classify(err)
	}
	version, err := ciliumChartVersion(c)
	if err != nil {
		return s, err
	}
	hc, err := helmops.New(k.Config, plan.CiliumNamespace, nil)
	if err != nil {
		return s, err
	}
	rel, err := hc.Current(plan.CiliumRelease)
	if err != nil {
		return s, k.Classify(err)
	}
	s.drift = releaseDrift(rel, version, plan.CiliumValues())
	if s.running, s.line, err = ciliumRunning(ctx, k, era2Machines(e)); err != nil {
		return s, k.Classify(err)
	}
	return s, nil
}

func (Era2CiliumStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	if p.Era2 == nil {
		return Outcome{Detail: "no era2 section"}, nil
	}
	if p.Era2.Stack == "" {
		return Outcome{Detail: "no stack chosen yet: whether Cilium is installed depends on it"}, nil
	}
	if !p.Era2.NeedsCilium() {
		return Outcome{Holds: true, Detail: ciliumNotNeeded(p.Era2)}, nil
	}
	if ps := p.ValidateEra2(nil, nil); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	k, err := clusterKube(ctx, e, p.Era2.Cluster)
	if err != nil {
		return Outcome{}, err
	}
	s, err := readCilium(ctx, k, p.Era2)
	switch {
	case err != nil:
		return Outcome{}, err
	case len(s.crds) > 0:
		return Outcome{Detail: "Gateway API CRDs not as planned: " + strings.Join(s.crds, ", ")}, nil
	case s.drift != "":
		return Outcome{Detail: s.drift}, nil
	}
	return Outcome{Holds: s.done(), Detail: s.line}, nil
}

// Preview applies the Gateway API bundle as a server-side dry run and renders the chart as Helm's
// --dry-run=server does, saying what would be created or changed; nothing is.
func (Era2CiliumStep) Preview(ctx context.Context, e *Env, p plan.Plan) ([]string, error) {
	if p.Era2 == nil {
		return nil, errors.New("no era2 section")
	}
	if !p.Era2.NeedsCilium() {
		return []string{ciliumNotNeeded(p.Era2)}, nil
	}
	c := p.Era2.Cilium.WithDefaults()
	k, err := clusterKube(ctx, e, p.Era2.Cluster)
	if err != nil {
		// A new cluster is made by era2-cluster first: say what the step will do there.
		return append([]string{"cluster " + p.Era2.Cluster + " cannot be reached yet (" + firstLine(err.Error()) + "); when it can, the step will:"},
			indent((Era2CiliumStep{}).Describe(p))...), nil
	}
	s, err := readCilium(ctx, k, p.Era2)
	if err != nil {
		return nil, err
	}
	var out []string
	if len(s.crds) == 0 {
		out = append(out, "the Gateway API "+c.GatewayAPI.Version+" CRDs are in place")
	} else {
		b, err := readBundle(ctx, e, c.GatewayAPI)
		if err != nil {
			return nil, err
		}
		objs, err := ParseGatewayBundle(b, c.GatewayAPI.Version)
		if err != nil {
			return nil, err
		}
		lines, err := applyBundle(ctx, k, objs, true)
		if err != nil {
			return nil, k.Classify(err)
		}
		out = append(out, "Gateway API "+c.GatewayAPI.Version+" from "+bundleSource(c.GatewayAPI)+" (server-side dry run):")
		out = append(out, indent(lines)...)
	}
	if s.drift == "" {
		out = append(out, "release "+plan.CiliumNamespace+"/"+plan.CiliumRelease+" already has the planned chart and values")
	} else {
		r, ok := e.charts().(chartRenderer)
		if !ok {
			out = append(out, s.drift+": install Cilium from "+chartSource(c.Chart))
		} else {
			manifest, err := r.Render(ctx, k, ciliumRelease(), ciliumChartName, c.Chart, plan.CiliumValues())
			if err != nil {
				return nil, k.Classify(err)
			}
			out = append(out, s.drift+": Cilium from "+chartSource(c.Chart)+" would make (helm --dry-run=server):")
			for _, o := range helmops.Objects(manifest, plan.CiliumNamespace, namespacedIn(k)) {
				out = append(out, "  "+o.String())
			}
		}
		out = append(out, "  "+ciliumValuesLine())
	}
	return append(out, "then wait: "+s.line), nil
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

// namespacedIn tells from the cluster's discovery whether a kind is namespaced; a kind it does not
// serve yet (a CRD the chart brings) counts as namespaced.
func namespacedIn(k *platform.Kube) func(kind string) bool {
	_, lists, _ := k.Typed.Discovery().ServerGroupsAndResources()
	cluster := map[string]bool{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			if !r.Namespaced {
				cluster[r.Kind] = true
			}
		}
	}
	return func(kind string) bool { return !cluster[kind] }
}

// ciliumRelease is the release the hub's cilium App renders: ArgoCD adopts its objects. Helm does not
// wait (the step waits on the DaemonSet and the nodes itself, saying where they stand); objects found
// without Helm's labels (an earlier hand install) are taken over.
func ciliumRelease() helmops.Release {
	return helmops.Release{Name: plan.CiliumRelease, Namespace: plan.CiliumNamespace, TakeOwnership: true}
}

// chartRenderer is a ChartInstaller that can also render a chart without installing it (the dry run).
type chartRenderer interface {
	Render(ctx context.Context, k *platform.Kube, r helmops.Release, name string, src plan.Chart, vals map[string]any) (string, error)
}

// Render is the dry run of InstallOrUpgrade: the manifest the release would have.
func (h HelmCharts) Render(ctx context.Context, k *platform.Kube, r helmops.Release, name string, src plan.Chart,
	vals map[string]any) (string, error) {
	ch, err := loadChart(name, src)
	if err != nil {
		return "", err
	}
	c, err := helmops.New(k.Config, r.Namespace, h.Log)
	if err != nil {
		return "", err
	}
	return c.Render(ctx, r, ch, vals)
}

func (s Era2CiliumStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	if p.Era2 == nil {
		return Result{}, errors.New("no era2 section")
	}
	if !p.Era2.NeedsCilium() {
		line := ciliumNotNeeded(p.Era2)
		emit(Event{Step: Era2Cilium, Message: line})
		return Result{Summary: []string{line}}, nil
	}
	if ps := p.ValidateEra2(nil, nil); len(ps) > 0 {
		return Result{}, ps
	}
	c := p.Era2.Cilium.WithDefaults()
	k, err := clusterKube(ctx, e, p.Era2.Cluster)
	if err != nil {
		return Result{}, err
	}
	st, err := readCilium(ctx, k, p.Era2)
	if err != nil {
		return Result{}, err
	}
	var summary []string
	if len(st.crds) > 0 {
		line, err := installGatewayCRDs(ctx, e, k, c.GatewayAPI, emit)
		if err != nil {
			return Result{}, err
		}
		summary = append(summary, line)
	} else {
		emit(Event{Step: Era2Cilium, Message: "the Gateway API " + c.GatewayAPI.Version + " CRDs are already in place"})
	}
	if st.drift != "" {
		emit(Event{Step: Era2Cilium, Message: st.drift + ": installing Cilium from " + chartSource(c.Chart)})
		res, err := e.charts().InstallOrUpgrade(ctx, k, ciliumRelease(), ciliumChartName, c.Chart, plan.CiliumValues())
		if err != nil {
			return Result{}, fmt.Errorf("install Cilium on %s: %w", p.Era2.Cluster, k.Classify(err))
		}
		line := fmt.Sprintf("release %s/%s: chart %s %s, revision %d", plan.CiliumNamespace, plan.CiliumRelease, res.Chart, res.Version, res.Revision)
		emit(Event{Step: Era2Cilium, Message: line})
		summary = append(summary, line)
	} else {
		emit(Event{Step: Era2Cilium, Message: "release " + plan.CiliumNamespace + "/" + plan.CiliumRelease + " already has the planned chart and values"})
	}
	line, err := waitCilium(ctx, e, k, p.Era2, emit)
	if err != nil {
		return Result{}, err
	}
	return Result{Summary: append(summary, line)}, nil
}

// installGatewayCRDs reads the bundle, applies it and waits for the CRDs Cilium needs to be served.
func installGatewayCRDs(ctx context.Context, e *Env, k *platform.Kube, g plan.GatewayAPI, emit func(Event)) (string, error) {
	b, err := readBundle(ctx, e, g)
	if err != nil {
		return "", err
	}
	objs, err := ParseGatewayBundle(b, g.Version)
	if err != nil {
		return "", err
	}
	lines, err := applyBundle(ctx, k, objs, false)
	for _, l := range lines {
		emit(Event{Step: Era2Cilium, Message: l})
	}
	if err != nil {
		return "", k.Classify(err)
	}
	var missing []string
	err = e.until(ctx, e.clusterWait(), func() (bool, error) {
		var err error
		missing, err = gatewayCRDsMissing(ctx, k, g.Version)
		return len(missing) == 0, err
	}, func() error {
		return fmt.Errorf("the Gateway API CRDs are not served after %s: %s; resume to look again", e.clusterWait(), strings.Join(missing, ", "))
	})
	if err != nil {
		return "", k.Classify(err)
	}
	return fmt.Sprintf("Gateway API %s: %d objects applied from %s", g.Version, len(objs), bundleSource(g)), nil
}

// waitCilium waits for the cilium agents and the nodes to be ready, saying each change of where they
// stand.
func waitCilium(ctx context.Context, e *Env, k *platform.Kube, p *plan.Era2, emit func(Event)) (string, error) {
	wait := e.clusterWait()
	line := ""
	err := e.until(ctx, wait, func() (bool, error) {
		ok, l, err := ciliumRunning(ctx, k, era2Machines(p))
		if err == nil && l != line {
			line = l
			emit(Event{Step: Era2Cilium, Message: l})
		}
		return ok, err
	}, func() error {
		return fmt.Errorf("%s after %s: look at the cilium pods (kubectl -n %s get pods -l k8s-app=cilium); resume to keep waiting",
			line, wait, plan.CiliumNamespace)
	})
	if err != nil {
		return "", k.Classify(err)
	}
	return line, nil
}
