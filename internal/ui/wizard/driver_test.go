package wizard

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// driver runs the wizard the way a tea.Program does — each command in its own goroutine, batches and
// sequences expanded, their messages fed back through Update on the test's goroutine — and asserts on
// the rendered screen (uitest's approach; uitest.Driver itself is bound to the console's shell).
type driver struct {
	t    testing.TB
	m    *Model
	msgs chan tea.Msg
	quit bool
	// quiet keeps the screen out of failure messages: a key ceremony's screen holds a secret.
	quiet bool
}

func newDriver(t testing.TB, m *Model, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 4096)}
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(m.Init())
	return d
}

var cmdType = reflect.TypeOf((tea.Cmd)(nil))

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { d.deliver(cmd()) }()
}

// deliver routes a command's message: batches run concurrently, sequences in order, the rest to Update.
func (d *driver) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType { // tea.Sequence
		for i := range v.Len() {
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				d.deliver(c())
			}
		}
		return
	}
	d.msgs <- msg
}

// pump handles one message, waiting at most timeout; false when none came.
func (d *driver) pump(timeout time.Duration) bool {
	select {
	case msg := <-d.msgs:
		if _, ok := msg.(tea.QuitMsg); ok {
			d.quit = true
			return true
		}
		_, cmd := d.m.Update(msg)
		d.run(cmd)
		return true
	case <-time.After(timeout):
		return false
	}
}

// screen is the current screen without styles.
func (d *driver) screen() string { return ansi.Strip(d.m.Render()) }

// shown is the screen for a failure message, unless the driver is quiet.
func (d *driver) shown() string {
	if d.quiet {
		return "(screen not shown: it may hold a secret)"
	}
	return d.screen()
}

// until pumps messages until the screen satisfies ok.
func (d *driver) until(timeout time.Duration, what string, ok func(string) bool) string {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if s := d.screen(); ok(s) {
			return s
		}
		left := time.Until(deadline)
		if left <= 0 {
			d.t.Fatalf("timed out after %s waiting for the screen to show %s:\n%s", timeout, what, d.shown())
		}
		d.pump(min(left, 50*time.Millisecond))
	}
}

// shows waits until the screen holds every string.
func (d *driver) shows(want ...string) string {
	d.t.Helper()
	return d.until(20*time.Second, strings.Join(want, ", "), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// settle pumps what is ready now: until no message comes for a moment, at most half a second (the
// spinner and the inventory refresh tick on).
func (d *driver) settle() {
	end := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(end) && d.pump(30*time.Millisecond) {
	}
}

// key presses one key and lets its consequences settle.
func (d *driver) key(k string) {
	d.t.Helper()
	_, cmd := d.m.Update(keyMsg(k))
	d.run(cmd)
	d.settle()
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
	_, cmd := d.m.Update(tea.PasteMsg{Content: s})
	d.run(cmd)
	d.settle()
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
	deadline := time.Now().Add(10 * time.Second)
	for !d.quit {
		if time.Now().After(deadline) {
			d.t.Fatalf("the wizard did not quit:\n%s", d.shown())
		}
		d.pump(50 * time.Millisecond)
	}
}

// keyMsg is the key press a person makes for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	return uitest.KeyMsg(k)
}

// assertFits checks the screen is exactly w×h cells.
func assertFits(t testing.TB, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines for a terminal of %d:\n%s", len(lines), h, out)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Fatalf("line %d is %d cells wide, terminal is %d: %q", i, lw, w, l)
		}
	}
}
