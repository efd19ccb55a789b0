// Package wizard is the interactive `cedille-tui install`: a full-screen Bubble Tea program that drives
// the same steps (internal/steps) as the unattended `install --answers`. A header, the steps on the left
// with their state (· pending, a spinner while checking or running, ✔ done, ✖ failed, – skipped), the
// current step on the right — its form, picker, review or live progress — and the keys at the bottom.
//
// It starts by loading the saved install, runs every Check from the top and opens the first step whose
// outcome does not hold (steps.ResumeAt, honouring --only). The plan is saved after every form, choice
// and step, so quitting or a crash loses nothing. Update never does I/O: loads, Checks, Runs, Omni's
// inventory and saves run in tea.Cmds (engine.go).
package wizard

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/shell"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// MinWidth and MinHeight are the smallest terminal the wizard draws into: the shell's.
const (
	MinWidth  = shell.MinWidth
	MinHeight = shell.MinHeight
)

// Options configure the wizard.
type Options struct {
	// Steps are the install's steps, in order; Env and Store what they run with (as the unattended
	// runner); Only selects steps (--only), nil all. Flow, when set, is the steps with their UI
	// (Steps is then ignored); else the install's UI is registered for Steps.
	Steps []steps.Step
	Flow  []Registration
	Env   *steps.Env
	Store steps.Store
	Only  map[steps.ID]bool
	Theme theme.Theme
	// DetectBackground asks the terminal for its background to pick light or dark styles.
	DetectBackground bool
	// Endpoint names the Omni in the header (an address, never a key).
	Endpoint string
	// Inventory reads Omni's machines and versions; nil uses steps.LoadInventory with Env.
	Inventory func(ctx context.Context) (*plan.Inventory, error)
	// Refresh is how often the machines and disks panes read Omni again (default 3 s).
	Refresh time.Duration
	// Now stamps progress events (rate and ETA); time.Now when nil.
	Now func() time.Time
	// Era2, when set, is era 2's install. With Era 0 the wizard offers it on its first screen when Omni
	// has MachineClasses and no install is under way (a saved era-2 plan resumes era 2 without asking);
	// with Era 2 it runs it at once. Era 1, or no Era2, is the install of Steps.
	Era2 *Era2Install
	Era  int
}

// Result is what the wizard leaves for the command that ran it.
type Result struct {
	// Finished is true when every selected step's outcome held at the end.
	Finished bool
	// Kubeconfig is the cluster's kubeconfig when the operator asked to open the console.
	Kubeconfig string
	// State is the state file of the install that ran (era 1's or era 2's).
	State string
}

// stepState is what the wizard knows of one step in this session.
type stepState struct {
	state    steps.State
	checking bool
	detail   string // the last Check's detail
	err      error  // the last Run's error
	log      []string
	items    []steps.Item
	meter    meter
	counter  *steps.Event // the last item counter (machines ready 2/6)
	ran      bool         // ran in this session (its log is worth showing)
}

// session is what the wizard's screens read: the flow, the plan, each step's state, Omni's inventory,
// the size of the pane. The root (Model) keeps it current; a screen reads it and asks the root for what
// changes it (control).
type session struct {
	o     Options
	uis   map[steps.ID]StepUI // the steps' UI halves
	theme theme.Theme
	keys  keyMap
	w, h  int

	loaded  bool
	loadErr error
	sv      steps.Saved
	st      []stepState
	inv     *plan.Inventory
	invErr  error
	waitInv bool

	cur      int
	frontier int // the furthest step the operator may open (where the checks resume)
	checking bool
	running  int // index of the running step, -1 when none
	spin     spinner.Model

	era       int         // plan.Era2Version once era 2's install is the wizard's
	confirmed string      // the cluster name typed on the review screen
	prompt    *promptPane // the question a running step waits on (the root routes its answer)
}

// Model is the wizard's root model: the engine (the stream of the Check or Run under way, the saver,
// the keyring, the prompt's routing) and the frame around the current screen.
type Model struct {
	*session
	ctx    context.Context
	cancel context.CancelFunc
	now    func() time.Time
	saver  *saver
	seq    int

	pane Screen // what the pane right of the steps shows

	stream     *stream
	streamID   int
	runCancel  context.CancelFunc
	runEnded   chan struct{}  // closed when the last Run's goroutine returns
	keyring    *steps.Keyring // the session's, when New made it (Close wipes it)
	refreshGen int

	help        bool
	confirmQuit bool
	quitting    bool
	flash       shell.Flash // until the next screen: the wizard's flashes say what to fix
	result      Result
}

