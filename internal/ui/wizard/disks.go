package wizard

import (
	"errors"
	"github.com/clubcedille/cedille-tui/internal/units"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// The disk picker: one machine at a time, its disks as Talos reports them. i chooses the install disk,
// p toggles a Mayastor pool disk (workers), e turns disk encryption on (with a reason) or off. A disk
// that cannot serve is dimmed and says why when chosen; the install disk is shown by its
// /dev/disk/by-id path, which is what the patches carry (never /dev/sdX, which moves when a USB key is
// pulled). Enter runs the disks step once every machine's choice is valid.

type disksScreen struct {
	*session
	c       control
	idx     int // the machine shown, in the plan's order
	table   table.Model
	note    string
	noteErr bool
	editing bool            // typing the encryption reason
	reason  lineinput.Model // the reason (a paste works)
}

// openDisks is the disks step's picker, on the first machine whose disks are not chosen yet.
func openDisks(s *session, c control) Screen {
	ds := &disksScreen{session: s, c: c, table: newDisksTable(s.theme)}
	ds.open()
	return ds
}

func (p *disksScreen) inventoryChanged()      { p.rows() }
func (p *disksScreen) setTheme(t theme.Theme) { p.table.SetTheme(t) }
func (p *disksScreen) Capturing() bool        { return p.editing || p.table.Filtering() }
func (p *disksScreen) SetSize(w, _ int)       { p.table.SetSize(w, p.disksTableHeight()) }
func (p *disksScreen) Hint() string {
	return "choose each machine's install disk (i) and, on workers, its pool disks (p)"
}

func (p *disksScreen) ShortHelp() []key.Binding {
	k := p.keys
	if p.editing {
		return []key.Binding{withHelp(k.Enter, "turn encryption on"), withHelp(k.Back, "leave it off")}
	}
	return []key.Binding{withHelp(k.NextMachine, "machine"), withHelp(k.Install, "install"), withHelp(k.Pool, "pool"), k.Encrypt,
		withHelp(k.Enter, "run")}
}

// Update: a paste goes to the reason or the filter being typed; a key to the picker.
func (p *disksScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		switch {
		case p.editing:
			p.reason, _ = p.reason.Update(msg)
		case p.table.Filtering():
			p.table, _ = p.table.Update(msg)
		}
	case tea.KeyPressMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func newDisksTable(t theme.Theme) table.Model {
	tb := table.New(t,
		table.Column{Title: "USE", Width: 7},
		table.Column{Title: "NAME", Width: 8},
		table.Column{Title: "MODEL", Width: 10, Flex: 2},
		table.Column{Title: "SERIAL", Width: 12, Flex: 1, Drop: 4},
		table.Column{Title: "WWID", Width: 20, Flex: 1, Drop: 5},
		table.Column{Title: "SIZE", Width: 9},
		table.Column{Title: "TYPE", Width: 4, Drop: 2},
		table.Column{Title: "TRANSPORT", Width: 9, Drop: 3},
		table.Column{Title: "BUS PATH", Width: 16, Flex: 2, Drop: 6},
		table.Column{Title: "FLAGS", Width: 9, Flex: 1},
	)
	tb.Empty = "Omni reports no disk for this machine."
	return tb
}

// DiskFlags are a disk's flags as the picker shows them.
func DiskFlags(d plan.DiskFacts) string {
	var f []string
	if d.System {
		f = append(f, "system")
	}
	if d.Readonly {
		f = append(f, "read-only")
	}
	if d.Removable() {
		f = append(f, "removable")
	}
	return strings.Join(f, ",")
}

// disksTableHeight is the table's share of the pane (header included), after the fixed blocks.
func (m *disksScreen) disksTableHeight() int {
	_, th := m.disksLayout()
	return th
}

// machine is the machine the picker shows, with its facts when it is connected.
func (p *disksScreen) machine() (plan.Machine, plan.MachineFacts, bool) {
	m := p
	ms := m.sv.Plan.Machines
	if len(ms) == 0 {
		return plan.Machine{}, plan.MachineFacts{}, false
	}
	p.idx = min(max(p.idx, 0), len(ms)-1)
	pm := ms[p.idx]
	if m.inv == nil {
		return pm, plan.MachineFacts{}, false
	}
	f, ok := m.inv.Machines[pm.ID]
	return pm, f, ok
}

// open shows the first machine whose disks are not chosen yet.
func (p *disksScreen) open() {
	m := p
	p.note, p.noteErr, p.editing = "", false, false
	p.idx = 0
	for i, pm := range m.sv.Plan.Machines {
		if pm.InstallDisk.Empty() {
			p.idx = i
			break
		}
	}
	p.table.Top()
	p.rows()
}

func diskKey(d plan.DiskFacts) string { return d.LinuxName + "|" + d.Serial + "|" + d.WWID }

// rows rebuilds the table for the machine shown.
func (p *disksScreen) rows() {
	m := p
	pm, f, ok := p.machine()
	if !ok {
		p.table.SetRows(nil)
		return
	}
	rows := make([]table.Row, 0, len(f.Disks))
	for _, d := range f.Disks {
		use, tone := "", theme.Plain
		switch {
		case d.Matches(pm.InstallDisk):
			use = "install"
		case slices.ContainsFunc(pm.PoolDisks, d.Matches):
			use = "pool"
		case refusedForAll(d, pm):
			use, tone = "–", theme.Muted
		}
		wwid := d.WWID
		if wwid == "" {
			wwid = "—"
		}
		cells := []string{use, strings.TrimPrefix(d.LinuxName, "/dev/"), d.Model, d.Serial, wwid, units.Binary(d.Size),
			d.Type, d.Transport, d.BusPath, DiskFlags(d)}
		tones := make([]theme.Tone, len(cells))
		for i := range tones {
			tones[i] = tone
		}
		rows = append(rows, table.Row{Key: diskKey(d), Cells: cells, Tones: tones})
	}
	p.table.SetRows(rows)
	p.table.SetSize(m.rightWidth(), m.disksTableHeight())
}

// refusedForAll tells whether the disk can serve the machine in no way: not as its install disk, and not
// as a pool disk either (or the machine is a control plane, which has none).
func refusedForAll(d plan.DiskFacts, pm plan.Machine) bool {
	if plan.InstallRefusal(d) == "" {
		return false
	}
	return pm.Role != plan.RoleWorker || plan.PoolRefusal(d, pm.InstallDisk) != ""
}

// cursorDisk is the disk under the cursor.
func (p *disksScreen) cursorDisk() (plan.DiskFacts, bool) {
	row, ok := p.table.Selected()
	if !ok {
		return plan.DiskFacts{}, false
	}
	_, f, ok := p.machine()
	if !ok {
		return plan.DiskFacts{}, false
	}
	for _, d := range f.Disks {
		if diskKey(d) == row.Key {
			return d, true
		}
	}
	return plan.DiskFacts{}, false
}

func (m *disksScreen) key(k tea.KeyPressMsg) tea.Cmd {
	p := m
	if p.editing {
		return m.reasonKey(k)
	}
	if p.table.Filtering() {
		p.table, _ = p.table.Update(k)
		return nil
	}
	pm, f, connected := p.machine()
	n := len(m.sv.Plan.Machines)
	switch {
	case key.Matches(k, m.keys.NextMachine) && n > 0:
		p.idx = (p.idx + 1) % n
		p.note = ""
		p.table.Top()
		p.rows()
		return nil
	case key.Matches(k, m.keys.PrevMachine) && n > 0:
		p.idx = (p.idx + n - 1) % n
		p.note = ""
		p.table.Top()
		p.rows()
		return nil
	case key.Matches(k, m.keys.Encrypt):
		c := &m.sv.Plan.Cluster
		if c.Encryption {
			*c, _ = c.WithEncryption(false, "")
			p.note, p.noteErr = "disk encryption off", false
			return m.c.save()
		}
		p.editing = true
		p.reason = lineinput.New()
		p.reason.SetValue(c.EncryptionReason)
		p.note = ""
		return nil
	case key.Matches(k, m.keys.Enter):
		if ps := m.sv.Plan.Validate(m.inv).Disks(); len(ps) > 0 {
			p.note, p.noteErr = "not yet: "+ps[0].String(), true
			return nil
		}
		return m.c.run()
	case key.Matches(k, m.keys.Install), key.Matches(k, m.keys.Pool):
	default:
		p.table, _ = p.table.Update(k)
		return nil
	}
	if !connected {
		p.note, p.noteErr = "this machine is not connected to Omni: its disks cannot be read", true
		return nil
	}
	d, ok := p.cursorDisk()
	if !ok {
		return nil
	}
	name := strings.TrimPrefix(d.LinuxName, "/dev/")
	if key.Matches(k, m.keys.Install) {
		pm, err := pm.WithInstallDisk(d)
		if err != nil {
			p.note, p.noteErr = err.Error(), true
			return nil
		}
		m.sv.Plan.SetMachine(p.idx, pm)
		p.note, p.noteErr = "install disk of "+f.Name()+": "+pm.InstallDisk.ByID, false
		p.rows()
		return m.c.save()
	}
	pooled := slices.ContainsFunc(pm.PoolDisks, d.Matches)
	pm, err := pm.WithPoolDisk(d, !pooled)
	switch {
	case errors.Is(err, plan.ErrPoolOnControlPlane):
		p.note, p.noteErr = f.Name()+" is a control plane: "+err.Error(), true
		return nil
	case err != nil:
		p.note, p.noteErr = err.Error(), true
		return nil
	case pooled:
		p.note, p.noteErr = name+" is no longer a pool disk", false
	default:
		p.note, p.noteErr = name+" is a Mayastor pool disk: it is wiped", false
	}
	m.sv.Plan.SetMachine(p.idx, pm)
	p.rows()
	return m.c.save()
}

// reasonKey edits the reason for turning encryption on.
func (m *disksScreen) reasonKey(k tea.KeyPressMsg) tea.Cmd {
	p := m
	switch k.String() {
	case "esc":
		p.editing = false
		p.note, p.noteErr = "disk encryption stays off", false
	case "enter":
		c, refused := m.sv.Plan.Cluster.WithEncryption(true, p.reason.Value())
		if len(refused) > 0 {
			p.note, p.noteErr = "say why encryption is wanted (it never unlocked here), or esc to leave it off", true
			return nil
		}
		p.editing = false
		m.sv.Plan.Cluster = c
		p.note, p.noteErr = "disk encryption ON: test a reboot on one machine before the others", false
		return m.c.save()
	default:
		p.reason, _ = p.reason.Update(k)
	}
	return nil
}

// disksLayout renders the blocks around the table and says how tall the table may be.
func (m *disksScreen) disksLayout() (blocks [3][]string, tableHeight int) {
	t := m.theme
	w := m.rightWidth()
	p := m
	pm, f, connected := p.machine()
	n := len(m.sv.Plan.Machines)

	// Top: the machine, its install disk by by-id path, its pool disks.
	var top []string
	if n == 0 {
		top = append(top, t.Label.Render("Disks"), "no machine chosen yet: choose them in the machines step ([)")
	} else {
		role := "control plane"
		if pm.Role == plan.RoleWorker {
			role = "worker"
		}
		name := pm.Hostname
		if connected {
			name = f.Name()
		}
		if name == "" {
			name = pm.ID
		}
		title := t.Label.Render("Disks of "+name) + " (" + role + ") · machine " + strconv.Itoa(p.idx+1) + "/" + strconv.Itoa(n)
		top = append(top, common.Fit(title, w))
		install := t.Style(theme.Warn).Render("none chosen: i on the disk Talos goes on")
		if !pm.InstallDisk.Empty() {
			path := pm.InstallDisk.ByID
			linux := ""
			if d, ok := f.Disk(pm.InstallDisk); connected && ok {
				path, linux = plan.ByIDPath(d), " (now "+strings.TrimPrefix(d.LinuxName, "/dev/")+")"
			}
			if path == "" {
				path = pm.InstallDisk.String()
			}
			install = t.Label.Render(path) + t.Subtle.Render(linux)
		}
		top = append(top, common.Fit("install disk  "+install, w))
		pool := t.Subtle.Render("none: control planes run no Mayastor pool")
		if pm.Role == plan.RoleWorker {
			pool = t.Subtle.Render("none (p on a disk to add it; it is wiped)")
			if k := len(pm.PoolDisks); k > 0 {
				pool = units.Count(k, "disk") + t.Subtle.Render(" for Mayastor, wiped")
			}
		}
		top = append(top, common.Fit("pool disks    "+pool, w))
		if !connected {
			top = append(top, t.Error.Render("not connected to Omni: its disks cannot be read"))
		}
	}

	// Under the table: the disk under the cursor, in full, and whether it may serve.
	var detail []string
	if d, ok := p.cursorDisk(); ok {
		wwid := d.WWID
		if wwid == "" {
			wwid = "—"
		}
		detail = append(detail, "",
			common.Fit(t.Subtle.Render("serial ")+d.Serial+t.Subtle.Render("  wwid ")+wwid+t.Subtle.Render("  model ")+d.Model, w))
		detail = append(detail, common.Fit(t.Subtle.Render("bus    ")+d.BusPath, w))
		detail = append(detail, strings.Split(wrap(t.Subtle.Render("by-id  ")+orDash(plan.ByIDPath(d)), w), "\n")...)
		ok := t.Style(theme.Good).Render("✔ ")
		no := t.Style(theme.Bad).Render("✖ ")
		if why := plan.InstallRefusal(d); why != "" {
			detail = append(detail, strings.Split(wrap(no+"not an install disk: "+why, w), "\n")...)
		} else {
			detail = append(detail, ok+"can be the install disk")
		}
		if pm.Role == plan.RoleWorker {
			if why := plan.PoolRefusal(d, pm.InstallDisk); why != "" {
				detail = append(detail, strings.Split(wrap(no+"not a pool disk: "+why, w), "\n")...)
			} else {
				detail = append(detail, ok+"can be a pool disk")
			}
		}
	}

	// Bottom: encryption, the plan's disk problems, the last note; the encryption's explanation is cut
	// short when the table would have no room for its rows (refusals and notes are never cut).
	bottom := m.disksBottom(false)
	th := m.paneHeight() - len(top) - len(detail) - len(bottom)
	if th < 3 {
		bottom = m.disksBottom(true)
		th = m.paneHeight() - len(top) - len(detail) - len(bottom)
	}
	return [3][]string{top, detail, bottom}, max(th, 3)
}

// disksBottom is the block under the disks: encryption (short: in one line), the plan's first disk
// problem and the last note, wrapped to the pane.
func (m *disksScreen) disksBottom(short bool) []string {
	t := m.theme
	w := m.rightWidth()
	p := m
	var bottom []string
	c := m.sv.Plan.Cluster
	switch {
	case p.editing:
		bottom = append(bottom, "", t.Label.Render("Turn disk encryption on?")+" "+t.Subtle.Render(steps.EncryptionOffReason[len("off: "):]),
			"why is it wanted? "+t.Key.Render(p.reason.View()))
	case c.Encryption && short:
		bottom = append(bottom, t.Style(theme.Warn).Render("encryption ON")+" (e turns it off)")
	case c.Encryption:
		bottom = append(bottom, "", t.Style(theme.Warn).Render("encryption ON")+" (e turns it off), because: "+c.EncryptionReason+
			t.Subtle.Render(" — it never unlocked at first boot here; test a reboot on one machine first"))
	case short:
		bottom = append(bottom, "encryption off "+t.Subtle.Render("(e turns it on)"))
	default:
		bottom = append(bottom, "", "encryption "+t.Subtle.Render(steps.EncryptionOffReason)+" (e)")
	}
	if ps := m.sv.Plan.Validate(m.inv).Disks(); len(ps) > 0 {
		bottom = append(bottom, t.Style(theme.Warn).Render("▲ ")+units.Count(len(ps), "problem")+": "+t.Label.Render(ps[0].Path)+": "+ps[0].Message)
	} else if len(m.sv.Plan.Machines) > 0 {
		bottom = append(bottom, t.Style(theme.Good).Render("✔ every machine's disks are chosen: enter runs the step"))
	}
	if p.note != "" {
		style := t.Flash
		if p.noteErr {
			style = t.Error
		}
		bottom = append(bottom, style.Render(p.note))
	}
	return wrapLines(bottom, w)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (m *disksScreen) View() string {
	blocks, th := m.disksLayout()
	tb := m.table // a copy sized for this frame: View stays pure
	tb.SetSize(m.rightWidth(), min(th, max(tb.Len()+1, 2)))
	lines := append([]string{}, blocks[0]...)
	lines = append(lines, strings.Split(tb.View(), "\n")...)
	lines = append(lines, blocks[1]...)
	// The bottom block keeps its place at the foot of the pane whatever the number of disks.
	for len(lines)+len(blocks[2]) < m.paneHeight() {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, blocks[2]...), "\n")
}
