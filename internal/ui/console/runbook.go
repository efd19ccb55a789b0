package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/lineinput"
	"github.com/clubcedille/cedille-tui/internal/ui/components/scroll"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
)

// Recovery starts runbooks as this console's person: locally the kubeconfig's user, over SSH the
// session's (runbooks.Recovery). Start does I/O: the page calls it from a command.
type Recovery interface {
	// Start begins — or resumes — the runbook named on t (takeOver: an admin's, of another's run).
	Start(ctx context.Context, name string, t runbook.Target, takeOver bool) (*runbook.Session, error)
	// Destructive tells whether an action wants its object's name typed.
	Destructive(action string) bool
	// Has tells whether a runbook of that name exists here (a hint may name one not built yet).
	Has(name string) bool
}

// Timeouts of the runbook page's calls (a postcheck has its own).
const (
	rbCallTimeout = time.Minute
)

// rbInput is what the page's line editor reads.
type rbInput int

const (
	rbNoInput rbInput = iota
	rbTypedName
	rbSkipReason
	rbAbortReason
)

// RunbookPage runs one runbook on one object, step by step: every step listed with what came of it, the
// current one explained, enter doing it — a precheck read, a manual step ticked, an action previewed
// (its dry run shown) then done (a destructive one once its object's name is typed), a postcheck waited
// for with its progress line. s leaves an action's object alone and x aborts the run, each with a reason.
// The run is the engine's (internal/runbook): locked, resumable, every step in the audit trail.
type RunbookPage struct {
	theme  theme.Theme
	rec    Recovery
	name   string
	target runbook.Target
	sess   *runbook.Session
	// platform is the cluster watched (the snapshot's), named in the title and every confirmation.
	platform string
	view     scroll.Model
	w, h     int
	keys     rbKeys

	busy     string // what runs now ("" for nothing)
	said     []string
	problem  string
	preview  *actions.Preview
	input    lineinput.Model
	entering rbInput
	progress chan tea.Msg // the postcheck's readings while it waits
}

type rbKeys struct{ do, skip, abort, send, cancel key.Binding }

// NewRunbookPage builds the page; Init starts (or resumes) the run.
func NewRunbookPage(t theme.Theme, rec Recovery, name string, target runbook.Target) *RunbookPage {
	return &RunbookPage{theme: t, rec: rec, name: name, target: target, view: scroll.New(), keys: rbKeys{
		do:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "do this step")),
		skip:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "leave this object alone")),
		abort:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "abort the run")),
		send:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}, busy: "Starting the run…"}
}

func (p *RunbookPage) Title() string { return "Runbook " + p.name }

// Capturing holds every key while a name or a reason is typed, and while a call runs (its answer ends it).
func (p *RunbookPage) Capturing() bool { return p.entering != rbNoInput }

// Target is the object the run is aimed at (the actions key stays available on it).
func (p *RunbookPage) Target() (string, bool) { return p.target.String(), !p.target.IsZero() }

func (p *RunbookPage) SetSize(w, h int) {
	p.w, p.h = w, h
	p.layout()
}

// Messages of the page's calls.
type (
	rbStartedMsg struct {
		page *RunbookPage
		sess *runbook.Session
		err  error
	}
	rbDoneMsg struct {
		page    *RunbookPage
		said    []string
		preview *actions.Preview
		err     error
	}
	rbProgressMsg struct {
		page *RunbookPage
		line string
	}
)

func (p *RunbookPage) Init() tea.Cmd {
	rec, name, t := p.rec, p.name, p.target
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), rbCallTimeout)
		defer cancel()
		s, err := rec.Start(ctx, name, t, false)
		return rbStartedMsg{page: p, sess: s, err: err}
	}
}

