package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func networkNow() time.Time { return time.Date(2026, 7, 21, 9, 0, 0, 0, time.UTC) }

// networkObjects sorts a network test file into the Objects fields by kind (typed kinds converted).
func networkObjects(t *testing.T, name string) Objects {
	t.Helper()
	o := Objects{Now: networkNow()}
	conv := func(u *unstructured.Unstructured, into any) {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
			t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	for _, u := range readTestdataList(t, "network/"+name) {
		switch u.GetKind() {
		case "IPAddressPool":
			o.IPAddressPools = append(o.IPAddressPools, u)
		case "CiliumLoadBalancerIPPool":
			o.CiliumLBPools = append(o.CiliumLBPools, u)
		case "Service":
			var s corev1.Service
			conv(u, &s)
			o.LoadBalancers = append(o.LoadBalancers, &s)
		case "Deployment":
			var d appsv1.Deployment
			conv(u, &d)
			o.Deployments = append(o.Deployments, &d)
		case "Pod":
			var p corev1.Pod
			conv(u, &p)
			o.Pods = append(o.Pods, PodOf(&p))
		default:
			t.Fatalf("unexpected kind %s", u.GetKind())
		}
	}
	return o
}

func TestNetworkMetalLB(t *testing.T) {
	l := Network(networkObjects(t, "metallb.yaml"))
	got := findingsByObject(t, l)
	tests := []layerCase{
		{object: "IPAddressPool/metallb-system/external-ips", want: OK, reasonHas: []string{"10.0.130.10-10.0.130.12 (3 addresses): 3 held by 3 Services (full)"}},
		{object: "IPAddressPool/metallb-system/internal-ips", want: OK, reasonHas: []string{"10.0.21.64/30 (4 addresses): 1 held by 1 Service, only for Services that name it"}, reasonNot: "full"},
		{object: "IPAddressPool/metallb-system/lab-ips", want: Down, reasonHas: []string{"addresses that do not parse: 10.0.140.0/33"}, hintHas: "spec.addresses"},
		{object: "Service/nextcloud/turn", want: Down, reasonHas: []string{"no address for 10m: external-ips (3 of 3 addresses held) exhausted"}, hintHas: "add addresses to the pool or free one"},
		{object: "Service/grafana/grafana", want: Down, reasonHas: []string{"no address for 5m: no pool matches it"}, hintHas: "serviceAllocation"},
		{object: "Service/coroot/coroot", want: Down, reasonHas: []string{"it asks for pool coroot-ips, which does not exist"}, hintHas: "metallb.io/address-pool"},
		{object: "Service/monitoring/prometheus", want: Down, reasonHas: []string{"no address for 2m: internal-ips (1 of 4 addresses held) still has addresses, none given"},
			hintHas: "kubectl logs -n metallb-system -l app.kubernetes.io/component=controller"},
		{object: "Deployment/external-dns/external-dns", want: Degraded, reasonHas: []string{"DNS records are not updated: external-dns is crash-looping (4085 restarts, last Error)"},
			hintHas: "kubectl logs -n external-dns external-dns-6f9c7d8b4-x2kqp --previous"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	// Services with their address, or new, and Deployments that are not external-dns, say nothing.
	if len(l.Findings) != len(tests) || l.Status != Down || l.Name != LayerNetwork {
		t.Errorf("layer %s %v with %d findings, want network Down with %d: %+v", l.Name, l.Status, len(l.Findings), len(tests), l.Findings)
	}
}

func TestNetworkCilium(t *testing.T) {
	l := Network(networkObjects(t, "cilium.yaml"))
	got := findingsByObject(t, l)
	tests := []layerCase{
		{object: "CiliumLoadBalancerIPPool/public-pool", want: OK, reasonHas: []string{"12 of 16 used"}, reasonNot: "full"},
		{object: "CiliumLoadBalancerIPPool/internal-pool", want: Down, reasonHas: []string{"exhausted: 4 of 4 used, 1 Service waiting for an address"}, hintHas: "spec.blocks"},
		{object: "CiliumLoadBalancerIPPool/poc-pool", want: Down, reasonHas: []string{`conflict: Pool overlaps with CIDR of "public-pool"`}, hintHas: "overlap"},
		{object: "CiliumLoadBalancerIPPool/lab-pool", want: Degraded, reasonHas: []string{"no blocks"}, hintHas: "spec.blocks"},
		{object: "Service/vault/vault-internal", want: Down, reasonHas: []string{"no address for 4m: internal-pool (0 of 4 available) exhausted"}, hintHas: "free one"},
		{object: "Service/garage/s3", want: Down, reasonHas: []string{"no address: There are no enabled CiliumLoadBalancerIPPools that match this service"}, hintHas: "serviceSelector"},
		{object: "Deployment/external-dns/kf-external-dns", want: OK, reasonHas: []string{"available (1 of 1)"}},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) { checkFinding(t, got, tc) })
	}
	if len(l.Findings) != len(tests) || l.Status != Down {
		t.Errorf("layer %v with %d findings, want Down with %d: %+v", l.Status, len(l.Findings), len(tests), l.Findings)
	}
}

func TestCiliumLBPoolCounts(t *testing.T) {
	pool := func(conds ...map[string]any) *unstructured.Unstructured {
		cs := make([]any, len(conds))
		for i, c := range conds {
			cs[i] = c
		}
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "p"},
			"spec":     map[string]any{"blocks": []any{map[string]any{"cidr": "10.0.0.0/28"}}},
			"status":   map[string]any{"conditions": cs},
		}}
	}
	count := func(typ, msg string) map[string]any {
		return map[string]any{"type": typ, "status": "Unknown", "message": msg}
	}
	tests := []struct {
		name    string
		u       *unstructured.Unstructured
		waiting int
		want    Status
		reason  string
	}{
		{"full, nobody waiting", pool(count(ciliumIPsTotal, "16"), count(ciliumIPsAvailable, "0"), count(ciliumIPsUsed, "16")), 0, OK, "16 of 16 used (full)"},
		{"full, one waiting", pool(count(ciliumIPsTotal, "16"), count(ciliumIPsAvailable, "0"), count(ciliumIPsUsed, "16")), 1, Down, "exhausted"},
		{"used derived when not reported", pool(count(ciliumIPsTotal, "16"), count(ciliumIPsAvailable, "4")), 0, OK, "12 of 16 used"},
		{"IPv6 /64 counts beyond 64 bits", pool(count(ciliumIPsTotal, "18446744073709551616"), count(ciliumIPsAvailable, "18446744073709551614")), 0, OK, "2 of 18446744073709551616 used"},
		{"counts that do not parse", pool(count(ciliumIPsTotal, "sixteen"), count(ciliumIPsAvailable, "4")), 0, Unknown, "has not counted"},
		{"conflict False is no conflict", pool(map[string]any{"type": ciliumPoolConflict, "status": "False"}, count(ciliumIPsTotal, "2"), count(ciliumIPsAvailable, "2")), 0, OK, "0 of 2 used"},
		{"disabled", func() *unstructured.Unstructured {
			u := pool()
			u.Object["spec"].(map[string]any)["disabled"] = true
			return u
		}(), 3, OK, "disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := CiliumLBPool(tt.u, tt.waiting)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reason)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in       string
		ok       bool
		from, to string
	}{
		{"10.0.130.0/28", true, "10.0.130.0", "10.0.130.15"},
		{"10.0.130.5/28", true, "10.0.130.0", "10.0.130.15"},
		{"10.0.130.7/32", true, "10.0.130.7", "10.0.130.7"},
		{"10.0.130.10 - 10.0.130.20", true, "10.0.130.10", "10.0.130.20"},
		{"2001:db8::/126", true, "2001:db8::", "2001:db8::3"},
		{"10.0.130.20-10.0.130.10", false, "", ""},
		{"10.0.130.1-2001:db8::1", false, "", ""},
		{"10.0.130.0/33", false, "", ""},
		{"pool", false, "", ""},
	}
	for _, tt := range tests {
		r, ok := parseRange(tt.in)
		if ok != tt.ok || (ok && (r.from.String() != tt.from || r.to.String() != tt.to)) {
			t.Errorf("parseRange(%q) = %v-%v %v, want %s-%s %v", tt.in, r.from, r.to, ok, tt.from, tt.to, tt.ok)
		}
	}
}

