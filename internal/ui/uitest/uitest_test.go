package uitest

import (
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func TestAllParked(t *testing.T) {
	const ours = "created by example.com/internal/ui/uitest.(*runner).run in goroutine 1\n\t/src/runner.go:27 +0x5c"
	g := func(state, created string) string {
		return "goroutine 9 [" + state + "]:\nexample.com/x.f()\n\t/src/x.go:1 +0x1\n" + created
	}
	tests := []struct {
		name string
		dump []string
		want bool
	}{
		{"none of ours", []string{g("running", "created by main.main")}, true},
		{"ours on a channel", []string{g("chan receive", ours)}, true},
		{"ours on a timer for minutes", []string{g("chan receive, 3 minutes", ours)}, true},
		{"ours in a select", []string{g("select", ours)}, true},
		{"ours running", []string{g("running", ours)}, false},
		{"ours runnable", []string{g("runnable", ours)}, false},
		{"ours in a system call", []string{g("syscall", ours)}, false},
		{"ours on a lock", []string{g("sync.Mutex.Lock", ours)}, false},
		{"one of two working", []string{g("select", ours), g("IO wait", ours)}, false},
		{"another goroutine working", []string{g("select", ours), g("running", "created by main.main")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dump := ""
			for i, s := range tc.dump {
				if i > 0 {
					dump += "\n\n"
				}
				dump += s
			}
			if got := allParked(dump, startFrame); got != tc.want {
				t.Fatalf("allParked = %v, want %v", got, tc.want)
			}
		})
	}
}

// chainMsg asks for another link of a chain of instant commands; tickMsg is a background tick.
type (
	chainMsg  struct{ left int }
	tickMsg   struct{}
	workedMsg struct{}
)

// toy counts the links of its chains; a key starts a chain of three instant commands and an hour-long
// tick, "w" starts work that only the test's release ends (held by the model's Idle).
type toy struct {
	links   int
	ticks   int
	working bool
	started chan struct{}
	release chan struct{}
}

func (m *toy) Init() tea.Cmd { return nil }

func (m *toy) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q":
			return m, tea.Quit
		case "w":
			m.working = true
			started, release := m.started, m.release
			return m, func() tea.Msg { close(started); <-release; return workedMsg{} }
		}
		return m, tea.Batch(
			func() tea.Msg { return chainMsg{left: 2} },
			tea.Tick(time.Hour, func(time.Time) tea.Msg { return tickMsg{} }))
	case chainMsg:
		m.links++
		if msg.left == 0 {
			return m, nil
		}
		return m, tea.Sequence(func() tea.Msg { return chainMsg{left: msg.left - 1} })
	case tickMsg:
		m.ticks++
	case workedMsg:
		m.working = false
	}
	return m, nil
}

func (m *toy) Render() string {
	return "links " + strconv.Itoa(m.links) + " ticks " + strconv.Itoa(m.ticks) + " working " + strconv.FormatBool(m.working)
}

func (m *toy) Idle() bool { return !m.working }

func TestDriverSettlesOnState(t *testing.T) {
	m := &toy{started: make(chan struct{}), release: make(chan struct{})}
	d := New(t, m, 80, 24)
	d.Deadline = 10 * time.Second
	d.Key("x")
	if got := d.Screen(); got != "links 3 ticks 0 working false" {
		t.Fatalf("after one key, the chain must be done and the tick still pending: %q", got)
	}
	d.Keys("x", "x")
	if m.links != 9 {
		t.Fatalf("%d links after three keys, want 9", m.links)
	}

	// Work the model holds as in flight: a key waits for it, though its command is parked meanwhile.
	go func() {
		<-m.started
		close(m.release)
	}()
	d.Key("w")
	if m.working {
		t.Fatal("Key returned while the model said its work was in flight")
	}

	d.Shows("links 9")
	if !d.Key("q") || !d.Quit() {
		t.Fatal("q must quit")
	}
}

func TestDrainWaitsOnlyForCommands(t *testing.T) {
	m := &toy{started: make(chan struct{}), release: make(chan struct{})}
	d := New(t, m, 80, 24)
	d.Post(KeyMsg("w"))
	d.Drain() // the work's command parks on the release
	if !m.working {
		t.Fatal("the work must still be in flight")
	}
	close(m.release)
	d.Settle()
	if m.working {
		t.Fatal("Settle must wait for the work the model holds")
	}
}

func TestKeyMsg(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"enter", "enter"}, {"esc", "esc"}, {"backspace", "backspace"}, {"tab", "tab"},
		{"shift+tab", "shift+tab"}, {"space", "space"}, {"up", "up"}, {"left", "left"},
		{"ctrl+c", "ctrl+c"}, {"ctrl+u", "ctrl+u"}, {"j", "j"}, {"é", "é"},
	}
	for _, tc := range tests {
		if got := KeyMsg(tc.name).String(); got != tc.want {
			t.Errorf("KeyMsg(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func (m *toy) View() tea.View { return tea.NewView(m.Render()) }