func (p *RunbookPage) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.ThemeMsg:
		p.theme = msg.Theme
	case common.SnapshotMsg:
		p.platform = msg.Snapshot.Platform
	case rbStartedMsg:
		if msg.page != p {
			return p, nil
		}
		p.busy, p.sess = "", msg.sess
		if msg.err != nil {
			p.problem = common.Inert(msg.err.Error())
		} else {
			p.target = msg.sess.Target() // a runbook about the whole platform is aimed at nothing
			r := msg.sess.Run()
			p.said = []string{fmt.Sprintf("Run %s, started by %s at %s UTC.", r.ID, r.Owner, r.Started.UTC().Format("15:04"))}
		}
	case rbDoneMsg:
		if msg.page != p {
			return p, nil
		}
		p.busy, p.progress = "", nil
		p.said, p.preview, p.problem = msg.said, msg.preview, ""
		if msg.err != nil {
			p.problem = common.Inert(msg.err.Error())
		}
		if p.preview != nil && p.rec.Destructive(p.preview.Action) {
			p.entering, p.input = rbTypedName, lineinput.New()
			// The preview, and the name it asks for, end the page: shown with the prompt, not below the fold.
			p.layout()
			p.view.GotoBottom()
			return p, nil
		}
	case rbProgressMsg:
		if msg.page != p || p.progress == nil {
			return p, nil
		}
		p.said = []string{"… " + msg.line}
		p.layout()
		return p, listen(p.progress)
	case tea.PasteMsg:
		if p.entering != rbNoInput {
			p.input, _ = p.input.Update(msg)
		}
	case tea.KeyPressMsg:
		cmd := p.key(msg)
		p.layout()
		return p, cmd
	}
	p.layout()
	return p, nil
}

func (p *RunbookPage) key(k tea.KeyPressMsg) tea.Cmd {
	if p.entering != rbNoInput {
		return p.inputKey(k)
	}
	if p.busy != "" || p.sess == nil {
		var cmd tea.Cmd
		p.view, cmd = p.view.Update(k)
		return cmd
	}
	st, running := p.sess.Current()
	switch {
	case key.Matches(k, p.keys.do) && running:
		return p.do(st)
	case key.Matches(k, p.keys.skip) && running && st.Kind == runbook.Action && p.preview != nil:
		p.entering, p.input, p.problem = rbSkipReason, lineinput.New(), ""
	case key.Matches(k, p.keys.abort) && running:
		p.entering, p.input, p.problem = rbAbortReason, lineinput.New(), ""
	default:
		var cmd tea.Cmd
		p.view, cmd = p.view.Update(k)
		return cmd
	}
	return nil
}

// call runs f in a command; what it says, its preview and its error come back as an rbDoneMsg.
func (p *RunbookPage) call(busy string, f func(ctx context.Context) ([]string, *actions.Preview, error)) tea.Cmd {
	p.busy, p.problem = busy, ""
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), rbCallTimeout)
		defer cancel()
		said, pv, err := f(ctx)
		return rbDoneMsg{page: p, said: said, preview: pv, err: err}
	}
}

// do does the current step, or, for an action, previews its next object (enter again does it).
func (p *RunbookPage) do(st runbook.Step) tea.Cmd {
	s := p.sess
	switch st.Kind {
	case runbook.Precheck:
		return p.call("Checking…", func(ctx context.Context) ([]string, *actions.Preview, error) {
			v, err := s.Check(ctx)
			if err != nil {
				return nil, nil, err
			}
			mark := "✔ "
			if !v.Applies {
				mark = "— "
			}
			return append([]string{mark + v.Why}, v.Details...), nil, nil
		})
	case runbook.Manual:
		return p.call("Recording…", func(context.Context) ([]string, *actions.Preview, error) {
			return []string{"✔ " + st.Title + ": done"}, nil, s.Tick("")
		})
	case runbook.Action:
		if p.preview != nil && !p.rec.Destructive(p.preview.Action) {
			return p.act(actions.Confirmation{Expect: p.preview.Expect})
		}
		return p.call("Asking the API server for a dry run…", func(ctx context.Context) ([]string, *actions.Preview, error) {
			next, err := nextObject(ctx, s)
			if err != nil || next == nil {
				return nil, nil, err
			}
			pv, err := s.Preview(ctx, *next)
			if err != nil {
				return nil, nil, err
			}
			return nil, &pv, nil
		})
	case runbook.Postcheck:
		p.busy, p.problem, p.said = "Waiting…", "", nil
		ch := make(chan tea.Msg, 1)
		p.progress = ch
		go func() {
			err := s.Wait(context.Background(), func(pr runbook.Progress) {
				select {
				case ch <- rbProgressMsg{page: p, line: pr.Line}:
				default: // the screen has not taken the last one yet: this one is skipped
				}
			})
			said := []string{"✔ " + st.Title}
			if err != nil {
				said = nil
			}
			done := rbDoneMsg{page: p, said: said, err: err}
			for { // never blocks: a reading not taken yet (the page may be closed) gives way to the end
				select {
				case ch <- done:
					return
				default:
					select {
					case <-ch:
					default:
					}
				}
			}
		}()
		return listen(ch)
	}
	return nil
}

