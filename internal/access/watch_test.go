package access

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWatchFollowsTheFile: an edit is read, a malformed edit is reported and changes nothing else, the
// fix is read, a removed file lets nobody in; an unchanged file is not reported again.
func TestWatchFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("users: []\n")
	type event struct {
		f   *File
		err error
	}
	events := make(chan event, 16)
	w, f, err := Open(path)
	if err != nil || len(f.Users()) != 0 {
		t.Fatalf("the file at start: %v %+v", err, f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, 5*time.Millisecond, func(f *File, err error) { events <- event{f, err} })
	}()
	t.Cleanup(func() { cancel(); <-done })
	next := func(what string) event {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(20 * time.Second):
			t.Fatalf("waited 20 s for %s", what)
		}
		return event{}
	}

	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
	write("users:\n  - name: alice\n    keys: [\"" + key + "\"]\n    role: admin\n")
	if e := next("the edit"); e.err != nil || len(e.f.Users()) != 1 || e.f.Users()[0].Name != "alice" {
		t.Fatalf("the edit: %+v", e)
	}
	write("users:\n  - name: alice\n    role: boss\n")
	if e := next("the malformed edit"); e.err == nil || !strings.Contains(e.err.Error(), "access.yaml:3:") {
		t.Fatalf("a malformed edit is an error with its line: %+v", e)
	}
	write("users: []\n")
	if e := next("the fix"); e.err != nil || len(e.f.Users()) != 0 {
		t.Fatalf("the fix: %+v", e)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if e := next("the removal"); e.err != nil || len(e.f.Users()) != 0 {
		t.Fatalf("a removed file lets nobody in: %+v", e)
	}
	select {
	case e := <-events:
		t.Errorf("nothing changed, yet reported: %+v", e)
	case <-time.After(50 * time.Millisecond): // a quiet spell of ten polls: a report here would be spurious
	}
}
