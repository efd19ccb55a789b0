package health

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// Omni's cluster and cluster-machine rules (Omni's ClusterStatus and ClusterMachineStatus, in the
// omni.sidero.dev types of github.com/siderolabs/omni/client).
//
// Mapping of a ClusterStatus (OmniCluster/<id>), first match wins:
//   - phase DESTROYING or the resource tearing down → Degraded (going away);
//   - no machine allocated: Down when some are requested (no free machine matches the machine classes),
//     Unknown otherwise (nothing reported yet);
//   - no control plane connected to Omni, no control plane answering on apid (Available), or the
//     Kubernetes API not ready → Down;
//   - control plane not ready, fewer machines connected or healthy than allocated, or scaling up or
//     down → Degraded;
//   - any other phase than RUNNING (UNKNOWN) → Unknown; RUNNING but not Ready → Degraded;
//   - RUNNING and Ready → OK with the machine count and versions.
//
// Mapping of a ClusterMachineStatus (folded into Machine/<name>, see MachineInCluster):
//   - RUNNING and ready → OK; RUNNING but not ready (a Talos service unhealthy) → Degraded;
//   - BOOTING, INSTALLING, CONFIGURING, UPGRADING, REBOOTING, POWERING_ON, SHUTTING_DOWN → Degraded (not
//     serving its role while it lasts); BEFORE_DESTROY, DESTROYING → Degraded (leaving the cluster);
//   - POWERED_OFF → Down; removed from Omni while still a member → Down; UNKNOWN → Unknown;
//   - a config error, a failed config apply, or a RUNNING machine whose config is not up to date → at
//     least Degraded, whatever the stage.

// verdict is the judgement of one aspect of an object, before the aspects become its finding.
type verdict struct {
	status       Status
	reason, hint string
	demo         string // what works in the embedded demo instead of hint (demo.go), or ""
}

// combine makes one verdict of several about the same object: the worst status; the reasons of the
// verdicts that are not OK, worst first (every reason, in order, when all are OK); the hint of the
// worst verdict that has one. Verdicts of equal status keep their order.
func combine(vs ...verdict) verdict {
	sorted := append([]verdict(nil), vs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].status > sorted[j].status })
	out := verdict{status: OK}
	if len(sorted) > 0 {
		out.status = sorted[0].status
	}
	var reasons []string
	for _, v := range sorted {
		if v.reason != "" && (v.status != OK || out.status == OK) {
			reasons = append(reasons, v.reason)
		}
		if out.hint == "" && v.status != OK {
			out.hint, out.demo = v.hint, v.demo
		}
	}
	sep := "; "
	if out.status == OK {
		sep = ", "
	}
	out.reason = strings.Join(reasons, sep)
	return out
}

// finding names a verdict.
func (v verdict) finding(object string) Finding {
	return Finding{Object: object, Status: v.status, Reason: v.reason, Hint: v.hint, demo: v.demo}
}

// OmniCluster judges one Omni cluster from its ClusterStatus (mapping above).
func OmniCluster(c *omni.ClusterStatus) Finding {
	return omniClusterVerdict(c).finding("OmniCluster/" + c.Metadata().ID())
}

func omniClusterVerdict(c *omni.ClusterStatus) verdict {
	s := c.TypedSpec().Value
	m := s.GetMachines()
	total, healthy, connected, requested := m.GetTotal(), m.GetHealthy(), m.GetConnected(), m.GetRequested()
	counts := fmt.Sprintf("%d/%d machines healthy", healthy, total)
	phase := s.GetPhase()
	switch {
	case phase == specs.ClusterStatusSpec_DESTROYING || c.Metadata().Phase() == resource.PhaseTearingDown:
		return verdict{Degraded, "being destroyed (" + counts + ")",
			"expected after a cluster delete (omnictl cluster template delete); if not, nothing on it will survive: restore from the templates", demoElsewhere}
	case total == 0 && requested > 0:
		return verdict{Down, fmt.Sprintf("no machine allocated (%d requested)", requested),
			"no free machine matches its machine classes: check the machines' MachineLabels (role, cluster-candidate) and the MachineClasses in Omni", ""}
	case total == 0:
		return verdict{Unknown, "no machine allocated or reported yet",
			"allocate machines to it in Omni (omnictl cluster template sync), or wait for Omni to report them", demoElsewhere}
	case !s.GetHasConnectedControlPlanes():
		return verdict{Down, "no control-plane machine connected to Omni (" + counts + ")",
			"check the power and network of the control-plane machines; runbook: " + RunbookNodeLost, ""}
	case !s.GetAvailable():
		return verdict{Down, "the Talos API (apid) answers on no control plane (" + counts + ")",
			"read the control-plane Machine findings and their consoles in Omni; runbook: " + RunbookNodeLost, ""}
	case !s.GetKubernetesAPIReady():
		return verdict{Down, "Kubernetes API not ready (" + counts + ")",
			"check etcd and kube-apiserver on the control planes: talosctl -n <control plane> service etcd, then the kube-apiserver pod's logs", demoElsewhere}
	case !s.GetControlplaneReady():
		return verdict{Degraded, "control plane not ready (" + counts + ")",
			"a control-plane machine or component is unhealthy: read the control-plane Machine and Pod findings", ""}
	case connected < total:
		return verdict{Degraded, fmt.Sprintf("%d of %d machines connected", connected, total),
			"read the Machine findings of the disconnected ones; runbook: " + RunbookNodeLost, demoNodeBack}
	case healthy < total:
		return verdict{Degraded, fmt.Sprintf("%d of %d machines healthy", healthy, total),
			"read the Machine findings of the unhealthy ones", ""}
	case phase == specs.ClusterStatusSpec_SCALING_UP || phase == specs.ClusterStatusSpec_SCALING_DOWN:
		return verdict{Degraded, fmt.Sprintf("%s: %d machines allocated, %d requested", phase, total, requested),
			"machines are being added or removed: wait; if it lasts, check that free machines match its machine classes", ""}
	case phase != specs.ClusterStatusSpec_RUNNING:
		return verdict{Unknown, "phase " + phase.String() + " (" + counts + ")", "wait for Omni to settle the cluster's phase", ""}
	case !s.GetReady():
		return verdict{Degraded, "RUNNING but not ready (" + counts + ")",
			"read the Machine findings; Omni's cluster page says which machine set is not ready", ""}
	}
	reason := "RUNNING, " + counts
	if v := s.GetKubernetesVersion(); v != "" {
		reason += ", Kubernetes " + vPrefixed(v)
	}
	if v := s.GetTalosVersion(); v != "" {
		reason += ", Talos " + vPrefixed(v)
	}
	return verdict{status: OK, reason: reason}
}

