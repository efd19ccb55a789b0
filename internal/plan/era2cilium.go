package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The stacks of Stacks: k8s-base (MetalLB, kube-proxy in IPVS mode, Contour) and k8s-foundation (Cilium
// with kube-proxy replacement, L2 announcements and Gateway API; PLATFORM.md §1.2).
const (
	StackBase       = "k8s-base"
	StackFoundation = "k8s-foundation"
)

// PatchCilium is a k8s-foundation Cluster's patch: no CNI and no kube-proxy, Cilium replaces both.
const PatchCilium = "cilium"

// Cilium as the hub's `cilium` and `gateway-api-crds` Apps deploy it (PLATFORM.md §1.2): the install puts
// the same release first, so that ArgoCD's first sync adopts it.
const (
	DefaultCiliumRepo        = "https://helm.cilium.io/"
	DefaultCiliumVersion     = "1.17.3"
	DefaultGatewayAPIVersion = "v1.2.1"
	// CiliumRelease and CiliumNamespace are the hub's App's helm.releaseName and destination namespace.
	CiliumRelease   = "cilium"
	CiliumNamespace = "kube-system"
	// KubePrismHost and KubePrismPort are Talos' KubePrism: the API server's load balancer on every node,
	// which Cilium reaches before it serves the kubernetes Service itself.
	KubePrismHost = "localhost"
	KubePrismPort = 7445
)

// Era2Cilium is where a k8s-foundation cluster's Cilium comes from; every field may be left out.
type Era2Cilium struct {
	// Chart is the cilium chart: a repository and version (default DefaultCiliumRepo, DefaultCiliumVersion)
	// or a local archive.
	Chart Chart `yaml:"chart,omitempty"`
	// GatewayAPI is the Gateway API CRD bundle installed before Cilium (Cilium's operator enables its
	// Gateway API only when the CRDs are there when it starts).
	GatewayAPI GatewayAPI `yaml:"gatewayAPI,omitempty"`
}

// GatewayAPI is an upstream Gateway API CRD bundle (kubernetes-sigs/gateway-api's experimental channel, as
// the hub's `gateway-api-crds` App syncs it): its release version and where to read it — upstream's release
// asset (URL, the default GatewayAPIURL(Version)) or a copy of it on disk (File) for a room without the
// internet.
type GatewayAPI struct {
	Version string `yaml:"version,omitempty"`
	URL     string `yaml:"url,omitempty"`
	File    string `yaml:"file,omitempty"`
}

// GatewayAPIURL is upstream's experimental-channel CRD bundle of a Gateway API release.
func GatewayAPIURL(version string) string {
	return "https://github.com/kubernetes-sigs/gateway-api/releases/download/" + version + "/experimental-install.yaml"
}

// NeedsCilium tells whether the cluster's stack has Cilium as its CNI, installed by the install before
// ArgoCD (a node is NotReady without a CNI, so no pod of the cluster starts until Cilium runs).
func (e Era2) NeedsCilium() bool { return e.Stack == StackFoundation }

// WithDefaults fills what the cilium section leaves out: the chart's repository and version unless a
// local archive is given, the Gateway API version and, unless a file is given, upstream's URL.
func (c Era2Cilium) WithDefaults() Era2Cilium {
	if c.Chart.File == "" {
		if c.Chart.Repo == "" {
			c.Chart.Repo = DefaultCiliumRepo
		}
		if c.Chart.Version == "" {
			c.Chart.Version = DefaultCiliumVersion
		}
	}
	g := &c.GatewayAPI
	if g.Version == "" {
		g.Version = DefaultGatewayAPIVersion
	}
	if g.URL == "" && g.File == "" {
		g.URL = GatewayAPIURL(g.Version)
	}
	return c
}

// CiliumValues are the values the install gives the cilium chart: kube-proxy replacement reaching the
// API server through KubePrism, IPAM from the nodes' pod CIDRs, L2 announcements, Gateway API, and the
// Talos settings without which the agent does not start (Talos mounts the cgroup2 hierarchy itself and
// refuses SYS_MODULE; the capabilities are Talos' documented set).
func CiliumValues() map[string]any {
	return map[string]any{
		"kubeProxyReplacement": true,
		"k8sServiceHost":       KubePrismHost,
		"k8sServicePort":       KubePrismPort,
		"ipam":                 map[string]any{"mode": "kubernetes"},
		"gatewayAPI":           map[string]any{"enabled": true},
		"l2announcements":      map[string]any{"enabled": true},
		"cgroup":               map[string]any{"autoMount": map[string]any{"enabled": false}, "hostRoot": "/sys/fs/cgroup"},
		"securityContext": map[string]any{"capabilities": map[string]any{
			"ciliumAgent": []any{"CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE",
				"DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
			"cleanCiliumState": []any{"NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"},
		}},
	}
}

// CiliumPatch is Talos without a CNI and without kube-proxy: Cilium replaces both.
func CiliumPatch() map[string]any {
	return map[string]any{"cluster": map[string]any{
		"network": map[string]any{"cni": map[string]any{"name": "none"}},
		"proxy":   map[string]any{"disabled": true}}}
}

// clusterNetworkPatch is the Cluster's network patch for the stack: Cilium's for k8s-foundation,
// kube-proxy in IPVS mode for MetalLB otherwise.
func clusterNetworkPatch(e *Era2) tmplPatch {
	if e.NeedsCilium() {
		return tmplPatch{Name: PatchCilium, Inline: CiliumPatch()}
	}
	return tmplPatch{Name: PatchIPVS, Inline: IPVSPatch()}
}

// ClusterNetwork says in a few words how the stack's cluster is networked (the cluster step's summary).
func (e Era2) ClusterNetwork() string {
	if e.NeedsCilium() {
		return "no CNI and no kube-proxy: Cilium replaces both"
	}
	return "kube-proxy in IPVS mode"
}

// ciliumGatewayAPI is the Gateway API minor release each Cilium minor release supports (Cilium's Gateway
// API documentation); a bundle of another version leaves GatewayClass cilium Accepted=Unknown
// (PLATFORM.md §6).
var ciliumGatewayAPI = map[string]string{"1.15": "v1.0", "1.16": "v1.1", "1.17": "v1.2", "1.18": "v1.3"}

// GatewayAPIFor is the Gateway API minor release ("v1.2") a Cilium chart version supports; false when the
// version is not one the project knows.
func GatewayAPIFor(ciliumVersion string) (string, bool) {
	v, ok := ciliumGatewayAPI[minor(ciliumVersion)]
	return v, ok
}

// kubePrismByDefault tells whether a Talos version enables KubePrism by default (1.6 and later); a
// version that does not parse is judged by validateVersion.
func kubePrismByDefault(talos string) bool {
	var major, minorV int
	if _, err := fmt.Sscanf(minor(talos), "%d.%d", &major, &minorV); err != nil {
		return true
	}
	return major > 1 || major == 1 && minorV >= 6
}

// minor is "1.17" of "1.17.3" or "v1.17.3"; "" when v is not a version.
func minor(v string) string {
	if !versionRE.MatchString(v) {
		return ""
	}
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	return parts[0] + "." + parts[1]
}

var gatewayVersionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// validateCilium checks the cilium section: only for a stack that has Cilium, a chart source, a Gateway
// API release the chart's Cilium supports, read from one place.
func validateCilium(add adder, e Era2) {
	if !e.NeedsCilium() {
		if e.Stack == StackBase && e.Cilium != (Era2Cilium{}) {
			add("era2.cilium", "stack k8s-base runs kube-proxy and MetalLB, not Cilium: remove the cilium section or set stack: k8s-foundation")
		}
		return
	}
	if !kubePrismByDefault(e.TalosVersion) {
		add("era2.talosVersion", "Talos %s: k8s-foundation needs Talos 1.6 or later, whose KubePrism (localhost:%d) Cilium reaches the API server through", e.TalosVersion, KubePrismPort)
	}
	c := e.Cilium.WithDefaults()
	validateChart("era2.cilium.chart", c.Chart, add)
	g := c.GatewayAPI
	switch {
	case !gatewayVersionRE.MatchString(g.Version):
		add("era2.cilium.gatewayAPI.version", "%q is not a Gateway API release like %s", g.Version, DefaultGatewayAPIVersion)
	case c.Chart.File == "":
		if want, ok := GatewayAPIFor(c.Chart.Version); ok && minor(g.Version) != strings.TrimPrefix(want, "v") {
			add("era2.cilium.gatewayAPI.version", "Cilium %s supports Gateway API %s.x, not %s: its GatewayClass would never be accepted",
				c.Chart.Version, want, g.Version)
		}
	}
	switch {
	case g.URL != "" && g.File != "":
		add("era2.cilium.gatewayAPI", "give the bundle's url or a file, not both")
	case g.File != "" && !strings.HasSuffix(g.File, ".yaml") && !strings.HasSuffix(g.File, ".yml"):
		add("era2.cilium.gatewayAPI.file", "%q: upstream's bundle as released (experimental-install.yaml)", g.File)
	case g.URL != "":
		if u, err := url.Parse(g.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("era2.cilium.gatewayAPI.url", "%q is not an http(s) URL of the bundle (default %s)", g.URL, GatewayAPIURL(g.Version))
		}
	}
}
