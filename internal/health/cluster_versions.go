package health

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/blang/semver/v4"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// The version-skew rules: VersionSkew/kubelet across the Nodes and VersionSkew/talos/<cluster> across the
// machines of each Omni cluster. Both are listed when uniform (OK), so `status -o json` always shows the
// versions in use.
//
// Mapping:
//   - kubelet newer (minor version) than the API server, or more than 3 minor versions older (2 for
//     kubelets older than 1.25), per the Kubernetes version skew policy → Degraded;
//   - kubelets on different versions (patch included) → Degraded, "mid-upgrade or skew";
//   - Talos on different versions across a cluster's machines → Degraded, "mid-upgrade or skew"; one
//     version, but not the one the cluster asks for (ClusterStatus.TalosVersion) → Degraded;
//   - otherwise OK. Versions that do not parse (kwok's "fake") are left out of the comparison and named.

// Control-plane node labels (kubeadm's and Talos's; "master" before Kubernetes 1.24).
const (
	labelControlPlane = "node-role.kubernetes.io/control-plane"
	labelMaster       = "node-role.kubernetes.io/master"
)

// KubeletSkew judges the Nodes' kubelet versions against each other and against the API server. The
// reference is the oldest kube-apiserver among the control-plane pods (its image tag; with several API
// servers a kubelet must not be newer than any); without them, the newest kubelet of the control-plane
// nodes, which Talos upgrades before the workers, so that workers are held to the control plane. ok is
// false when no Node reports a readable version: there is nothing to compare.
func KubeletSkew(nodes []*corev1.Node, pods []*corev1.Pod) (f Finding, ok bool) {
	var g versionGroups
	for _, n := range nodes {
		if n != nil {
			g.add(n.Name, n.Status.NodeInfo.KubeletVersion)
		}
	}
	if len(g.names) == 0 {
		return Finding{}, false
	}
	ref, refName, hasRef := kubeletReference(nodes, pods)
	var vs []verdict
	if hasRef {
		vs = kubeletPolicy(g, ref, refName)
	}
	keys := g.keys()
	switch {
	case len(vs) > 0:
	case len(keys) > 1:
		vs = append(vs, verdict{Degraded, "mid-upgrade or skew: " + g.text("nodes"),
			"if a Kubernetes upgrade is running in Omni, let it finish; otherwise upgrade the stragglers so that every kubelet runs the same version", ""})
	default:
		reason := keys[0] + " on " + allOf(len(g.names[keys[0]]), "node")
		if hasRef && refName == refAPIServer {
			reason += ", API server " + canonical(ref)
		}
		vs = append(vs, verdict{status: OK, reason: reason})
	}
	v := combine(vs...)
	v.reason += g.unreadableText()
	return v.finding("VersionSkew/kubelet"), true
}

// What a kubelet version is held to.
const (
	refAPIServer    = "the API server"
	refControlPlane = "the control plane's kubelets"
)

// kubeletPolicy applies the version skew policy to every version in g; no verdict when all comply.
func kubeletPolicy(g versionGroups, ref semver.Version, refName string) []verdict {
	var newer, older versionGroups
	for _, k := range g.keys() {
		v := g.parsed[k]
		switch {
		case v.Major > ref.Major || (v.Major == ref.Major && v.Minor > ref.Minor):
			newer.addAll(k, v, g.names[k])
		case v.Major < ref.Major || ref.Minor-v.Minor > maxKubeletLag(v):
			older.addAll(k, v, g.names[k])
		}
	}
	var vs []verdict
	if len(newer.names) > 0 {
		vs = append(vs, verdict{Degraded, "kubelet newer than " + refName + " " + canonical(ref) + " (not allowed): " + newer.text("nodes"),
			"upgrade the control plane first (Omni's Kubernetes upgrade does it in order): a kubelet must never be newer than kube-apiserver", ""})
	}
	if len(older.names) > 0 {
		vs = append(vs, verdict{Degraded, "kubelet too old for " + refName + " " + canonical(ref) + " (not allowed): " + older.text("nodes"),
			"upgrade Kubernetes on those nodes (Omni upgrades one minor version at a time)", ""})
	}
	return vs
}

