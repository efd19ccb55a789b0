package health

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The annotations upstream stamps on every CRD of a Gateway API release
// (kubernetes-sigs/gateway-api config/crd/{standard,experimental}/*.yaml).
const (
	GatewayAPIBundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version"
	GatewayAPIChannelAnnotation       = "gateway.networking.k8s.io/channel"
)

// ResourceCRDs is the key of the CustomResourceDefinitions in Objects.Unavailable; CRDMetadataKey that
// of one CRD read by name.
const ResourceCRDs = "customresourcedefinitions.apiextensions.k8s.io"

// CRDMetadataKey is how Objects.Unavailable names one CRD whose metadata the console reads by name
// ("customresourcedefinitions.apiextensions.k8s.io/gatewayclasses.gateway.networking.k8s.io").
func CRDMetadataKey(name string) string { return ResourceCRDs + "/" + name }

// ciliumGatewayAPI is, for each Cilium minor, the Gateway API release it is built against and whose CRDs
// its documentation says "must be pre-installed". Sources: sigs.k8s.io/gateway-api in
// github.com/cilium/cilium's go.mod at each release (v1.13.0: v0.5.1, v1.14.0: v0.7.0, v1.15.0: v1.0.1-pre,
// v1.16.0: v1.1.0, v1.17.0: v1.2.1, v1.18.0: v1.3.1-pre, v1.19.0: v1.4.0-rc.2, v1.20.0: v1.6.1) and
// docs.cilium.io's "Gateway API Support" page of each release (prerequisites: "the below CRDs from Gateway
// API vX must be pre-installed"). Gateway API v1.2 changed GatewayClass status.supportedFeatures from
// strings to objects, so a Cilium writing the other form has its status write refused and its
// GatewayClass stays at the CRD default, Accepted=Unknown since 1970 (PLATFORM.md §6, the KF case:
// v1.6.0 under Cilium 1.17). The TLSRoute CRD (experimental channel) is optional since Cilium 1.16
// ("if this CRD is not installed, then Cilium will disable TLSRoute support"): the channel is reported,
// never judged.
func ciliumGatewayAPI() []struct{ cilium, gatewayAPI string } {
	return []struct{ cilium, gatewayAPI string }{
		{"1.13", "v0.5"},
		{"1.14", "v0.7"},
		{"1.15", "v1.0"},
		{"1.16", "v1.1"},
		{"1.17", "v1.2"},
		{"1.18", "v1.3"},
		{"1.19", "v1.4"},
		{"1.20", "v1.6"},
	}
}

// CiliumGatewayAPIVersion returns the Gateway API release ("v1.2") the Cilium of a version ("1.17.3",
// "v1.17") supports; ok is false for a minor the table does not know.
func CiliumGatewayAPIVersion(cilium string) (gatewayAPI string, ok bool) {
	c, ok := parseMinor(cilium)
	if !ok {
		return "", false
	}
	for _, row := range ciliumGatewayAPI() {
		if r, _ := parseMinor(row.cilium); r == c {
			return row.gatewayAPI, true
		}
	}
	return "", false
}

// ciliumFor returns the Cilium minor ("1.20") that supports a Gateway API release ("v1.6.0"), "" when
// none in the table does.
func ciliumFor(gatewayAPI string) string {
	g, ok := parseMinor(gatewayAPI)
	if !ok {
		return ""
	}
	for _, row := range ciliumGatewayAPI() {
		if r, _ := parseMinor(row.gatewayAPI); r == g {
			return row.cilium
		}
	}
	return ""
}

// minor is a major.minor version.
type minor struct{ major, minor int }

func (m minor) less(o minor) bool {
	return m.major < o.major || (m.major == o.major && m.minor < o.minor)
}

var versionPrefix = regexp.MustCompile(`^v?(\d+)\.(\d+)`)

