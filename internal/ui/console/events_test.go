package console

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var evAt = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

func ev(name string, ref watch.ObjectRef, reason string, ago time.Duration, count int32) watch.Event {
	return watch.Event{Namespace: ref.Namespace, Name: name, Object: ref, Reason: reason, Count: count,
		Message: reason + " message\nsecond line", LastSeen: evAt.Add(-ago), FirstSeen: evAt.Add(-time.Hour)}
}

func TestEventRefs(t *testing.T) {
	tests := []struct {
		object string
		want   string
	}{
		{"Node/worker-2", "[Node/worker-2]"},
		{"DiskPool/mayastor/hdd-1", "[DiskPool/mayastor/hdd-1]"},
		{"PVC/apps/data", "[PersistentVolumeClaim/apps/data]"},
		{"VCluster/vcluster-staging/staging", "[StatefulSet/vcluster-staging/staging]"},
		{"Machine/worker-1", "[Node/worker-1]"},
		{"Vault/vault-0", "[Pod/vault/vault-0]"},
		{"VaultCluster/vault", "[StatefulSet/vault/vault]"},
		{"API/kubernetes", "[]"},
		{"CRD/diskpools.openebs.io", "[]"},
		{"nonsense", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(EventRefs(tt.object)); got != tt.want {
			t.Errorf("EventRefs(%q) = %s, want %s", tt.object, got, tt.want)
		}
	}
}

func eventsSnapshot() watch.Snapshot {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-2"}}
	vault0 := watch.ObjectRef{Kind: "Pod", Namespace: "vault", Name: "vault-0"}
	s := watch.Snapshot{At: evAt, Sources: map[platform.Source]watch.SourceState{
		platform.SourceKubernetes: {Configured: true, Synced: true}}}
	s.Nodes = []*corev1.Node{node}
	s.Report = health.NewReport(health.NewLayer(health.LayerSecrets, []health.Finding{
		{Object: "Vault/vault-0", Status: health.Down, Reason: "sealed"}}))
	for i := range 7 {
		s.Events = append(s.Events, ev(fmt.Sprintf("v%d", i), vault0, "Unhealthy", time.Duration(i)*time.Minute, int32(10+i)))
	}
	s.Events = append(s.Events,
		ev("n", watch.ObjectRef{Kind: "Node", Name: "worker-2"}, "NodeNotReady", 8*time.Minute, 1),
		ev("gone", watch.ObjectRef{Kind: "Node", Name: "worker-9"}, "NodeNotReady", 9*time.Minute, 1),
		ev("p", watch.ObjectRef{Kind: "Pod", Namespace: "apps", Name: "web-1"}, "BackOff", 10*time.Minute, 3))
	return s
}

// TestOpenEvent: enter on an event opens the node or the finding it is about, else the event itself.
func TestOpenEvent(t *testing.T) {
	s := eventsSnapshot()
	th := theme.New(false, true)
	byName := map[string]watch.Event{}
	for _, e := range s.Events {
		byName[e.Name] = e
	}
	tests := []struct {
		event string
		title string
		shows string
	}{
		{"n", "worker-2", "Node worker-2"},
		{"v0", "Vault/vault-0", "Recent Warning events"},
		{"gone", "Node/worker-9 NodeNotReady", "Warning NodeNotReady"},
		{"p", "Pod/web-1 BackOff", "Recent Warning events about Pod/apps/web-1"},
	}
	for _, tt := range tests {
		p := OpenEvent(th, byName[tt.event], s, 100, 30)
		if p.Title() != tt.title || !strings.Contains(p.View(), tt.shows) {
			t.Errorf("event %s opened %q, want %q showing %q:\n%s", tt.event, p.Title(), tt.title, tt.shows, p.View())
		}
	}
}

// TestEventsSection: the newest five about the object, one line each; "none" when there are none; why
// when events cannot be read.
func TestEventsSection(t *testing.T) {
	s := eventsSnapshot()
	th := theme.New(false, true)
	text := func(lines []string) string { return ansi.Strip(strings.Join(lines, "\n")) }

	got := eventsSection(th, s, EventRefs("Vault/vault-0")...)
	if len(got) != 2+RecentEvents {
		t.Fatalf("%d lines, want a blank, a title and %d events:\n%s", len(got), RecentEvents, text(got))
	}
	for i, want := range []string{"0s", "1m", "2m", "3m", "4m"} {
		line := ansi.Strip(got[2+i])
		if !strings.HasPrefix(strings.TrimSpace(line), want) || !strings.Contains(line, "Unhealthy") ||
			!strings.Contains(line, fmt.Sprintf("×%d", 10+i)) || !strings.Contains(line, "message second line") {
			t.Errorf("line %d = %q, want age %s, reason, count, one-line message", i, line, want)
		}
	}
	if got := text(eventsSection(th, s, watch.ObjectRef{Kind: "Node", Name: "worker-1"})); !strings.Contains(got, "none — Kubernetes keeps events") {
		t.Errorf("no events must say so:\n%s", got)
	}
	s.Unavailable = map[string]error{watch.EventsKey: fmt.Errorf("forbidden")}
	if got := text(eventsSection(th, s, watch.ObjectRef{Kind: "Node", Name: "worker-2"})); !strings.Contains(got, "cannot be read: forbidden") {
		t.Errorf("unreadable events must say why:\n%s", got)
	}
}

// TestEventsPageFitsAndSorts: the page renders exactly its size at every size, and sorts by age and count.
func TestEventsPageFitsAndSorts(t *testing.T) {
	s := eventsSnapshot()
	p := NewEvents(theme.New(true, true))
	p.Update(common.SnapshotMsg{Snapshot: s})
	for w := 1; w <= 120; w += 7 {
		for h := 1; h <= 30; h++ {
			p.SetSize(w, h)
			out := p.View()
			lines := strings.Split(out, "\n")
			if len(lines) != h {
				t.Fatalf("%d×%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if lipgloss.Width(l) != w {
					t.Fatalf("%d×%d: line %d is %d wide", w, h, i, lipgloss.Width(l))
				}
			}
		}
	}
	rows := eventRows(s)
	if rows[0].Key != "vault/v0" || rows[len(rows)-1].Key != "apps/p" {
		t.Fatalf("rows must keep the snapshot's newest-first order: %s … %s", rows[0].Key, rows[len(rows)-1].Key)
	}
	if !(rows[0].Sort[0] < rows[1].Sort[0]) || !(rows[len(rows)-1].Sort[4] < rows[0].Sort[4]) {
		t.Fatal("sort keys: age ascending is newest first; count sorts as a number")
	}
	if rows[0].Cells[5] != "Unhealthy message second line" {
		t.Fatalf("message cell %q must be one line", rows[0].Cells[5])
	}
}

// BenchmarkEventsPageSnapshot is a full snapshot of the bound (1000 events) reaching the events page.
func BenchmarkEventsPageSnapshot(b *testing.B) {
	s := watch.Snapshot{At: evAt}
	for i := range watch.MaxEvents {
		s.Events = append(s.Events, ev(fmt.Sprintf("e%04d", i), watch.ObjectRef{Kind: "Pod", Namespace: "ns", Name: fmt.Sprintf("p%d", i%50)},
			"BackOff", time.Duration(i)*time.Second, int32(i)))
	}
	p := NewEvents(theme.New(true, true))
	p.SetSize(80, 21)
	b.ReportAllocs()
	for b.Loop() {
		p.Update(common.SnapshotMsg{Snapshot: s})
		_ = p.View()
	}
}

// TestEventsShownInert: an object name and an event message carrying escape sequences (clear the screen,
// set the clipboard through OSC 52, ring the bell) are drawn as text, in the table and the message pane.
func TestEventsShownInert(t *testing.T) {
	ref := watch.ObjectRef{Kind: "Pod", Namespace: "apps", Name: "evil\x1b[2J"}
	e := ev("evil.1", ref, "BackOff\a", time.Minute, 1)
	e.Message = "pwned \x1b]52;c;ZXZpbA==\x07 \u009b31m done"
	s := watch.Snapshot{At: evAt, Events: []watch.Event{e}}
	p := NewEvents(theme.New(true, true))
	p.Update(common.SnapshotMsg{Snapshot: s})
	p.SetSize(160, 20)
	out := p.View()
	for _, bad := range []string{"\x1b[2J", "\x1b]52", "\a", "\u009b"} {
		if strings.Contains(out, bad) {
			t.Errorf("the page obeys %q from the cluster", bad)
		}
	}
	if !strings.Contains(out, "evil^[[2J") || !strings.Contains(out, "^[]52;c;ZXZpbA==^G") {
		t.Errorf("the sequences are shown as text:\n%s", out)
	}
}