// New builds the wizard; Init loads the saved install. Without Env.Keys the session gets its own
// keyring (the root token's hand-off from vault-init to vault-bootstrap), which Close wipes; the caller's
// Env is not changed.
func New(o Options) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	now := o.Now
	if now == nil {
		now = time.Now
	}
	var ring *steps.Keyring
	if o.Env == nil || o.Env.Keys == nil {
		e := steps.Env{}
		if o.Env != nil {
			e = *o.Env
		}
		ring = &steps.Keyring{}
		e.Keys = ring
		o.Env = &e
	}
	uis, ss := flowOf(o.Flow, o.Steps)
	o.Steps = ss
	s := &session{o: o, uis: uis, theme: o.Theme, keys: defaultKeys(), running: -1, st: make([]stepState, len(o.Steps)),
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
	m := &Model{session: s, ctx: ctx, cancel: cancel, now: now, saver: &saver{store: o.Store}, keyring: ring}
	m.pane = &startScreen{session: s, c: m}
	if o.Era2 != nil && o.Era == plan.Era2Version {
		m.useEra2()
	}
	return m
}

// Result is the wizard's outcome, read after the program ends.
func (m *Model) Result() Result {
	r := m.result
	r.State = m.o.Store.Path
	return r
}

// Close stops what the wizard started (a running step is cancelled; the runner saves its state), waits
// a moment for a running step to return, then wipes the session's keyring and any secret on screen.
func (m *Model) Close() {
	m.cancel()
	if m.runEnded != nil {
		select {
		case <-m.runEnded:
		case <-time.After(5 * time.Second):
		}
	}
	m.dropPrompt()
	m.keyring.Wipe()
}

