//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession drives the built binary in a real terminal, as a person would.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
	status string // file the shell writes the program's exit status into
}

func newTmux(t *testing.T, w, h int, env []string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for the terminal tests: run `make deps`")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("cedille-e2e-%d", os.Getpid()), name: strings.ReplaceAll(t.Name(), "/", "-"),
		status: filepath.Join(t.TempDir(), "status")}
	cmdline := strings.Join(append(append([]string{"env", "-i"}, env...), append([]string{shared.binary}, args...)...), " ")
	cmdline += "; echo $? > " + s.status + "; sleep 60"
	s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmdline)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run() })
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

func (s *tmuxSession) keys(k ...string) { s.tmux(append([]string{"send-keys", "-t", s.name}, k...)...) }

// waitFor polls the screen until every string shows, and returns how long it took.
func (s *tmuxSession) waitFor(timeout time.Duration, want ...string) time.Duration {
	s.t.Helper()
	start := time.Now()
	for {
		scr := s.screen()
		all := true
		for _, w := range want {
			if !strings.Contains(scr, w) {
				all = false
			}
		}
		if all {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			s.t.Fatalf("screen never showed %q:\n%s", want, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exited waits for the program to end and returns its exit status.
func (s *tmuxSession) exited(timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(s.status); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the program did not exit:\n%s", s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTerminalDemo: the demo binary in a real 80×24 terminal shows the six nodes, drills into one, shows
// the help with the demo faults, injects a fault, refuses to draw below 80×24 without crashing, and
// quits on q with exit status 0.
func TestTerminalDemo(t *testing.T) {
	s := newTmux(t, 80, 24, []string{"TERM=xterm-256color", "HOME=" + t.TempDir()}, "demo")
	took := s.waitFor(10*time.Second, "Overview", "secrets", "certificates", "worst first")
	t.Logf("demo: first complete overview after %s (tmux polling adds up to 20ms)", took.Round(time.Millisecond))
	s.keys(":", "n", "o", "d", "e", "s", "Enter")
	s.waitFor(5*time.Second, "controlplane-1", "controlplane-2", "controlplane-3", "worker-1", "worker-2", "worker-3")

	s.keys("j", "j", "j", "Enter")
	s.waitFor(5*time.Second, "Node worker-1", "Conditions", "Omni machine")
	s.keys("Escape")
	s.waitFor(5*time.Second, "6 nodes")
	time.Sleep(100 * time.Millisecond) // a lone ESC must not merge with the next key into alt+key
	s.keys("?")
	s.waitFor(5*time.Second, "Demo faults", "loses power")
	s.keys("Escape")
	time.Sleep(100 * time.Millisecond)
	s.keys("N")
	s.waitFor(10*time.Second, "NotReady", "1 Down")

	s.tmux("resize-window", "-t", s.name, "-x", "60", "-y", "20")
	s.waitFor(5*time.Second, "terminal too small (need 80×24)")
	s.tmux("resize-window", "-t", s.name, "-x", "80", "-y", "24")
	s.waitFor(5*time.Second, "worker-3")

	s.keys("q")
	if st := s.exited(5 * time.Second); st != "0" {
		t.Fatalf("exit status %s", st)
	}
}

// TestTerminalNoColor: under NO_COLOR the screen still tells state by symbol.
func TestTerminalNoColor(t *testing.T) {
	s := newTmux(t, 80, 24, []string{"TERM=xterm-256color", "NO_COLOR=1", "HOME=" + t.TempDir()}, "demo")
	s.waitFor(10*time.Second, "✖ secrets", "✔ cluster", "✖ Down")
	escaped := s.tmux("capture-pane", "-p", "-e", "-t", s.name)
	if colorSGR.MatchString(escaped) {
		t.Fatalf("NO_COLOR screen carries colour codes:\n%q", escaped)
	}
	s.keys("q")
	if st := s.exited(5 * time.Second); st != "0" {
		t.Fatalf("exit status %s", st)
	}
}
