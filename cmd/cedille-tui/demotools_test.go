package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The demo's console acts and runs runbooks on the simulated platform, as the local person, each record
// in its trail under the demo's state directory; a runbook about the whole platform is aimed at it.
func TestDemoTools(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := demo.Start(ctx, demo.Options{Installed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &cli{lookup: func(k string) (string, bool) {
		if k == "USER" {
			return "alice", true
		}
		return "", false
	}}
	dir := t.TempDir()
	var seen []audit.Record
	x, closeTools, err := c.demoTools(p, dir, func(r audit.Record) { seen = append(seen, r) })
	if err != nil {
		t.Fatal(err)
	}
	defer closeTools()
	if x.act == nil || x.recovery == nil || x.audit == nil || x.onHub == nil {
		t.Fatalf("the demo's console lacks actions, runbooks or its audit page: %+v", x)
	}
	res, err := x.act.Do(ctx, "cordon", actions.Target{Kind: actions.KindNode, Name: "worker-3"}, actions.Confirmation{})
	if err != nil || res.As != "alice" {
		t.Fatalf("cordon as the demo's person: %+v, %v", res, err)
	}
	n, err := p.Kube.Typed.CoreV1().Nodes().Get(ctx, "worker-3", metav1.GetOptions{})
	if err != nil || !n.Spec.Unschedulable {
		t.Errorf("worker-3 is not cordoned: %v", err)
	}
	if len(seen) == 0 {
		t.Error("the observer saw no record")
	}
	if fi, err := os.Stat(filepath.Join(dir, "audit.jsonl")); err != nil || fi.Size() == 0 {
		t.Errorf("the trail under the demo's state directory: %v", err)
	}
	cases := []struct {
		runbook string
		asked   runbook.Target
		want    string
	}{
		{"vault-sealed", runbook.Target{Kind: "Vault", Name: "vault-0"}, ""},
		{"cold-start", runbook.Target{Kind: "Pod", Namespace: "vault", Name: "vault-0"}, ""},
		{"app-sync", runbook.Target{Kind: "Application", Namespace: "argocd", Name: "acets-grav"}, "Application/argocd/acets-grav"},
	}
	for _, tc := range cases {
		s, err := x.recovery.Start(ctx, tc.runbook, tc.asked, false)
		if err != nil {
			t.Fatalf("%s on %s: %v", tc.runbook, tc.asked, err)
		}
		if got := s.Target().String(); got != tc.want {
			t.Errorf("%s asked on %s runs on %q, want %q", tc.runbook, tc.asked, got, tc.want)
		}
		if err := s.Abort("test"); err != nil {
			t.Fatal(err)
		}
	}
}
