// Package app is the console's root model: a page stack under a header (platform, overall state, stale
// banner) and above a footer of key help, with `?` full help, demo actions, and a guard for terminals
// smaller than 80×24.
package app

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/shell"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// Action is an extra key the shell offers (the demo's fault injection). Run does I/O and is called from a
// tea.Cmd, never from Update.
type Action struct {
	Key  key.Binding
	Run  func(ctx context.Context) (string, error)
	Note string
}

// Options configure the shell.
type Options struct {
	Theme theme.Theme
	// Snapshots delivers the hub's snapshots; nil shows an empty platform.
	Snapshots <-chan watch.Snapshot
	// Root is the first page.
	Root common.Page
	// Actions are extra keys (demo faults), listed in the full help under ActionsTitle.
	Actions      []Action
	ActionsTitle string
	// DetectBackground asks the terminal for its background colour to pick light or dark styles.
	DetectBackground bool
	// Jump opens the page a `:` command names (a prefix is enough); Targets lists the names, for the
	// prompt and the help.
	Jump    func(target string, s watch.Snapshot, w, h int) (common.Page, bool)
	Targets []string
	// Presence draws a line under the header saying who is here (PresenceMsg sets it): the console served
	// over SSH. PageChanged, when set, is told the page shown whenever it changes (from a tea.Cmd).
	Presence    bool
	PageChanged func(title string)
	// Act runs actions on the cluster (cordon a node, delete a pod…) as this console's person: the
	// actions key opens them on the object a page shows. Nil offers none (no cluster connection).
	Act console.Act
	// Recovery starts runbooks as this console's person: r on an object a finding's hint names a
	// runbook for opens it, aimed at that object. Nil offers none.
	Recovery console.Recovery
	// Leave names what this console was opened from (the fleet): esc on its first page and `:Leave`
	// then send LeaveMsg instead of doing nothing. "" for a console that is the whole program.
	Leave string
}

// LeaveMsg says the person left this console for what Options.Leave names (the fleet overview).
type LeaveMsg struct{}

func leave() tea.Msg { return LeaveMsg{} }

// PresenceMsg sets the presence line: who this session is, and who else is connected.
type PresenceMsg struct{ Line string }

// KeyMap is the shell's own keys.
type KeyMap struct {
	common.RootKeys
	Help, Jump, Act, Runbook key.Binding
}

func defaultKeys() KeyMap {
	return KeyMap{
		RootKeys: common.NewRootKeys(),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Jump:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "jump to…")),
		Act:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "actions")),
		Runbook:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "runbook")),
	}
}

// Model is the root model.
type Model struct {
	opts  Options
	theme theme.Theme
	keys  KeyMap
	pages []common.Page
	snap  watch.Snapshot
	w, h  int
	help  bool
	// jumping holds the `:` prompt open; jump edits what is typed there.
	jumping bool
	jump    lineinput.Model
	flash   shell.Flash
	// presence is the line under the header (Options.Presence); page is the title PageChanged was told.
	presence string
	page     string
	// cer is the ceremony board as the server last sent it (console.CeremonyMsg); hasCer once it did.
	cer    console.CeremonyMsg
	hasCer bool
}

// New builds the shell.
func New(o Options) *Model {
	m := &Model{opts: o, theme: o.Theme, keys: defaultKeys()}
	if o.Root != nil {
		m.pages = []common.Page{o.Root}
	}
	return m
}

type actionDoneMsg struct {
	note string
	err  error
}

// waitSnapshot blocks in a command (not in Update) until the hub publishes.
func waitSnapshot(ch <-chan watch.Snapshot) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return nil
		}
		return common.SnapshotMsg{Snapshot: s}
	}
}

// Init starts listening to the hub and asks for the background colour.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{waitSnapshot(m.opts.Snapshots)}
	if m.opts.DetectBackground && m.theme.Color {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	if p := m.top(); p != nil {
		cmds = append(cmds, p.Init())
	}
	return tea.Batch(cmds...)
}

func (m *Model) top() common.Page {
	if len(m.pages) == 0 {
		return nil
	}
	return m.pages[len(m.pages)-1]
}

func (m *Model) bodyHeight() int { return max(m.h-shell.FrameRows-m.presenceRows(), 0) }

// presenceRows is the presence line's: one when the console is served to several.
func (m *Model) presenceRows() int {
	if m.opts.Presence {
		return 1
	}
	return 0
}

func (m *Model) resize() {
	for _, p := range m.pages {
		p.SetSize(m.w, m.bodyHeight())
	}
}

// broadcast sends msg to every page of the stack (snapshots and theme changes concern them all).
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.pages {
		np, cmd := p.Update(msg)
		m.pages[i] = np
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// Update routes messages; it never does I/O.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	model, cmd := m.update(msg)
	return model, tea.Batch(cmd, m.pageChanged())
}