// Init loads the saved install.
func (m *Model) Init() tea.Cmd {
	load := loadCmd(m.o.Store)
	if m.offersEra() {
		load = m.eraCmd()
	}
	cmds := []tea.Cmd{load}
	if m.o.DetectBackground && m.theme.Color {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// Update routes messages; it never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.BackgroundColorMsg:
		m.theme = theme.New(m.theme.Color, msg.IsDark())
		if t, ok := m.pane.(interface{ setTheme(theme.Theme) }); ok {
			t.setTheme(m.theme)
		}
		return m, nil
	case loadedMsg:
		return m, m.loadedSaved(msg)
	case eraMsg:
		return m, m.eraRead(msg)
	case streamMsg:
		if m.stream == nil || msg.id != m.stream.id {
			return m, nil
		}
		m.apply(msg)
		return m, listen(m.stream)
	case checkedMsg:
		if m.stream == nil || msg.id != m.stream.id {
			return m, nil
		}
		return m, m.checked(msg.outcomes)
	case runDoneMsg:
		if m.stream == nil || msg.id != m.stream.id {
			return m, nil
		}
		return m, m.runDone(msg)
	case askMsg:
		if m.stream == nil || msg.id != m.stream.id || m.running < 0 || m.quitting {
			msg.prompt.Secret.Wipe() // a stale question: its run is cancelled, and Ask returns on it
			return m, nil
		}
		return m, tea.Batch(m.openPrompt(msg), listen(m.stream))
	case invMsg:
		return m, m.inventory(msg)
	case refreshMsg:
		if msg.gen == m.refreshGen && m.refreshing() {
			return m, m.loadInventory(msg.gen)
		}
		return m, nil
	case savedMsg:
		if msg.err != nil {
			m.flash.Set("the plan could not be saved: "+msg.err.Error(), true)
		}
		return m, nil
	case quitTimeoutMsg:
		if m.quitting {
			return m, tea.Quit
		}
		return m, nil
	case spinner.TickMsg:
		if !m.busy() {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	// The rest is the screen's: a paste, a form's own messages.
	return m, m.toPane(msg)
}

// toPane gives msg to the screen.
func (m *Model) toPane(msg tea.Msg) tea.Cmd {
	sc := m.pane
	next, cmd := sc.Update(msg)
	if m.pane == sc { // else the screen asked the root for another one (control), which stands
		m.pane = next
	}
	return cmd
}

// show makes sc the screen, sized to the pane.
func (m *Model) show(sc Screen) {
	m.pane = sc
	sc.SetSize(m.rightWidth(), m.paneHeight())
}

func (m *session) busy() bool { return m.checking || m.running >= 0 }

func (m *session) spinTick() tea.Cmd {
	if m.busy() {
		return nil // already ticking
	}
	return m.spin.Tick
}

// refreshing tells whether the screen lists Omni's machines, which are read again while it is shown.
func (m *Model) refreshing() bool {
	_, ok := m.pane.(inventoryReader)
	return ok
}

// loadedSaved starts the checks once the saved install is read.
func (m *Model) loadedSaved(msg loadedMsg) tea.Cmd {
	if msg.err != nil {
		m.loadErr = msg.err
		return nil
	}
	m.loaded = true
	m.sv = msg.sv
	if !msg.found {
		m.sv = steps.Saved{Plan: m.newPlan()}
	}
	m.sv.Plan = m.sv.Plan.WithDefaults()
	return tea.Batch(m.startCheck(), m.loadInventory(m.refreshGen))
}

// apply folds a streamed update into the step's state.
func (m *Model) apply(msg streamMsg) {
	i := m.index(msg.u.Step)
	if i < 0 {
		return
	}
	st := &m.st[i]
	u := msg.u
	if u.Event == nil {
		switch u.State {
		case steps.Checking:
			st.checking = true
		case steps.Running:
			st.state = steps.Running
		default:
			st.checking = false
			if m.running != i {
				st.state, st.detail = u.State, u.Detail
			}
		}
		return
	}
	ev := u.Event
	if ev.Message != "" {
		st.log = append(st.log, ev.Message)
		if f, ok := m.pane.(logFollower); ok && i == m.cur {
			f.follow()
		}
	}
	if len(ev.Items) > 0 {
		st.items = ev.Items
	}
	switch {
	case ev.Unit == "B" && ev.Total != 0:
		st.meter = st.meter.next(ev.Done, ev.Total, msg.at)
	case ev.Total > 0:
		c := *ev
		st.counter = &c
	}
}

// checked applies every Check's outcome and opens the step where the install resumes.
func (m *Model) checked(outcomes []steps.Outcome) tea.Cmd {
	m.checking = false
	m.stream = nil
	for i := range m.st {
		st := &m.st[i]
		st.checking = false
		if i >= len(outcomes) {
			continue
		}
		st.detail = outcomes[i].Detail
		switch {
		case !steps.Selected(m.o.Steps[i].ID(), m.o.Only):
			st.state = steps.Skipped
		case outcomes[i].Holds:
			st.state = steps.Done
		default:
			st.state = steps.Pending
		}
	}
	at := steps.ResumeAt(steps.Order(m.o.Steps), outcomes, m.o.Only)
	m.frontier = at
	return m.open(at)
}

// runDone records a step's end: the plan as it left it, and what it says next.
func (m *Model) runDone(msg runDoneMsg) tea.Cmd {
	i := m.running
	m.running = -1
	m.stream = nil
	m.runCancel = nil
	m.dropPrompt() // a question the step no longer waits on
	m.sv = msg.sv
	st := &m.st[i]
	st.ran = true
	if msg.err != nil {
		st.state, st.err = steps.Failed, msg.err
	} else {
		st.state, st.err = steps.Done, nil
	}
	if m.quitting {
		m.cancel()
		return tea.Quit
	}
	if msg.err != nil {
		m.show(newRunScreen(m.session, m))
		return nil
	}
	if m.ui(i).Quiet {
		return m.next() // nothing to read in its output: check again and go on
	}
	if m.ui(i).Console {
		m.result.Kubeconfig = m.sv.Plan.Cluster.Kubeconfig
	}
	m.show(newRunScreen(m.session, m))
	return nil
}

// next checks every step again and opens where the install now resumes.
func (m *Model) next() tea.Cmd {
	m.stopForms()
	m.show(&startScreen{session: m.session, c: m})
	return m.startCheck()
}

// inventory applies a fresh read of Omni and keeps the refresh loop going while a pane needs it.
func (m *Model) inventory(msg invMsg) tea.Cmd {
	if msg.err != nil {
		m.invErr = msg.err
	} else {
		m.inv, m.invErr = msg.inv, nil
	}
	var cmds []tea.Cmd
	if m.waitInv {
		m.waitInv = false
		cmds = append(cmds, m.edit(m.cur))
	}
	if r, ok := m.pane.(inventoryReader); ok {
		r.inventoryChanged()
	}
	if msg.gen == m.refreshGen && m.refreshing() {
		cmds = append(cmds, m.refreshTick(msg.gen))
	}
	return tea.Batch(cmds...)
}

func (m *session) index(id steps.ID) int {
	for i, s := range m.o.Steps {
		if s.ID() == id {
			return i
		}
	}
	return -1
}

func (m *session) stepID() steps.ID {
	if m.cur < 0 || m.cur >= len(m.o.Steps) {
		return ""
	}
	return m.o.Steps[m.cur].ID()
}

func (m *Model) stopForms() {
	m.refreshGen++ // ends the refresh loop
	m.waitInv = false
}

// open shows step i: a step whose outcome holds shows it; the preflight probes at once; the others open
// their form or picker.
func (m *Model) open(i int) tea.Cmd {
	m.stopForms()
	m.cur = i
	m.flash.Clear()
	if i >= len(m.o.Steps) {
		m.show(&doneScreen{session: m.session, c: m})
		m.result.Finished = true
		if m.result.Kubeconfig == "" {
			m.result.Kubeconfig = m.sv.Plan.Cluster.Kubeconfig
		}
		return nil
	}
	switch st := m.st[i]; {
	case st.state == steps.Done || st.state == steps.Skipped:
		m.show(newOutcomeScreen(m.session, m))
		return nil
	case m.ui(i).Auto:
		return m.startStep(i)
	}
	return m.edit(i)
}

// edit opens the current step's form or picker.
func (m *Model) edit(i int) tea.Cmd {
	m.stopForms()
	m.cur = i
	switch ui := m.ui(i); {
	case ui.Form != nil:
		if ui.Form.NeedsInventory && m.inv == nil && m.invErr == nil {
			m.waitInv = true
			m.show(&startScreen{session: m.session, c: m})
			return nil
		}
		fs, cmd := newFormScreen(m.session, m, ui.Form)
		m.show(fs)
		return cmd
	case ui.Picker != nil:
		m.show(ui.Picker.Open(m.session, m))
		return m.startRefresh()
	case ui.Auto:
		return m.startStep(i)
	}
	// Nothing to ask (vault-unseal, handoff): what the step does; enter runs it.
	m.show(newOutcomeScreen(m.session, m))
	return nil
}

// startStep runs step i and shows its progress.
func (m *Model) startStep(i int) tea.Cmd {
	m.stopForms()
	m.cur = i
	cmd := m.startRun(i)
	m.show(newRunScreen(m.session, m))
	return cmd
}

// errProblems extracts plan problems from a step's error.
func errProblems(err error) plan.Problems {
	var ps plan.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return nil
}

// keyMap is the wizard's keys.
type keyMap struct {
	Quit, ForceQuit, Help, Enter, Retry, Edit, Prev, Next, Back key.Binding
	CP, Worker, Out                                             key.Binding
	Install, Pool, Encrypt, NextMachine, PrevMachine            key.Binding
	Up, Down                                                    key.Binding
}

func defaultKeys() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Quit:        b("q", "quit", "q"),
		ForceQuit:   b("ctrl+c", "quit now", "ctrl+c"),
		Help:        b("?", "help", "?"),
		Enter:       b("enter", "continue", "enter"),
		Retry:       b("r", "retry", "r"),
		Edit:        b("e", "edit", "e"),
		Prev:        b("[", "previous", "["),
		Next:        b("]", "next", "]"),
		Back:        b("esc", "back", "esc"),
		CP:          b("c", "control plane", "c"),
		Worker:      b("w", "worker", "w"),
		Out:         b("space/x", "not in the cluster", " ", "space", "x"),
		Install:     b("i", "install disk", "i"),
		Pool:        b("p", "pool disk", "p"),
		Encrypt:     b("e", "encryption", "e"),
		NextMachine: b("tab/→", "next machine", "tab", "right", "l"),
		PrevMachine: b("shift+tab/←", "previous machine", "shift+tab", "left", "h"),
		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
	}
}

