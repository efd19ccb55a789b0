package health

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// The era-2 network rules: who gives LoadBalancer Services their addresses (MetalLB IPAddressPools on
// k8s-base's stack, Cilium LB-IPAM pools on k8s-foundation's) and external-dns, which publishes them.
// Each rule judges one object, pure; Network makes the layer.

const (
	// lbGrace is how long a new LoadBalancer Service may wait for its address: MetalLB and Cilium
	// assign one within seconds when a pool has one.
	lbGrace = time.Minute

	// MetalLB's annotations naming the pool a Service draws from (the old and the current spelling), and
	// the addresses it asks for.
	metallbPoolAnnotation    = "metallb.io/address-pool"
	metallbPoolAnnotationOld = "metallb.universe.tf/address-pool"
	metallbIPsAnnotation     = "metallb.io/loadBalancerIPs"
	metallbIPsAnnotationOld  = "metallb.universe.tf/loadBalancerIPs"

	// Cilium LB-IPAM's condition types (cilium operator/pkg/lbipam): the counts are in the message.
	ciliumPoolConflict   = "cilium.io/PoolConflict"
	ciliumIPsTotal       = "cilium.io/IPsTotal"
	ciliumIPsAvailable   = "cilium.io/IPsAvailable"
	ciliumIPsUsed        = "cilium.io/IPsUsed"
	ciliumIPAMSatisfied  = "cilium.io/IPAMRequestSatisfied"
	externalDNSName      = "external-dns"
	labelAppName         = "app.kubernetes.io/name"
	metallbControllerSel = "app.kubernetes.io/component=controller"
)

// LBPools is what a LoadBalancer Service may draw its address from: MetalLB's IPAddressPools, Cilium's
// CiliumLoadBalancerIPPools, every LoadBalancer Service (to count what the pools hold), and the
// namespaces' labels their selectors read.
type LBPools struct {
	MetalLB, Cilium []*unstructured.Unstructured
	Services        []*corev1.Service
	NamespaceLabels map[string]map[string]string
}

// NewLBPools gathers the pools of a cluster's objects.
func NewLBPools(o Objects) LBPools {
	p := LBPools{MetalLB: o.IPAddressPools, Cilium: o.CiliumLBPools, Services: o.LoadBalancers,
		NamespaceLabels: make(map[string]map[string]string, len(o.Namespaces))}
	for _, ns := range o.Namespaces {
		if ns != nil {
			p.NamespaceLabels[ns.Name] = ns.Labels
		}
	}
	return p
}

// Network builds the network layer (era 2): one finding per MetalLB IPAddressPool (its addresses and how
// many Services hold one), per Cilium LB-IPAM pool (conflict, counts), per LoadBalancer Service that has
// no address (LoadBalancerService), and per external-dns Deployment. A kind the cluster serves but the
// console may not read is an Unknown finding.
func Network(o Objects) LayerReport {
	fs := servedButUnreadable(o,
		unreadableKind{ResourceIPAddressPools, "MetalLB's IPAddressPools"},
		unreadableKind{ResourceCiliumLBPools, "Cilium's CiliumLoadBalancerIPPools"})
	pools := NewLBPools(o)
	for _, u := range o.IPAddressPools {
		if u != nil {
			fs = append(fs, MetalLBPool(u, o.LoadBalancers))
		}
	}
	waiting := map[string]int{}
	for _, svc := range o.LoadBalancers {
		if svc == nil {
			continue
		}
		f, ok := LoadBalancerService(svc, pools, o.Now)
		if !ok {
			continue
		}
		fs = append(fs, f)
		for _, c := range pools.ciliumCandidates(svc) {
			waiting[c.GetName()]++
		}
	}
	for _, u := range o.CiliumLBPools {
		if u != nil {
			fs = append(fs, CiliumLBPool(u, waiting[u.GetName()]))
		}
	}
	for _, d := range o.Deployments {
		if d != nil && isExternalDNS(d) {
			fs = append(fs, ExternalDNS(d, o.Pods))
		}
	}
	return NewLayer(LayerNetwork, fs)
}

