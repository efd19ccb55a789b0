package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func bigSnapshot(n int) watch.Snapshot {
	at := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	s := watch.Snapshot{At: at}
	for i := 0; i < n; i++ {
		s.Nodes = append(s.Nodes, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("worker-%05d", i), CreationTimestamp: metav1.NewTime(at.Add(-time.Hour))},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
				NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.27.3", OSImage: "Talos (v1.5.5)"}},
		})
	}
	return s
}

// BenchmarkNodePageSnapshot is the cost of one snapshot reaching the node page of a 10 000-node cluster:
// rows rebuilt, then the visible part rendered at 80×24.
func BenchmarkNodePageSnapshot(b *testing.B) {
	s := bigSnapshot(10000)
	p := NewNodes(theme.New(true, true))
	p.SetSize(80, 21)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Update(common.SnapshotMsg{Snapshot: s})
		_ = p.View()
	}
}

// BenchmarkNodePageView is a redraw alone (a key press, no new data): only visible rows are rendered.
func BenchmarkNodePageView(b *testing.B) {
	p := NewNodes(theme.New(true, true))
	p.SetSize(80, 21)
	p.Update(common.SnapshotMsg{Snapshot: bigSnapshot(10000)})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = p.View()
	}
}
