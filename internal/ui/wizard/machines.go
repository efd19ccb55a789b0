package wizard

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// The machines pane: every machine connected to Omni, refreshed every few seconds, with the role the
// plan gives it; c, w and space choose. Enter runs the machines step once the choice is valid.

type machinesScreen struct {
	*session
	c       control
	table   table.Model
	note    string
	noteErr bool
}

// openMachines is the machines step's picker.
func openMachines(s *session, c control) Screen {
	ms := &machinesScreen{session: s, c: c, table: newMachinesTable(s.theme)}
	ms.rows()
	return ms
}

func newMachinesTable(t theme.Theme) table.Model {
	tb := table.New(t,
		table.Column{Title: "ROLE", Width: len("control plane")},
		table.Column{Title: "HOSTNAME", Width: len("controlplane-1"), Flex: 2},
		table.Column{Title: "ID", Width: 14, Drop: 2},
		table.Column{Title: "CPU", Width: 3},
		table.Column{Title: "MEMORY", Width: 8},
		table.Column{Title: "DISKS", Width: 5},
		table.Column{Title: "NICS", Width: 8, Flex: 1, Drop: 3},
	)
	tb.Empty = "No machine is connected to Omni yet: boot them from the ISO (this list refreshes by itself)."
	return tb
}

func (p *machinesScreen) inventoryChanged()      { p.rows() }
func (p *machinesScreen) setTheme(t theme.Theme) { p.table.SetTheme(t) }
func (p *machinesScreen) Capturing() bool        { return p.table.Filtering() }
func (p *machinesScreen) SetSize(w, _ int)       { p.table.SetSize(w, p.machinesTableHeight()) }
func (p *machinesScreen) Hint() string {
	return "choose the machines: c control plane, w worker, space not in the cluster"
}

func (p *machinesScreen) ShortHelp() []key.Binding {
	k := p.keys
	if p.table.Filtering() {
		return []key.Binding{withHelp(k.Enter, "apply filter"), withHelp(k.Back, "clear")}
	}
	return []key.Binding{k.CP, k.Worker, key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "out")), withHelp(k.Enter, "run"),
		p.table.Keys.Filter}
}

// machinesReserved is the pane's lines around the table: title, counts, a blank; a blank, two detail
// lines, three problem lines and a note.
const machinesReserved = 10

func (m *session) machinesTableHeight() int { return max(m.paneHeight()-machinesReserved, 3) }

// shortIDs names each machine by the part of its ID that tells it apart: the UUID's segments that are
// the same on every machine (a vendor's prefix, say) are left out.
func shortIDs(ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	split := make([][]string, len(ids))
	n := -1
	for i, id := range ids {
		split[i] = strings.Split(id, "-")
		if n < 0 || len(split[i]) != n {
			if n >= 0 {
				n = -2
				break
			}
			n = len(split[i])
		}
	}
	for i, id := range ids {
		if n <= 1 || len(ids) < 2 {
			out[id] = common.Truncate(id, 14)
			continue
		}
		var keep []string
		for j, seg := range split[i] {
			same := true
			for k := range ids {
				if split[k][j] != seg {
					same = false
					break
				}
			}
			if !same {
				keep = append(keep, seg)
			}
		}
		s := strings.Join(keep, "-")
		if len(s) > 14 {
			s = s[:14]
		}
		out[id] = s
	}
	return out
}

// rows rebuilds the machines table from the inventory and the plan: the connected machines and those the
// plan names (connected or not), by hostname.
func (p *machinesScreen) rows() {
	m := p
	cands := plan.Candidates(m.sv.Plan, m.inv)
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	short := shortIDs(ids)
	rows := make([]table.Row, 0, len(cands))
	for _, f := range cands {
		role, tone := "—", theme.Muted
		if pm, ok := m.sv.Plan.Machine(f.ID); ok {
			tone = theme.Plain
			role = "worker"
			if pm.Role == plan.RoleControlPlane {
				role = "control plane"
			}
		}
		connected := m.inv != nil
		if connected {
			_, connected = m.inv.Machines[f.ID]
		}
		cells := []string{role, f.Name(), short[f.ID], "", "", "", ""}
		if connected {
			cells[3], cells[4], cells[5], cells[6] = strconv.Itoa(f.Cores), memory(f.MemoryMiB), strconv.Itoa(len(f.Disks)), nicNames(f.NICs)
		} else {
			cells[6] = "not connected"
			tone = theme.Bad
		}
		tones := []theme.Tone{tone, tone, tone, tone, tone, tone, tone}
		rows = append(rows, table.Row{Key: f.ID, Cells: cells, Tones: tones})
	}
	p.table.SetRows(rows)
	p.table.SetSize(m.rightWidth(), m.machinesTableHeight())
}

func memory(mib uint64) string {
	if mib == 0 {
		return "?"
	}
	return units.MiB(mib)
}

