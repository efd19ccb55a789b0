package wizard

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// driver runs the wizard through uitest.Driver — each command in its own goroutine, their messages fed
// back through Update — and asserts on the screen without styles. Every input settles on the wizard's
// Idle (nothing loading, checking, running or awaited) rather than on a clock.
type driver struct {
	t  testing.TB
	m  *Model
	ui *uitest.Driver[*Model]
	// quit is whether the wizard asked to quit.
	quit bool
	// quiet keeps the screen out of failure messages: a key ceremony's screen holds a secret.
	quiet bool
}

func newDriver(t testing.TB, m *Model, w, h int) *driver {
	t.Helper()
	t.Cleanup(m.Close)
	ui := uitest.New(t, m, w, h)
	ui.Plain = true
	return &driver{t: t, m: m, ui: ui}
}

// do runs an operation of the generic driver with this driver's settings, and notes a quit.
func (d *driver) do(f func()) {
	d.t.Helper()
	d.ui.Quiet = d.quiet
	f()
	d.quit = d.ui.Quit()
}

// deliver routes a command's message as the program would.
func (d *driver) deliver(msg tea.Msg) { d.ui.Deliver(msg) }

// screen is the current screen without styles.
func (d *driver) screen() string { return d.ui.Screen() }

// shown is the screen for a failure message, unless the driver is quiet.
func (d *driver) shown() string {
	if d.quiet {
		return "(screen not shown: it may hold a secret)"
	}
	return d.screen()
}

// until pumps messages until the screen satisfies ok; timeout only guards against a hang.
func (d *driver) until(timeout time.Duration, what string, ok func(string) bool) string {
	d.t.Helper()
	var s string
	d.ui.Deadline = timeout
	defer func() { d.ui.Deadline = 0 }()
	d.do(func() { s = d.ui.Until(what, ok) })
	return s
}

// shows waits until the screen holds every string.
func (d *driver) shows(want ...string) string {
	d.t.Helper()
	var s string
	d.do(func() { s = d.ui.Shows(want...) })
	return s
}

// settle pumps until the wizard is idle.
func (d *driver) settle() {
	d.t.Helper()
	d.do(d.ui.Settle)
}

// key presses one key and lets its consequences settle.
func (d *driver) key(k string) {
	d.t.Helper()
	d.do(func() { d.ui.Key(k) })
}

// press presses one key while a step is held running on purpose: it waits for the key's commands to
// park, not for the wizard to be idle.
func (d *driver) press(k string) {
	d.t.Helper()
	d.do(func() {
		d.ui.Post(keyMsg(k))
		d.ui.Drain()
	})
}

func (d *driver) keys(ks ...string) {
	d.t.Helper()
	for _, k := range ks {
		d.key(k)
	}
}

// paste pastes s (a bracketed paste) and lets its consequences settle.
func (d *driver) paste(s string) {
	d.t.Helper()
	d.do(func() { d.ui.Paste(s) })
}

// typed types s, one key per character.
func (d *driver) typed(s string) {
	d.t.Helper()
	for _, r := range s {
		d.key(string(r))
	}
}

// waitQuit waits for the model to quit.
func (d *driver) waitQuit() {
	d.t.Helper()
	d.do(d.ui.WaitQuit)
}

// keyMsg is the key press a person makes for a key name.
func keyMsg(k string) tea.KeyPressMsg { return uitest.KeyMsg(k) }

// assertFits checks the screen is exactly w×h cells.
var assertFits = uitest.AssertFits
