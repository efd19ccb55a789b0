package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/drill"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// hasRunbook tells whether this build has the runbook.
func hasRunbook(name string) bool {
	_, err := runbooks.Lookup(name)
	return err == nil
}

// runDrill is `demo --drill NAME`: the platform in service, the drill's fault injected, the console
// with its banner; once the console quits, the drill's report, printed and written under
// $XDG_STATE_HOME/cedille-tui/demo/drills (with the run's audit trail, state and incident report).
func (c *cli) runDrill(ctx context.Context, name string) error {
	if name == "list" {
		fmt.Fprint(c.out, drill.List(hasRunbook))
		return nil
	}
	sc, err := drill.Lookup(name)
	if err != nil {
		return err
	}
	rb, err := c.drillRunbook(sc.Name, sc.Runbook)
	if err != nil {
		return err
	}
	p, err := demo.Start(ctx, demo.Options{Installed: true})
	if err != nil {
		return err
	}
	defer p.Close()
	d, err := drill.Start(ctx, sc, rb, p, drill.Options{})
	if err != nil {
		return err
	}
	dir := c.demoStateDir("drills", d.Progress().Injected.UTC().Format("2006-01-02-150405")+"-"+sc.Name)
	x, closeTools, err := c.demoTools(p, dir, d.Observe)
	if err != nil {
		return fmt.Errorf("the drill needs its audit trail: %w", err)
	}
	x.presence = true
	th, rec := theme.New(ui.ColorFromEnv(c.lookup), true), x.recovery
	m := drillModel{d: d, open: func() tea.Cmd {
		// Once the run started (back to it from another page): before, a finding's r starts it.
		if d.Progress().Run == "" {
			return nil
		}
		return common.Push(console.NewRunbookPage(th, rec, sc.Runbook, d.Target()))
	}}
	x.wrap = func(inner tea.Model) tea.Model { m.inner = inner; return m }
	t := p.Targets()
	t.Demo = false // the findings' hints as on a real platform: the demo's fault keys are not offered
	err = c.runTUI(ctx, t, t.Sources(), x)
	closeTools()
	rep := d.Report(incidentOf(filepath.Join(dir, "runbooks"), d.Progress().Run))
	path, werr := drill.Write(dir, rep)
	return c.drillReported(rep.Markdown(), path, err, werr)
}

// drillReported prints the drill's report and where it was written (path, unless werr), and says what
// went wrong: the console's error err first, then the write's.
func (c *cli) drillReported(markdown, path string, err, werr error) error {
	fmt.Fprint(c.out, markdown)
	if werr == nil {
		fmt.Fprintf(c.out, "\nThe drill's report: %s\n", path)
	}
	if err != nil {
		return err
	}
	return werr
}

// drillRunbook is the runbook that repairs the drill, once this build has it and a terminal is there to
// practise it in.
func (c *cli) drillRunbook(drillName, name string) (runbook.Runbook, error) {
	rb, err := runbooks.Lookup(name)
	if err != nil {
		return rb, fmt.Errorf("drill %s is repaired with runbook %s, which this build does not have yet", drillName, name)
	}
	return rb, c.needTerminal("a drill", "a drill is practised in the console")
}

// incidentOf is the incident report the run wrote ("" when none, or no run).
func incidentOf(store, run string) string {
	if run == "" {
		return ""
	}
	st, err := runbook.OpenStore(store)
	if err != nil {
		return ""
	}
	runs, _ := st.Runs()
	for _, r := range runs {
		if r.ID == run {
			return r.Report
		}
	}
	return ""
}

// drillModel is the console with the drill's banner on its presence line, drawn again as the drill
// moves on (and every second, for its clock); ctrl+r goes back to the drill's run once started.
type drillModel struct {
	inner tea.Model
	d     drillBanner
	open  func() tea.Cmd
}

// drillBanner is a drill as its banner reads it (*drill.Drill, *drill.FleetDrill).
type drillBanner interface {
	Banner() string
	Changed() <-chan struct{}
}

// drillTick asks for the banner to be drawn again.
type drillTick struct{}

func (m drillModel) Init() tea.Cmd {
	return tea.Batch(m.inner.Init(), m.banner(), m.wait())
}

func (m drillModel) banner() tea.Cmd {
	line := m.d.Banner()
	return func() tea.Msg { return app.PresenceMsg{Line: line} }
}

// wait waits, in a command, for the drill to move on or a second to pass.
func (m drillModel) wait() tea.Cmd {
	d := m.d
	return func() tea.Msg {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-d.Changed():
		case <-t.C:
		}
		return drillTick{}
	}
}

func (m drillModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case drillTick:
		return m, tea.Batch(m.banner(), m.wait())
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+r" {
			if cmd := m.open(); cmd != nil {
				return m, cmd
			}
		}
	}
	var cmd tea.Cmd
	m.inner, cmd = m.inner.Update(msg)
	return m, cmd
}

func (m drillModel) View() tea.View { return m.inner.View() }
