package health

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ingressObjects sorts the ingress test data into the Objects fields by kind.
func ingressObjects(t *testing.T) Objects {
	t.Helper()
	var o Objects
	for _, u := range readTestdataList(t, "ingress/objects.yaml") {
		switch u.GetKind() {
		case "HTTPProxy":
			o.HTTPProxies = append(o.HTTPProxies, u)
		case "GatewayClass":
			o.GatewayClasses = append(o.GatewayClasses, u)
		case "Gateway":
			o.Gateways = append(o.Gateways, u)
		case "HTTPRoute":
			o.HTTPRoutes = append(o.HTTPRoutes, u)
		default:
			t.Fatalf("unexpected kind %s", u.GetKind())
		}
	}
	return o
}

func TestIngress(t *testing.T) {
	o := ingressObjects(t)
	l := Ingress(o)
	got := findingsByObject(t, l)
	tests := []layerCase{
		// HTTPProxy
		{object: "HTTPProxy/raconteurs-grav/raconteurs-grav-ingress", want: OK, reasonHas: []string{"valid, raconteurs.etsmtl.ca"}},
		{object: "HTTPProxy/calidum-rotae/calidum-rotae", want: Down,
			reasonHas: []string{`invalid: Spec.VirtualHost.TLS Secret "calidum-rotae/calidum-rotae-tls" is invalid: Secret not found`},
			hintHas:   "kubectl describe httpproxy -n calidum-rotae calidum-rotae"},
		{object: "HTTPProxy/acets/acets-grav-blog", want: Degraded, reasonHas: []string{"orphaned: no root HTTPProxy includes it (this HTTPProxy is not part of a delegation chain"}, hintHas: "spec.includes"},
		{object: "HTTPProxy/netdata/netdata", want: Unknown, reasonHas: []string{"no status: Contour has not processed it"}, hintHas: "Contour runs"},
		{object: "HTTPProxy/argocd/argocd-server", want: Unknown, reasonHas: []string{"NotReconciled: Waiting for controller"}, hintHas: "wait for Contour"},
		// GatewayClass
		{object: "GatewayClass/contour", want: OK, reasonHas: []string{"Accepted (controller projectcontour.io/gateway-controller)"}},
		{object: "GatewayClass/kuma", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01"}, hintHas: "is gateways.kuma.io/controller running"},
		{object: "GatewayClass/cilium", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01 (the CRD default"}, hintHas: "Gateway API CRD version"},
		{object: "GatewayClass/cilium-restored", want: Unknown, reasonHas: []string{"Accepted=True stamped 1970-01-01"}, hintHas: "io.cilium/gateway-controller"},
		{object: "GatewayClass/contour-bad-params", want: Down, reasonHas: []string{"Accepted=False: InvalidParameters (ContourDeployment projectcontour/public-contour-config not found)"}, hintHas: "rejected"},
		{object: "GatewayClass/cilium-skewed", want: Degraded, reasonHas: []string{"Accepted", "SupportedVersion=False: UnsupportedVersion"}, hintHas: "CRD version io.cilium/gateway-controller supports"},
		{object: "GatewayClass/traefik", want: Unknown, reasonHas: []string{"Accepted not reported"}, hintHas: "traefik.io/gateway-controller"},
		// Gateway
		{object: "Gateway/projectcontour/contour-gateway", want: OK, reasonHas: []string{"Accepted, Programmed, 142.137.247.75"}},
		{object: "Gateway/projectcontour/kuma-gateway", want: Down, reasonHas: []string{"Accepted, Programmed=False: AddressNotAssigned"}, hintHas: "kubectl describe gateway -n projectcontour kuma-gateway"},
		{object: "Gateway/kube-system/cilium-gateway", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01", "Programmed=Unknown stamped 1970-01-01"}, hintHas: "GatewayClass cilium"},
		{object: "Gateway/projectcontour/rejected-gateway", want: Down, reasonHas: []string{`Accepted=False: UnsupportedValue (listener protocol "projectcontour.io/https" is unsupported)`, "Programmed=False: Invalid"}, hintHas: "listeners"},
		{object: "Gateway/default/orphan-class-gateway", want: Unknown, reasonHas: []string{"Accepted not reported", "GatewayClass nginx does not exist"}, hintHas: "create GatewayClass nginx"},
		// HTTPRoute
		{object: "HTTPRoute/vault/vault", want: Degraded, reasonHas: []string{"not attached to any Gateway (no status.parents)"}, reasonNot: "does not exist", hintHas: "controller has not taken it"},
		{object: "HTTPRoute/kuma-demo/kuma-httproute", want: OK, reasonHas: []string{"kuma.omni.cedille.club via projectcontour/contour-gateway: Accepted, ResolvedRefs"}},
		{object: "HTTPRoute/grafana/grafana", want: Degraded, reasonHas: []string{`ResolvedRefs=False: BackendNotFound (service "grafana/grafana" not found)`}, hintHas: "ReferenceGrant"},
		{object: "HTTPRoute/calidum-rotae/calidum-rotae", want: Down, reasonHas: []string{"Accepted=False: NotAllowedByListeners"}, hintHas: "Gateway projectcontour/contour-gateway rejected it"},
		{object: "HTTPRoute/acets/grav", want: Unknown,
			reasonHas: []string{"via projectcontour/contour-gateway: Accepted, ResolvedRefs; via projectcontour/kuma-gateway: Accepted=Unknown: Pending, ResolvedRefs not reported"},
			hintHas:   "controller of Gateway projectcontour/kuma-gateway"},
		{object: "HTTPRoute/default/stray", want: Degraded, reasonHas: []string{"not attached", "it has no parentRefs"}, hintHas: "add spec.parentRefs"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != len(tests) || l.Status != Down || l.Name != LayerIngress {
		t.Errorf("layer %s %v with %d findings, want ingress Down with %d", l.Name, l.Status, len(l.Findings), len(tests))
	}
}

// TestIngressK8sPocVault is the 2026-07 k8s-poc case: the Gateway the vault HTTPRoute names was never
// committed, so the route has no status.parents and the finding says which Gateway is missing.
func TestIngressK8sPocVault(t *testing.T) {
	all := ingressObjects(t)
	pick := func(us []*unstructured.Unstructured, name string) []*unstructured.Unstructured {
		for _, u := range us {
			if u.GetName() == name {
				return []*unstructured.Unstructured{u}
			}
		}
		t.Fatalf("no %s in testdata", name)
		return nil
	}
	o := Objects{GatewayClasses: pick(all.GatewayClasses, "cilium"), HTTPRoutes: pick(all.HTTPRoutes, "vault")}
	tests := []struct {
		name string
		o    Objects
		want layerCase
	}{
		{"Gateway never committed", o, layerCase{object: "HTTPRoute/vault/vault", want: Degraded,
			reasonHas: []string{"not attached to any Gateway", "Gateway kube-system/cilium-gateway does not exist"}, hintHas: "commit it to git"}},
		{"Gateways unreadable: no claim about existence", Objects{
			Unavailable: map[string]error{ResourceGateways: errors.New("gateways.gateway.networking.k8s.io is forbidden")},
			HTTPRoutes:  o.HTTPRoutes,
		}, layerCase{object: "HTTPRoute/vault/vault", want: Degraded, reasonHas: []string{"not attached"}, reasonNot: "does not exist", hintHas: "has not taken it"}},
		{"GatewayClass stuck at its 1970 default", o, layerCase{object: "GatewayClass/cilium", want: Unknown, reasonHas: []string{"1970-01-01"}, hintHas: "CRD version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFinding(t, findingsByObject(t, Ingress(tt.o)), tt.want) })
	}
}

func TestIngressEdgeCases(t *testing.T) {
	route := func(parents []any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"kind":     "HTTPRoute",
			"metadata": map[string]any{"name": "vault", "namespace": "vault"},
			"spec":     map[string]any{"parentRefs": []any{map[string]any{"name": "cilium-gateway"}, map[string]any{"kind": "Service", "name": "vault"}}},
			"status":   map[string]any{"parents": parents},
		}}
	}
	tests := []struct {
		name   string
		f      Finding
		want   Status
		reason string
	}{
		{"malformed parents", HTTPRoute(route([]any{"junk"}), nil), Unknown, "status.parents unreadable"},
		{"parent namespace defaults to the route's", HTTPRoute(route([]any{map[string]any{
			"parentRef":  map[string]any{"name": "cilium-gateway"},
			"conditions": []any{map[string]any{"type": "Accepted", "status": "True"}, map[string]any{"type": "ResolvedRefs", "status": "True"}},
		}}), nil), OK, "via vault/cilium-gateway: Accepted, ResolvedRefs"},
		{"non-Gateway parentRef ignored when naming missing Gateways", HTTPRoute(route(nil), func(ns, name string) bool { return false }),
			Degraded, "Gateway vault/cilium-gateway does not exist"},
		{"invalid HTTPProxy names Contour's detailed errors", HTTPProxy(&unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "grav", "namespace": "acets"},
			"status": map[string]any{"currentStatus": "invalid", "description": "At least one error present, see Errors for details",
				"conditions": []any{map[string]any{"type": "Valid", "status": "False", "errors": []any{
					map[string]any{"type": "TLSError", "reason": "SecretNotValid", "message": "Spec.VirtualHost.TLS Secret \"acets/grav-tls\" is invalid: Secret not found"},
					"junk"}}}},
		}}), Down, `invalid: SecretNotValid: Spec.VirtualHost.TLS Secret "acets/grav-tls" is invalid: Secret not found`},
		{"uppercase Valid HTTPProxy", HTTPProxy(&unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "grav", "namespace": "acets"},
			"status":   map[string]any{"currentStatus": "Valid"},
		}}), OK, "valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.Status != tt.want || !strings.Contains(tt.f.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v ~%q", tt.f.Status, tt.f.Reason, tt.want, tt.reason)
			}
			if tt.name == "non-Gateway parentRef ignored when naming missing Gateways" && strings.Contains(tt.f.Reason, "vault/vault") {
				t.Errorf("a Service parentRef was taken for a Gateway: %q", tt.f.Reason)
			}
		})
	}
}