func TestLoadBalancerServiceCandidates(t *testing.T) {
	now := networkNow()
	pool := func(name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"kind": "IPAddressPool", "metadata": map[string]any{"name": name, "namespace": "metallb-system"}, "spec": spec,
		}}
	}
	pools := LBPools{
		MetalLB: []*unstructured.Unstructured{
			pool("by-label", map[string]any{"addresses": []any{"10.0.1.0/30"}, "serviceAllocation": map[string]any{
				"serviceSelectors": []any{map[string]any{"matchLabels": map[string]any{"exposure": "public"}}}}}),
			pool("by-namespace-label", map[string]any{"addresses": []any{"10.0.2.0/30"}, "serviceAllocation": map[string]any{
				"namespaceSelectors": []any{map[string]any{"matchLabels": map[string]any{"team": "sre"}}}}}),
			pool("manual", map[string]any{"addresses": []any{"10.0.3.0/30"}, "autoAssign": false}),
		},
		NamespaceLabels: map[string]map[string]string{"ops": {"team": "sre"}},
	}
	svc := func(ns string, lbls, ann map[string]string, ip string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: ns, Labels: lbls, Annotations: ann,
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerIP: ip}}
	}
	tests := []struct {
		name   string
		svc    *corev1.Service
		reason string
	}{
		{"service selector", svc("web", map[string]string{"exposure": "public"}, nil, ""), "by-label (0 of 4 addresses held)"},
		{"namespace selector", svc("ops", nil, nil, ""), "by-namespace-label (0 of 4 addresses held)"},
		{"neither", svc("web", nil, nil, ""), "no pool matches it"},
		{"an address asked for picks its pool, autoAssign or not", svc("web", nil, nil, "10.0.3.2"), "manual (0 of 4 addresses held)"},
		{"MetalLB's IP annotation", svc("web", nil, map[string]string{metallbIPsAnnotation: "10.0.1.1"}, ""), "by-label"},
		{"the old pool annotation", svc("web", nil, map[string]string{metallbPoolAnnotationOld: "manual"}, ""), "manual"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := LoadBalancerService(tt.svc, pools, now)
			if !ok || f.Status != Down || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("got %v %v %q, want Down ~%q", ok, f.Status, f.Reason, tt.reason)
			}
		})
	}
	t.Run("the pool it names has no valid address", func(t *testing.T) {
		broken := LBPools{MetalLB: []*unstructured.Unstructured{pool("broken", map[string]any{"addresses": []any{"10.0.9.0/33"}})}}
		f, _ := LoadBalancerService(svc("web", nil, map[string]string{metallbPoolAnnotation: "broken"}, ""), broken, now)
		if !strings.Contains(f.Reason, "it asks for pool broken, which has no valid address") {
			t.Fatalf("reason %q", f.Reason)
		}
	})
	t.Run("no pool at all", func(t *testing.T) {
		f, _ := LoadBalancerService(svc("web", nil, nil, ""), LBPools{}, now)
		if !strings.Contains(f.Reason, "no address pool exists") {
			t.Fatalf("reason %q", f.Reason)
		}
	})
	t.Run("a minute's grace", func(t *testing.T) {
		s := svc("web", nil, nil, "")
		s.CreationTimestamp = metav1.NewTime(now.Add(-lbGrace))
		if f, ok := LoadBalancerService(s, pools, now); ok {
			t.Fatalf("a Service a minute old judged: %+v", f)
		}
	})
}

