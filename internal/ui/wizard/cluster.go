package wizard

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// The cluster review: after the cluster form, every disk the cluster step wipes, per machine, by its
// /dev/disk/by-id path; the operator types the cluster's name to confirm. Only then does the step run,
// its Env.Confirm answering from that confirmation. The screen is any step's review (its ReviewSpec).

// clusterReview is the cluster step's review: the disks it wipes.
func clusterReview() *ReviewSpec {
	return &ReviewSpec{
		Name: func(p plan.Plan) string { return p.Cluster.Name },
		Head: func(t theme.Theme, p plan.Plan, w int) []string {
			enc := "disk encryption off"
			if p.Cluster.Encryption {
				enc = "disk encryption ON"
			}
			head := []string{t.Label.Render("Review: create cluster " + p.Cluster.Name)}
			head = append(head, strings.Split(wrap(fmt.Sprintf("Kubernetes %s, Talos %s; %d control planes, %d workers; %s",
				plan.Canonical(p.Cluster.KubernetesVersion), plan.Canonical(p.Cluster.TalosVersion),
				len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker)), enc), w), "\n")...)
			return append(head, t.Style(theme.Bad).Render(fmt.Sprintf("✖ These %s will be WIPED", units.Count(countDisks(p), "disk")))+
				fmt.Sprintf(" (%s):", units.Count(len(p.Machines), "machine")))
		},
		List: WipeList,
		Plain: func(p plan.Plan) []string {
			return append([]string{fmt.Sprintf("Creating cluster %s wipes these %s:", p.Cluster.Name, units.Count(countDisks(p), "disk"))},
				WipeList(p, 1<<10)...)
		},
		Problems: func(p plan.Plan, inv *plan.Inventory) plan.Problems { return p.Validate(inv) },
	}
}

type reviewScreen struct {
	*session
	c       control
	spec    *ReviewSpec
	typed   lineinput.Model // the cluster's name, typed (a paste works)
	note    string
	noteErr bool
	offset  int
}

func (r *reviewScreen) SetSize(int, int) {}
func (r *reviewScreen) Capturing() bool  { return true }
func (r *reviewScreen) Hint() string {
	return "review what is wiped, then type the cluster name to confirm"
}

func (r *reviewScreen) ShortHelp() []key.Binding {
	k := r.keys
	return []key.Binding{withHelp(k.Enter, "confirm"), withHelp(k.Back, "back to the form"),
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll"))}
}

// WipeList is the review's list: per machine, each wiped disk's by-id path and use ("install", "pool"),
// on one line when the width allows, else the machine on its own line and its disks under it.
func WipeList(p plan.Plan, width int) []string {
	wiped := p.Wiped()
	hostW, pathW := 0, 0
	for _, w := range wiped {
		hostW = max(hostW, lipgloss.Width(name(w.Machine)))
		for _, d := range w.Disks {
			pathW = max(pathW, lipgloss.Width(d.Disk.String()))
		}
	}
	oneLine := 2+hostW+2+pathW+2+len("install") <= width
	var out []string
	for _, w := range wiped {
		if len(w.Disks) == 0 {
			out = append(out, "  "+name(w.Machine)+"  (no disk chosen)")
			continue
		}
		if !oneLine {
			out = append(out, "  "+name(w.Machine))
		}
		for i, d := range w.Disks {
			use := "pool"
			if i == 0 && d.Disk.Same(w.Machine.InstallDisk) {
				use = "install"
			}
			switch {
			case oneLine && i == 0:
				out = append(out, "  "+common.Fit(name(w.Machine), hostW)+"  "+common.Fit(d.Disk.String(), pathW)+"  "+use)
			case oneLine:
				out = append(out, "  "+strings.Repeat(" ", hostW)+"  "+common.Fit(d.Disk.String(), pathW)+"  "+use)
			default:
				out = append(out, "    "+d.Disk.String()+"  "+use)
			}
		}
	}
	return out
}

func name(m plan.Machine) string {
	if m.Hostname != "" {
		return m.Hostname
	}
	return m.ID
}

func countDisks(p plan.Plan) int {
	n := 0
	for _, w := range p.Wiped() {
		n += len(w.Disks)
	}
	return n
}

func (r *reviewScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if paste, ok := msg.(tea.PasteMsg); ok {
		r.typed, _ = r.typed.Update(paste)
		return r, nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return r, nil
	}
	p := r.sv.Plan.WithDefaults()
	switch k.String() {
	case "esc":
		return r, r.c.editCur()
	case "up":
		r.offset = max(r.offset-1, 0)
	case "down":
		r.offset = min(r.offset+1, len(r.spec.List(p, r.rightWidth())))
	case "enter":
		if ps := r.spec.Problems(p, r.inv); len(ps) > 0 {
			r.note, r.noteErr = "the plan is not valid yet ("+ps[0].String()+"): fix it first ([ goes back)", true
			return r, nil
		}
		name := r.spec.Name(p)
		if typed := r.typed.Value(); typed != name {
			r.note, r.noteErr = fmt.Sprintf("%q is not the cluster name: nothing was wiped. Type %s exactly, or esc to go back.",
				typed, name), true
			return r, nil
		}
		r.confirmed = name
		return r, r.c.run()
	default:
		before := r.typed.Value()
		r.typed, _ = r.typed.Update(k)
		if r.typed.Value() != before {
			r.note = ""
		}
	}
	return r, nil
}

func (r *reviewScreen) View() string {
	m := r
	t := m.theme
	w := m.rightWidth()
	p := m.sv.Plan.WithDefaults()
	head := r.spec.Head(t, p, w)
	var foot []string
	if ps := r.spec.Problems(p, m.inv); len(ps) > 0 {
		foot = append(foot, m.problemLines(ps, 2, w)...)
	}
	foot = append(foot, "", "Type the cluster name to confirm: "+t.Key.Render(r.typed.View()))
	if r.note != "" {
		style := t.Flash
		if r.noteErr {
			style = t.Error
		}
		foot = append(foot, strings.Split(wrap(style.Render(r.note), w), "\n")...)
	}
	list := r.spec.List(p, w)
	room := max(m.paneHeight()-len(head)-len(foot), 1)
	if len(list) > room {
		last := len(list) - room + 1
		off := min(max(r.offset, 0), last)
		more := fmt.Sprintf("  … %d more lines (↑/↓ scroll)", last-off)
		if off == last {
			more = "  (end of the list; ↑ scrolls back)"
		}
		list = append(list[off:off+room-1:off+room-1], t.Subtle.Render(more))
	}
	for i := range list {
		list[i] = common.Fit(list[i], w)
	}
	out := append(head, list...)
	for len(out)+len(foot) < m.paneHeight() {
		out = append(out, "")
	}
	return strings.Join(append(out, foot...), "\n")
}
