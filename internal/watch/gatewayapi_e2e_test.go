//go:build e2e

package watch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// gwE2EUser is who the console runs as in TestGatewayAPIBundleRealAPIServer: bound to deploy/'s read role
// only.
const gwE2EUser = "cedille-e2e-gateway-api"

// gatewayAPICRD is the project's own minimal Gateway API CRD, stamped as upstream stamps a release's CRDs
// (bundle-version, channel), whose status defaults, as upstream's GatewayClass does, to Accepted=Unknown
// stamped 1970-01-01: the API server itself writes the KF case's status on an object no controller reads.
func gatewayAPICRD(kind, plural string, namespaced bool, bundle string) *apiextensionsv1.CustomResourceDefinition {
	keep := true
	def := func(v string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(v)} }
	conditions := `[{"type":"Accepted","status":"Unknown","reason":"Pending","message":"Waiting for controller","lastTransitionTime":"1970-01-01T00:00:00Z"}]`
	scope := apiextensionsv1.ClusterScoped
	if namespaced {
		scope = apiextensionsv1.NamespaceScoped
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".gateway.networking.k8s.io", Annotations: map[string]string{
			"api-approved.kubernetes.io":             "https://github.com/kubernetes-sigs/gateway-api/pull/3328",
			health.GatewayAPIBundleVersionAnnotation: bundle, health.GatewayAPIChannelAnnotation: "standard"}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "gateway.networking.k8s.io", Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", XPreserveUnknownFields: &keep},
						"status": {Type: "object", Default: def(`{"conditions":` + conditions + `}`),
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"conditions": {Type: "array", Default: def(conditions), Items: &apiextensionsv1.JSONSchemaPropsOrArray{
									Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &keep}}},
							}},
					},
				}},
			}},
		},
	}
}

// readRole applies deploy/clusterrole-read.yaml, as shipped, and binds it to gwE2EUser.
func readRole(ctx context.Context, t *testing.T, k kubernetes.Interface) {
	t.Helper()
	root, err := lab.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "clusterrole-read.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: gwE2EUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: gwE2EUser}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayAPIBundleRealAPIServer: on a real kube-apiserver serving era 2's CRDs and Gateway API CRDs
// of v1.6.0, with Cilium 1.17's DaemonSet and a GatewayClass cilium whose status the API server defaults
// to Accepted=Unknown (1970), the console — as a user holding deploy/'s read role only, which names the
// Gateway API CRDs — reads the bundle version through the API and the ingress layer is Down on the
// GatewayClass CRD, the GatewayClass pointing at it; the CRDs of v1.2.1 applied, the same watch shows
// the bundle OK.
func TestGatewayAPIBundleRealAPIServer(t *testing.T) {
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := l.RESTConfig()
	k, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := apiextensionsclient.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range []*apiextensionsv1.CustomResourceDefinition{
		gatewayAPICRD("GatewayClass", "gatewayclasses", false, "v1.6.0"),
		gatewayAPICRD("Gateway", "gateways", true, "v1.6.0"),
	} {
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Served once the GatewayClass can be created.
	dyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	class := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": "cilium"}, "spec": map[string]any{"controllerName": "io.cilium/gateway-controller"}}}
	gvr := platform.GatewayClass.GVR
	gvr.Version = "v1"
	gcs := dyn.Resource(gvr)
	for {
		_, err := gcs.Create(ctx, class, metav1.CreateOptions{})
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GatewayClass never created: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	labels := map[string]string{"k8s-app": "cilium"}
	if _, err := k.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "cilium", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "cilium-agent", Image: "quay.io/cilium/cilium:v1.17.3@sha256:1782794aeac951af139315c10eff34050aa7579c12827ee9ec376bb719b82873"}}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	readRole(ctx, t, k)

	as := rest.CopyConfig(admin)
	as.Impersonate = rest.ImpersonationConfig{UserName: gwE2EUser}
	as.Timeout = 0 // watches
	kube, err := platform.NewKube(as, "lab", "cedille-tui-e2e")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	hub := NewHub(HubOptions{MinInterval: 10 * time.Millisecond}, NewKubeSource(kube))
	go hub.Run(runCtx)
	ch, unsub := hub.Subscribe()
	t.Cleanup(unsub)

	cause := "CustomResourceDefinition/" + health.ResourceGatewayClasses
	finding := func(s Snapshot, object string) (health.Finding, bool) {
		l, _ := s.Report.Layer(health.LayerIngress)
		for _, f := range l.Findings {
			if f.Object == object {
				return f, true
			}
		}
		return health.Finding{}, false
	}
	wait := func(what string, ok func(Snapshot) bool) Snapshot {
		t.Helper()
		for {
			select {
			case s := <-ch:
				if s.Source(platform.SourceKubernetes).Synced && ok(s) {
					return s
				}
			case <-ctx.Done():
				s := hub.Latest()
				f, _ := finding(s, cause)
				t.Fatalf("never saw %s; last: CRDs %d, unavailable %v, finding %+v", what, len(s.GatewayAPICRDs), s.Unavailable, f)
			}
		}
	}

	s := wait("the KF case", func(s Snapshot) bool {
		f, ok := finding(s, cause)
		return ok && f.Status == health.Down
	})
	if err := s.Missing(health.CRDMetadataKey(health.ResourceGatewayClasses)); err != nil {
		t.Fatalf("the read role does not let the console read the GatewayClass CRD by name: %v", err)
	}
	var got []string
	for _, c := range s.GatewayAPICRDs {
		got = append(got, c.Name+"="+c.Annotations[health.GatewayAPIBundleVersionAnnotation])
	}
	if strings.Join(got, " ") != "gatewayclasses.gateway.networking.k8s.io=v1.6.0 gateways.gateway.networking.k8s.io=v1.6.0" {
		t.Errorf("GatewayAPICRDs %v, want the two CRDs' v1.6.0 read through the API", got)
	}
	f, _ := finding(s, cause)
	if !strings.Contains(f.Reason, "Gateway API CRDs v1.6.0 (standard) are newer than Cilium 1.17 supports (v1.2): GatewayClass cilium is never accepted") ||
		!strings.Contains(f.Hint, "v1.2.x") {
		t.Errorf("cause %+v", f)
	}
	if gc, ok := finding(s, "GatewayClass/cilium"); !ok || gc.Status != health.Down || !strings.Contains(gc.Hint, "see "+cause) {
		t.Errorf("GatewayClass/cilium %+v, want Down (never accepted, the API server's 1970 default) pointing at %s", gc, cause)
	}

	// The CRDs of the release Cilium 1.17 supports, as the gateway-api-crds App would apply them.
	patch := []byte(`{"metadata":{"annotations":{"` + health.GatewayAPIBundleVersionAnnotation + `":"v1.2.1"}}}`)
	for _, name := range []string{health.ResourceGatewayClasses, health.ResourceGateways} {
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s = wait("the bundle of v1.2.1 OK", func(s Snapshot) bool {
		f, ok := finding(s, cause)
		return ok && f.Status == health.OK
	})
	if f, _ := finding(s, cause); !strings.Contains(f.Reason, "v1.2.1 (standard), the release Cilium 1.17 supports (v1.2)") {
		t.Errorf("cause after the fix %+v", f)
	}
}