// pageChanged tells Options.PageChanged the page now shown, when it changed (in a command: Update does
// no I/O).
func (m *Model) pageChanged() tea.Cmd {
	if m.opts.PageChanged == nil {
		return nil
	}
	title := ""
	if p := m.top(); p != nil {
		title = p.Title()
	}
	if m.help {
		title = "Help"
	}
	if title == m.page {
		return nil
	}
	m.page = title
	tell := m.opts.PageChanged
	return func() tea.Msg { tell(title); return nil }
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case PresenceMsg:
		m.presence = msg.Line
		return m, nil
	case console.CeremonyMsg:
		m.cer, m.hasCer = msg, true
		return m, m.broadcast(msg)
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.BackgroundColorMsg:
		m.theme = theme.New(m.theme.Color, msg.IsDark())
		return m, m.broadcast(common.ThemeMsg{Theme: m.theme})
	case common.SnapshotMsg:
		m.snap = msg.Snapshot
		return m, tea.Batch(m.broadcast(msg), waitSnapshot(m.opts.Snapshots))
	case common.PushMsg:
		msg.Page.SetSize(m.w, m.bodyHeight())
		m.pages = append(m.pages, msg.Page)
		return m, msg.Page.Init()
	case common.FlashMsg:
		if msg.Back && len(m.pages) > 1 {
			m.pages = m.pages[:len(m.pages)-1]
		}
		return m, m.flash.Set(msg.Text, msg.Bad)
	case actionDoneMsg:
		if msg.err != nil {
			return m, m.flash.Set(msg.err.Error(), true)
		}
		return m, m.flash.Set(msg.note, false)
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.jumping {
			var cmd tea.Cmd
			m.jump, cmd = m.jump.Update(msg)
			return m, cmd
		}
	}
	m.flash, _ = m.flash.Update(msg)
	if p := m.top(); p != nil {
		np, cmd := p.Update(msg)
		m.pages[len(m.pages)-1] = np
		return m, cmd
	}
	return m, nil
}

func (m *Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(k, m.keys.ForceQuit) {
		return m, tea.Quit
	}
	if m.help {
		switch {
		case key.Matches(k, m.keys.Quit):
			return m, tea.Quit
		case key.Matches(k, m.keys.Help, m.keys.Back):
			m.help = false
		}
		return m, nil
	}
	if m.jumping {
		return m.jumpKey(k)
	}
	p := m.top()
	if c, ok := p.(common.Capturing); ok && c.Capturing() {
		np, cmd := p.Update(k)
		m.pages[len(m.pages)-1] = np
		return m, cmd
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(k, m.keys.Help):
		m.help = true
		return m, nil
	case key.Matches(k, m.keys.Jump) && m.opts.Jump != nil:
		m.jumping, m.jump = true, lineinput.New()
		return m, nil
	case key.Matches(k, m.keys.Back) && len(m.pages) > 1:
		m.pages = m.pages[:len(m.pages)-1]
		return m, nil
	case key.Matches(k, m.keys.Back) && m.opts.Leave != "":
		return m, leave
	case key.Matches(k, m.keys.Act) && m.actTarget() != "":
		return m, m.openActions()
	case key.Matches(k, m.keys.Runbook):
		if s, ok := m.runbookFor(); ok {
			return m, m.openRunbook(s)
		}
	}
	for _, a := range m.opts.Actions {
		if key.Matches(k, a.Key) {
			run := a.Run
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				note, err := run(ctx)
				return actionDoneMsg{note: note, err: err}
			}
		}
	}
	if p == nil {
		return m, nil
	}
	np, cmd := p.Update(k)
	m.pages[len(m.pages)-1] = np
	return m, cmd
}

// actTarget is the object the actions key would act on: the top page's, when there are actions to run
// on objects of its kind; "" when the key does nothing here.
func (m *Model) actTarget() string {
	if m.opts.Act == nil {
		return ""
	}
	tp, ok := m.top().(common.Targeted)
	if !ok {
		return ""
	}
	object, ok := tp.Target()
	if !ok {
		return ""
	}
	if _, ok := console.ActionTarget(object); !ok {
		return ""
	}
	return object
}

// runbookFor is the runbook a finding names for the top page's object, when runbooks can be run here.
func (m *Model) runbookFor() (runbook.Suggestion, bool) {
	if m.opts.Recovery == nil {
		return runbook.Suggestion{}, false
	}
	tp, ok := m.top().(common.Targeted)
	if !ok {
		return runbook.Suggestion{}, false
	}
	object, ok := tp.Target()
	if !ok {
		return runbook.Suggestion{}, false
	}
	s, ok := runbook.SuggestedFor(m.snap.Report, object)
	if !ok || !m.opts.Recovery.Has(s.Runbook) {
		return runbook.Suggestion{}, false
	}
	return s, true
}