func TestIngressUnavailable(t *testing.T) {
	all := ingressObjects(t)
	o := Objects{
		Unavailable: map[string]error{
			ResourceHTTPProxies: errors.New(`the server could not find the requested resource (get httpproxies.projectcontour.io)`),
		},
		GatewayClasses: all.GatewayClasses[:1], // contour, OK
		Gateways:       all.Gateways[:1],       // contour-gateway, OK
		HTTPRoutes:     all.HTTPRoutes[1:2],    // kuma-httproute, OK
	}
	l := Ingress(o)
	got := findingsByObject(t, l)
	for _, tc := range []layerCase{
		{object: "CRD/httpproxies.projectcontour.io", want: Unknown, reasonHas: []string{"could not find"}, hintHas: "install Contour"},
		{object: "GatewayClass/contour", want: OK, reasonHas: []string{"Accepted"}},
		{object: "Gateway/projectcontour/contour-gateway", want: OK, reasonHas: []string{"Programmed"}},
		{object: "HTTPRoute/kuma-demo/kuma-httproute", want: OK, reasonHas: []string{"ResolvedRefs"}},
	} {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if l.Status != Unknown || len(l.Findings) != 4 {
		t.Errorf("layer %v with %d findings, want Unknown with 4", l.Status, len(l.Findings))
	}

	t.Run("every Gateway API kind unreadable", func(t *testing.T) {
		err := errors.New("forbidden")
		l := Ingress(Objects{Unavailable: map[string]error{
			ResourceGatewayClasses: err, ResourceGateways: err, ResourceHTTPRoutes: err,
		}, HTTPProxies: all.HTTPProxies[:1]})
		got := findingsByObject(t, l)
		for _, obj := range []string{"CRD/" + ResourceGatewayClasses, "CRD/" + ResourceGateways, "CRD/" + ResourceHTTPRoutes} {
			checkFinding(t, got, layerCase{object: obj, want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "Gateway API CRDs"})
		}
		checkFinding(t, got, layerCase{object: "HTTPProxy/raconteurs-grav/raconteurs-grav-ingress", want: OK, reasonHas: []string{"valid"}})
	})
}

// TestIngressEra2NeverAccepted is the KF case on an era-2 cluster: Gateway API CRDs v1.6.0 under Cilium
// 1.17 leave GatewayClass cilium and its Gateway at the CRD's default Accepted=Unknown (1970): Down,
// never accepted. The same objects on an era-1 cluster (or before discovery) stay Unknown.
func TestIngressEra2NeverAccepted(t *testing.T) {
	all := ingressObjects(t)
	era2 := map[string]bool{ResourceCiliumLBPools: true, ResourceVaultStaticSecrets: true}
	era1 := map[string]bool{ResourceDiskPools: true, ResourceMeshes: true}
	tests := []struct {
		name   string
		serves map[string]bool
		want   []layerCase
	}{
		{"era 2", era2, []layerCase{
			{object: "GatewayClass/cilium", want: Down, reasonHas: []string{"never accepted: the Gateway API CRDs' version is not one this Cilium supports"},
				hintHas: "bundle-version"},
			{object: "Gateway/kube-system/cilium-gateway", want: Down, reasonHas: []string{"never accepted: the Gateway API CRDs' version is not one this Cilium supports"},
				hintHas: "restart cilium-operator"},
			{object: "GatewayClass/kuma", want: Down, reasonHas: []string{"not one gateways.kuma.io/controller supports"}, hintHas: "restart the controller"},
			{object: "GatewayClass/cilium-restored", want: Unknown, reasonHas: []string{"Accepted=True stamped 1970-01-01"}, hintHas: "io.cilium/gateway-controller"},
			{object: "GatewayClass/contour", want: OK, reasonHas: []string{"Accepted"}},
			{object: "Gateway/projectcontour/kuma-gateway", want: Down, reasonHas: []string{"Programmed=False: AddressNotAssigned"}, hintHas: "kubectl describe gateway"},
			{object: "Gateway/default/orphan-class-gateway", want: Unknown, reasonHas: []string{"Accepted not reported"}, hintHas: "create GatewayClass nginx"},
		}},
		{"era 1", era1, []layerCase{
			{object: "GatewayClass/cilium", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01"}, hintHas: "Gateway API CRD version"},
			{object: "Gateway/kube-system/cilium-gateway", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01"}, hintHas: "GatewayClass cilium"},
		}},
		{"before discovery", nil, []layerCase{
			{object: "GatewayClass/cilium", want: Unknown, reasonHas: []string{"Accepted=Unknown stamped 1970-01-01"}, hintHas: "Gateway API CRD version"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := all
			o.Serves = tt.serves
			got := findingsByObject(t, Ingress(o))
			for _, tc := range tt.want {
				t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
			}
		})
	}
}

func TestNeverAccepted(t *testing.T) {
	obj := func(status, at string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "cilium-gateway", "namespace": "kube-system"},
			"status":   map[string]any{"conditions": []any{map[string]any{"type": "Accepted", "status": status, "lastTransitionTime": at}}},
		}}
	}
	tests := []struct {
		name string
		u    *unstructured.Unstructured
		ctrl string
		ok   bool
		who  string
	}{
		{"the KF case", obj("Unknown", "1970-01-01T00:00:00Z"), ciliumGatewayController, true, "this Cilium"},
		{"class unknown", obj("Unknown", "1970-01-01T00:00:00Z"), "", true, "its controller"},
		{"Unknown since a real time: a controller is at work", obj("Unknown", "2026-07-20T16:00:00Z"), ciliumGatewayController, false, ""},
		{"True stamped 1970: not this case", obj("True", "1970-01-01T00:00:00Z"), ciliumGatewayController, false, ""},
		{"no time", obj("Unknown", ""), ciliumGatewayController, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := NeverAccepted("Gateway", tt.u, tt.ctrl)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, f)
			}
			if ok && (f.Status != Down || f.Object != "Gateway/kube-system/cilium-gateway" || !strings.Contains(f.Reason, "not one "+tt.who+" supports")) {
				t.Errorf("finding %+v, want Down naming %q", f, tt.who)
			}
		})
	}
}
