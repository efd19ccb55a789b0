package health

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The o.Unavailable keys the ingress layer depends on.
const (
	ResourceHTTPProxies    = "httpproxies.projectcontour.io"
	ResourceGatewayClasses = "gatewayclasses.gateway.networking.k8s.io"
	ResourceGateways       = "gateways.gateway.networking.k8s.io"
	ResourceHTTPRoutes     = "httproutes.gateway.networking.k8s.io"
)

// Ingress builds the ingress layer from Contour HTTPProxies and Gateway API GatewayClasses, Gateways and
// HTTPRoutes.
//
// On an era-2 cluster (EraOf), a GatewayClass or Gateway whose Accepted condition is still the CRD's
// default (Unknown, stamped 1970-01-01) is Down instead (NeverAccepted): there the Gateway controller is
// Cilium's, running, and the KF case (PLATFORM.md §6) showed what it means — the installed Gateway API
// CRDs are a version this Cilium does not support, and nothing is served. On era 1 it stays Unknown (a
// controller not running yet, Kuma's or Contour's).
//
// Where Cilium's Gateway controller runs, the installed Gateway API CRD bundle is judged against the
// release that Cilium supports (GatewayAPISupport, one finding on the GatewayClass CRD); a GatewayClass or
// Gateway never accepted then points at that finding for what to do.
//
// Gateway API conditions are read the same way everywhere: True → OK; False → Down for Accepted and
// Programmed (nothing is served), Degraded for ResolvedRefs (the route is attached, only the rules with
// a broken backend fail) and for a GatewayClass's SupportedVersion; Unknown or absent → Unknown. A
// condition stamped lastTransitionTime 1970-01-01 is the CRD's default, written by no controller, so it
// is Unknown even when it says True (PLATFORM.md §6: GatewayClass cilium stuck Accepted=Unknown, 1970).
func Ingress(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.HTTPProxies)+len(o.GatewayClasses)+len(o.Gateways)+len(o.HTTPRoutes)+5)
	for _, m := range []struct{ res, what string }{
		{ResourceHTTPProxies, "Contour"},
		{ResourceGatewayClasses, "the Gateway API CRDs"},
		{ResourceGateways, "the Gateway API CRDs"},
		{ResourceHTTPRoutes, "the Gateway API CRDs"},
	} {
		if err := o.Missing(m.res); err != nil && !notEra2s(o, m.res) {
			fs = append(fs, MissingFinding("CRD/"+m.res, err, "install "+m.what+", or grant the console list/watch on "+m.res))
		}
	}
	for _, p := range o.HTTPProxies {
		if p != nil {
			fs = append(fs, HTTPProxy(p))
		}
	}

	// The cause of a Cilium GatewayClass never accepted, when it is known: the symptom points at it.
	cause, hasCause := GatewayAPISupport(o)
	if hasCause {
		fs = append(fs, cause)
	}
	pointAtCause := func(f Finding, controller string) Finding {
		if hasCause && cause.Status == Down && controller == ciliumGatewayController {
			f.Hint = "see " + cause.Object + ": " + cause.Hint + "; then restart cilium-operator"
		}
		return f
	}

	// Lists that were read are trusted to be complete, to name missing classes and parents.
	era2 := EraOf(o) == Era2
	classes := map[string]bool{}
	controllers := map[string]string{}
	for _, c := range o.GatewayClasses {
		if c != nil {
			classes[c.GetName()] = true
			controllers[c.GetName()] = Str(c, "spec", "controllerName")
			f := GatewayClass(c)
			if nf, ok := NeverAccepted("GatewayClass", c, controllers[c.GetName()]); ok && era2 {
				f = pointAtCause(nf, controllers[c.GetName()])
			}
			fs = append(fs, f)
		}
	}
	classesKnown := o.Missing(ResourceGatewayClasses) == nil
	gateways := map[string]bool{}
	for _, g := range o.Gateways {
		if g != nil {
			gateways[g.GetNamespace()+"/"+g.GetName()] = true
		}
	}
	gatewaysKnown := o.Missing(ResourceGateways) == nil
	for _, g := range o.Gateways {
		if g == nil {
			continue
		}
		f := Gateway(g)
		if ctrl := controllers[Str(g, "spec", "gatewayClassName")]; era2 {
			if nf, ok := NeverAccepted("Gateway", g, ctrl); ok {
				f = pointAtCause(nf, ctrl)
			}
		}
		if cl := Str(g, "spec", "gatewayClassName"); classesKnown && cl != "" && !classes[cl] {
			f.Reason += "; GatewayClass " + cl + " does not exist"
			if f.Status != OK {
				f.Hint = "create GatewayClass " + cl + " or fix spec.gatewayClassName"
			}
		}
		fs = append(fs, f)
	}
	for _, r := range o.HTTPRoutes {
		if r == nil {
			continue
		}
		var exists func(ns, name string) bool
		if gatewaysKnown {
			exists = func(ns, name string) bool { return gateways[ns+"/"+name] }
		}
		fs = append(fs, HTTPRoute(r, exists))
	}
	return NewLayer(LayerIngress, fs)
}