// openRunbook opens the runbook page of s.
func (m *Model) openRunbook(s runbook.Suggestion) tea.Cmd {
	p := console.NewRunbookPage(m.theme, m.opts.Recovery, s.Runbook, s.Target)
	p.SetPlatform(m.snap.Platform)
	p.SetSize(m.w, m.bodyHeight())
	m.pages = append(m.pages, p)
	return p.Init()
}

// openActions opens the actions page of the top page's object.
func (m *Model) openActions() tea.Cmd {
	t, _ := console.ActionTarget(m.actTarget())
	p := console.NewActionsPage(m.theme, m.opts.Act, t)
	p.SetPlatform(m.snap.Platform)
	p.SetSize(m.w, m.bodyHeight())
	m.pages = append(m.pages, p)
	return p.Init()
}

// jumpKey edits the `:` prompt; enter opens the named page on top of the root, esc cancels.
func (m *Model) jumpKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc":
		m.jumping = false
	case "enter":
		m.jumping = false
		typed := m.jump.Value()
		target := m.resolve(typed)
		if target != "" && target == m.opts.Leave {
			return m, leave
		}
		if target == "" {
			return m, m.flash.Set("no page named “"+typed+"” (try "+strings.Join(m.opts.Targets, ", ")+")", true)
		}
		p, ok := m.opts.Jump(target, m.snap, m.w, m.bodyHeight())
		if !ok {
			return m, nil
		}
		if len(m.pages) > 0 {
			m.pages = m.pages[:1]
		}
		if p != nil {
			var told tea.Cmd
			if m.hasCer { // a new page sees the ceremony board as it is
				p, told = p.Update(m.cer)
			}
			m.pages = append(m.pages, p)
			return m, tea.Batch(p.Init(), told)
		}
		return m, nil
	default:
		var cmd tea.Cmd
		m.jump, cmd = m.jump.Update(k)
		return m, cmd
	}
	return m, nil
}

// resolve finds the target a prefix names (an exact name wins, else the first that matches).
func (m *Model) resolve(text string) string {
	text = strings.ToLower(strings.TrimSpace(text))
	targets := m.opts.Targets
	if m.opts.Leave != "" {
		targets = append(slices.Clone(targets), m.opts.Leave)
	}
	found := matching(targets, text)
	switch {
	case text == "" || len(found) == 0:
		return ""
	case slices.Contains(found, text):
		return text
	}
	return found[0]
}

// matching lists the targets the `:` prompt's text still names — those it begins — in their order;
// all of them while nothing is typed.
func matching(targets []string, text string) []string {
	text = strings.ToLower(strings.TrimSpace(text))
	var out []string
	for _, t := range targets {
		if strings.HasPrefix(t, text) {
			out = append(out, t)
		}
	}
	return out
}

// View draws the whole screen, exactly the terminal's size.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "cedille-tui · " + m.platformName()
	return v
}

// Render is the screen content (what goldens compare).
func (m *Model) Render() string { return m.render() }

func (m *Model) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if !shell.Fits(m.w, m.h) {
		return shell.TooSmallView(m.w, m.h)
	}
	body := ""
	if m.help {
		body = m.helpView()
	} else if p := m.top(); p != nil {
		body = p.View()
	}
	rows := []string{m.headerLine()}
	if m.opts.Presence {
		rows = append(rows, m.presenceLine())
	}
	return strings.Join(append(rows, m.statusLine(), common.Block(body, m.w, m.bodyHeight()), m.footer()), "\n")
}

// presenceLine is who is here, after the notice of an open ceremony (first: it must not be cut).
func (m *Model) presenceLine() string {
	line := m.theme.Subtle.Render(common.Inert(m.presence))
	if n := m.cer.Notice(); n != "" {
		line = m.theme.Style(theme.Warn).Render(common.Inert(n)) + m.theme.Subtle.Render(" · ") + line
	}
	return common.Fit(line, m.w)
}

func (m *Model) platformName() string {
	if m.snap.Platform != "" {
		return m.snap.Platform
	}
	return "no platform"
}

func (m *Model) headerLine() string {
	left := m.theme.Title.Render("cedille-tui") + m.theme.Subtle.Render(" │ ") + m.platformName()
	if m.snap.Demo {
		left += " " + m.theme.Subtle.Render("[demo]")
	}
	right := console.Status(m.theme, m.snap.Report.Overall)
	if !m.snap.At.IsZero() {
		right += m.theme.Subtle.Render("  " + m.snap.At.Format("15:04:05"))
	}
	return shell.Header(left, right, m.w)
}