// listen takes the postcheck's next message.
func listen(ch chan tea.Msg) tea.Cmd { return func() tea.Msg { return <-ch } }

// nextObject is the current action step's first object neither done nor left alone.
func nextObject(ctx context.Context, s *runbook.Session) (*actions.Target, error) {
	objs, err := s.Objects(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if !o.Done && o.Skipped == "" {
			t, err := runbook.ParseObject(o.Object)
			return &t, err
		}
	}
	return nil, nil
}

// act does the previewed action as confirmed; a stale preview is said and previewed again.
func (p *RunbookPage) act(c actions.Confirmation) tea.Cmd {
	s, pv := p.sess, *p.preview
	return p.call("Running "+pv.Action+"…", func(ctx context.Context) ([]string, *actions.Preview, error) {
		res, err := s.Act(ctx, pv.Target, c)
		if errors.Is(err, actions.ErrChanged) {
			again, perr := s.Preview(ctx, pv.Target)
			if perr != nil {
				return nil, nil, errors.Join(err, perr)
			}
			return []string{"✖ " + err.Error(), "Here it is again, as it is now:"}, &again, nil
		}
		if err != nil {
			return nil, &pv, err
		}
		return []string{fmt.Sprintf("✔ %s %s: done (as %s)", res.Action, res.Target, res.As)}, nil, nil
	})
}

// inputKey edits the typed name or a reason; enter sends it, esc closes the editor.
func (p *RunbookPage) inputKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, p.keys.cancel):
		p.entering, p.input = rbNoInput, lineinput.Model{}
		return nil
	case key.Matches(k, p.keys.send):
		text := strings.TrimSpace(p.input.Value())
		what := p.entering
		switch {
		case text == "":
			p.problem = "nothing typed: type it, or esc"
			return nil
		case what == rbTypedName && text != p.preview.Target.Name:
			p.problem = "that is not its name: type " + common.Inert(p.preview.Target.Name) + " exactly, or esc"
			return nil
		}
		p.entering, p.input = rbNoInput, lineinput.Model{}
		s := p.sess
		switch what {
		case rbTypedName:
			return p.act(actions.Confirmation{Typed: text, Expect: p.preview.Expect})
		case rbSkipReason:
			t := p.preview.Target
			return p.call("Recording…", func(context.Context) ([]string, *actions.Preview, error) {
				return []string{"— " + t.String() + " left alone: " + text}, nil, s.Skip(t, text)
			})
		case rbAbortReason:
			return p.call("Aborting…", func(context.Context) ([]string, *actions.Preview, error) {
				return nil, nil, s.Abort(text)
			})
		}
		return nil
	}
	p.problem = ""
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	return cmd
}

// layout rebuilds the text: the run, its steps, what the current one says.
func (p *RunbookPage) layout() {
	rows := p.h
	if p.entering != rbNoInput {
		rows = max(p.h-2, 0)
	}
	p.view.SetSize(p.w, rows)
	p.view.SetLines(p.lines())
}

