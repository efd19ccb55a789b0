package ui_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// TestPageChangedAndPresence: a console served to several tells the page it shows each time that page
// changes (help included), once per change, and draws the presence line it is sent under the header,
// still fitting the terminal.
func TestPageChangedAndPresence(t *testing.T) {
	var mu sync.Mutex
	var told []string
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Presence: true,
		PageChanged: func(title string) { mu.Lock(); defer mu.Unlock(); told = append(told, title) }})
	drv := uitest.New(t, m, 80, 24)
	drv.Plain = true
	drv.Shows("worst first")
	drv.Send(app.PresenceMsg{Line: "you: victor (viewer) · nobody else is connected"})
	scr := drv.Shows("you: victor (viewer) · nobody else is connected")
	uitest.AssertFits(t, scr, 80, 24)
	drv.Keys("?", "?", ":")
	drv.Type("nodes")
	drv.Keys("enter", "j", "esc")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"Overview", "Help", "Overview", "Nodes", "Overview"}; !slices.Equal(told, want) {
		t.Fatalf("pages told %s, want %s", strings.Join(told, ", "), strings.Join(want, ", "))
	}
}