// parseMinor reads major.minor from "v1.6.0-rc.1", "1.17.3", "v1.2".
func parseMinor(s string) (minor, bool) {
	m := versionPrefix.FindStringSubmatch(s)
	if m == nil {
		return minor{}, false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return minor{a, b}, true
}

// GatewayAPIBundle is the Gateway API release installed on a cluster, as its CRDs' annotations say.
type GatewayAPIBundle struct {
	// Version is the GatewayClass CRD's bundle-version ("v1.2.1"); Channel its channel ("standard" or
	// "experimental", "" when not stamped).
	Version, Channel string
	// Others are the other Gateway API CRDs read whose bundle-version differs, "name version" each: an
	// upgrade applied to some CRDs only.
	Others []string
}

// GatewayAPIBundleOf reads the installed Gateway API release from o.GatewayAPICRDs. ok is false when the
// GatewayClass CRD was not read or carries no bundle-version annotation (not an upstream release's CRD).
func GatewayAPIBundleOf(o Objects) (b GatewayAPIBundle, ok bool) {
	for _, c := range o.GatewayAPICRDs {
		if c != nil && c.Name == ResourceGatewayClasses {
			b.Version = c.Annotations[GatewayAPIBundleVersionAnnotation]
			b.Channel = c.Annotations[GatewayAPIChannelAnnotation]
		}
	}
	if b.Version == "" {
		return GatewayAPIBundle{}, false
	}
	for _, c := range o.GatewayAPICRDs {
		if c == nil || c.Name == ResourceGatewayClasses {
			continue
		}
		if v := c.Annotations[GatewayAPIBundleVersionAnnotation]; v != "" && v != b.Version {
			b.Others = append(b.Others, c.Name+" "+v)
		}
	}
	return b, true
}

// CiliumVersion reads Cilium's version ("1.17.3") from the image tag of the cilium DaemonSet in
// kube-system (its cilium-agent container, else its first): the spec, so during a rollout it is the
// version being rolled out. version is "" when the image carries no version tag (pinned by digest only);
// present says whether the DaemonSet exists.
func CiliumVersion(o Objects) (version string, present bool) {
	for _, ds := range o.DaemonSets {
		if ds == nil || ds.Namespace != "kube-system" || ds.Name != "cilium" {
			continue
		}
		cs := ds.Spec.Template.Spec.Containers
		if len(cs) == 0 {
			return "", true
		}
		image := cs[0].Image
		for _, c := range cs {
			if c.Name == "cilium-agent" {
				image = c.Image
			}
		}
		return imageVersion(image), true
	}
	return "", false
}

// imageVersion is the version in an image's tag ("quay.io/cilium/cilium:v1.17.3@sha256:…" → "1.17.3"),
// "" when the tag is absent or not a version.
func imageVersion(image string) string {
	image, _, _ = strings.Cut(image, "@")
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return ""
	}
	tag := image[i+1:]
	if _, ok := parseMinor(tag); !ok {
		return ""
	}
	return strings.TrimPrefix(tag, "v")
}

// ciliumGatewayRuns tells whether Cilium's Gateway controller is the cluster's: a GatewayClass names
// io.cilium/gateway-controller, or Cilium's DaemonSet runs and no GatewayClass names another controller.
func ciliumGatewayRuns(o Objects) bool {
	other := false
	for _, c := range o.GatewayClasses {
		if c == nil {
			continue
		}
		if Str(c, "spec", "controllerName") == ciliumGatewayController {
			return true
		}
		other = true
	}
	_, present := CiliumVersion(o)
	return present && !other
}

// CiliumGateway returns, on a cluster where Cilium's Gateway controller runs (see GatewayAPISupport),
// its Cilium minor ("1.17") and the Gateway API release that Cilium supports ("v1.2"); ok is false
// elsewhere, or when Cilium's version or its release is not known.
func CiliumGateway(o Objects) (cilium, gatewayAPI string, ok bool) {
	if !ciliumGatewayRuns(o) {
		return "", "", false
	}
	v, _ := CiliumVersion(o)
	gatewayAPI, ok = CiliumGatewayAPIVersion(v)
	if !ok {
		return "", "", false
	}
	m, _ := parseMinor(v)
	return fmt.Sprintf("%d.%d", m.major, m.minor), gatewayAPI, true
}