// MetalLBPool judges a metallb.io/v1beta1 IPAddressPool. MetalLB 0.14 writes no status on a pool, so it
// is OK with its addresses and how many of the Services (every LoadBalancer Service) hold one of them —
// "full" when every address is held; a Service left without an address is LoadBalancerService's
// finding. A pool whose addresses do not parse is Down: MetalLB rejects the whole configuration.
func MetalLBPool(u *unstructured.Unstructured, services []*corev1.Service) Finding {
	f := Finding{Object: ObjectName("IPAddressPool", u)}
	ranges, bad := metallbRanges(u)
	addrs, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "addresses")
	if len(bad) > 0 {
		f.Status, f.Reason = Down, "addresses that do not parse: "+strings.Join(bad, ", ")
		f.Hint = "fix spec.addresses (CIDRs or first-last ranges): MetalLB rejects a configuration with an invalid pool"
		return f
	}
	if len(ranges) == 0 {
		f.Status, f.Reason = Degraded, "no addresses: no Service can get one from it"
		f.Hint = "set spec.addresses (the cluster overlay's patch may be missing)"
		return f
	}
	held, ips := holders(ranges, services)
	size := rangesSize(ranges)
	f.Status = OK
	f.Reason = fmt.Sprintf("%s (%s): %d held by %s", strings.Join(addrs, ", "), countAddrs(size), ips, units.Count(held, "Service"))
	if size.IsInt64() && int64(ips) >= size.Int64() {
		f.Reason += " (full)"
	}
	if auto, set, _ := unstructured.NestedBool(u.Object, "spec", "autoAssign"); set && !auto {
		f.Reason += ", only for Services that name it"
	}
	return f
}

// CiliumLBPool judges a cilium.io/v2alpha1 CiliumLoadBalancerIPPool from the conditions Cilium's operator
// writes: PoolConflict True is Down with its message (its blocks overlap another pool's: Cilium assigns
// from neither); the counts IPsTotal/IPsAvailable/IPsUsed are in the conditions' messages (their status
// is Unknown): none available while waiting Services could draw from it is Down, else OK "12 of 16
// used". A pool Cilium has not reported on is Unknown; a disabled one OK, saying so.
func CiliumLBPool(u *unstructured.Unstructured, waiting int) Finding {
	f := Finding{Object: ObjectName("CiliumLoadBalancerIPPool", u)}
	conds := Conditions(u)
	if c, ok := FindCondition(conds, ciliumPoolConflict); ok && c.Status == "True" {
		f.Status, f.Reason = Down, "conflict: "+gwOr(collapse(c.Message), c.Reason)
		f.Hint = "its blocks overlap another pool's: Cilium assigns from neither until one is changed (kubectl get ciliumloadbalancerippools)"
		return f
	}
	if disabled, _, _ := unstructured.NestedBool(u.Object, "spec", "disabled"); disabled {
		f.Status, f.Reason = OK, "disabled: it gives no new address"
		return f
	}
	total, okT := conditionCount(conds, ciliumIPsTotal)
	avail, okA := conditionCount(conds, ciliumIPsAvailable)
	used, okU := conditionCount(conds, ciliumIPsUsed)
	if !okU && okT && okA {
		used = new(big.Int).Sub(total, avail)
		okU = true
	}
	switch {
	case !okT || !okA:
		f.Status, f.Reason = Unknown, "Cilium has not counted its addresses (no "+ciliumIPsTotal+"/"+ciliumIPsAvailable+" condition)"
		f.Hint = "check that Cilium's operator runs with LB-IPAM (kubectl -n kube-system logs deploy/cilium-operator)"
		if len(lenientSlice(u, "spec", "blocks")) == 0 {
			f.Status, f.Reason = Degraded, "no blocks: no Service can get an address from it"
			f.Hint = "set spec.blocks (the cluster overlay's patch may be missing)"
		}
	case avail.Sign() == 0 && waiting > 0:
		f.Status = Down
		f.Reason = fmt.Sprintf("exhausted: %s of %s used, %s waiting for an address", used, total, units.Count(waiting, "Service"))
		f.Hint = "add a block to spec.blocks, or free an address (a LoadBalancer Service no longer needed)"
	default:
		f.Status = OK
		if okU {
			f.Reason = fmt.Sprintf("%s of %s used", used, total)
		} else {
			f.Reason = fmt.Sprintf("%s of %s available", avail, total)
		}
		if avail.Sign() == 0 {
			f.Reason += " (full)"
		}
	}
	return f
}

