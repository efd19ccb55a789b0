package console

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/scroll"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
)

// NodeDetail shows one node, live: conditions, addresses, versions, taints and, when Omni knows the
// machine, its hardware and disks by stable identity.
type NodeDetail struct {
	theme theme.Theme
	name  string
	snap  watch.Snapshot
	view  scroll.Model
}

// NewNodeDetail opens the detail of the named node.
func NewNodeDetail(t theme.Theme, name string) *NodeDetail {
	return &NodeDetail{theme: t, name: name, view: scroll.New()}
}

func (p *NodeDetail) Init() tea.Cmd { return nil }
func (p *NodeDetail) Title() string { return p.name }

func (p *NodeDetail) SetSize(w, h int) { p.view.SetSize(w, h) }

func (p *NodeDetail) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		p.render()
	case common.ThemeMsg:
		p.theme = msg.Theme
		p.render()
	case tea.KeyPressMsg:
		p.view.Update(msg)
	}
	return p, nil
}

func (p *NodeDetail) render() {
	var node *corev1.Node
	for _, n := range p.snap.Nodes {
		if n.Name == p.name {
			node = n
		}
	}
	if node == nil {
		p.view.SetLines([]string{p.theme.Error.Render("Node " + p.name + " is gone from the cluster."),
			p.theme.Subtle.Render("esc goes back to the list.")})
		return
	}
	p.view.SetLines(NodeDetailLines(p.theme, node, MachineFor(node, p.snap.Machines), p.snap))
}

// NodeDetailLines is the pure rendering of a node's detail.
func NodeDetailLines(t theme.Theme, n *corev1.Node, m *omni.MachineStatus, s watch.Snapshot) []string {
	f := health.Node(n)
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
	lines := []string{
		t.Title.Render("Node "+n.Name) + "  " + t.Status(f.Status) + " — " + f.Reason,
	}
	if f.Hint != "" {
		lines = append(lines, t.Subtle.Render("→ "+f.Hint))
	}
	lines = append(lines, "",
		label("Roles")+Roles(n),
		label("Addresses")+strings.Join(addrs, ", "),
		label("Kubelet")+info.KubeletVersion+"   "+t.Label.Render("Runtime ")+info.ContainerRuntimeVersion,
		label("OS")+info.OSImage+"   "+t.Label.Render("Kernel ")+info.KernelVersion,
		label("Created")+n.CreationTimestamp.UTC().Format("2006-01-02 15:04")+" ("+Age(s.At.Sub(n.CreationTimestamp.Time))+" ago)",
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
		lines = append(lines, fmt.Sprintf("%s %-20s %-8s %-28s %s", t.Symbol(st), c.Type, c.Status, c.Reason,
			Age(s.At.Sub(c.LastTransitionTime.Time))))
		if c.Message != "" && bad {
			lines = append(lines, t.Subtle.Render("    "+c.Message))
		}
	}
	if m == nil {
		return append(lines, "", t.Subtle.Render("Omni does not know a machine named "+n.Name+"."))
	}
	return append(lines, machineLines(t, m)...)
}

func machineLines(t theme.Theme, m *omni.MachineStatus) []string {
	spec := m.TypedSpec().Value
	mf := health.Machine(m)
	lines := []string{"", t.Label.Render("Omni machine ") + m.Metadata().ID() + "  " + t.Status(mf.Status) + " — " + mf.Reason}
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
	lines = append(lines, "  CPU     "+strings.Join(cpus, ", "), fmt.Sprintf("  Memory  %s", Bytes(mem<<20)))
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
			d.GetSerial(), d.GetType(), d.GetTransport(), Bytes(d.GetSize()), strings.Join(flags, ",")))
	}
	return lines
}

// View renders the visible lines.
func (p *NodeDetail) View() string { return p.view.View() }

func (p *NodeDetail) ShortHelp() []key.Binding  { return p.view.ShortHelp() }
func (p *NodeDetail) FullHelp() [][]key.Binding { return p.view.FullHelp() }
