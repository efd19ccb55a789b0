// Package uitest drives a Bubble Tea model in tests the way a tea.Program does — each command in its own
// goroutine, batches and sequences expanded, their messages fed back through Update on the test's
// goroutine — and asserts on the rendered screen rather than on the terminal output stream (Bubble Tea
// v2 writes cell diffs, so text can be split in the stream).
//
// Waits are on state, never on a clock: Until pumps messages until the screen satisfies a predicate,
// and every input (Key, Paste, Send) settles — it pumps until the driver is idle — before the next.
// Idle means the model says nothing is in flight (when it implements Idler), no message waits to be
// handled, and every command still running is parked on a channel or a timer: waiting for a tick, a
// stream or the operator, not working. A deadline only guards against a test that would hang.
package uitest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Model is what the driver drives: a model updated in place (a pointer) that renders its screen.
type Model interface {
	Init() tea.Cmd
	Update(tea.Msg) (tea.Model, tea.Cmd)
	Render() string
}

// Idler is a model that tells whether work it started (a load, a check, a run) is still in flight.
// Background ticks are not work: a model waiting only on them, or on the operator, is idle.
type Idler interface {
	Idle() bool
}

// DefaultDeadline is how long a wait may last before the test fails: a guard, not a pace.
const DefaultDeadline = 30 * time.Second

// Driver holds a model of a given size and runs its commands.
type Driver[M Model] struct {
	T     testing.TB
	Model M
	// Plain strips styles from the screen that Screen returns and predicates see.
	Plain bool
	// Quiet keeps the screen out of failure messages: a screen may hold a secret.
	Quiet bool
	// Deadline bounds every wait (DefaultDeadline when zero).
	Deadline time.Duration

	cmds *runner
	quit bool
}

// New sizes the model, runs its Init command and returns a driver; it settles nothing yet.
func New[M Model](t testing.TB, m M, w, h int) *Driver[M] {
	t.Helper()
	d := &Driver[M]{T: t, Model: m, cmds: newRunner()}
	d.update(tea.WindowSizeMsg{Width: w, Height: h})
	d.cmds.run(m.Init())
	return d
}

// Screen is the current screen (without styles when Plain is set).
func (d *Driver[M]) Screen() string {
	s := d.Model.Render()
	if d.Plain {
		s = ansi.Strip(s)
	}
	return s
}

// Quit tells whether the model asked to quit.
func (d *Driver[M]) Quit() bool { return d.quit }

func (d *Driver[M]) update(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return
	}
	_, cmd := d.Model.Update(msg)
	d.cmds.run(cmd)
}

// handleReady handles the messages already waiting, without blocking; false when there were none.
func (d *Driver[M]) handleReady() bool {
	handled := false
	for {
		select {
		case msg := <-d.cmds.msgs:
			d.update(msg)
			handled = true
		default:
			return handled
		}
	}
}

// Idle tells whether nothing is in flight: the model is idle (when it says), no message waits, and
// every running command is parked.
func (d *Driver[M]) Idle() bool {
	if i, ok := any(d.Model).(Idler); ok && !i.Idle() {
		return false
	}
	// Parked first: a command that returns queues its message before it stops running.
	return d.cmds.parked() && len(d.cmds.msgs) == 0
}

func (d *Driver[M]) deadline() time.Duration {
	if d.Deadline > 0 {
		return d.Deadline
	}
	return DefaultDeadline
}

func (d *Driver[M]) shown() string {
	if d.Quiet {
		return "(screen not shown: it may hold a secret)"
	}
	return d.Screen()
}