// HTTPProxy judges one Contour HTTPProxy (projectcontour.io/v1) from status.currentStatus.
func HTTPProxy(p *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("HTTPProxy", p)}
	cur, desc := Str(p, "status", "currentStatus"), oneLine(Str(p, "status", "description"))
	fqdn := Str(p, "spec", "virtualhost", "fqdn")
	describe := fmt.Sprintf("kubectl describe httpproxy -n %s %s", p.GetNamespace(), p.GetName())
	switch strings.ToLower(cur) {
	case "valid":
		f.Status, f.Reason = OK, "valid"
		if fqdn != "" {
			f.Reason += ", " + fqdn
		}
	case "invalid":
		f.Status, f.Reason = Down, "invalid"
		if errs := contourErrors(p); errs != "" {
			f.Reason += ": " + errs
		} else if desc != "" {
			f.Reason += ": " + desc
		}
		f.Hint = "Contour serves nothing for it: fix what the reason says (" + describe + ")"
		f.demo = demoElsewhere
	case "orphaned":
		f.Status, f.Reason = Degraded, "orphaned: no root HTTPProxy includes it"
		if desc != "" && !strings.Contains(strings.ToLower(desc), "orphan") {
			f.Reason += " (" + desc + ")"
		}
		f.Hint = "include it from a root HTTPProxy (spec.includes), give it a virtualhost, or delete it"
	case "":
		f.Status, f.Reason = Unknown, "no status: Contour has not processed it"
		f.Hint = "check that Contour runs and that this HTTPProxy's ingress class is the one Contour serves"
	default:
		f.Status, f.Reason = Unknown, cur
		if desc != "" {
			f.Reason += ": " + desc
		}
		f.Hint = "wait for Contour; if it stays, check that Contour runs"
	}
	return f
}

// contourErrors joins the errors Contour details in status.conditions[].errors[] ("reason: message"),
// which say what is wrong where currentStatus's description only says "see Errors for details".
func contourErrors(p *unstructured.Unstructured) string {
	var out []string
	conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		raw, ok := cm["errors"].([]any)
		if !ok {
			continue
		}
		for _, e := range raw {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			reason, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			switch {
			case reason != "" && msg != "":
				out = append(out, reason+": "+oneLine(msg))
			case msg != "":
				out = append(out, oneLine(msg))
			case reason != "":
				out = append(out, reason)
			}
		}
	}
	return strings.Join(out, "; ")
}