// key handles a key press.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, m.keys.ForceQuit) {
		if m.custody() && !m.prompt.warnQuit {
			// The shares not yet handed over would be lost: quitting takes a second ctrl+c.
			m.prompt.warnQuit = true
			return nil
		}
		if m.runCancel != nil {
			m.runCancel()
		}
		if m.running >= 0 {
			m.cancel()
			return tea.Quit
		}
		return m.saveAndQuit()
	}
	if m.confirmQuit {
		switch k.String() {
		case "y", "Y":
			m.confirmQuit, m.quitting = false, true
			if m.runCancel != nil {
				m.runCancel()
			}
			m.flash.Set("stopping the step; its state is saved and it resumes next time…", false)
			return tea.Tick(5*time.Second, func(time.Time) tea.Msg { return quitTimeoutMsg{} })
		case "n", "N", "esc", "q":
			m.confirmQuit = false
		}
		return nil
	}
	if m.quitting {
		return nil
	}
	if m.help {
		if key.Matches(k, m.keys.Help, m.keys.Back, m.keys.Quit) {
			m.help = false
		}
		return nil
	}
	if m.capturing() {
		return m.toPane(k)
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		if m.running >= 0 {
			m.confirmQuit = true
			return nil
		}
		return m.saveAndQuit()
	case key.Matches(k, m.keys.Help):
		m.help = true
		return nil
	case key.Matches(k, m.keys.Prev) && !m.busy() && m.loaded:
		if m.cur > 0 {
			return m.open(m.cur - 1)
		}
		return nil
	case key.Matches(k, m.keys.Next) && !m.busy() && m.loaded:
		if m.cur < min(m.frontier, len(m.o.Steps)-1) {
			return m.open(m.cur + 1)
		}
		return nil
	}
	return m.toPane(k)
}