// LoadBalancerService judges a Service of type LoadBalancer, and says whether there is anything to say
// (false for a Service with its address, or one created less than lbGrace ago). Cilium's condition
// IPAMRequestSatisfied False is Down with its message; a Service without status.loadBalancer.ingress
// for longer than lbGrace is Down "no address", naming the pools it could draw from — the one its
// annotation names, those holding the address it asks for, else those that would assign to it — and
// whether they are exhausted, or that none matches.
func LoadBalancerService(svc *corev1.Service, pools LBPools, now time.Time) (Finding, bool) {
	f := Finding{Object: ObjectName("Service", svc)}
	describe := "kubectl describe service -n " + svc.Namespace + " " + svc.Name
	if c := serviceCondition(svc.Status.Conditions, ciliumIPAMSatisfied); c != nil && c.Status == metav1.ConditionFalse {
		f.Status, f.Reason = Down, "no address: "+gwOr(collapse(c.Message), c.Reason)
		f.Hint = "Cilium LB-IPAM cannot satisfy it: check the CiliumLoadBalancerIPPools' blocks and serviceSelector, and the address it asks for (" + describe + ")"
		return f, true
	}
	if len(svc.Status.LoadBalancer.Ingress) > 0 {
		return f, false
	}
	age := now.Sub(svc.CreationTimestamp.Time)
	if age <= lbGrace {
		return f, false
	}
	f.Status = Down
	prefix := "no address for " + units.Duration(age)
	named := metallbNamedPools(svc)
	var poolNames []string
	full, free := true, false
	for _, p := range pools.metallbCandidates(svc) {
		ranges, bad := metallbRanges(p)
		if len(ranges) == 0 || len(bad) > 0 {
			continue // a pool that gives nothing (its own finding says why)
		}
		_, ips := holders(ranges, pools.Services)
		size := rangesSize(ranges)
		poolNames = append(poolNames, fmt.Sprintf("%s (%d of %s held)", p.GetName(), ips, countAddrs(size)))
		if !size.IsInt64() || int64(ips) < size.Int64() {
			full, free = false, true
		}
	}
	for _, p := range pools.ciliumCandidates(svc) {
		conds := Conditions(p)
		total, okT := conditionCount(conds, ciliumIPsTotal)
		avail, okA := conditionCount(conds, ciliumIPsAvailable)
		if okT && okA {
			poolNames = append(poolNames, fmt.Sprintf("%s (%s of %s available)", p.GetName(), avail, total))
			if avail.Sign() > 0 {
				full, free = false, true
			}
		} else {
			poolNames = append(poolNames, p.GetName())
			full = false
		}
	}
	switch {
	case len(poolNames) == 0 && len(named) > 0 && len(pools.metallbCandidates(svc)) > 0:
		f.Reason = prefix + ": it asks for pool " + strings.Join(named, ", ") + ", which has no valid address"
		f.Hint = "fix the pool's spec.addresses (see its finding)"
	case len(poolNames) == 0 && len(named) > 0:
		f.Reason = prefix + ": it asks for pool " + strings.Join(named, ", ") + ", which does not exist"
		f.Hint = "create the pool or fix the Service's " + metallbPoolAnnotation + " annotation (" + describe + ")"
	case len(poolNames) == 0 && len(pools.MetalLB)+len(pools.Cilium) == 0:
		f.Reason = prefix + ": no address pool exists"
		f.Hint = "create an IPAddressPool (MetalLB) or a CiliumLoadBalancerIPPool for it; is the pools' App synced?"
	case len(poolNames) == 0:
		f.Reason = prefix + ": no pool matches it"
		f.Hint = "no pool assigns to it (autoAssign, serviceAllocation, serviceSelector): name one in its annotation or widen a pool's selection (" + describe + ")"
	case full:
		f.Reason = prefix + ": " + strings.Join(poolNames, ", ") + " exhausted"
		f.Hint = "add addresses to the pool or free one (a LoadBalancer Service no longer needed: kubectl get services -A | grep LoadBalancer)"
	case free:
		f.Reason = prefix + ": " + strings.Join(poolNames, ", ") + " still has addresses, none given"
		f.Hint = "the controller did not assign one: read the Service's events (" + describe + ") and the controller's logs (MetalLB: kubectl logs -n " +
			pools.metallbNamespace() + " -l " + metallbControllerSel + ")"
	default:
		f.Reason = prefix + ": " + strings.Join(poolNames, ", ") + " exhausted or no pool matches"
		f.Hint = "read the Service's events (" + describe + ")"
	}
	return f, true
}

