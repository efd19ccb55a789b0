package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/watch"
)

// TestDemoWarningEvents: the simulated platform holds believable Warning events, dated from the demo's
// clock, fewer once installed, and fault N records NodeNotReady through the fake clientset.
func TestDemoWarningEvents(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		installed bool
		want      []string // object/reason, newest first
	}{
		{false, []string{"Pod/vault/vault-2 Unhealthy", "Pod/vault/vault-1 Unhealthy", "Pod/vault/vault-0 Unhealthy",
			"Pod/acets/acets-grav-5f7b9c6d48-q8zvn BackOff", "Pod/calidum-rotae/calidum-rotae-7c9d8f6b5-xk2lp FailedMount",
			"Policy/vault/config-admin ProcessingError", "Node/worker-1 FreeDiskSpaceFailed"}},
		{true, []string{"Node/worker-1 FreeDiskSpaceFailed"}},
	} {
		d, err := Start(ctx, Options{Installed: tt.installed, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		s := watch.Collect(ctx, d.Targets(), 5*time.Second, now)
		d.Close()
		var got []string
		for _, e := range s.Events {
			got = append(got, e.Object.String()+" "+e.Reason)
			if e.LastSeen.After(now) || now.Sub(e.LastSeen) > time.Hour || e.Count < 1 || e.Source == "" {
				t.Errorf("implausible event %+v", e)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("installed=%v: events\n%s\nwant\n%s", tt.installed, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}

	d := startDemo(t, Options{})
	hub := watch.NewHub(watch.HubOptions{MinInterval: 10 * time.Millisecond}, d.Targets().Sources()...)
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go hub.Run(hctx)
	ch, unsub := hub.Subscribe()
	defer unsub()
	notReady := func(s watch.Snapshot) []watch.Event {
		return watch.EventsAbout(s.Events, watch.ObjectRef{Kind: "Node", Name: faultNode}, 0)
	}
	waitFor := func(what string, ok func(watch.Snapshot) bool) watch.Snapshot {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-ch:
				if ok(s) {
					return s
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the first sync", func(s watch.Snapshot) bool { return len(s.Events) > 0 })
	run := func(key string) {
		t.Helper()
		for _, f := range d.Faults() {
			if f.Key == key {
				if _, err := f.Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run("N")
	s := waitFor("NodeNotReady on "+faultNode, func(s watch.Snapshot) bool { return len(notReady(s)) == 1 })
	if e := notReady(s)[0]; e.Reason != "NodeNotReady" || e.Count != 1 || s.Events[0].Reason != "NodeNotReady" {
		t.Fatalf("fault N event %+v (newest %+v)", e, s.Events[0])
	}
	run("N") // heal
	run("N") // and again: the same event recurs
	waitFor("the event counted twice", func(s watch.Snapshot) bool {
		es := notReady(s)
		return len(es) == 1 && es[0].Count == 2
	})
}
