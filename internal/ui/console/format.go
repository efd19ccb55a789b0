// Package console holds the live console's pages. Pages read snapshots from the hub (as SnapshotMsg) and
// never do I/O.
package console

import (
	"sort"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// Roles lists a node's roles from its node-role.kubernetes.io/* labels.
func Roles(n *corev1.Node) string {
	var roles []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return "<none>"
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

// NodeState is kubectl's STATUS column: Ready, NotReady (False or Unknown), or Unknown when the node never
// reported, plus SchedulingDisabled.
func NodeState(n *corev1.Node) string {
	s := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			s = "NotReady"
			if c.Status == corev1.ConditionTrue {
				s = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// InternalIP is the node's first InternalIP address.
func InternalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// MachineFor finds the Omni machine whose hostname is the node's name.
func MachineFor(n *corev1.Node, machines []*omni.MachineStatus) *omni.MachineStatus {
	for _, m := range machines {
		if health.MachineName(m) == n.Name {
			return m
		}
	}
	return nil
}