// wait handles messages until ok holds or the model quits. poll re-checks ok when no message comes,
// for conditions that change without one (a command parking).
func (d *Driver[M]) wait(what string, ok func() bool, poll bool) {
	d.T.Helper()
	guard := time.NewTimer(d.deadline())
	defer guard.Stop()
	var tick <-chan time.Time
	if poll {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	for {
		d.handleReady()
		if d.quit || ok() {
			return
		}
		select {
		case msg := <-d.cmds.msgs:
			d.update(msg)
		case <-d.cmds.done:
		case <-tick:
		case <-guard.C:
			d.T.Fatalf("waited %s for %s:\n%s", d.deadline(), what, d.shown())
		}
	}
}

// Until pumps messages until the screen satisfies ok, and returns that screen.
func (d *Driver[M]) Until(what string, ok func(screen string) bool) string {
	d.T.Helper()
	var s string
	d.wait("the screen to show "+what, func() bool { s = d.Screen(); return ok(s) }, false)
	if d.quit && !ok(s) {
		d.T.Fatalf("the model quit before the screen showed %s:\n%s", what, d.shown())
	}
	return s
}

// Shows waits until the screen holds every string, and returns it.
func (d *Driver[M]) Shows(want ...string) string {
	d.T.Helper()
	return d.Until(strings.Join(want, ", "), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// Settle pumps until the driver is idle (or the model quit).
func (d *Driver[M]) Settle() {
	d.T.Helper()
	d.wait("the model to be idle", d.Idle, true)
}

// Drain pumps until no message waits and every command is parked, whatever the model says: for input
// while work of the model is held on purpose (a step blocked until the test lets it go).
func (d *Driver[M]) Drain() {
	d.T.Helper()
	d.wait("the commands to park", func() bool { return d.cmds.parked() && len(d.cmds.msgs) == 0 }, true)
}

// Post updates the model with msg and runs its command, settling nothing.
func (d *Driver[M]) Post(msg tea.Msg) { d.update(msg) }

// Send updates the model with msg, runs its command and settles.
func (d *Driver[M]) Send(msg tea.Msg) {
	d.T.Helper()
	d.update(msg)
	d.Settle()
}

// Deliver routes a message as a command's result: a batch's commands run, a sequence's in order, any
// other message is queued for Update. For tests that run a command themselves to look at its messages.
func (d *Driver[M]) Deliver(msg tea.Msg) {
	expand(msg, d.cmds.run, func(msg tea.Msg) { d.cmds.msgs <- msg })
}

// Key presses one key (KeyMsg names it) and settles; it reports whether the model asked to quit.
func (d *Driver[M]) Key(k string) (quit bool) {
	d.T.Helper()
	d.Send(KeyMsg(k))
	return d.quit
}

// Keys presses keys in turn.
func (d *Driver[M]) Keys(ks ...string) {
	d.T.Helper()
	for _, k := range ks {
		d.Key(k)
	}
}

// Type types s, one key per character.
func (d *Driver[M]) Type(s string) {
	d.T.Helper()
	for _, r := range s {
		d.Key(string(r))
	}
}

// Paste pastes s (a bracketed paste) and settles.
func (d *Driver[M]) Paste(s string) {
	d.T.Helper()
	d.Send(tea.PasteMsg{Content: s})
}

// WaitQuit pumps until the model asks to quit.
func (d *Driver[M]) WaitQuit() {
	d.T.Helper()
	d.wait("the model to quit", func() bool { return d.quit }, false)
}

// namedKeys are the key presses KeyMsg knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"backspace": {Code: tea.KeyBackspace},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"space":     {Code: tea.KeySpace, Text: " "},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"right":     {Code: tea.KeyRight},
}

// KeyMsg is the key press a person makes for a key name: "enter", "esc", "backspace", "tab",
// "shift+tab", "space", the arrows ("up", "down", "left", "right"), "ctrl+" and a letter, or one
// character.
func KeyMsg(k string) tea.KeyPressMsg {
	if msg, ok := namedKeys[k]; ok {
		return msg
	}
	if l, ok := strings.CutPrefix(k, "ctrl+"); ok && len(l) == 1 {
		return tea.KeyPressMsg{Code: rune(l[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

var cmdType = reflect.TypeOf((tea.Cmd)(nil))

// expand routes a command's message: batches run concurrently, sequences in order, the rest to send.
func expand(msg tea.Msg, run func(tea.Cmd), send func(tea.Msg)) {
	switch msg := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			run(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType { // tea.Sequence
		for i := range v.Len() {
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				expand(c(), run, send)
			}
		}
		return
	}
	send(msg)
}

// AssertFits fails the test unless screen is exactly w×h cells: nothing wraps, nothing is missing.
func AssertFits(t testing.TB, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines for a terminal of %d:\n%s", len(lines), h, screen)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Fatalf("line %d is %d cells wide, terminal is %d: %q", i, lw, w, l)
		}
	}
}
