// Package console holds the live console's pages. Pages read snapshots from the hub (as SnapshotMsg) and
// never do I/O.
package console

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// Age renders a duration the way kubectl does: 40s, 12m, 3h, 5d, 2y.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d < 730*24*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return fmt.Sprintf("%dy", int(d.Hours()/24/365))
}

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
