// Package uitest drives the console's model in tests the way the program would — messages through
// Update, commands run and their messages fed back — and asserts on the rendered screen rather than on
// the terminal output stream (Bubble Tea v2 writes cell diffs, so text can be split in the stream).
package uitest

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// Driver holds a console model of a given size fed by a hub subscription.
type Driver struct {
	T     testing.TB
	Model *app.Model
	Snaps <-chan watch.Snapshot
}

// New sizes the model and returns a driver.
func New(t testing.TB, m *app.Model, snaps <-chan watch.Snapshot, w, h int) *Driver {
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return &Driver{T: t, Model: m, Snaps: snaps}
}

// Screen is the current screen.
func (d *Driver) Screen() string { return d.Model.Render() }

// Until feeds snapshots to the model until the screen satisfies ok, and returns that screen.
func (d *Driver) Until(timeout time.Duration, what string, ok func(screen string) bool) string {
	d.T.Helper()
	deadline := time.After(timeout)
	for {
		if s := d.Screen(); ok(s) {
			return s
		}
		select {
		case s, open := <-d.Snaps:
			if !open {
				d.T.Fatalf("the hub closed before the screen showed %s:\n%s", what, d.Screen())
			}
			d.Model.Update(common.SnapshotMsg{Snapshot: s})
		case <-deadline:
			d.T.Fatalf("timed out after %s waiting for the screen to show %s:\n%s", timeout, what, d.Screen())
		}
	}
}

// Shows waits until the screen contains every string.
func (d *Driver) Shows(timeout time.Duration, want ...string) string {
	d.T.Helper()
	return d.Until(timeout, strings.Join(want, ", "), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// KeyMsg is the key press a person makes for a key name: "enter", "esc", "backspace", or one character.
func KeyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// Key sends one key press, runs the command it returns (an action, a page push, a quit) and feeds the
// resulting message back; follow-ups such as a flash's expiry timer are not run. It reports whether the
// model asked to quit.
func (d *Driver) Key(k string) (quit bool) {
	d.T.Helper()
	_, cmd := d.Model.Update(KeyMsg(k))
	if cmd == nil {
		return false
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case m := <-done:
		if _, ok := m.(tea.QuitMsg); ok {
			return true
		}
		if m != nil {
			d.Model.Update(m)
		}
	case <-time.After(15 * time.Second):
		d.T.Fatalf("the command of key %q did not return", k)
	}
	return false
}
