package serve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	gossh "golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// oneNode is a source of one node, worker-2.
type oneNode struct{}

func (oneNode) Name() platform.Source { return platform.SourceKubernetes }
func (oneNode) Run(ctx context.Context, notify func()) {
	notify()
	<-ctx.Done()
}
func (oneNode) Fill(s *watch.Snapshot) {
	s.Nodes = []*corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "worker-2", UID: "u-2", ResourceVersion: "7"}}}
}

// noClients is a dispatcher's client source that counts being asked: a refusal by role never asks.
type noClients struct {
	mu    sync.Mutex
	asked int
}

func (c *noClients) For(actions.Actor) (actions.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked++
	return actions.Client{}, errors.New("no cluster in this test")
}

// TestViewerCannotCordonOverSSH: a viewer's session lists cordon on the nodes page dimmed, "needs
// operator"; asking for it all the same is refused by the dispatcher with the reason, audited with the
// session's user, key and id, and no client for the cluster is ever made.
func TestViewerCannotCordonOverSSH(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hub := watch.NewHub(watch.HubOptions{Platform: "test platform", MinInterval: 10 * time.Millisecond}, oneNode{})
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	clients, trail := &noClients{}, &refusals{}
	d, err := actions.NewDispatcher(clients, trail.add, actions.Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	addr, _, _ := startServer(t, accessFile(t, "users:", userLine(t, "victor", "viewer")), ConsoleTerminal(hub, d))
	tm := openTerminal(t, addr, keyOf(t, "victor"), 80, 24)
	tm.waitFor(t, "the console", func(s string) bool { return strings.Contains(s, "test platform") })
	send := func(keys string) {
		t.Helper()
		if _, err := tm.in.Write([]byte(keys)); err != nil {
			t.Fatal(err)
		}
	}
	send(":nodes\r")
	tm.waitFor(t, "the node list", func(s string) bool { return strings.Contains(s, "worker-2") })
	send("a")
	tm.waitFor(t, "cordon, dimmed", func(s string) bool { return strings.Contains(s, "needs operator") })
	send("\r")
	tm.waitFor(t, "the refusal", func(s string) bool { return strings.Contains(s, "you are viewer") })

	trail.mu.Lock()
	recs := append([]audit.Record(nil), trail.all...)
	trail.mu.Unlock()
	if len(recs) != 1 {
		t.Fatalf("one record (the refusal), got %+v", recs)
	}
	r := recs[0]
	if r.Event != audit.ActionRefused || r.User != "victor" || r.Role != "viewer" || r.Action != "cordon" ||
		r.Target != "node/worker-2" || r.Fingerprint != gossh.FingerprintSHA256(keyOf(t, "victor").PublicKey()) || r.Session == "" ||
		r.Reason != "cordon needs operator; you are viewer" {
		t.Errorf("refusal recorded as %+v", r)
	}
	clients.mu.Lock()
	defer clients.mu.Unlock()
	if clients.asked != 0 {
		t.Errorf("clients made %d times for a refused action", clients.asked)
	}
}