// MachineInCluster judges a machine allocated to a cluster as one finding: its MachineStatus (connection,
// errors) and its ClusterMachineStatus (stage, readiness, configuration; mapping above). c may be nil: the
// machine is then judged by Machine alone. A disconnected machine is Down whatever its ClusterMachineStatus
// says, which Omni leaves at the last known stage: the reason shows it as such. Maintenance mode is not
// judged for an allocated machine: its stage says what the install is doing.
func MachineInCluster(m *omni.MachineStatus, c *omni.ClusterMachineStatus) Finding {
	if c == nil {
		return Machine(m)
	}
	object := "Machine/" + MachineName(m)
	mv := machineVerdict(m.TypedSpec().Value, true)
	cluster := clusterOf(c, m)
	if mv.status == Down {
		mv.reason += " (last known: " + lastKnown(c, cluster) + ")"
		return mv.finding(object)
	}
	return combine(mv, membership(c, cluster)).finding(object)
}

// ClusterMachine judges a ClusterMachineStatus that has no MachineStatus beside it (a machine removed
// from Omni, or the two watches momentarily apart): the machine's finding, named by its node name. As in
// Omni's UI, without the connected label the machine is unreachable and its stage only the last known one
// (Down); POWERING_ON and POWERED_OFF come from the infrastructure provider and need no connection.
func ClusterMachine(c *omni.ClusterMachineStatus) Finding {
	object := "Machine/" + ClusterMachineName(c)
	s := c.TypedSpec().Value
	cluster := clusterOf(c, nil)
	_, connected := c.Metadata().Labels().Get(omni.MachineStatusLabelConnected)
	if !connected && !s.GetIsRemoved() && s.GetStage() != specs.ClusterMachineStatusSpec_POWERING_ON &&
		s.GetStage() != specs.ClusterMachineStatusSpec_POWERED_OFF {
		return verdict{Down, "not connected to Omni (last known: " + lastKnown(c, cluster) + "); no MachineStatus",
			"check the machine's power and its SideroLink connection; runbook: " + RunbookNodeLost, ""}.finding(object)
	}
	v := membership(c, cluster)
	v.reason += "; no MachineStatus"
	return v.finding(object)
}

// ClusterMachineName is the name of a cluster machine: its node name when Omni reports one, else its ID.
func ClusterMachineName(c *omni.ClusterMachineStatus) string {
	if n, ok := c.Metadata().Labels().Get(omni.ClusterMachineStatusLabelNodeName); ok && n != "" {
		return n
	}
	return c.Metadata().ID()
}

// machineFindings is one finding per machine: each MachineStatus with the ClusterMachineStatus of the same
// ID folded in, then the ClusterMachineStatuses left alone. O(n) in machines.
func machineFindings(machines []*omni.MachineStatus, cms []*omni.ClusterMachineStatus) []Finding {
	byID := make(map[resource.ID]*omni.ClusterMachineStatus, len(cms))
	for _, c := range cms {
		if c != nil {
			byID[c.Metadata().ID()] = c
		}
	}
	folded := make(map[resource.ID]bool, len(cms))
	fs := make([]Finding, 0, len(machines)+len(cms))
	for _, m := range machines {
		if m == nil {
			continue
		}
		c := byID[m.Metadata().ID()]
		if c != nil {
			folded[m.Metadata().ID()] = true
		}
		fs = append(fs, MachineInCluster(m, c))
	}
	for _, c := range cms {
		if c != nil && !folded[c.Metadata().ID()] {
			fs = append(fs, ClusterMachine(c))
		}
	}
	return fs
}

