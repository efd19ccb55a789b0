package ui_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/ui/console"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
)

// fakeTrail is an audit source whose answer the test changes; reads counts its calls.
type fakeTrail struct {
	mu    sync.Mutex
	trail console.AuditTrail
	err   error
	reads int
}

func (f *fakeTrail) set(tr console.AuditTrail, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trail, f.err = tr, err
}

func (f *fakeTrail) read(context.Context) (console.AuditTrail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.trail, f.err
}

// someEntries are n records, oldest first, a minute apart.
func someEntries(n int) []audit.Entry {
	var out []audit.Entry
	for i := 1; i <= n; i++ {
		e := audit.Entry{Seq: uint64(i), Time: at.Add(time.Duration(i) * time.Minute).Format(audit.TimeFormat), Prev: audit.Genesis,
			Record: audit.Record{Event: audit.ActionDone, User: fmt.Sprintf("user%d", i), Role: "operator",
				Action: "cordon", Target: fmt.Sprintf("node/worker-%d", i)}}
		out = append(out, e)
	}
	out[0].Event, out[0].Reason, out[0].Action, out[0].Target = audit.ActionRefused, "needs operator\x1b[2J", "", ""
	return out
}

// openAudit starts the console on the demo's snapshot with src and types `:audit`.
func openAudit(t *testing.T, src console.AuditSource) *uitest.Driver[*app.Model] {
	t.Helper()
	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: oneShot(demoSnapshot(t)), Audit: src})
	drv := uitest.New(t, m, 80, 24)
	drv.Shows("worst first")
	keys(drv, ":")
	typed(drv, "audit")
	keys(drv, "enter")
	return drv
}

func TestAuditPageListsNewestFirst(t *testing.T) {
	src := &fakeTrail{trail: console.AuditTrail{Entries: someEntries(3), Total: 3}}
	drv := openAudit(t, src.read)
	scr := drv.Shows("Overview › Audit trail", "✔ the chain verifies (3 records)", "3 audit records", "user3")
	uitest.AssertFits(t, scr, 80, 24)
	i3, i2, i1 := strings.Index(scr, "user3"), strings.Index(scr, "user2"), strings.Index(scr, "user1")
	if !(i3 < i2 && i2 < i1) {
		t.Errorf("records not newest first:\n%s", scr)
	}

	// enter opens the newest record's fields; the oldest one's reason is drawn inert.
	keys(drv, "enter")
	drv.Shows("Audit record 3", "node/worker-3", "operator")
	keys(drv, "esc", "G", "enter")
	scr = drv.Shows("Audit record 1", "action_refused")
	if strings.Contains(scr, "\x1b[2J") || !strings.Contains(scr, "needs operator^[[2J") {
		t.Errorf("a record's text must be drawn inert:\n%q", scr)
	}
	keys(drv, "esc")

	// r reads again: a broken chain is said, naming the line.
	src.set(console.AuditTrail{Entries: someEntries(4), Total: 4,
		Broken: &audit.BrokenError{Line: 2, What: audit.Edited, Why: "its hash is not the prev line 3 records"}}, nil)
	keys(drv, "r")
	drv.Shows("✖ the chain breaks at line 2: edited", "4 audit records", "user4")

	src.set(console.AuditTrail{}, errors.New("permission denied"))
	keys(drv, "r")
	drv.Shows("cannot be read: permission denied")
}

func TestAuditNotATargetWithoutSource(t *testing.T) {
	for _, tc := range []struct {
		name  string
		audit console.AuditSource
		want  string
	}{
		{"no source", nil, "no page named “audit”"},
		{"source", (&fakeTrail{}).read, "holds no record yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			openAudit(t, tc.audit).Shows(tc.want)
		})
	}
}

func TestAuditGolden(t *testing.T) {
	src := &fakeTrail{trail: console.AuditTrail{Entries: someEntries(30), Total: 812}}
	out := openAudit(t, src.read).Shows("the newest 30 of 812 audit records")
	uitest.AssertFits(t, out, 80, 24)
	golden.RequireEqual(t, []byte(out))
}

// TestReadAuditTrail reads a real trail written by audit.Log: the newest n records, and a broken chain named.
func TestReadAuditTrail(t *testing.T) {
	path := t.TempDir() + "/audit.jsonl"
	log, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		if err := log.Append(audit.Record{Event: audit.Connect, User: fmt.Sprintf("u%d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = log.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw, []byte(`"u3"`), []byte(`"uX"`), 1)
	for _, tc := range []struct {
		name       string
		data       []byte
		n          int
		users      string
		total      int
		brokenLine int
	}{
		{"all", raw, 500, "u1 u2 u3 u4 u5 u6 u7", 7, 0},
		{"newest", raw, 3, "u5 u6 u7", 7, 0},
		{"one", raw, 1, "u7", 7, 0},
		{"edited", edited, 500, "u1 u2 uX u4 u5 u6 u7", 7, 3},
		{"empty", nil, 500, "", 0, 0},
		{"not a record", append(append([]byte{}, raw...), "junk\n"...), 2, "u7 ", 8, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ui.ReadAuditTrail(context.Background(), bytes.NewReader(tc.data), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, e := range tr.Entries {
				users = append(users, e.User)
			}
			if got := strings.Join(users, " "); got != tc.users || tr.Total != tc.total {
				t.Errorf("users %q total %d, want %q %d", got, tr.Total, tc.users, tc.total)
			}
			line := 0
			if tr.Broken != nil {
				line = tr.Broken.Line
			}
			if line != tc.brokenLine {
				t.Errorf("broken line %d, want %d (%v)", line, tc.brokenLine, tr.Broken)
			}
		})
	}
	// A trail not written yet reads as empty.
	tr, err := ui.AuditFile(t.TempDir()+"/none.jsonl", 10)(context.Background())
	if err != nil || len(tr.Entries) != 0 {
		t.Errorf("missing trail: %v %v", tr, err)
	}
}
