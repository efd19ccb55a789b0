package access

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
)

// TestWatchFollowsTheFile: an edit is read, a malformed edit is reported and changes nothing else, the
// fix is read, a removed file lets nobody in; an unchanged file is not reported again.
func TestWatchFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.yaml")
	write := func(s string) { // whole, as an editor saves: the watcher polls while the test writes
		t.Helper()
		if err := atomicfile.Write(path, []byte(s), 0o600); err != nil {
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
}

// TestWatchReportsOnlyChanges: a read that finds the file as it was last read, or the same error, is not
// reported; an edit is, once.
func TestWatchReportsOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.yaml")
	if err := os.WriteFile(path, []byte("users: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	reports := 0
	count := func(*File, error) { reports++ }
	w.poll(count)
	if reports != 0 {
		t.Fatalf("nothing changed, yet reported %d times", reports)
	}
	if err := os.WriteFile(path, []byte("users:\n  - name: alice\n    role: boss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.poll(count)
	w.poll(count)
	if reports != 1 {
		t.Fatalf("a malformed edit is reported once, not again while it stays: %d reports", reports)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w.poll(count)
	w.poll(count)
	if reports != 2 {
		t.Fatalf("a removal is reported once: %d reports", reports)
	}
}