// GatewayAPISupport judges the installed Gateway API CRDs against the Gateway API release the cluster's
// Cilium supports (ciliumGatewayAPI), on the GatewayClass CRD
// (CustomResourceDefinition/gatewayclasses.gateway.networking.k8s.io). It applies where Cilium's Gateway
// controller runs: a GatewayClass names io.cilium/gateway-controller, or Cilium's DaemonSet runs and no
// GatewayClass names another controller. ok is false where it does not apply or cannot judge: no
// Cilium version (no DaemonSet, an image pinned by digest only), a Cilium minor the table does not know,
// CRDs without a bundle-version annotation.
//
// The bundle's minor is Cilium's → OK. Newer or older → Down: Cilium does not accept its GatewayClass
// (PLATFORM.md §6: v1.6.0 under Cilium 1.17, GatewayClass cilium stuck Accepted=Unknown since 1970) —
// Degraded instead while Cilium has accepted every one of its GatewayClasses anyway (served for now, a
// pairing Cilium does not support), or while there is neither a GatewayClass of Cilium's nor a Gateway
// (nothing to serve yet). CRDs of mixed bundles (an upgrade applied to some only) are Degraded. The
// CRDs' metadata unreadable (forbidden) is Unknown.
func GatewayAPISupport(o Objects) (f Finding, ok bool) {
	var ciliumClasses []string
	accepted, never := true, []string(nil)
	for _, c := range o.GatewayClasses {
		if c == nil || Str(c, "spec", "controllerName") != ciliumGatewayController {
			continue
		}
		ciliumClasses = append(ciliumClasses, c.GetName())
		if st, _ := gatewayCondition(Conditions(c), "Accepted", Down); st != OK {
			accepted = false
		}
		if _, na := NeverAccepted("GatewayClass", c, ciliumGatewayController); na {
			never = append(never, c.GetName())
		}
	}
	if !ciliumGatewayRuns(o) {
		return Finding{}, false
	}
	f = Finding{Object: "CustomResourceDefinition/" + ResourceGatewayClasses}
	if err := o.Missing(CRDMetadataKey(ResourceGatewayClasses)); err != nil {
		f.Status, f.Reason = Unknown, "the Gateway API CRDs' bundle version cannot be read: "+oneLine(err.Error())
		f.Hint = "grant the console get, list and watch on customresourcedefinitions " + ResourceGatewayClasses +
			" by name (deploy/clusterrole-read.yaml)"
		return f, true
	}
	b, okB := GatewayAPIBundleOf(o)
	cilium, supported, okS := CiliumGateway(o)
	if !okB || !okS {
		return Finding{}, false
	}
	have, _ := parseMinor(b.Version)
	want, _ := parseMinor(supported)
	ciliumName := "Cilium " + cilium
	bundle := "Gateway API CRDs " + b.Version
	if b.Channel != "" {
		bundle += " (" + b.Channel + ")"
	}
	install := "install the Gateway API CRDs of " + supported + ".x (the gateway-api-crds App's targetRevision)"
	switch {
	case have == want && len(b.Others) == 0:
		f.Status, f.Reason = OK, bundle+", the release "+ciliumName+" supports ("+supported+")"
		return f, true
	case have == want:
		f.Status = Degraded
		f.Reason = bundle + " mixed with other releases (" + strings.Join(b.Others, ", ") + "): an upgrade applied to some CRDs only"
		f.Hint = install + " to every Gateway API CRD"
		return f, true
	}
	if want.less(have) {
		f.Reason = bundle + " are newer than " + ciliumName + " supports (" + supported + ")"
	} else {
		f.Reason = bundle + " are older than " + ciliumName + " needs (" + supported + ")"
	}
	f.Hint = install
	if up := ciliumFor(b.Version); up != "" && want.less(have) {
		f.Hint += ", or upgrade Cilium to " + up + " (which supports " + b.Version + ")"
	} else if want.less(have) {
		f.Hint += ", or upgrade Cilium to a release that supports " + b.Version
	}
	switch {
	case len(never) > 0:
		f.Status = Down
		f.Reason += ": GatewayClass " + strings.Join(never, ", ") + " is never accepted"
	case len(ciliumClasses) > 0 && accepted:
		f.Status = Degraded
		f.Reason += "; accepted so far, a pairing Cilium does not support"
	case len(ciliumClasses) > 0 || len(o.Gateways) > 0:
		f.Status = Down
		f.Reason += ": Cilium does not accept its GatewayClass, nothing is served"
	default:
		f.Status = Degraded
		f.Reason += ": no Gateway yet, and Cilium would not accept its GatewayClass"
	}
	return f, true
}