// nicNames keeps each NIC's name and, when it is down, says so.
func nicNames(nics []string) string {
	out := make([]string, 0, len(nics))
	for _, n := range nics {
		f := strings.Fields(n)
		if len(f) == 0 {
			continue
		}
		s := f[0]
		if strings.HasSuffix(n, " down") {
			s += " down"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// roleCounts is the status line's "control planes 2/3, workers 3".
func roleCounts(p plan.Plan) string {
	return fmt.Sprintf("control planes %d/%d, workers %d", len(p.ByRole(plan.RoleControlPlane)), plan.ControlPlanes,
		len(p.ByRole(plan.RoleWorker)))
}

// setRole puts machine id in the plan with role, or takes it out when role is "" (plan.SetRole), and
// says when its pool disks were dropped.
func (m *machinesScreen) setRole(id string, role plan.Role) {
	m.note, m.noteErr = "", false
	if m.sv.Plan.SetRole(id, role, m.inv) {
		m.note = "its pool disks were dropped: control planes run no Mayastor pool"
	}
}

func (m *machinesScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	mp := m
	if _, ok := msg.(tea.PasteMsg); ok && mp.table.Filtering() {
		mp.table, _ = mp.table.Update(msg)
		return m, nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	if mp.table.Filtering() {
		mp.table, _ = mp.table.Update(k)
		return m, nil
	}
	row, selected := mp.table.Selected()
	var role plan.Role
	switch {
	case key.Matches(k, m.keys.CP):
		role = plan.RoleControlPlane
	case key.Matches(k, m.keys.Worker):
		role = plan.RoleWorker
	case key.Matches(k, m.keys.Out):
		role = ""
	case key.Matches(k, m.keys.Enter):
		ps := m.sv.Plan.Validate(m.inv).MachineChoice()
		if len(ps) > 0 {
			mp.note, mp.noteErr = "not yet: "+ps[0].Message, true
			return m, nil
		}
		return m, m.c.run()
	default:
		mp.table, _ = mp.table.Update(k)
		return m, nil
	}
	if !selected {
		return m, nil
	}
	m.setRole(row.Key, role)
	mp.rows()
	return m, m.c.save()
}

func (m *machinesScreen) View() string {
	t := m.theme
	w := m.rightWidth()
	p := m.sv.Plan
	mp := m
	counts := roleCounts(p)
	cps, workers := len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker))
	if cps == plan.ControlPlanes && workers > 0 {
		counts = t.Style(theme.Good).Render("✔ " + counts)
	} else {
		counts = t.Style(theme.Warn).Render("▲ " + counts)
	}
	title := t.Label.Render("Machines connected to Omni")
	if m.invErr != nil {
		title += "  " + t.Error.Render("✖ "+m.invErr.Error())
	} else if m.inv != nil {
		title += t.Subtle.Render(fmt.Sprintf("  %d connected", len(m.inv.Machines)))
	}
	lines := []string{common.Fit(title, w), common.Join(counts, t.Subtle.Render(mp.table.StatusLine()), w), ""}
	lines = append(lines, strings.Split(mp.table.View(), "\n")...)
	lines = append(lines, "")
	if row, ok := mp.table.Selected(); ok {
		f := plan.MachineFacts{ID: row.Key}
		if m.inv != nil {
			if ff, ok := m.inv.Machines[row.Key]; ok {
				f = ff
			}
		}
		lines = append(lines, common.Fit(t.Subtle.Render("ID ")+f.ID+t.Subtle.Render("  "+f.CPU), w),
			common.Fit(t.Subtle.Render("NICs ")+strings.Join(f.NICs, "; "), w))
	} else {
		lines = append(lines, "", "")
	}
	ps := p.Validate(m.inv).MachineChoice()
	if len(ps) == 0 {
		ps = nil
		lines = append(lines, t.Style(theme.Good).Render("✔ the choice is valid: enter runs the machines step"), "", "")
	} else {
		lines = append(lines, m.problemLines(ps, 3, w)...)
	}
	if mp.note != "" {
		style := t.Flash
		if mp.noteErr {
			style = t.Error
		}
		lines = append(lines, common.Fit(style.Render(mp.note), w))
	}
	return strings.Join(lines, "\n")
}

// problemLines lists the problems by field path, wrapped, in n lines at most (the last one then says
// how many more); "" lines fill the rest.
func (m *session) problemLines(ps plan.Problems, n, w int) []string {
	t := m.theme
	var out []string
	for i, p := range ps {
		lines := strings.Split(wrap(t.Style(theme.Warn).Render("▲ ")+t.Label.Render(p.Path)+": "+p.Message, w), "\n")
		left := n - len(out)
		if more := len(ps) - i - 1; more > 0 {
			left-- // keep a line for "… and N more"
		}
		if left <= 0 {
			out = append(out, t.Subtle.Render(fmt.Sprintf("… and %d more", len(ps)-i)))
			break
		}
		if len(lines) > left {
			lines = lines[:left]
			lines[left-1] = common.Truncate(lines[left-1]+" …", w)
		}
		out = append(out, lines...)
	}
	for len(out) < n {
		out = append(out, "")
	}
	return out[:min(len(out), n)]
}
