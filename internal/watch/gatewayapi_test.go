package watch

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
)

// crdMeta is a CRD's metadata with the annotations upstream Gateway API releases stamp.
func crdMeta(name, version string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
			health.GatewayAPIBundleVersionAnnotation: version, health.GatewayAPIChannelAnnotation: "standard",
			lastApplied: `{"spec":{"versions":"a whole schema"}}`}},
	}
}

// TestKubeSourceGatewayAPICRDs: where discovery serves the Gateway API, the source reads the metadata of
// its CRDs, each listed by name (never the whole CRD list), into Objects.GatewayAPICRDs; the ingress
// layer then judges the bundle against the Cilium DaemonSet's version. A cluster serving no Gateway API
// lists no CRD at all.
func TestKubeSourceGatewayAPICRDs(t *testing.T) {
	gwKinds := []platform.Kind{platform.GatewayClass, platform.Gateway, platform.HTTPRoute}
	for _, tt := range []struct {
		name   string
		serves bool
	}{{"Gateway API served", true}, {"no Gateway API", false}} {
		t.Run(tt.name, func(t *testing.T) {
			cilium := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cilium"},
				Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "cilium-agent", Image: "quay.io/cilium/cilium:v1.17.3"}}}}}}
			cs := fake.NewClientset(cilium)
			listKinds := map[schema.GroupVersionResource]string{}
			var gvrs []metav1.APIResource
			for _, k := range gwKinds {
				listKinds[k.GVR] = k.ListKind()
				gvrs = append(gvrs, metav1.APIResource{Name: k.GVR.Resource, Kind: k.Kind, Namespaced: k.Namespaced, Verbs: []string{"list", "watch"}})
			}
			class := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "GatewayClass",
				"metadata": map[string]any{"name": "cilium"}, "spec": map[string]any{"controllerName": "io.cilium/gateway-controller"},
				"status": map[string]any{"conditions": []any{map[string]any{"type": "Accepted", "status": "Unknown",
					"reason": "Pending", "message": "Waiting for controller", "lastTransitionTime": "1970-01-01T00:00:00Z"}}}}}
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, class)
			if tt.serves {
				cs.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{
					{GroupVersion: "gateway.networking.k8s.io/v1beta1", APIResources: gvrs}}
			}
			sch := runtime.NewScheme()
			if err := metav1.AddMetaToScheme(sch); err != nil {
				t.Fatal(err)
			}
			md := metadatafake.NewSimpleMetadataClient(sch, crdMeta(health.ResourceGatewayClasses, "v1.6.0"),
				crdMeta(health.ResourceGateways, "v1.6.0"), crdMeta("cephclusters.ceph.rook.io", ""))
			var mu sync.Mutex
			var selectors []string
			md.PrependReactor("list", "customresourcedefinitions", func(a k8stesting.Action) (bool, runtime.Object, error) {
				mu.Lock()
				defer mu.Unlock()
				selectors = append(selectors, a.(k8stesting.ListAction).GetListRestrictions().Fields.String())
				return false, nil, nil
			})
			kube := &platform.Kube{Typed: cs, Dynamic: dyn, Metadata: md, Host: "https://fake.invalid"}

			s := Collect(context.Background(), Targets{Name: "t", Kube: kube}, 10*time.Second, evNow)
			if st := s.Source(platform.SourceKubernetes); !st.Synced || st.Err != nil {
				t.Fatalf("source %+v", st)
			}
			mu.Lock()
			slices.Sort(selectors)
			got := strings.Join(selectors, " ")
			mu.Unlock()
			var names []string
			for _, c := range s.GatewayAPICRDs {
				names = append(names, c.Name+"="+c.Annotations[health.GatewayAPIBundleVersionAnnotation])
				if _, ok := c.Annotations[lastApplied]; ok {
					t.Errorf("%s keeps its last-applied annotation (a whole schema)", c.Name)
				}
			}
			ing, _ := s.Report.Layer(health.LayerIngress)
			var cause *health.Finding
			for i, f := range ing.Findings {
				if f.Object == "CustomResourceDefinition/"+health.ResourceGatewayClasses {
					cause = &ing.Findings[i]
				}
			}
			if !tt.serves {
				if got != "" || len(names) != 0 || cause != nil {
					t.Fatalf("lists %q, CRDs %v, finding %+v: a cluster without the Gateway API reads no CRD", got, names, cause)
				}
				return
			}
			want := "metadata.name=" + health.ResourceGatewayClasses + " metadata.name=" + health.ResourceGateways +
				" metadata.name=" + health.ResourceHTTPRoutes
			if got != want {
				t.Errorf("CRD lists with field selectors %q, want one by name per served Gateway API CRD: %q", got, want)
			}
			if strings.Join(names, " ") != health.ResourceGatewayClasses+"=v1.6.0 "+health.ResourceGateways+"=v1.6.0" {
				t.Errorf("GatewayAPICRDs %v, want the two Gateway API CRDs that exist, sorted", names)
			}
			if cause == nil || cause.Status != health.Down ||
				!strings.Contains(cause.Reason, "v1.6.0 (standard) are newer than Cilium 1.17 supports (v1.2): GatewayClass cilium is never accepted") {
				t.Errorf("ingress finding on the GatewayClass CRD %+v, want Down: newer than Cilium 1.17 supports", cause)
			}
		})
	}
}