func (p *RunbookPage) lines() []string {
	t, w := p.theme, max(p.w, 1)
	var out []string
	add := func(style func(...string) string, text string) {
		for _, l := range common.Wrap(common.Inert(text), w) {
			out = append(out, style(l))
		}
	}
	plain := func(s ...string) string { return strings.Join(s, "") }
	aim := ""
	if !p.target.IsZero() {
		aim = " · on " + p.target.String()
	}
	if p.sess == nil {
		add(t.Title.Render, "Runbook "+p.name+aim+onPlatform(p.platform))
		out = append(out, "")
		if p.busy != "" {
			add(t.Subtle.Render, p.busy)
		}
		if p.problem != "" {
			add(t.Error.Render, "✖ "+p.problem)
		}
		return out
	}
	rb, r := p.sess.Runbook(), p.sess.Run()
	add(t.Title.Render, rb.Name+" — "+rb.Title+aim+onPlatform(p.platform))
	state := "run " + r.ID + " by " + r.Owner
	if r.IsEnded() {
		state += " · ended: " + r.Outcome
	}
	add(t.Subtle.Render, state)
	out = append(out, "")
	cur := r.Cursor()
	for i, st := range rb.Steps {
		mark, style := "·", t.Subtle.Render
		switch {
		case r.Steps[i].Done:
			mark, style = "✔", t.Style(theme.Good).Render
		case i == cur && !r.IsEnded():
			mark, style = "▸", t.Title.Render
		}
		line := fmt.Sprintf("%s %d. (%s) %s", mark, i+1, st.Kind, st.Title)
		if r.Steps[i].Summary != "" {
			line += " — " + r.Steps[i].Summary
		}
		add(style, line)
	}
	out = append(out, "")
	if st, ok := p.sess.Current(); ok && p.busy == "" {
		switch st.Kind {
		case runbook.Manual:
			for _, l := range st.Instructions(p.target, r.Earlier) {
				add(plain, "  "+l)
			}
			add(t.Subtle.Render, "enter once it is done.")
		case runbook.Precheck:
			add(t.Subtle.Render, "enter reads it (nothing changes).")
		case runbook.Postcheck:
			add(t.Subtle.Render, fmt.Sprintf("enter waits for it (up to %s).", st.Timeout))
		case runbook.Action:
			if p.preview == nil {
				add(t.Subtle.Render, "enter shows what "+st.Do+" would change on the next object (a dry run: nothing changes yet).")
			}
		}
	}
	for _, l := range p.said {
		add(plain, l)
	}
	if p.preview != nil {
		for _, l := range strings.Split(strings.TrimRight(p.preview.String(), "\n"), "\n") {
			add(plain, l)
		}
		switch {
		case p.rec.Destructive(p.preview.Action):
			add(t.Subtle.Render, p.preview.Action+" cannot be undone"+onPlatform(p.platform)+": type "+p.preview.Target.Name+" and enter; s leaves it alone; esc, then x, aborts.")
		default:
			add(t.Subtle.Render, "enter runs "+p.preview.Action+" as shown; s leaves it alone.")
		}
	}
	if p.busy != "" {
		add(t.Subtle.Render, p.busy)
	}
	if p.problem != "" {
		add(t.Error.Render, "✖ "+p.problem)
	}
	if r.Report != "" {
		add(plain, "Incident report: "+r.Report)
	}
	return out
}

func (p *RunbookPage) View() string {
	if p.entering == rbNoInput {
		return withEditor(p.theme, p.view.View(), nil, p.w, p.h)
	}
	label := map[rbInput]string{rbTypedName: "name ", rbSkipReason: "why left alone ", rbAbortReason: "why aborted "}[p.entering]
	return withEditor(p.theme, p.view.View(), &editor{label: label, hint: "enter sends · esc cancels", input: p.input,
		problem: p.problem}, p.w, p.h)
}

func (p *RunbookPage) ShortHelp() []key.Binding {
	switch {
	case p.entering != rbNoInput:
		return []key.Binding{p.keys.send, p.keys.cancel}
	case p.busy != "" || p.sess == nil:
		return p.view.ShortHelp()
	}
	st, running := p.sess.Current()
	if !running {
		return p.view.ShortHelp()
	}
	bs := []key.Binding{p.keys.do}
	if st.Kind == runbook.Action && p.preview != nil {
		bs = append(bs, p.keys.skip)
	}
	return append(append(bs, p.keys.abort), p.view.ShortHelp()...)
}

func (p *RunbookPage) FullHelp() [][]key.Binding {
	return [][]key.Binding{{p.keys.do, p.keys.skip, p.keys.abort}, p.view.ShortHelp()}
}

// SetPlatform names the cluster the run is on before the page's first snapshot arrives.
func (p *RunbookPage) SetPlatform(name string) { p.platform = name }
