package serve

import (
	"context"
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/runbooks"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// noSuspend turns ctrl+z into nothing: suspending would stop the server's program, not the client's.
func noSuspend(_ tea.Model, msg tea.Msg) tea.Msg {
	if _, ok := msg.(tea.SuspendMsg); ok {
		return tea.ResumeMsg{}
	}
	return msg
}

// maxFPS caps a session's redraws per second.
const maxFPS = 4

// maxSide bounds a terminal's width and height as a client reports them (a window-change carries raw
// 32-bit numbers): past it the console draws as if it were that large.
const maxSide = 1000

// clampSize is a reported terminal size made safe to draw into: 0 stays 0 (the console says it is too
// small), more than maxSide is maxSide.
func clampSize(w, h int) (int, int) {
	return min(max(w, 0), maxSide), min(max(h, 0), maxSide)
}

// Services are what a served console may do besides watching: run actions, read the audit trail, take
// part in Vault ceremonies. Each is optional.
type Services struct {
	// Actions run through the process's one dispatcher as the session's user, with the role the access
	// file gives them at each action (nil: no actions).
	Actions *actions.Dispatcher
	// AuditTrail is the trail's path, for the `:audit` page of admins ("" for none). The page exists for
	// a session whose role is admin when it starts, and each read checks the role again: a session
	// lowered since reads nothing more.
	AuditTrail string
	// Ceremonies is the process's one ceremony board, for the `:ceremony` page and the notice every
	// session shows while one is open (nil: none).
	Ceremonies *ceremony.Board
	// Runbooks is the process's runbook engine: with Actions, r on an object a finding names a runbook
	// for runs it as the session's user (its locks keep two people off one object). RunbookWorld is
	// what the runbooks read with (the process's own clients).
	Runbooks     *runbook.Engine
	RunbookWorld runbook.World
}

// ConsoleTerminal serves the console to a session with a terminal: a program of its own, sized to the
// session's terminal and following its window changes, subscribed to the process's one hub (N sessions
// cost the sources what one does), with its actions run through d (nil: none). It ends when the person
// quits or the server ends the session.
func ConsoleTerminal(hub *watch.Hub, d *actions.Dispatcher) func(Session) {
	return ConsoleTerminalWith(hub, Services{Actions: d})
}

// ConsoleTerminalWith is ConsoleTerminal with the services sv.
func ConsoleTerminalWith(hub *watch.Hub, sv Services) func(Session) {
	return func(s Session) {
		ch, unsubscribe := hub.Subscribe()
		defer unsubscribe()
		tm := s.terminal()
		o := s.consoleOptions(ch, tm.env, sv)
		var boardChanged <-chan struct{}
		if sv.Ceremonies != nil {
			o.Ceremonies = sessionCeremonies{s: s, b: sv.Ceremonies}
			c, stop := sv.Ceremonies.Watch()
			defer stop()
			boardChanged = c
		}
		var board func() tea.Msg
		if sv.Ceremonies != nil {
			board = func() tea.Msg { return ceremonyMsg(s, sv.Ceremonies) }
		}
		s.runProgram(ui.NewConsole(o), tm, board, boardChanged)
	}
}

// consoleOptions are the session's console over ch: its actions and runbooks run through sv's as the
// session's user, the audit page for admins. Not its ceremonies.
func (s Session) consoleOptions(ch <-chan watch.Snapshot, env []string, sv Services) ui.ConsoleOptions {
	o := ui.ConsoleOptions{Snapshots: ch, Color: ui.ColorFromEnv(lookup(env)), Dark: true,
		Presence: true, PageChanged: s.SetPage}
	if sv.Actions != nil {
		o.Act = sv.Actions.Bind(s.Actor)
		if sv.Runbooks != nil {
			o.Recovery = runbooks.Recovery{Engine: sv.Runbooks, Dispatcher: sv.Actions, Who: s.Actor, World: sv.RunbookWorld}
		}
	}
	if sv.AuditTrail != "" {
		o.Audit = adminAudit(s.Current, ui.AuditFile(sv.AuditTrail, ui.AuditShown))
	}
	return o
}

// term is a session's terminal as a program runs on it: its size and type read once, its window
// changes, and the environment the program sees.
type term struct {
	pty   ssh.Pty
	winCh <-chan ssh.Window
	env   []string
}

// terminal reads the session's terminal once, before any window change can reach it (forwarding.go).
func (s Session) terminal() term {
	pty, _, _ := s.SSH.Pty()
	return term{pty: pty, winCh: s.srv.windows.of(s.SSH.Environ()), env: append(s.SSH.Environ(), "TERM="+pty.Term)}
}

// runProgram runs m on the session's terminal until the person quits or the server ends the session:
// sized to the terminal (read once, in tm) and following its window changes, the presence line sent
// whenever someone connects, leaves or moves, and board's message (nil: none) with it and whenever
// boardChanged ticks.
func (s Session) runProgram(m tea.Model, tm term, board func() tea.Msg, boardChanged <-chan struct{}) {
	pty, env, winCh := tm.pty, tm.env, tm.winCh
	w, h := clampSize(pty.Window.Width, pty.Window.Height)
	// The session's terminal is read once, by the caller: charm.land/ssh writes its size on a window
	// change without a lock, so every later read of Pty() would race with the client resizing.
	opts := []tea.ProgramOption{tea.WithInput(s.SSH), tea.WithOutput(s.SSH), tea.WithEnvironment(env),
		tea.WithColorProfile(colorprofile.Env(env)), tea.WithFilter(noSuspend),
		tea.WithContext(s.Context()), tea.WithoutSignalHandler(), tea.WithWindowSize(w, h)}
	// At most 4 frames a second: a busy platform redraws every session, over every link.
	opts = append(opts, tea.WithFPS(maxFPS))
	p := tea.NewProgram(m, opts...)
	changed, release := s.srv.live.watch()
	defer release()
	go func() { // the presence line follows who connects, leaves and moves; the ceremony, its board
		for {
			p.Send(app.PresenceMsg{Line: presenceLine(s.ID, s.Presence())})
			if board != nil {
				p.Send(board())
			}
			select {
			case <-changed:
			case <-boardChanged:
			case <-s.Context().Done():
				return
			}
		}
	}()
	sizes := make(chan tea.WindowSizeMsg, 1)
	if winCh != nil {
		go s.guard("window changes", func() { latestSize(winCh, sizes) })
		go s.guard("window sizes", func() {
			for msg := range sizes {
				p.Send(msg)
			}
		})
	}
	_, err := p.Run()
	switch {
	case err == nil, errors.Is(err, tea.ErrProgramKilled):
	case errors.Is(err, tea.ErrProgramPanic): // the program caught it (its stack went to the server's stderr)
		s.end(ErrInternal)
	default:
		_, _ = s.SSH.Stderr().Write([]byte("the console stopped: " + err.Error() + "\r\n"))
	}
}

// latestSize passes the window changes on, clamped, keeping only the latest one not yet taken: a flood
// of resizes costs the program one redraw per size it gets to, not one per change. out closes with in.
func latestSize(in <-chan ssh.Window, out chan tea.WindowSizeMsg) {
	defer close(out)
	for win := range in {
		w, h := clampSize(win.Width, win.Height)
		select {
		case <-out: // an older size not taken yet: replaced
		default:
		}
		out <- tea.WindowSizeMsg{Width: w, Height: h}
	}
}

// lookup reads a variable of an environment list (KEY=value), as os.LookupEnv does.
func lookup(env []string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], k+"="); ok {
				return v, true
			}
		}
		return "", false
	}
}

// Actor is who the session's actions act as: its user with the role the access file gives them now (a
// lowered role applies to the next action at once), its key and address; an error once the session has
// ended.
func (s Session) Actor() (actions.Actor, error) {
	u, ok := s.Current()
	if !ok {
		return actions.Actor{}, errors.New("the session has ended")
	}
	a := actions.Actor{Name: u.Name, Role: u.Role, Fingerprint: s.Fingerprint, Session: s.ID}
	if s.Remote != nil {
		a.Remote = s.Remote.String()
	}
	return a, nil
}

// adminAudit is read for a session whose current role is admin, nil for anyone else; once the role is
// lowered (the access file changed), each read is refused.
func adminAudit(current func() (access.User, bool), read console.AuditSource) console.AuditSource {
	if u, ok := current(); !ok || u.Role != access.Admin {
		return nil
	}
	return func(ctx context.Context) (console.AuditTrail, error) {
		if u, ok := current(); !ok || u.Role != access.Admin {
			return console.AuditTrail{}, errors.New("the audit trail is for admins only")
		}
		return read(ctx)
	}
}