// maxKubeletLag is how many minor versions a kubelet may be older than kube-apiserver: 3, or 2 for
// kubelets older than 1.25 (Kubernetes version skew policy).
func maxKubeletLag(kubelet semver.Version) uint64 {
	if kubelet.Major == 1 && kubelet.Minor < 25 {
		return 2
	}
	return 3
}

// kubeletReference returns the version the kubelets are held to and what it is (see KubeletSkew).
func kubeletReference(nodes []*corev1.Node, pods []*corev1.Pod) (semver.Version, string, bool) {
	var ref *semver.Version
	for _, p := range pods {
		if p == nil || !isAPIServerPod(p) {
			continue
		}
		if v, err := semver.ParseTolerant(apiServerTag(p)); err == nil && (ref == nil || v.LT(*ref)) {
			ref = &v
		}
	}
	if ref != nil {
		return *ref, refAPIServer, true
	}
	for _, n := range nodes {
		if n == nil || !isControlPlaneNode(n) {
			continue
		}
		if v, err := semver.ParseTolerant(n.Status.NodeInfo.KubeletVersion); err == nil && (ref == nil || v.GT(*ref)) {
			ref = &v
		}
	}
	if ref != nil {
		return *ref, refControlPlane, true
	}
	return semver.Version{}, "", false
}

// isAPIServerPod tells kube-apiserver's pod by its labels (Talos: k8s-app, kubeadm: component) or name.
func isAPIServerPod(p *corev1.Pod) bool {
	return p.Labels["k8s-app"] == "kube-apiserver" || p.Labels["component"] == "kube-apiserver" ||
		strings.HasPrefix(p.Name, "kube-apiserver-")
}

// apiServerTag is the image tag of the kube-apiserver container (else of the first container).
func apiServerTag(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if c.Name == "kube-apiserver" {
			return imageTag(c.Image)
		}
	}
	return podVersion(p)
}

func isControlPlaneNode(n *corev1.Node) bool {
	_, cp := n.Labels[labelControlPlane]
	_, master := n.Labels[labelMaster]
	return cp || master
}

// TalosSkew judges the Talos versions of each Omni cluster's machines: one finding per cluster that has
// machines with a version, VersionSkew/talos/<cluster>. A machine's cluster is MachineStatus.Cluster (else
// Omni's cluster label); machines in no cluster are left out, Omni installs the cluster's version when it
// allocates them. The version the cluster asks for is its ClusterStatus's (copied from the Cluster spec).
func TalosSkew(machines []*omni.MachineStatus, clusters []*omni.ClusterStatus) []Finding {
	wanted := make(map[string]string, len(clusters))
	for _, c := range clusters {
		if c != nil {
			wanted[c.Metadata().ID()] = c.TypedSpec().Value.GetTalosVersion()
		}
	}
	byCluster := map[string]*versionGroups{}
	for _, m := range machines {
		if m == nil {
			continue
		}
		s := m.TypedSpec().Value
		cluster := s.GetCluster()
		if cluster == "" {
			cluster, _ = m.Metadata().Labels().Get(omni.LabelCluster)
		}
		if cluster == "" || s.GetTalosVersion() == "" {
			continue
		}
		if byCluster[cluster] == nil {
			byCluster[cluster] = &versionGroups{}
		}
		byCluster[cluster].add(MachineName(m), s.GetTalosVersion())
	}
	names := slices.Sorted(maps.Keys(byCluster))
	fs := make([]Finding, 0, len(names))
	for _, c := range names {
		if g := byCluster[c]; len(g.names) > 0 {
			fs = append(fs, talosSkewVerdict(c, *g, wanted[c]).finding("VersionSkew/talos/"+c))
		}
	}
	return fs
}