// GatewayClass judges one Gateway API GatewayClass from Accepted (and SupportedVersion when reported).
func GatewayClass(c *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("GatewayClass", c)}
	ctrl := Str(c, "spec", "controllerName")
	conds := Conditions(c)
	st, note := gatewayCondition(conds, "Accepted", Down)
	f.Status, f.Reason = st, note
	if ctrl != "" {
		f.Reason += " (controller " + ctrl + ")"
	}
	switch st {
	case Unknown:
		f.Hint = "no controller has accepted it: is " + gwOr(ctrl, "its controller") +
			" running, and does it support the installed Gateway API CRD version?"
	case Down:
		f.Hint = "the controller rejected it: fix what the condition says (spec.parametersRef, CRD version)"
	}
	if sv, ok := FindCondition(conds, "SupportedVersion"); ok && sv.Status == "False" {
		f.Status = Worst(f.Status, Degraded)
		f.Reason += "; SupportedVersion=False" + gwDetail(sv)
		f.Hint = "install the Gateway API CRD version " + gwOr(ctrl, "the controller") + " supports"
	}
	return f
}

// Gateway judges one Gateway API Gateway from Accepted and Programmed.
func Gateway(g *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("Gateway", g)}
	conds := Conditions(g)
	aSt, aNote := gatewayCondition(conds, "Accepted", Down)
	pSt, pNote := gatewayCondition(conds, "Programmed", Down)
	f.Status, f.Reason = Worst(aSt, pSt), aNote+", "+pNote
	class := Str(g, "spec", "gatewayClassName")
	switch f.Status {
	case OK:
		var addrs []string
		raw := lenientSlice(g, "status", "addresses")
		for _, a := range raw {
			if m, ok := a.(map[string]any); ok && text(m["value"]) != "" {
				addrs = append(addrs, text(m["value"]))
			}
		}
		if len(addrs) > 0 {
			f.Reason += ", " + strings.Join(addrs, " ")
		}
	case Down:
		f.Hint = fmt.Sprintf("read its conditions (kubectl describe gateway -n %s %s): listeners, addresses, certificates", g.GetNamespace(), g.GetName())
		f.demo = demoElsewhere
	default:
		f.Hint = "no controller has judged it: check GatewayClass " + gwOr(class, "(none named)") + " and its controller"
	}
	return f
}

// ciliumGatewayController is Cilium's Gateway API controllerName.
const ciliumGatewayController = "io.cilium/gateway-controller"

// NeverAccepted is the era-2 verdict on a Gateway API GatewayClass or Gateway (kind) whose Accepted
// condition is Unknown and stamped 1970-01-01, the CRD's default that no controller ever replaced: Down
// "never accepted", because the installed Gateway API CRDs are a version its controller (the class's
// controllerName, "" when unknown) does not support. ok is false when the object is not in that state.
func NeverAccepted(kind string, u *unstructured.Unstructured, controller string) (f Finding, ok bool) {
	c, found := FindCondition(Conditions(u), "Accepted")
	if !found || c.Status != "Unknown" || c.LastTransition.IsZero() || c.LastTransition.Year() > 1970 {
		return Finding{}, false
	}
	who := "its controller"
	switch {
	case controller == ciliumGatewayController:
		who = "this Cilium"
	case controller != "":
		who = controller
	}
	f = Finding{Object: ObjectName(kind, u), Status: Down,
		Reason: "never accepted: the Gateway API CRDs' version is not one " + who + " supports (Accepted=Unknown since 1970-01-01, the CRD default)"}
	restart := "the controller"
	if controller == ciliumGatewayController {
		restart = "cilium-operator"
	}
	f.Hint = "compare the gateway-api CRD bundle version (kubectl get crd gateways.gateway.networking.k8s.io -o " +
		"jsonpath='{.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}') with the one " + who +
		" supports (Cilium 1.17: v1.2.x) and install that bundle; then restart " + restart
	return f, true
}