// ExternalDNS judges an external-dns Deployment for what it means to the network: not available, or
// its pods crash-looping, is Degraded "DNS records are not updated" (new and moved Services keep stale
// or no records; the workloads layer flags the crash loop itself); available is OK.
func ExternalDNS(d *appsv1.Deployment, pods []*Pod) Finding {
	f := Finding{Object: ObjectName("Deployment", d)}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	var crashing *Pod
	var restarts int32
	var last string
	for _, p := range pods {
		if p == nil || p.Namespace != d.Namespace || p.OwnerKind != "Deployment" || p.OwnerName != d.Name {
			continue
		}
		for _, c := range p.Containers {
			if c.Waiting == "CrashLoopBackOff" {
				if crashing == nil {
					crashing = p
				}
				restarts += c.Restarts
				if c.LastReason != "" {
					last = c.LastReason
				}
			}
		}
	}
	logs := "kubectl logs -n " + d.Namespace + " deploy/" + d.Name
	switch {
	case crashing != nil:
		f.Status = Degraded
		f.Reason = fmt.Sprintf("DNS records are not updated: external-dns is crash-looping (%s", units.Count(int(restarts), "restart"))
		if last != "" {
			f.Reason += ", last " + last
		}
		f.Reason += ")"
		f.Hint = "read why it exits: kubectl logs -n " + d.Namespace + " " + crashing.Name + " --previous (its DNS provider: an RFC2136 SERVFAIL, a rejected API token)"
	case want == 0:
		f.Status, f.Reason = Degraded, "DNS records are not updated: external-dns is scaled to 0"
		f.Hint = "scale it back up (spec.replicas), or check why its App sets 0"
	case d.Status.AvailableReplicas < 1:
		f.Status = Degraded
		f.Reason = fmt.Sprintf("DNS records are not updated: external-dns has no available replica (0 of %d)", want)
		f.Hint = "see its pods in the workloads layer; " + logs
	default:
		f.Status, f.Reason = OK, fmt.Sprintf("available (%d of %d): DNS records follow the Services", d.Status.AvailableReplicas, want)
	}
	return f
}

// isExternalDNS tells an external-dns Deployment by its name or its app.kubernetes.io/name label.
func isExternalDNS(d *appsv1.Deployment) bool {
	return d.Labels[labelAppName] == externalDNSName || strings.Contains(d.Name, externalDNSName)
}

// metallbCandidates are the MetalLB pools a Service could draw from: those its annotation names; else
// those holding an address it asks for; else those that assign automatically to it (autoAssign not
// false, serviceAllocation's namespaces, namespaceSelectors and serviceSelectors matching).
func (p LBPools) metallbCandidates(svc *corev1.Service) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	if named := metallbNamedPools(svc); len(named) > 0 {
		for _, u := range p.MetalLB {
			if u != nil && slices.Contains(named, u.GetName()) {
				out = append(out, u)
			}
		}
		return out
	}
	if asked := requestedIPs(svc); len(asked) > 0 {
		for _, u := range p.MetalLB {
			if u == nil {
				continue
			}
			ranges, _ := metallbRanges(u)
			for _, a := range asked {
				if inRanges(ranges, a) {
					out = append(out, u)
					break
				}
			}
		}
		return out
	}
	for _, u := range p.MetalLB {
		if u == nil {
			continue
		}
		if auto, set, _ := unstructured.NestedBool(u.Object, "spec", "autoAssign"); set && !auto {
			continue
		}
		if p.allocates(u, svc) {
			out = append(out, u)
		}
	}
	return out
}

// allocates tells whether a MetalLB pool's spec.serviceAllocation admits a Service (no allocation
// admits every Service).
func (p LBPools) allocates(u *unstructured.Unstructured, svc *corev1.Service) bool {
	if nss, ok, _ := unstructured.NestedStringSlice(u.Object, "spec", "serviceAllocation", "namespaces"); ok && len(nss) > 0 && !slices.Contains(nss, svc.Namespace) {
		return false
	}
	if sels := lenientSlice(u, "spec", "serviceAllocation", "namespaceSelectors"); len(sels) > 0 && !anySelects(sels, p.NamespaceLabels[svc.Namespace]) {
		return false
	}
	if sels := lenientSlice(u, "spec", "serviceAllocation", "serviceSelectors"); len(sels) > 0 && !anySelects(sels, svc.Labels) {
		return false
	}
	return true
}

// ciliumCandidates are the enabled Cilium pools whose serviceSelector (none selects every Service)
// selects a Service.
func (p LBPools) ciliumCandidates(svc *corev1.Service) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range p.Cilium {
		if u == nil {
			continue
		}
		if disabled, _, _ := unstructured.NestedBool(u.Object, "spec", "disabled"); disabled {
			continue
		}
		sel, ok, _ := unstructured.NestedMap(u.Object, "spec", "serviceSelector")
		if ok && !anySelects([]any{sel}, svc.Labels) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// metallbNamespace is where MetalLB runs: its pools' namespace.
func (p LBPools) metallbNamespace() string {
	for _, u := range p.MetalLB {
		if u != nil && u.GetNamespace() != "" {
			return u.GetNamespace()
		}
	}
	return "metallb-system"
}

// anySelects tells whether one of the label selectors (unstructured metav1.LabelSelector) selects the
// labels; a selector that does not parse selects nothing.
func anySelects(sels []any, lbls map[string]string) bool {
	for _, s := range sels {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		var ls metav1.LabelSelector
		if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls) != nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err == nil && sel.Matches(labels.Set(lbls)) {
			return true
		}
	}
	return false
}