// capturing tells whether the screen is reading text: printable keys (q, ?, [) belong to it then.
func (m *Model) capturing() bool { return m.pane.Capturing() }

// The engine's side of what screens ask (control).

func (m *Model) run() tea.Cmd     { return m.startStep(m.cur) }
func (m *Model) editCur() tea.Cmd { return m.edit(m.cur) }

// review opens the cluster's review: every disk it wipes, and the name typed to confirm.
func (m *Model) review() tea.Cmd {
	m.show(&reviewScreen{session: m.session, c: m, spec: m.ui(m.cur).Confirm})
	return m.save()
}

// outcome leaves a form unsubmitted: back to the step's run when it failed, else its outcome.
func (m *Model) outcome() tea.Cmd {
	if m.st[m.cur].state == steps.Failed {
		m.show(newRunScreen(m.session, m))
	} else {
		m.show(newOutcomeScreen(m.session, m))
	}
	return nil
}

// finish saves the plan and quits; console: the cluster's kubeconfig goes to the console.
func (m *Model) finish(console bool) tea.Cmd {
	if console {
		m.result.Kubeconfig = m.sv.Plan.Cluster.Kubeconfig
		m.result.Finished = true
	}
	return m.saveAndQuit()
}

// reload reads the saved install again (after it could not be read).
func (m *Model) reload() tea.Cmd {
	m.loadErr = nil
	if m.offersEra() {
		return m.eraCmd()
	}
	return loadCmd(m.o.Store)
}

func (m *Model) setFlash(text string, isErr bool) {
	if text == "" {
		m.flash.Clear()
		return
	}
	m.flash.Set(text, isErr) // no tick: it stays until the next screen or flash
}

// prompting tells whether a question of the running step is on screen.
func (m *Model) prompting() bool {
	_, ok := m.pane.(*promptScreen)
	return ok
}

// askQuit asks whether to quit while a step runs (it stops, and resumes next time).
func (m *Model) askQuit() { m.confirmQuit = true }

// opensConsole tells whether enter on the current step's result opens the console: the cluster or the
// hand-off is done, the kubeconfig saved, and no selected step follows (else enter goes on to the next
// step, and the console opens from the all-done screen).
func (m *session) opensConsole() bool {
	if !m.ui(m.cur).Console || m.sv.Plan.Cluster.Kubeconfig == "" {
		return false
	}
	for _, s := range m.o.Steps[m.cur+1:] {
		if steps.Selected(s.ID(), m.o.Only) {
			return false
		}
	}
	return true
}

// editable tells whether the current step has a form or picker.
func (m *session) editable() bool { return m.ui(m.cur).editable() }

// ui is step i's registered UI half (none past the last step).
func (m *session) ui(i int) StepUI {
	if i < 0 || i >= len(m.o.Steps) {
		return StepUI{}
	}
	return m.uis[m.o.Steps[i].ID()]
}