func TestExternalDNS(t *testing.T) {
	one := int32(1)
	zero := int32(0)
	dep := func(replicas *int32, avail int32) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "external-dns", Namespace: "external-dns"},
			Spec: appsv1.DeploymentSpec{Replicas: replicas}, Status: appsv1.DeploymentStatus{AvailableReplicas: avail}}
	}
	other := &Pod{Namespace: "kube-system", Name: "x", OwnerKind: "Deployment", OwnerName: "external-dns",
		Containers: []Container{{Name: "c", Waiting: "CrashLoopBackOff", Restarts: 9}}}
	tests := []struct {
		name   string
		d      *appsv1.Deployment
		pods   []*Pod
		want   Status
		reason string
	}{
		{"available", dep(&one, 1), []*Pod{other}, OK, "available (1 of 1)"},
		{"none available", dep(&one, 0), nil, Degraded, "no available replica (0 of 1)"},
		{"scaled to zero", dep(&zero, 0), nil, Degraded, "scaled to 0"},
		{"replicas unset means one", dep(nil, 1), nil, OK, "available (1 of 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ExternalDNS(tt.d, tt.pods)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reason)
			}
		})
	}
}

func TestNetworkUnreadable(t *testing.T) {
	err := errors.New(`ipaddresspools.metallb.io is forbidden: User "system:serviceaccount:cedille:console" cannot list resource`)
	l := Network(Objects{Now: networkNow(), Serves: map[string]bool{ResourceIPAddressPools: true},
		Unavailable: map[string]error{ResourceIPAddressPools: err, ResourceCiliumLBPools: errors.New("not served")}})
	got := findingsByObject(t, l)
	checkFinding(t, got, layerCase{object: "CRD/" + ResourceIPAddressPools, want: Unknown, reasonHas: []string{"forbidden"}, hintHas: "grant list and watch on " + ResourceIPAddressPools})
	if len(l.Findings) != 1 {
		t.Errorf("findings %+v, want only the forbidden kind's", l.Findings)
	}
}
