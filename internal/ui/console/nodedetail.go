package console

import (
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"
	"sort"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// NewNodeDetail opens one node, live: conditions, addresses, versions, taints, its recent Warning events
// and, when Omni knows the machine, its hardware and disks by stable identity.
func NewNodeDetail(t theme.Theme, name string) *Detail {
	d := newDetail(t, name, func(t theme.Theme, s watch.Snapshot, w int) []string {
		for _, n := range s.Nodes {
			if n.Name == name {
				return NodeDetailLines(t, n, MachineFor(n, s.Machines), s, w)
			}
		}
		return []string{t.Error.Render("Node " + name + " is gone from the cluster."), t.Subtle.Render("esc goes back to the list.")}
	})
	d.object = "Node/" + name
	return d
}

// NodeDetailLines is the pure rendering of a node's detail at width w: its state and what to do wrapped
// to it, the tables as they are.
func NodeDetailLines(t theme.Theme, n *corev1.Node, m *omni.MachineStatus, s watch.Snapshot, w int) []string {
	f := health.Node(n)
	if s.Demo {
		f = f.ForDemo()
	}
	label := func(k string) string { return t.Label.Render(fmt.Sprintf("%-11s", k)) }
	info := n.Status.NodeInfo
	var addrs []string
	for _, a := range n.Status.Addresses {
		addrs = append(addrs, string(a.Type)+" "+a.Address)
	}
	taints := "none"
	if len(n.Spec.Taints) > 0 {
		var ts []string
		for _, tn := range n.Spec.Taints {
			ts = append(ts, fmt.Sprintf("%s=%s:%s", tn.Key, tn.Value, tn.Effect))
		}
		taints = strings.Join(ts, ", ")
	}
	lines := common.Wrap(t.Title.Render("Node "+common.Inert(n.Name))+"  "+Status(t, f.Status)+" — "+common.Inert(f.Reason), w)
	if f.Hint != "" {
		for _, l := range common.Labelled("→", f.Hint, 2, w) {
			lines = append(lines, t.Subtle.Render(l))
		}
	}
	lines = append(lines, "",
		label("Roles")+Roles(n),
		label("Addresses")+strings.Join(addrs, ", "),
		label("Kubelet")+info.KubeletVersion+"   "+t.Label.Render("Runtime ")+info.ContainerRuntimeVersion,
		label("OS")+info.OSImage+"   "+t.Label.Render("Kernel ")+info.KernelVersion,
		label("Created")+n.CreationTimestamp.UTC().Format("2006-01-02 15:04")+" ("+units.Duration(s.At.Sub(n.CreationTimestamp.Time))+" ago)",
		label("Taints")+taints,
		"", t.Label.Render("Conditions"),
		t.TableHead.Render(fmt.Sprintf("  %-20s %-8s %-28s %s", "TYPE", "STATUS", "REASON", "SINCE")),
	)
	for _, c := range n.Status.Conditions {
		st := health.OK
		bad := (c.Type == corev1.NodeReady) != (c.Status == corev1.ConditionTrue)
		if c.Status == corev1.ConditionUnknown || bad {
			st = health.Down
			if c.Type != corev1.NodeReady {
				st = health.Degraded
			}
		}
		lines = append(lines, fmt.Sprintf("%s %-20s %-8s %-28s %s", Symbol(t, st), c.Type, c.Status, common.Inert(c.Reason),
			units.Duration(s.At.Sub(c.LastTransitionTime.Time))))
		if c.Message != "" && bad {
			for _, l := range common.Labelled("", common.Inert(c.Message), 4, w) {
				lines = append(lines, t.Subtle.Render(l))
			}
		}
	}
	lines = append(lines, eventsSection(t, s, watch.ObjectRef{Kind: "Node", Name: n.Name})...)
	if m == nil {
		return append(lines, "", t.Subtle.Render("Omni does not know a machine named "+common.Inert(n.Name)+"."))
	}
	return append(lines, machineLines(t, m)...)
}

func machineLines(t theme.Theme, m *omni.MachineStatus) []string {
	spec := m.TypedSpec().Value
	mf := health.Machine(m)
	lines := []string{"", t.Label.Render("Omni machine ") + common.Inert(m.Metadata().ID()) + "  " + Status(t, mf.Status) + " — " + common.Inert(mf.Reason)}
	hw := spec.GetHardware()
	if hw == nil {
		return append(lines, t.Subtle.Render("  no hardware reported yet"))
	}
	var cpus []string
	for _, p := range hw.GetProcessors() {
		cpus = append(cpus, fmt.Sprintf("%s (%d cores/%d threads)", p.GetDescription(), p.GetCoreCount(), p.GetThreadCount()))
	}
	var mem uint64
	for _, mm := range hw.GetMemoryModules() {
		mem += uint64(mm.GetSizeMb())
	}
	lines = append(lines, "  CPU     "+strings.Join(cpus, ", "), fmt.Sprintf("  Memory  %s", units.MiB(mem)))
	for _, l := range spec.GetNetwork().GetNetworkLinks() {
		state := "down"
		if l.GetLinkUp() {
			state = fmt.Sprintf("up %d Mb/s", l.GetSpeedMbps())
		}
		lines = append(lines, fmt.Sprintf("  NIC     %-8s %s %s", l.GetLinuxName(), l.GetHardwareAddress(), state))
	}
	disks := append(hw.GetBlockdevices()[:0:0], hw.GetBlockdevices()...)
	sort.Slice(disks, func(i, j int) bool { return disks[i].GetLinuxName() < disks[j].GetLinuxName() })
	lines = append(lines, "", t.Label.Render("Disks"),
		t.TableHead.Render(fmt.Sprintf("  %-10s %-22s %-16s %-5s %-6s %10s  %s", "DEVICE", "MODEL", "SERIAL", "TYPE", "BUS", "SIZE", "FLAGS")))
	for _, d := range disks {
		var flags []string
		if d.GetSystemDisk() {
			flags = append(flags, "system")
		}
		if d.GetReadonly() {
			flags = append(flags, "read-only")
		}
		if d.GetTransport() == "usb" {
			flags = append(flags, "removable")
		}
		lines = append(lines, fmt.Sprintf("  %-10s %-22s %-16s %-5s %-6s %10s  %s", d.GetLinuxName(), d.GetModel(),
			d.GetSerial(), d.GetType(), d.GetTransport(), units.Binary(d.GetSize()), strings.Join(flags, ",")))
	}
	return lines
}
