package health

import (
	"errors"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The test data is modelled on k8s-foundation (multicluster-2026): the gateway-api-crds App installs
// config/crd/experimental at v1.2.1, the cilium App chart 1.17.3 in kube-system; the KF case (PLATFORM.md
// §6) is v1.6.0 under Cilium 1.17.

// gwCRD is a Gateway API CRD's metadata as upstream stamps it ("" version: no annotations).
func gwCRD(name, version, channel string) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if version != "" {
		m.Annotations = map[string]string{GatewayAPIBundleVersionAnnotation: version, GatewayAPIChannelAnnotation: channel,
			"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/3328"}
	}
	return m
}

// ciliumDS is a DaemonSet with one container per image, the first named cilium-agent.
func ciliumDS(ns, name string, images ...string) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for i, im := range images {
		n := "cilium-agent"
		if i > 0 {
			n = "extra"
		}
		ds.Spec.Template.Spec.Containers = append(ds.Spec.Template.Spec.Containers, corev1.Container{Name: n, Image: im})
	}
	return ds
}

// gwClass is a GatewayClass of a controller with its Accepted condition (status "" for none).
func gwClass(name, controller, status, at string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"controllerName": controller},
	}}
	if status != "" {
		u.Object["status"] = map[string]any{"conditions": []any{map[string]any{
			"type": "Accepted", "status": status, "reason": "Pending", "message": "Waiting for controller", "lastTransitionTime": at}}}
	}
	return u
}

const (
	epoch   = "1970-01-01T00:00:00Z"
	lastJul = "2026-07-20T16:00:00Z"
	agent   = "quay.io/cilium/cilium:v1.17.3@sha256:1782794aeac951af139315c10eff34050aa7579c12827ee9ec376bb719b82873"
)

func TestCiliumGatewayAPIVersion(t *testing.T) {
	for _, tt := range []struct {
		cilium, want string
		ok           bool
	}{
		{"1.16.19", "v1.1", true},
		{"1.17.3", "v1.2", true},
		{"v1.17", "v1.2", true},
		{"1.18.0-rc.1", "v1.3", true},
		{"1.19.4", "v1.4", true},
		{"1.20.2", "v1.6", true},
		{"1.12.19", "", false},
		{"1.21.0", "", false},
		{"latest", "", false},
		{"", "", false},
	} {
		got, ok := CiliumGatewayAPIVersion(tt.cilium)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CiliumGatewayAPIVersion(%q) = %q, %v; want %q, %v", tt.cilium, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCiliumVersion(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ds      []*appsv1.DaemonSet
		want    string
		present bool
	}{
		{"tag and digest", []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", agent)}, "1.17.3", true},
		{"tag without v, registry with a port", []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "registry.local:5000/cilium/cilium:1.16.5")}, "1.16.5", true},
		{"digest only", []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium@sha256:1782794aeac951af")}, "", true},
		{"no tag, registry with a port", []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "registry.local:5000/cilium/cilium")}, "", true},
		{"tag not a version", []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium:stable")}, "", true},
		{"the agent container, not the first", []*appsv1.DaemonSet{func() *appsv1.DaemonSet {
			ds := ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium:v1.17.3", "quay.io/cilium/cilium:v1.18.1")
			ds.Spec.Template.Spec.Containers[0].Name, ds.Spec.Template.Spec.Containers[1].Name = "config", "cilium-agent"
			return ds
		}()}, "1.18.1", true},
		{"elsewhere or another name", []*appsv1.DaemonSet{ciliumDS("cilium", "cilium", agent), ciliumDS("kube-system", "cilium-envoy", agent)}, "", false},
		{"none", nil, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, present := CiliumVersion(Objects{DaemonSets: tt.ds})
			if got != tt.want || present != tt.present {
				t.Errorf("CiliumVersion = %q, %v; want %q, %v", got, present, tt.want, tt.present)
			}
		})
	}
}

func TestGatewayAPIBundleOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		crds []*metav1.PartialObjectMetadata
		want GatewayAPIBundle
		ok   bool
	}{
		{"one release", []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "v1.2.1", "experimental"),
			gwCRD(ResourceGateways, "v1.2.1", "experimental")}, GatewayAPIBundle{Version: "v1.2.1", Channel: "experimental"}, true},
		{"half upgraded", []*metav1.PartialObjectMetadata{gwCRD(ResourceGateways, "v1.6.0", "standard"),
			gwCRD(ResourceGatewayClasses, "v1.2.1", "standard"), gwCRD(ResourceHTTPRoutes, "v1.6.0", "standard")},
			GatewayAPIBundle{Version: "v1.2.1", Channel: "standard",
				Others: []string{ResourceGateways + " v1.6.0", ResourceHTTPRoutes + " v1.6.0"}}, true},
		{"not stamped (a project's own CRD)", []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "", "")}, GatewayAPIBundle{}, false},
		{"GatewayClass CRD not read", []*metav1.PartialObjectMetadata{gwCRD(ResourceGateways, "v1.2.1", "standard")}, GatewayAPIBundle{}, false},
		{"none", nil, GatewayAPIBundle{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := GatewayAPIBundleOf(Objects{GatewayAPICRDs: tt.crds})
			if ok != tt.ok || got.Version != tt.want.Version || got.Channel != tt.want.Channel || !slices.Equal(got.Others, tt.want.Others) {
				t.Errorf("GatewayAPIBundleOf = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGatewayAPISupport(t *testing.T) {
	ds117 := []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", agent)}
	crds := func(v string) []*metav1.PartialObjectMetadata {
		return []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, v, "standard"), gwCRD(ResourceGateways, v, "standard")}
	}
	ciliumNever := []*unstructured.Unstructured{gwClass("cilium", ciliumGatewayController, "Unknown", epoch)}
	ciliumOK := []*unstructured.Unstructured{gwClass("cilium", ciliumGatewayController, "True", lastJul)}
	tests := []struct {
		name      string
		o         Objects
		ok        bool
		want      Status
		reasonHas []string
		hintHas   []string
	}{
		{name: "the KF case: v1.6.0 under Cilium 1.17, GatewayClass never accepted",
			o:  Objects{GatewayAPICRDs: crds("v1.6.0"), DaemonSets: ds117, GatewayClasses: ciliumNever},
			ok: true, want: Down,
			reasonHas: []string{"Gateway API CRDs v1.6.0 (standard) are newer than Cilium 1.17 supports (v1.2): GatewayClass cilium is never accepted"},
			hintHas:   []string{"install the Gateway API CRDs of v1.2.x (the gateway-api-crds App's targetRevision)", "or upgrade Cilium to 1.20 (which supports v1.6.0)"}},
		{name: "newer with a Gateway but no GatewayClass of Cilium's: Down",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"), DaemonSets: ds117, Gateways: []*unstructured.Unstructured{{Object: map[string]any{
				"metadata": map[string]any{"name": "cilium-gateway", "namespace": "gateway"}, "spec": map[string]any{"gatewayClassName": "cilium"}}}}},
			ok: true, want: Down, reasonHas: []string{"newer than Cilium 1.17", "Cilium does not accept its GatewayClass, nothing is served"}},
		{name: "newer with nothing to serve yet: Degraded",
			o:  Objects{GatewayAPICRDs: crds("v1.6.0"), DaemonSets: ds117},
			ok: true, want: Degraded, reasonHas: []string{"newer than Cilium 1.17", "no Gateway yet, and Cilium would not accept its GatewayClass"}},
		{name: "newer than any Cilium known",
			o:  Objects{GatewayAPICRDs: crds("v1.9.0"), DaemonSets: ds117, GatewayClasses: ciliumNever},
			ok: true, want: Down, reasonHas: []string{"v1.9.0"}, hintHas: []string{"upgrade Cilium to a release that supports v1.9.0"}},
		{name: "newer but accepted anyway: Degraded",
			o:  Objects{GatewayAPICRDs: crds("v1.3.0"), DaemonSets: ds117, GatewayClasses: ciliumOK},
			ok: true, want: Degraded, reasonHas: []string{"newer than Cilium 1.17 supports (v1.2); accepted so far"}, hintHas: []string{"v1.2.x", "upgrade Cilium to 1.18"}},
		{name: "older: Cilium 1.17 writes supportedFeatures v1.1's schema refuses",
			o:  Objects{GatewayAPICRDs: crds("v1.1.0"), DaemonSets: ds117, GatewayClasses: ciliumNever},
			ok: true, want: Down, reasonHas: []string{"Gateway API CRDs v1.1.0 (standard) are older than Cilium 1.17 needs (v1.2): GatewayClass cilium is never accepted"},
			hintHas: []string{"v1.2.x"}},
		{name: "the release Cilium supports, any patch and channel",
			o: Objects{GatewayAPICRDs: []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "v1.2.1", "experimental")},
				DaemonSets: ds117, GatewayClasses: ciliumOK},
			ok: true, want: OK, reasonHas: []string{"Gateway API CRDs v1.2.1 (experimental), the release Cilium 1.17 supports (v1.2)"}},
		{name: "a release candidate of the supported minor",
			o:  Objects{GatewayAPICRDs: crds("v1.6.0-rc.1"), DaemonSets: []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium:v1.20.2")}},
			ok: true, want: OK, reasonHas: []string{"Cilium 1.20 supports (v1.6)"}},
		{name: "half upgraded: Degraded",
			o: Objects{GatewayAPICRDs: []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "v1.2.1", "standard"),
				gwCRD(ResourceHTTPRoutes, "v1.6.0", "standard")}, DaemonSets: ds117, GatewayClasses: ciliumOK},
			ok: true, want: Degraded, reasonHas: []string{"mixed with other releases (httproutes.gateway.networking.k8s.io v1.6.0)"}, hintHas: []string{"to every Gateway API CRD"}},
		{name: "CRDs unreadable: Unknown",
			o: Objects{DaemonSets: ds117, GatewayClasses: ciliumNever,
				Unavailable: map[string]error{CRDMetadataKey(ResourceGatewayClasses): errors.New(`customresourcedefinitions.apiextensions.k8s.io "gatewayclasses.gateway.networking.k8s.io" is forbidden`)}},
			ok: true, want: Unknown, reasonHas: []string{"bundle version cannot be read", "forbidden"}, hintHas: []string{"deploy/clusterrole-read.yaml"}},
		{name: "Cilium's class without Cilium's DaemonSet: version unknown, no finding",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"), GatewayClasses: ciliumNever}},
		{name: "image pinned by digest only: no finding",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"), GatewayClasses: ciliumNever,
				DaemonSets: []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium@sha256:1782794aeac951af")}}},
		{name: "a Cilium minor the table does not know: no finding",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"), GatewayClasses: ciliumNever,
				DaemonSets: []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", "quay.io/cilium/cilium:v1.12.19")}}},
		{name: "CRDs without a bundle-version: no finding",
			o: Objects{GatewayAPICRDs: crds(""), DaemonSets: ds117, GatewayClasses: ciliumNever}},
		{name: "Cilium as CNI only, Gateway API for another controller: no finding",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"), DaemonSets: ds117,
				GatewayClasses: []*unstructured.Unstructured{gwClass("envoy", "gateway.envoyproxy.io/gatewayclass-controller", "True", lastJul)}}},
		{name: "no Cilium at all (era 1, Contour): no finding",
			o: Objects{GatewayAPICRDs: crds("v1.6.0"),
				GatewayClasses: []*unstructured.Unstructured{gwClass("contour", "projectcontour.io/gateway-controller", "True", lastJul)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := GatewayAPISupport(tt.o)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, f)
			}
			if !ok {
				return
			}
			if f.Object != "CustomResourceDefinition/"+ResourceGatewayClasses || f.Status != tt.want {
				t.Errorf("finding %s %s, want CustomResourceDefinition/%s %s (%s)", f.Object, f.Status, ResourceGatewayClasses, tt.want, f.Reason)
			}
			for _, s := range tt.reasonHas {
				if !strings.Contains(f.Reason, s) {
					t.Errorf("reason %q lacks %q", f.Reason, s)
				}
			}
			for _, s := range tt.hintHas {
				if !strings.Contains(f.Hint, s) {
					t.Errorf("hint %q lacks %q", f.Hint, s)
				}
			}
			if f.Status != OK && f.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

// TestIngressGatewayAPICause: on an era-2 cluster with the KF case, the ingress layer holds the cause on
// the GatewayClass CRD, and GatewayClass cilium's and its Gateway's never-accepted findings point at it
// instead of telling to compare versions by hand; the supported bundle leaves them as they were.
func TestIngressGatewayAPICause(t *testing.T) {
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "cilium-gateway", "namespace": "gateway"},
		"spec":     map[string]any{"gatewayClassName": "cilium"},
		"status": map[string]any{"conditions": []any{map[string]any{
			"type": "Accepted", "status": "Unknown", "reason": "Pending", "message": "Waiting for controller", "lastTransitionTime": epoch}}},
	}}
	o := Objects{
		Serves:         map[string]bool{ResourceCiliumLBPools: true, ResourceGatewayClasses: true, ResourceGateways: true, ResourceHTTPRoutes: true},
		DaemonSets:     []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", agent)},
		GatewayClasses: []*unstructured.Unstructured{gwClass("cilium", ciliumGatewayController, "Unknown", epoch)},
		Gateways:       []*unstructured.Unstructured{gw},
	}
	cause := "CustomResourceDefinition/" + ResourceGatewayClasses
	t.Run("v1.6.0", func(t *testing.T) {
		o := o
		o.GatewayAPICRDs = []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "v1.6.0", "standard")}
		l := Ingress(o)
		got := findingsByObject(t, l)
		checkFinding(t, got, layerCase{object: cause, want: Down, reasonHas: []string{"v1.6.0 (standard) are newer than Cilium 1.17 supports (v1.2)"}, hintHas: "v1.2.x"})
		for _, obj := range []string{"GatewayClass/cilium", "Gateway/gateway/cilium-gateway"} {
			checkFinding(t, got, layerCase{object: obj, want: Down, reasonHas: []string{"never accepted"}, hintHas: "see " + cause + ": install the Gateway API CRDs of v1.2.x"})
		}
		if l.Status != Down {
			t.Errorf("layer %s, want Down", l.Status)
		}
	})
	t.Run("v1.2.1", func(t *testing.T) {
		o := o
		o.GatewayAPICRDs = []*metav1.PartialObjectMetadata{gwCRD(ResourceGatewayClasses, "v1.2.1", "experimental")}
		got := findingsByObject(t, Ingress(o))
		checkFinding(t, got, layerCase{object: cause, want: OK, reasonHas: []string{"v1.2.1 (experimental), the release Cilium 1.17 supports"}})
		checkFinding(t, got, layerCase{object: "GatewayClass/cilium", want: Down, reasonHas: []string{"never accepted"}, hintHas: "compare the gateway-api CRD bundle version"})
	})
	t.Run("no facts", func(t *testing.T) {
		got := findingsByObject(t, Ingress(o))
		if _, ok := got[cause]; ok {
			t.Errorf("a finding on %s without the CRDs' metadata", cause)
		}
		checkFinding(t, got, layerCase{object: "GatewayClass/cilium", want: Down, reasonHas: []string{"never accepted"}, hintHas: "compare the gateway-api CRD bundle version"})
	})
}