// talosSkewVerdict judges one cluster's Talos versions; want is the version it asks for ("" if unknown).
func talosSkewVerdict(cluster string, g versionGroups, want string) verdict {
	keys := g.keys()
	wantText := ""
	if want != "" {
		wantText = "; the cluster asks for " + vPrefixed(want)
	}
	var v verdict
	switch {
	case len(keys) > 1:
		v = verdict{Degraded, "mid-upgrade or skew: " + g.text("machines") + wantText,
			"if Omni is upgrading Talos, let it finish (omnictl get talosupgradestatus " + cluster + "); otherwise upgrade the stragglers to the cluster's version", demoElsewhere}
	case want != "" && !sameVersion(keys[0], want):
		v = verdict{Degraded, allOf(len(g.names[keys[0]]), "machine") + " on " + keys[0] + wantText + ": upgrade pending or stuck",
			"read the cluster's upgrade status in Omni (omnictl get talosupgradestatus " + cluster + ")", demoElsewhere}
	default:
		v = verdict{status: OK, reason: keys[0] + " on " + allOf(len(g.names[keys[0]]), "machine") + " of " + cluster}
	}
	v.reason += g.unreadableText()
	return v
}

// sameVersion compares two versions as versions when both parse ("1.5.5" is "v1.5.5"), else as text.
func sameVersion(a, b string) bool {
	va, errA := semver.ParseTolerant(a)
	vb, errB := semver.ParseTolerant(b)
	if errA != nil || errB != nil {
		return vPrefixed(a) == vPrefixed(b)
	}
	return va.EQ(vb)
}

// versionGroups sorts names by the version they run: canonical version ("v1.27.3") → names. Each distinct
// version string is parsed once: thousands of nodes share a handful of versions.
type versionGroups struct {
	names      map[string][]string
	parsed     map[string]semver.Version
	keyOf      map[string]string // version as reported → canonical version, "" when it does not parse
	unreadable []string
}

// add files name under its version; a version that does not parse is noted as unreadable.
func (g *versionGroups) add(name, raw string) {
	key, seen := g.keyOf[raw]
	if !seen {
		if v, err := semver.ParseTolerant(raw); raw != "" && err == nil {
			key = canonical(v)
			g.addAll(key, v, nil)
		}
		if g.keyOf == nil {
			g.keyOf = map[string]string{}
		}
		g.keyOf[raw] = key
	}
	if key == "" {
		g.unreadable = append(g.unreadable, name)
		return
	}
	g.names[key] = append(g.names[key], name)
}

func (g *versionGroups) addAll(key string, v semver.Version, names []string) {
	if g.names == nil {
		g.names, g.parsed = map[string][]string{}, map[string]semver.Version{}
	}
	g.names[key] = append(g.names[key], names...)
	g.parsed[key] = v
}

// keys are the versions, oldest first.
func (g versionGroups) keys() []string {
	ks := make([]string, 0, len(g.names))
	for k := range g.names {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return g.parsed[ks[i]].LT(g.parsed[ks[j]]) })
	return ks
}

// text is "v1.27.3 on 5 nodes, v1.28.0 on worker-2": names when few, a count otherwise.
func (g versionGroups) text(noun string) string {
	parts := make([]string, 0, len(g.names))
	for _, k := range g.keys() {
		parts = append(parts, k+" on "+fewNames(g.names[k], noun))
	}
	return strings.Join(parts, ", ")
}

// unreadableText is " (no readable version on a, b)", or "".
func (g versionGroups) unreadableText() string {
	if len(g.unreadable) == 0 {
		return ""
	}
	return " (no readable version on " + fewNames(g.unreadable, "others") + ")"
}

// fewNames lists up to three names, sorted, or counts them: "worker-1, worker-2", "12 nodes".
func fewNames(names []string, noun string) string {
	if len(names) > 3 {
		return fmt.Sprintf("%d %s", len(names), noun)
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return strings.Join(sorted, ", ")
}

// allOf is "1 node" or "all 6 nodes".
func allOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("all %d %ss", n, noun)
}

// canonical prints a version the way Kubernetes and Talos do: "v1.27.3".
func canonical(v semver.Version) string { return "v" + v.String() }
