package wizard

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
)

// Which era the wizard installs. With Options.Era2 and no era chosen, the wizard reads both saved
// installs and Omni's MachineClasses (in a command) before anything else: a saved era-2 plan resumes era
// 2 (era2Underway), an era-1 install under way resumes era 1, and when Omni has MachineClasses (or an
// infrastructure provider) the first screen offers both eras; without them it is era 1, as without
// Options.Era2.

// Era2Install is era 2's install, which the wizard offers or runs (Options.Era2).
type Era2Install struct {
	// Steps are era 2's steps (steps.Era2Steps); Store is its state (install-era2.yaml).
	Steps []steps.Step
	Store steps.Store
	// Inventory reads what era 2 chooses from; nil uses steps.LoadEra2Inventory with Env.
	Inventory func(ctx context.Context) (*plan.Inventory, error)
}

// Era1Line and Era2Line say what each era's install makes, on the offer's screen and in its plain
// prompt.
const (
	Era1Line = "era 1: one bare-metal cluster from machines Omni sees"
	Era2Line = "era 2: a new cluster of the fleet, VMs from MachineClasses "
)

// eraMeanings are each era's one line on what its install does, in the order of the offer.
func eraMeanings() [2]string {
	return [2]string{
		"boot the machines from a Talos ISO, pick their roles and disks here; Mayastor, Vault with unseal shares, vclusters",
		"Omni allocates Talos VMs from its MachineClasses; ArgoCD's hub registers the cluster; Vault unseals with Cloud KMS",
	}
}

// eraMsg is what the choice of era reads: both saved installs and era 2's inventory.
type eraMsg struct {
	era1, era2 loadedMsg
	inv        *plan.Inventory
	invErr     error
}

// offersEra tells whether the wizard reads what it needs to offer era 2 before loading an install.
func (m *session) offersEra() bool {
	return m.o.Era2 != nil && m.o.Era == 0 && m.era != plan.Era2Version
}

// era2Reader is era 2's inventory reader.
func (m *session) era2Reader() func(ctx context.Context) (*plan.Inventory, error) {
	if r := m.o.Era2.Inventory; r != nil {
		return r
	}
	env := m.env()
	return func(ctx context.Context) (*plan.Inventory, error) { return steps.LoadEra2Inventory(ctx, env) }
}

// eraCmd reads both saved installs and era 2's inventory.
func (m *Model) eraCmd() tea.Cmd {
	s1, s2, read, ctx := m.o.Store, m.o.Era2.Store, m.era2Reader(), m.ctx
	return func() tea.Msg {
		var msg eraMsg
		msg.era1 = loadCmd(s1)().(loadedMsg)
		msg.era2 = loadCmd(s2)().(loadedMsg)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		msg.inv, msg.invErr = read(cctx)
		return msg
	}
}

// eraRead decides the era from what eraCmd read: it resumes an install under way, offers both eras when
// Omni has MachineClasses, else goes on with era 1.
func (m *Model) eraRead(msg eraMsg) tea.Cmd {
	switch {
	case msg.era2.err == nil && msg.era2.found && era2Underway(msg.era2.sv):
		return m.chooseEra(plan.Era2Version, msg)
	case msg.era1.err != nil || msg.era1.found && len(msg.era1.sv.Steps) > 0,
		msg.invErr != nil || !fleetReady(msg.inv):
		return m.chooseEra(1, msg)
	}
	m.show(&eraScreen{session: m.session, era2: era2Offer(msg.inv),
		choose: func(era int) tea.Cmd { return m.chooseEra(era, msg) }})
	return nil
}

// fleetReady tells whether Omni can make era-2 clusters: it has MachineClasses or an infrastructure
// provider.
func fleetReady(inv *plan.Inventory) bool {
	return len(inv.MachineClasses) > 0 || len(inv.InfraProviders) > 0
}

// era2Offer is the offer's line for era 2: the MachineClasses it allocates from, or the providers when
// there is no class yet.
func era2Offer(inv *plan.Inventory) string {
	if len(inv.MachineClasses) == 0 {
		return Era2Line + "(none yet: make one for the infrastructure providers " + strings.Join(inv.InfraProviders, ", ") + ")"
	}
	return Era2Line + strings.Join(inv.MachineClasses, ", ")
}

// era2Underway tells whether a saved era-2 install is under way: its form was submitted (the plan names
// its cluster) or a step has run. A quit before that leaves nothing to resume.
func era2Underway(sv steps.Saved) bool {
	return sv.Plan.IsEra2() && (len(sv.Steps) > 0 || sv.Plan.Era2 != nil && sv.Plan.Era2.Cluster != "")
}

// chooseEra goes on with the install of era e from what eraCmd read.
func (m *Model) chooseEra(e int, msg eraMsg) tea.Cmd {
	if e != plan.Era2Version {
		return m.loadedSaved(msg.era1)
	}
	m.useEra2()
	if msg.invErr == nil {
		m.inv = msg.inv
	}
	return m.loadedSaved(msg.era2)
}

// useEra2 makes era 2's install the wizard's: its steps and their UI, its state file and inventory.
func (m *Model) useEra2() {
	e := m.o.Era2
	m.uis, m.o.Steps = flowOf(Era2Flow(e.Steps), nil)
	m.o.Inventory = m.era2Reader()
	m.o.Store = e.Store
	m.saver.store = e.Store
	m.st = make([]stepState, len(m.o.Steps))
	m.era = plan.Era2Version
}

// newPlan is the plan of an install that was never saved.
func (m *session) newPlan() plan.Plan {
	if m.era == plan.Era2Version {
		return newEra2Plan()
	}
	return plan.New()
}

// eraScreen offers era 1 and era 2 (Omni has MachineClasses or an infrastructure provider).
type eraScreen struct {
	*session
	era2   string // the offer's line for era 2
	at     int
	choose func(era int) tea.Cmd
}

func (s *eraScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	switch {
	case key.Matches(k, s.keys.Up):
		s.at = 0
	case key.Matches(k, s.keys.Down):
		s.at = 1
	case k.String() == "1" || k.String() == "2":
		s.at = int(k.String()[0] - '1')
		return s, s.choose(s.at + 1)
	case key.Matches(k, s.keys.Enter):
		return s, s.choose(s.at + 1)
	}
	return s, nil
}

func (s *eraScreen) View() string {
	t, w := s.theme, s.rightWidth()
	out := []string{t.Label.Render("Which install?"), ""}
	for i, l := range []string{Era1Line, s.era2} {
		mark := "  "
		if i == s.at {
			mark = "▸ "
		}
		for _, row := range common.Wrap(l, w-2) {
			if i == s.at {
				row = t.Selected.Render(row)
			}
			out = append(out, mark+row)
			mark = "  "
		}
		for _, d := range common.Wrap(eraMeanings()[i], w-4) {
			out = append(out, "    "+t.Subtle.Render(d))
		}
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

func (s *eraScreen) SetSize(int, int) {}
func (s *eraScreen) Capturing() bool  { return false }
func (s *eraScreen) Hint() string {
	return "Omni makes VMs: choose the install (--era 1 or --era 2 skips this question)"
}

func (s *eraScreen) ShortHelp() []key.Binding {
	return []key.Binding{withHelp(s.keys.Enter, "choose"), key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "era 1 / era 2"))}
}