func (m *Model) statusLine() string {
	st := shell.Status{Right: m.layerSummary(), Flash: m.flash, FlashRight: true}
	if m.jumping {
		typed := m.jump.Value()
		hint := "  no page starts with “" + typed + "” (backspace, or esc)"
		if found := matching(m.opts.Targets, typed); len(found) > 0 {
			hint = "  " + strings.Join(found, " ")
		}
		st.Prompt = m.theme.Key.Render(":"+m.jump.View()) + m.theme.Subtle.Render(hint)
	}
	if since := m.snap.StaleSince(); !since.IsZero() {
		why := ""
		for _, st := range m.snap.Sources {
			if st.Configured && st.Err != nil {
				why = " — " + st.Err.Error()
				break
			}
		}
		st.Alert = "▲ stale since " + since.Format("15:04:05") + why
	}
	crumbs := make([]string, 0, len(m.pages))
	for _, p := range m.pages {
		crumbs = append(crumbs, p.Title())
	}
	if m.help {
		crumbs = append(crumbs, "Help")
	}
	st.Hint = strings.Join(crumbs, " › ")
	return shell.StatusLine(m.theme, st, m.w)
}

// layerSummary names the layers that are not OK, worst first ("secrets ✖  vclusters ▲"), or says all
// are OK: what is broken reads first, and it fits 80 columns whatever the number of layers.
func (m *Model) layerSummary() string {
	var bad []health.LayerReport
	for _, l := range m.snap.Report.Layers {
		if l.Status != health.OK {
			bad = append(bad, l)
		}
	}
	if len(m.snap.Report.Layers) == 0 {
		return ""
	}
	if len(bad) == 0 {
		return m.theme.Style(theme.Good).Render("all layers ✔")
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Status > bad[j].Status })
	parts := make([]string, 0, len(bad))
	for _, l := range bad {
		parts = append(parts, string(l.Name)+" "+console.Symbol(m.theme, l.Status))
	}
	return strings.Join(parts, "  ")
}

func (m *Model) footer() string {
	if m.help {
		return shell.Footer(m.theme, []key.Binding{m.keys.Back, m.keys.Quit}, m.w)
	}
	var bs []key.Binding
	if p := m.top(); p != nil {
		bs = append(bs, p.ShortHelp()...)
		if c, ok := p.(common.Capturing); ok && c.Capturing() {
			// The page takes every key (q, ?, : and esc type or cancel there): only its own keys apply.
			return shell.Footer(m.theme, bs, m.w)
		}
	}
	if m.actTarget() != "" {
		bs = append(bs, m.keys.Act)
	}
	if s, ok := m.runbookFor(); ok {
		bs = append(bs, key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "runbook "+s.Runbook)))
	}
	if len(m.pages) > 1 {
		bs = append(bs, m.keys.Back)
	}
	if m.opts.Jump != nil {
		bs = append(bs, m.keys.Jump)
	}
	return shell.Footer(m.theme, append(bs, m.keys.Help, m.keys.Quit), m.w)
}

// helpView is the `?` overlay: the page's keys, the shell's, and the extra actions.
func (m *Model) helpView() string {
	var sections []shell.Section
	if p := m.top(); p != nil {
		var bs []key.Binding
		for _, g := range p.FullHelp() {
			bs = append(bs, g...)
		}
		if m.actTarget() != "" {
			bs = append(bs, m.keys.Act)
		}
		if s, ok := m.runbookFor(); ok {
			bs = append(bs, key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "runbook "+s.Runbook)))
		}
		sections = append(sections, shell.Section{Title: p.Title(), Keys: bs})
	}
	everywhere := []key.Binding{m.keys.Help, m.keys.Back, m.keys.Quit, m.keys.ForceQuit}
	if m.opts.Jump != nil {
		everywhere = append(everywhere, m.keys.Jump)
	}
	sections = append(sections, shell.Section{Title: "Everywhere", Keys: everywhere})
	if len(m.opts.Actions) > 0 {
		var bs []key.Binding
		for _, a := range m.opts.Actions {
			bs = append(bs, a.Key)
		}
		title := m.opts.ActionsTitle
		if title == "" {
			title = "Actions"
		}
		sections = append(sections, shell.Section{Title: title, Keys: bs})
	}
	return shell.Help(m.theme, sections, "State reads by symbol as well as colour: ✔ OK  ▲ Degraded  ✖ Down  ? Unknown",
		m.w, m.bodyHeight())
}

// Overall is the overall status shown in the header (for tests and the SSH server's logs).
func (m *Model) Overall() health.Status { return m.snap.Report.Overall }