func TestCiliumGateway(t *testing.T) {
	ds := func(image string) []*appsv1.DaemonSet {
		return []*appsv1.DaemonSet{ciliumDS("kube-system", "cilium", image)}
	}
	envoy := gwClass("envoy", "gateway.envoyproxy.io/gatewayclass-controller", "True", lastJul)
	cilium := gwClass("cilium", ciliumGatewayController, "True", lastJul)
	for _, tt := range []struct {
		name                string
		o                   Objects
		wantCilium, wantAPI string
	}{
		{"Cilium's DaemonSet, no class yet", Objects{DaemonSets: ds(agent)}, "1.17", "v1.2"},
		{"Cilium's class beside another's", Objects{DaemonSets: ds("quay.io/cilium/cilium:v1.18.2"), GatewayClasses: []*unstructured.Unstructured{envoy, cilium}}, "1.18", "v1.3"},
		{"Cilium as CNI only", Objects{DaemonSets: ds(agent), GatewayClasses: []*unstructured.Unstructured{envoy}}, "", ""},
		{"digest only", Objects{DaemonSets: ds("quay.io/cilium/cilium@sha256:1782794aeac951af"), GatewayClasses: []*unstructured.Unstructured{cilium}}, "", ""},
		{"no Cilium", Objects{}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, g, ok := CiliumGateway(tt.o)
			if c != tt.wantCilium || g != tt.wantAPI || ok != (tt.wantCilium != "") {
				t.Errorf("CiliumGateway = %q, %q, %v; want %q, %q", c, g, ok, tt.wantCilium, tt.wantAPI)
			}
		})
	}
}
