package health

import (
	"fmt"
	"strings"

	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// Node judges one Kubernetes Node: Ready, pressure conditions and cordoning.
func Node(n *corev1.Node) Finding {
	f := Finding{Object: "Node/" + n.Name}
	ready := condition(n, corev1.NodeReady)
	switch {
	case ready == nil:
		f.Status, f.Reason = Unknown, "no Ready condition reported yet"
		f.Hint = "wait for the kubelet to register; check the machine in Omni"
		return f
	case ready.Status == corev1.ConditionUnknown:
		f.Status, f.Reason = Down, "kubelet stopped posting status"+since(ready)
		f.Hint = "check the machine's power and network; runbook: " + RunbookNodeLost
		return f.inDemo(demoNodeBack)
	case ready.Status != corev1.ConditionTrue:
		f.Status, f.Reason = Down, "NotReady"+detail(ready)
		f.Hint = "look at the node's conditions and kubelet logs (talosctl logs kubelet)"
		return f.inDemo(demoElsewhere)
	}
	var pressures []string
	for _, t := range []corev1.NodeConditionType{
		corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure, corev1.NodeNetworkUnavailable,
	} {
		if c := condition(n, t); c != nil && c.Status == corev1.ConditionTrue {
			pressures = append(pressures, string(t))
		}
	}
	switch {
	case len(pressures) > 0:
		f.Status, f.Reason = Degraded, "Ready but "+strings.Join(pressures, ", ")
		f.Hint = "free the resource or move workloads; pods may be evicted"
	case n.Spec.Unschedulable:
		f.Status, f.Reason = Degraded, "Ready, cordoned (SchedulingDisabled)"
		f.Hint = "uncordon it when its maintenance is over"
	default:
		f.Status, f.Reason = OK, "Ready"
		if v := n.Status.NodeInfo.KubeletVersion; v != "" {
			f.Reason += ", kubelet " + v
		}
	}
	return f
}

// Machine judges one Omni machine from its MachineStatus.
func Machine(m *omni.MachineStatus) Finding {
	return machineVerdict(m.TypedSpec().Value, false).finding("Machine/" + MachineName(m))
}

// machineVerdict judges a MachineStatus: connection, last error, maintenance mode. allocated leaves
// maintenance mode out: the ClusterMachineStatus's stage says what the install of an allocated machine is
// doing (MachineInCluster).
func machineVerdict(s *specs.MachineStatusSpec, allocated bool) verdict {
	switch {
	case !s.GetConnected():
		return verdict{Down, "not connected to Omni",
			"check the machine's power and its SideroLink connection; runbook: " + RunbookNodeLost, demoNodeBack}
	case s.GetLastError() != "":
		return verdict{Degraded, "last error: " + oneLine(s.GetLastError()), "read the machine's logs in Omni", ""}
	case s.GetMaintenance() && !allocated:
		return verdict{Degraded, "in maintenance mode (Talos not installed)", "allocate it to a cluster, or finish the install", ""}
	}
	reason := "connected"
	if v := s.GetTalosVersion(); v != "" {
		reason += ", Talos " + v
	}
	return verdict{status: OK, reason: reason}
}

// MachineName is the name people know a machine by: its hostname when Omni reports one, else its ID.
func MachineName(m *omni.MachineStatus) string {
	if n := m.TypedSpec().Value.GetNetwork().GetHostname(); n != "" {
		return n
	}
	return m.Metadata().ID()
}

// The o.Unavailable keys the cluster layer depends on (built-in kinds, keyed by resource name).
const (
	ResourceNodes = "nodes"
	ResourcePods  = "pods"
)

// Cluster builds the cluster layer: one finding per Node, per control-plane Pod (cluster_pods.go), per
// Omni machine (its MachineStatus folded with its ClusterMachineStatus, cluster_omni.go) and per Omni
// cluster, plus the version-skew findings (cluster_versions.go): VersionSkew/kubelet across the Nodes and
// VersionSkew/talos/<cluster> across each Omni cluster's machines, OK when uniform.
//
// Nodes or pods in o.Unavailable add an Unknown finding (API/nodes, API/pods), as in the other layers;
// whatever objects the source still holds are judged all the same. A cluster with no control-plane pods
// in sight (Talos static pods not mirrored, a hosted control plane, or the lab) gets no pod findings:
// their absence is not evidence of anything. The layer is O(n) in nodes, machines and pods.
func Cluster(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.Nodes)+len(o.Machines)+len(o.ClusterStatuses)+len(o.ControlPlanePods)+4)
	if err := o.Missing(ResourceNodes); err != nil {
		fs = append(fs, MissingFinding("API/"+ResourceNodes, err, "grant list and watch on nodes to the console's user"))
	}
	for _, n := range o.Nodes {
		if n != nil {
			fs = append(fs, Node(n))
		}
	}
	if err := o.Missing(ResourcePods); err != nil {
		fs = append(fs, MissingFinding("API/"+ResourcePods, err,
			"grant list and watch on pods in every namespace to the console's user (the control plane's among them)"))
	}
	for _, p := range o.ControlPlanePods {
		if p != nil {
			fs = append(fs, ControlPlanePod(p, o.Now))
		}
	}
	fs = append(fs, machineFindings(o.Machines, o.ClusterMachines)...)
	for _, c := range o.ClusterStatuses {
		if c != nil {
			fs = append(fs, OmniCluster(c))
		}
	}
	if f, ok := KubeletSkew(o.Nodes, o.ControlPlanePods); ok {
		fs = append(fs, f)
	}
	fs = append(fs, TalosSkew(o.Machines, o.ClusterStatuses)...)
	return NewLayer(LayerCluster, fs)
}

func condition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func detail(c *corev1.NodeCondition) string { return reasonText(c.Reason, c.Message) }

// reasonText is ": Reason (message)" for a condition, or "" when it says nothing.
func reasonText(reason, message string) string {
	switch {
	case reason != "" && message != "":
		return fmt.Sprintf(": %s (%s)", reason, oneLine(message))
	case message != "":
		return ": " + oneLine(message)
	case reason != "":
		return ": " + reason
	}
	return ""
}

func since(c *corev1.NodeCondition) string {
	if c.LastTransitionTime.IsZero() {
		return ""
	}
	return " since " + c.LastTransitionTime.UTC().Format("2006-01-02 15:04:05Z")
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}
