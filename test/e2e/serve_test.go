//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeOverOpenSSH: `demo --serve` on a free port; the real OpenSSH client, in an 80×24 tmux, logs in
// with the ssh_config the demo printed as the viewer and gets the console's overview; q ends the session
// (ssh exits 0); `ssh … admin sh` is refused with its message; once the server stops, `audit verify` holds
// and the trail has the viewer's connect and disconnect.
func TestServeOverOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("the OpenSSH client is needed for this test: run `make deps`")
	}
	addr := freeAddr(t)
	state, home := t.TempDir(), t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "XDG_STATE_HOME=" + state, "XDG_CONFIG_HOME=" + t.TempDir(), "TERM=xterm-256color"}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, shared.binary, "demo", "--serve", addr)
	srv.Env = env
	srv.Cancel = func() error { return srv.Process.Signal(syscall.SIGTERM) }
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	printed := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			printed <- sc.Text()
		}
		close(printed)
		exited <- srv.Wait()
	}()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = srv.Process.Signal(syscall.SIGTERM)
		for range printed { // drained until the process closes its output
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(60 * time.Second):
			t.Fatal("demo --serve did not stop on SIGTERM")
		}
		return nil
	}
	t.Cleanup(func() { _ = stop() })

	dir := filepath.Join(state, "cedille-tui", "demo", "serve")
	config := filepath.Join(dir, "ssh_config")
	var said []string
	for serving, login := false, false; !serving || !login; {
		select {
		case line, ok := <-printed:
			if !ok {
				t.Fatalf("demo --serve ended before serving:\n%s\n%s", strings.Join(said, "\n"), stderr.String())
			}
			said = append(said, line)
			serving = serving || strings.Contains(line, "serving the console of") && strings.Contains(line, addr)
			login = login || strings.Contains(line, "ssh -F "+config+" viewer")
		case <-ctx.Done():
			t.Fatalf("demo --serve never printed where it serves and how to log in:\n%s", strings.Join(said, "\n"))
		}
	}
	go func() { // keep reading what it prints, so it never blocks on a full pipe
		for range printed {
		}
	}()

	// The viewer, with the real OpenSSH client in a real 80×24 terminal.
	s := &tmuxSession{t: t, socket: fmt.Sprintf("cedille-e2e-%d", os.Getpid()), name: "serve-viewer",
		status: filepath.Join(t.TempDir(), "status")}
	cmdline := strings.Join(append(append([]string{"env", "-i"}, env...), "ssh", "-F", config, "viewer"), " ")
	cmdline += "; echo $? > " + s.status + "; sleep 60"
	s.tmux("new-session", "-d", "-s", s.name, "-x", "80", "-y", "24", cmdline)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run() })
	took := s.waitFor(30*time.Second, "cedille-cluster", "Overview", "vclusters", "q quit")
	t.Logf("ssh viewer: the overview on screen after %s (ssh's start and handshake included)", took.Round(time.Millisecond))
	s.keys("q")
	if st := s.exited(20 * time.Second); st != "0" {
		t.Fatalf("ssh after q: exit status %s\n%s", st, s.screen())
	}

	// The admin asking for a command that is not one.
	sh := exec.CommandContext(ctx, "ssh", "-F", config, "admin", "sh")
	sh.Env = env
	got, err := sh.CombinedOutput()
	if err == nil || !strings.Contains(string(got), `"sh" is not a command here`) {
		t.Errorf("ssh admin sh: want a refusal naming the commands, got %v:\n%s", err, got)
	}

	if err := stop(); err != nil {
		t.Fatalf("demo --serve on SIGTERM: %v\n%s", err, stderr.String())
	}
	trail := filepath.Join(dir, "audit.jsonl")
	verify := exec.Command(shared.binary, "audit", "verify", trail)
	verify.Env = env
	if v, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(v), "the chain holds") {
		t.Fatalf("audit verify: %v\n%s", err, v)
	}
	data, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r struct{ Event, User, Role string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit record %q: %v", line, err)
		}
		events[r.User+" "+r.Event]++
		if r.User == "viewer" && r.Role != "viewer" {
			t.Errorf("the viewer recorded with role %q", r.Role)
		}
	}
	if events["viewer connect"] != 1 || events["viewer disconnect"] != 1 {
		t.Errorf("the trail holds one connect and one disconnect for viewer; it holds %v:\n%s", events, data)
	}
}

// freeAddr is a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