// HTTPRoute judges one Gateway API HTTPRoute from status.parents[].conditions. exists, when not nil,
// says whether a parent Gateway exists (nil when the Gateways could not be read), to explain a route
// that no Gateway took.
func HTTPRoute(r *unstructured.Unstructured, exists func(ns, name string) bool) Finding {
	f := Finding{Object: ObjectName("HTTPRoute", r)}
	var hosts []string
	for _, h := range lenientSlice(r, "spec", "hostnames") {
		if s := text(h); s != "" {
			hosts = append(hosts, s)
		}
	}
	parents := lenientSlice(r, "status", "parents")
	if len(parents) == 0 {
		f.Status, f.Reason = Degraded, "not attached to any Gateway (no status.parents)"
		var absent []string
		refs := lenientSlice(r, "spec", "parentRefs")
		for _, ref := range refs {
			m, ok := ref.(map[string]any)
			if !ok || (text(m["kind"]) != "" && text(m["kind"]) != "Gateway") {
				continue
			}
			ns := gwOr(text(m["namespace"]), r.GetNamespace())
			if exists != nil && !exists(ns, text(m["name"])) {
				absent = append(absent, ns+"/"+text(m["name"]))
			}
		}
		switch {
		case len(refs) == 0:
			f.Reason += "; it has no parentRefs"
			f.Hint = "add spec.parentRefs naming the Gateway that should serve it"
		case len(absent) > 0:
			f.Reason += "; Gateway " + strings.Join(absent, ", ") + " does not exist"
			f.Hint = "create the Gateway it names (commit it to git) or fix spec.parentRefs; ArgoCD keeps the App Progressing meanwhile"
		default:
			f.Hint = "the parent Gateway's controller has not taken it: check the Gateway, its GatewayClass and the listener's allowedRoutes"
		}
		return f
	}

	var notes []string
	worst, hint := OK, ""
	for _, p := range parents {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		ref, _ := m["parentRef"].(map[string]any)
		parent := gwOr(text(ref["namespace"]), r.GetNamespace()) + "/" + text(ref["name"])
		conds := Conditions(&unstructured.Unstructured{Object: m}, "conditions")
		aSt, aNote := gatewayCondition(conds, "Accepted", Down)
		rSt, rNote := gatewayCondition(conds, "ResolvedRefs", Degraded)
		notes = append(notes, "via "+parent+": "+aNote+", "+rNote)
		st := Worst(aSt, rSt)
		if st <= worst {
			continue
		}
		worst = st
		switch {
		case aSt == Down:
			hint = "Gateway " + parent + " rejected it: check its listeners' hostnames and allowedRoutes"
		case rSt == Degraded:
			hint = "a backendRef does not resolve: check the Service and port, or a ReferenceGrant for another namespace"
		default:
			hint = "the controller of Gateway " + parent + " has not judged it yet: check that it runs"
		}
	}
	if len(notes) == 0 {
		f.Status, f.Reason = Unknown, "status.parents unreadable"
		return f
	}
	f.Status, f.Hint, f.Reason = worst, hint, strings.Join(notes, "; ")
	if len(hosts) > 0 {
		f.Reason = strings.Join(hosts, " ") + " " + f.Reason
	}
	return f
}

// gatewayCondition reads one Gateway API condition: True → OK, False → onFalse, Unknown or absent →
// Unknown; a condition stamped 1970-01-01 is the CRD default and is Unknown whatever it says.
func gatewayCondition(cs []Condition, typ string, onFalse Status) (Status, string) {
	c, ok := FindCondition(cs, typ)
	if !ok {
		return Unknown, typ + " not reported"
	}
	if !c.LastTransition.IsZero() && c.LastTransition.Year() <= 1970 {
		return Unknown, typ + "=" + c.Status + " stamped 1970-01-01 (the CRD default: no controller wrote it)"
	}
	switch c.Status {
	case "True":
		return OK, typ
	case "False":
		return onFalse, typ + "=False" + gwDetail(c)
	default:
		return Unknown, typ + "=" + gwOr(c.Status, "?") + gwDetail(c)
	}
}

// gwDetail is ": reason (message)" for a condition, as much of it as is set.
func gwDetail(c Condition) string {
	msg := oneLine(c.Message)
	switch {
	case c.Reason != "" && msg != "":
		return ": " + c.Reason + " (" + msg + ")"
	case msg != "":
		return ": " + msg
	case c.Reason != "":
		return ": " + c.Reason
	}
	return ""
}

func gwOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
