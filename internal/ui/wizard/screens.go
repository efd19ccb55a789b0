package wizard

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/components/scroll"
)

// The screens every step shares: the checks at start, a step's outcome, its run, the end. A step's own
// screens (its form, the pickers, the review, a question its run asks) are in their files.

// startScreen is the saved install being read, then every Check from the top (or Omni's first read,
// which a form offering its versions waits for).
type startScreen struct {
	*session
	c control
}

func (s *startScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, s.keys.Retry) && s.loadErr != nil {
		return s, s.c.reload()
	}
	return s, nil
}

func (s *startScreen) View() string     { return s.startView() }
func (s *startScreen) SetSize(int, int) {}
func (s *startScreen) Capturing() bool  { return false }
func (s *startScreen) ShortHelp() []key.Binding {
	if s.loadErr != nil {
		return []key.Binding{s.keys.Retry}
	}
	return nil
}

func (s *startScreen) Hint() string {
	switch {
	case s.loadErr != nil:
		return "the saved install could not be read"
	case !s.loaded:
		return "reading the saved install…"
	case s.waitInv:
		return "reading Omni's machines and versions…"
	}
	return "checking every step from the top: the install resumes at the first one not done"
}

// doneScreen is the end: every selected step's outcome holds.
type doneScreen struct {
	*session
	c control
}

func (s *doneScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, s.keys.Enter) {
		return s, s.c.finish(false)
	}
	return s, nil
}

func (s *doneScreen) View() string     { return s.allDoneView() }
func (s *doneScreen) SetSize(int, int) {}
func (s *doneScreen) Capturing() bool  { return false }
func (s *doneScreen) ShortHelp() []key.Binding {
	if s.sv.Plan.Cluster.Kubeconfig != "" {
		return []key.Binding{withHelp(s.keys.Enter, "open the console"), s.keys.Prev}
	}
	return []key.Binding{withHelp(s.keys.Enter, "quit"), s.keys.Prev}
}

func (s *doneScreen) Hint() string {
	if s.o.Only != nil {
		return "every selected step's outcome holds"
	}
	return "every step's outcome holds"
}

// outcomeScreen is a step that is not running: its Check's outcome and what it does (or did), scrolled;
// enter goes on (or runs a step with nothing to ask), e changes its answers, r checks again.
type outcomeScreen struct {
	*session
	c      control
	offset int
}

func newOutcomeScreen(s *session, c control) *outcomeScreen { return &outcomeScreen{session: s, c: c} }

func (s *outcomeScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	st := s.st[s.cur]
	switch {
	case key.Matches(k, s.keys.Up):
		s.offset = max(s.offset-1, 0)
	case key.Matches(k, s.keys.Down):
		s.offset = min(s.offset+1, max(len(s.outcomeLines())-s.paneHeight()+1, 0))
	case key.Matches(k, s.keys.Enter):
		if st.state == steps.Done || st.state == steps.Skipped {
			return s, s.c.next()
		}
		return s, s.c.run()
	case key.Matches(k, s.keys.Edit) && s.editable() && st.state != steps.Skipped:
		return s, s.c.editCur()
	case key.Matches(k, s.keys.Retry) && st.state != steps.Skipped:
		if s.ui(s.cur).Auto {
			return s, s.c.run()
		}
		return s, s.c.next()
	}
	return s, nil
}

func (s *outcomeScreen) View() string {
	t := s.theme
	out := s.outcomeLines()
	if h := s.paneHeight(); len(out) > h {
		off := min(s.offset, len(out)-h+1)
		more := len(out) - h + 1 - off
		tail := t.Subtle.Render(fmt.Sprintf("… %d more lines (↑/↓ scroll)", more))
		if more == 0 {
			tail = t.Subtle.Render("(end; ↑ scrolls back)")
		}
		out = append(out[off:off+h-1:off+h-1], tail)
	}
	return strings.Join(out, "\n")
}

func (s *outcomeScreen) SetSize(int, int) {}
func (s *outcomeScreen) Capturing() bool  { return false }
func (s *outcomeScreen) Hint() string     { return "" }

