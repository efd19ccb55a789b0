package health

import (
	"fmt"
	"strings"

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
		f.Hint = "check the machine's power and network; runbook: node-lost"
		return f
	case ready.Status != corev1.ConditionTrue:
		f.Status, f.Reason = Down, "NotReady"+detail(ready)
		f.Hint = "look at the node's conditions and kubelet logs (talosctl logs kubelet)"
		return f
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
	s := m.TypedSpec().Value
	f := Finding{Object: "Machine/" + MachineName(m)}
	switch {
	case !s.Connected:
		f.Status, f.Reason = Down, "not connected to Omni"
		f.Hint = "check the machine's power and its SideroLink connection; runbook: node-lost"
	case s.LastError != "":
		f.Status, f.Reason = Degraded, "last error: "+oneLine(s.LastError)
		f.Hint = "read the machine's logs in Omni"
	case s.Maintenance:
		f.Status, f.Reason = Degraded, "in maintenance mode (Talos not installed)"
		f.Hint = "allocate it to a cluster, or finish the install"
	default:
		f.Status, f.Reason = OK, "connected"
		if s.TalosVersion != "" {
			f.Reason += ", Talos " + s.TalosVersion
		}
	}
	return f
}

// MachineName is the name people know a machine by: its hostname when Omni reports one, else its ID.
func MachineName(m *omni.MachineStatus) string {
	if n := m.TypedSpec().Value.GetNetwork().GetHostname(); n != "" {
		return n
	}
	return m.Metadata().ID()
}

// Cluster builds the cluster layer from the Nodes and the Omni machines.
func Cluster(nodes []*corev1.Node, machines []*omni.MachineStatus) LayerReport {
	fs := make([]Finding, 0, len(nodes)+len(machines))
	for _, n := range nodes {
		fs = append(fs, Node(n))
	}
	for _, m := range machines {
		fs = append(fs, Machine(m))
	}
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