// metallbNamedPools are the pools a Service's annotation names (comma-separated).
func metallbNamedPools(svc *corev1.Service) []string {
	v := svc.Annotations[metallbPoolAnnotation]
	if v == "" {
		v = svc.Annotations[metallbPoolAnnotationOld]
	}
	return splitList(v)
}

// requestedIPs are the addresses a Service asks for (MetalLB's annotation, or spec.loadBalancerIP).
func requestedIPs(svc *corev1.Service) []netip.Addr {
	v := svc.Annotations[metallbIPsAnnotation]
	if v == "" {
		v = svc.Annotations[metallbIPsAnnotationOld]
	}
	if v == "" {
		v = svc.Spec.LoadBalancerIP
	}
	var out []netip.Addr
	for _, s := range splitList(v) {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// ipRange is an inclusive range of addresses of one family.
type ipRange struct{ from, to netip.Addr }

// metallbRanges parses an IPAddressPool's spec.addresses: CIDRs ("10.0.130.0/28") and first-last ranges
// ("10.0.130.10-10.0.130.20"); bad are the entries that do not parse.
func metallbRanges(u *unstructured.Unstructured) (ranges []ipRange, bad []string) {
	addrs, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "addresses")
	for _, a := range addrs {
		if r, ok := parseRange(a); ok {
			ranges = append(ranges, r)
		} else {
			bad = append(bad, a)
		}
	}
	return ranges, bad
}

// parseRange reads a CIDR or a first-last range.
func parseRange(s string) (ipRange, bool) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		if err1 != nil || err2 != nil || a.BitLen() != b.BitLen() || b.Less(a) {
			return ipRange{}, false
		}
		return ipRange{a, b}, true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return ipRange{}, false
	}
	p = p.Masked()
	last := p.Addr().AsSlice()
	for i := p.Bits(); i < len(last)*8; i++ {
		last[i/8] |= 1 << (7 - i%8)
	}
	to, _ := netip.AddrFromSlice(last)
	return ipRange{p.Addr(), to}, true
}

func (r ipRange) contains(a netip.Addr) bool {
	a = a.Unmap()
	return r.from.Compare(a) <= 0 && a.Compare(r.to) <= 0
}

func inRanges(rs []ipRange, a netip.Addr) bool {
	for _, r := range rs {
		if r.contains(a) {
			return true
		}
	}
	return false
}

// rangesSize is how many addresses the ranges hold (big: an IPv6 /64 holds 2^64).
func rangesSize(rs []ipRange) *big.Int {
	n := new(big.Int)
	for _, r := range rs {
		d := new(big.Int).Sub(new(big.Int).SetBytes(r.to.AsSlice()), new(big.Int).SetBytes(r.from.AsSlice()))
		n.Add(n, d.Add(d, big.NewInt(1)))
	}
	return n
}

// countAddrs says "11 addresses" ("address" takes "es": units.Count does not fit it).
func countAddrs(n *big.Int) string {
	if n.IsInt64() && n.Int64() == 1 {
		return "1 address"
	}
	return n.String() + " addresses"
}

// holders counts the Services holding an address in the ranges, and the distinct addresses they hold
// (Services may share one).
func holders(rs []ipRange, services []*corev1.Service) (svcs, ips int) {
	seen := map[netip.Addr]bool{}
	for _, s := range services {
		if s == nil {
			continue
		}
		holds := false
		for _, in := range s.Status.LoadBalancer.Ingress {
			a, err := netip.ParseAddr(in.IP)
			if err != nil || !inRanges(rs, a) {
				continue
			}
			holds = true
			if !seen[a] {
				seen[a] = true
				ips++
			}
		}
		if holds {
			svcs++
		}
	}
	return svcs, ips
}

// conditionCount reads the number Cilium writes in a condition's message.
func conditionCount(cs []Condition, typ string) (*big.Int, bool) {
	c, ok := FindCondition(cs, typ)
	if !ok {
		return nil, false
	}
	n, ok := new(big.Int).SetString(strings.TrimSpace(c.Message), 10)
	return n, ok && n.Sign() >= 0
}

// serviceCondition returns a Service's condition of the given type, nil when absent.
func serviceCondition(cs []metav1.Condition, typ string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

// splitList splits a comma-separated annotation, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