// membership judges a machine's place in its cluster from its ClusterMachineStatus: stage and
// configuration, and whether Omni still knows the machine.
func membership(c *omni.ClusterMachineStatus, cluster string) verdict {
	s := c.TypedSpec().Value
	vs := []verdict{stageVerdict(s, inCluster(cluster)), configVerdict(s)}
	if s.GetIsRemoved() {
		vs = append(vs, verdict{Down, "removed from Omni but still a member" + inCluster(cluster),
			"take it out of its machine set in Omni (omnictl cluster template sync without it), or register the machine again", demoElsewhere})
	}
	return combine(vs...)
}

// stageVerdict judges a cluster machine's stage; in is " in <cluster>" or "".
func stageVerdict(s *specs.ClusterMachineStatusSpec, in string) verdict {
	stage := s.GetStage()
	name := stage.String()
	const wait = "in progress: wait; if it lasts, read the machine's logs in Omni (talosctl -n <node> dmesg)"
	switch stage {
	case specs.ClusterMachineStatusSpec_RUNNING:
		if s.GetReady() {
			return verdict{status: OK, reason: name + in}
		}
		return verdict{Degraded, name + in + " but not ready",
			"a Talos service is unhealthy: talosctl -n <node> services says which", demoElsewhere}
	case specs.ClusterMachineStatusSpec_BOOTING, specs.ClusterMachineStatusSpec_INSTALLING,
		specs.ClusterMachineStatusSpec_CONFIGURING, specs.ClusterMachineStatusSpec_REBOOTING,
		specs.ClusterMachineStatusSpec_POWERING_ON:
		return verdict{Degraded, name + in, wait, demoElsewhere}
	case specs.ClusterMachineStatusSpec_UPGRADING:
		return verdict{Degraded, name + in, "a Talos upgrade is running: " + wait, demoElsewhere}
	case specs.ClusterMachineStatusSpec_SHUTTING_DOWN:
		return verdict{Degraded, name + in,
			"expected during maintenance; otherwise find out why it shuts down; runbook: " + RunbookNodeLost + " if it does not come back", ""}
	case specs.ClusterMachineStatusSpec_POWERED_OFF:
		return verdict{Down, name + in, "power it on (infrastructure provider or BMC); runbook: " + RunbookNodeLost, ""}
	case specs.ClusterMachineStatusSpec_BEFORE_DESTROY, specs.ClusterMachineStatusSpec_DESTROYING:
		return verdict{Degraded, "leaving the cluster (" + name + ")",
			"expected when scaling down or deleting the cluster; otherwise put the machine back in its machine set", ""}
	}
	return verdict{Unknown, "stage " + name + in, "wait for Omni to reach the machine", ""}
}

// configVerdict judges a cluster machine's configuration: OK with no reason when there is nothing to say.
func configVerdict(s *specs.ClusterMachineStatusSpec) verdict {
	const fix = "fix or remove the config patch that fails (the machine's or its cluster's ConfigPatches in Omni), then watch it apply"
	switch {
	case s.GetLastConfigError() != "":
		return verdict{Degraded, "config error: " + oneLine(s.GetLastConfigError()), fix, ""}
	case s.GetConfigApplyStatus() == specs.ConfigApplyStatus_FAILED:
		return verdict{Degraded, "config apply failed", fix, ""}
	case !s.GetConfigUpToDate() && s.GetStage() == specs.ClusterMachineStatusSpec_RUNNING:
		return verdict{Degraded, "config not up to date",
			"Omni is applying a changed config: wait; if it lasts, check the machine's connection and its config patches", ""}
	}
	return verdict{status: OK}
}

// clusterOf is the cluster a cluster machine belongs to: Omni's cluster label, else the MachineStatus's
// cluster (m may be nil), else "".
func clusterOf(c *omni.ClusterMachineStatus, m *omni.MachineStatus) string {
	if n, ok := c.Metadata().Labels().Get(omni.LabelCluster); ok && n != "" {
		return n
	}
	if m != nil {
		return m.TypedSpec().Value.GetCluster()
	}
	return ""
}

func inCluster(cluster string) string {
	if cluster == "" {
		return ""
	}
	return " in " + cluster
}

// lastKnown is the stage Omni last saw, "RUNNING in cedille-cluster".
func lastKnown(c *omni.ClusterMachineStatus, cluster string) string {
	return c.TypedSpec().Value.GetStage().String() + inCluster(cluster)
}

// vPrefixed writes a version the way Talos and Kubernetes print theirs, "v1.27.3" (Omni's Cluster spec
// has no "v").
func vPrefixed(v string) string {
	if v == "" || strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}