func (s *outcomeScreen) ShortHelp() []key.Binding {
	k := s.keys
	st := s.st[s.cur]
	bs := []key.Binding{withHelp(k.Enter, "next step")}
	if st.state != steps.Done && st.state != steps.Skipped {
		bs = []key.Binding{withHelp(k.Enter, "run")}
	}
	if s.editable() && st.state != steps.Skipped {
		bs = append(bs, withHelp(k.Edit, "change"))
	}
	if s.ui(s.cur).Auto {
		bs = append(bs, withHelp(k.Retry, "probe again"))
	}
	if len(s.outcomeLines()) > s.paneHeight() {
		bs = append(bs, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")))
	}
	return append(bs, k.Prev, k.Next)
}

// runScreen is a step's run: its progress while it runs, then its outcome above its log. While it runs
// the log scrolls; after, enter goes on, r retries, e edits.
type runScreen struct {
	*session
	c   control
	log scroll.Model
}

func newRunScreen(s *session, c control) *runScreen {
	r := &runScreen{session: s, c: c, log: scroll.New()}
	r.follow()
	return r
}

func (s *runScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	if s.running >= 0 {
		s.log, _ = s.log.Update(k)
		return s, nil
	}
	st := s.st[s.cur]
	switch {
	case st.state == steps.Failed && key.Matches(k, s.keys.Retry):
		return s, s.c.run()
	case st.state == steps.Failed && key.Matches(k, s.keys.Edit) && s.editable():
		return s, s.c.editCur()
	case st.state == steps.Done && key.Matches(k, s.keys.Enter):
		if s.opensConsole() {
			return s, s.c.finish(true)
		}
		return s, s.c.next()
	case st.state == steps.Done && key.Matches(k, s.keys.Retry) && s.ui(s.cur).Auto:
		return s, s.c.run()
	}
	s.log, _ = s.log.Update(k)
	return s, nil
}

func (s *runScreen) View() string {
	head := s.runHeader()
	lg := s.log                                       // sized for this frame; follow keeps the stored one at the end of the log
	lg.SetSize(s.w, max(s.paneHeight()-len(head), 1)) // the screen's width: a wide command row is not cut
	return strings.Join(head, "\n") + "\n" + lg.View()
}

func (s *runScreen) SetSize(int, int) { s.follow() }
func (s *runScreen) Capturing() bool  { return false }

func (s *runScreen) Hint() string {
	if s.running >= 0 {
		return s.o.Steps[s.running].Title() + ": running…"
	}
	return ""
}

func (s *runScreen) ShortHelp() []key.Binding {
	k := s.keys
	if s.running >= 0 {
		return []key.Binding{withHelp(k.Up, "scroll")}
	}
	switch s.st[s.cur].state {
	case steps.Failed:
		bs := []key.Binding{k.Retry}
		if s.editable() {
			bs = append(bs, k.Edit)
		}
		return append(bs, withHelp(k.Up, "scroll"))
	case steps.Done:
		desc := "next step"
		if s.opensConsole() {
			desc = "open the console"
		}
		bs := []key.Binding{withHelp(k.Enter, desc)}
		if s.ui(s.cur).Auto {
			bs = append(bs, withHelp(k.Retry, "probe again"))
		}
		return append(bs, withHelp(k.Up, "scroll"), k.Prev)
	}
	return nil
}

// follow shows the current step's log, scrolled to its end; a finished hand-off's summary reads from its
// beginning.
func (s *runScreen) follow() {
	if s.cur < 0 || s.cur >= len(s.st) {
		return
	}
	lines := s.logLines()
	s.log.SetSize(s.w, max(s.paneHeight()-s.runHeaderHeight(), 1))
	s.log.SetLines(lines)
	s.log.GotoBottom()
	if from := s.ui(s.cur).ReadFrom; from != "" && s.st[s.cur].state == steps.Done {
		if at := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, from) }); at >= 0 {
			s.log.SetOffset(at)
		}
	}
}

var (
	_ Screen = (*startScreen)(nil)
	_ Screen = (*doneScreen)(nil)
	_ Screen = (*outcomeScreen)(nil)
	_ Screen = (*runScreen)(nil)
)
