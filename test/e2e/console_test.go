//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/clubcedille/cedille-tui/internal/watch"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestNodePageLive: the console's node page, fed by a real informer on the lab's kube-apiserver, shows
// a node as soon as it is created, then Ready once kwok says so, and drops it when it is deleted.
func TestNodePageLive(t *testing.T) {
	kube, err := platform.ConnectKube(platform.KubeOptions{Kubeconfig: shared.lab.KubeconfigPath(), Context: "lab-token"},
		platform.MapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := watch.NewHub(watch.HubOptions{Platform: "lab"}, watch.NewKubeSource(kube))
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	defer unsub()

	m := ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: false})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	c := kubeClient(t)
	createNode(t, c, "e2e-live-node")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("e2e-live-node")) },
		teatest.WithDuration(30*time.Second))
	waitNodeReady(t, c, "e2e-live-node")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Ready")) },
		teatest.WithDuration(30*time.Second))
	if err := c.CoreV1().Nodes().Delete(context.Background(), "e2e-live-node", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Let the deletion reach the page, then look at the final screen.
	eventually(t, 30*time.Second, "the deleted node to leave the hub", func() bool {
		for _, n := range hub.Latest().Nodes {
			if n.Name == "e2e-live-node" {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond)
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	out := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*app.Model).Render()
	if strings.Contains(out, "e2e-live-node") {
		t.Fatalf("the deleted node is still on the page:\n%s", out)
	}
	if !strings.Contains(out, "lab") {
		t.Fatalf("header lacks the platform name:\n%s", out)
	}
}
