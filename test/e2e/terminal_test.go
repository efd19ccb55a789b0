//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// press sends the keys one at a time, pausing after each so the program takes them one by one (a form
// moving to its next field, a list to its next row).
func (s *tmuxSession) press(pause time.Duration, keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.keys(k)
		time.Sleep(pause)
	}
}

// enter presses Enter n times, pausing after each.
func (s *tmuxSession) enter(n int, pause time.Duration) {
	s.t.Helper()
	s.press(pause, slices.Repeat([]string{"Enter"}, n)...)
}

// waitFor polls the screen until every string shows, and returns how long it took.
func (s *tmuxSession) waitFor(timeout time.Duration, want ...string) time.Duration {
	s.t.Helper()
	return s.poll(timeout, false, want)
}

// waitQuiet is waitFor for screens that may hold a secret (the demo's key ceremony): a failure does not
// print the screen.
func (s *tmuxSession) waitQuiet(timeout time.Duration, want ...string) {
	s.t.Helper()
	s.poll(timeout, true, want)
}

func (s *tmuxSession) poll(timeout time.Duration, quiet bool, want []string) time.Duration {
	s.t.Helper()
	start := time.Now()
	for {
		scr := s.screen()
		all := true
		for _, w := range want {
			all = all && strings.Contains(scr, w)
		}
		if all {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			if quiet {
				s.t.Fatalf("the screen never showed %q (not printed: it may hold a secret)", want)
			}
			s.t.Fatalf("screen never showed %q:\n%s", want, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// until waits for the screen to satisfy ok and returns it; quiet (a screen that may hold a secret) does
// not print it on failure.
func (s *tmuxSession) until(timeout time.Duration, quiet bool, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			if quiet {
				s.t.Fatal("the screen never became as expected (not printed: it may hold a secret)")
			}
			s.t.Fatalf("the screen never became as expected:\n%s", scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// secretOnScreen is the secret a custody screen shows: the line after the "shown once" heading.
func secretOnScreen(scr string) string {
	lines := strings.Split(scr, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "shown once") {
			continue
		}
		for _, n := range lines[i+1:] {
			if f := strings.TrimSpace(n); f != "" {
				return f
			}
		}
	}
	return ""
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
	s := newTmux(t, 80, 24, []string{"TERM=xterm-256color", "HOME=" + t.TempDir()}, "demo", "--skip-install")
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
	s := newTmux(t, 80, 24, []string{"TERM=xterm-256color", "NO_COLOR=1", "HOME=" + t.TempDir()}, "demo", "--skip-install")
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

// TestTerminalDemoInstall: a new user takes the demo through the install in a real 80×24 terminal, and
// quits after every step and runs `cedille-tui demo` again, each time coming back to the next step on the
// platform as it was left (the cluster is not created again, Vault not initialized again): preflight,
// the ISO form and download, quits while choosing machines, comes back to the same choice, picks roles
// and disks (the USB key refused), confirms the wipe by typing the cluster's name, watches the machines
// install, runs the Vault key ceremony (a wrong confirmation refused, each secret gone from the screen
// once confirmed), unseals with three shares typed masked, bootstraps in a later run with a root token
// made from three other shares (generate-root, revoked), registers the vclusters, and after the hand-off
// `cedille-tui demo` opens the console of the installed platform: Vault unsealed, nothing Degraded.
func TestTerminalDemoInstall(t *testing.T) {
	home := t.TempDir()
	env := []string{"TERM=xterm-256color", "HOME=" + home}
	s := newTmux(t, 80, 24, env, "demo")
	// resume quits the wizard where it stands (q, or ctrl+c in a form, where q is typed) and runs the
	// demo again, which opens at want.
	resume := func(want ...string) {
		t.Helper()
		if strings.Contains(s.screen(), "ctrl+c quit") {
			s.keys("C-c")
		} else {
			s.keys("q")
		}
		if st := s.exited(15 * time.Second); st != "0" {
			t.Fatalf("quitting the demo's wizard: exit %s\n%s", st, s.screen())
		}
		// The old session goes only once the new one runs: killing a socket's last session stops its tmux
		// server, and a session started meanwhile meets a server on its way out.
		old := s.name + "-quit"
		s.tmux("rename-session", "-t", s.name, old)
		s = newTmux(t, 80, 24, env, "demo")
		s.tmux("kill-session", "-t", old)
		s.waitFor(60*time.Second, want...)
	}
	s.waitFor(20*time.Second, "Preflight ✔ done", "Talos versions offered: 1.5.5, 1.6.7, 1.7.6, 1.8.0")
	resume("step 2/12 · Talos ISO", "Talos version", "> 1.8.0")
	s.enter(7, 300*time.Millisecond) // every field of the ISO form keeps its default
	s.waitFor(30*time.Second, "Talos ISO ✔ done", "SHA-256")
	resume("step 3/12 · Machines", "controlplane-1", "worker-3")
	s.keys("c")
	s.waitFor(5*time.Second, "control planes 1/3")
	resume("step 3/12 · Machines", "control planes 1/3")
	s.press(150*time.Millisecond, "Down", "c", "Down", "c", "Down", "w", "Down", "w", "Down", "w")
	s.waitFor(5*time.Second, "control planes 3/3, workers 3")
	s.keys("Enter")
	s.waitFor(15*time.Second, "Disks of controlplane-1", "SanDisk")
	resume("step 4/12 · Disks", "Disks of controlplane-1", "SanDisk")
	s.keys("i") // the USB key is the first row
	s.waitFor(5*time.Second, "USB disk: removable")
	s.press(150*time.Millisecond, "Down", "i", "Tab", "i", "Tab", "i", "Tab", "i", "Down", "p", "Down", "p",
		"Tab", "i", "Down", "p", "Down", "p", "Tab", "i", "Down", "p", "Down", "p")
	s.waitFor(5*time.Second, "every machine's disks are chosen")
	s.keys("Enter")
	s.waitFor(20*time.Second, "Cluster name", "cedille-cluster")
	resume("step 5/12 · Cluster", "Cluster name", "cedille-cluster")
	s.enter(2, 300*time.Millisecond)
	s.waitFor(10*time.Second, "These 12 disks will be WIPED", "wwn-0x5002538e40a1c3f7")
	s.keys("-l", "cedille-clustr")
	s.keys("Enter")
	s.waitFor(5*time.Second, "is not the cluster name: nothing was")
	for range len("cedille-clustr") {
		s.keys("BSpace")
	}
	s.keys("-l", "cedille-cluster")
	s.keys("Enter")
	s.waitFor(15*time.Second, "installing")
	s.waitFor(60*time.Second, "Cluster ✔ done", "press enter to go on")

	// ArgoCD: the form's three pages keep the demo's prefilled chart, domain and root Application; the
	// simulated Helm installs it, the simulated controller syncs the app-of-apps (Vault's wait). The
	// cluster is not created again on the way: its step holds when the demo comes back.
	resume("step 6/12 · GitOps", "ArgoCD chart repository URL")
	s.enter(10, 250*time.Millisecond)
	s.waitFor(60*time.Second, "GitOps ✔ done", "ArgoCD installed;", "press enter to go on")
	resume("step 7/12 · Storage", "DiskPools in mayastor", "POOL")
	s.enter(3, 250*time.Millisecond)
	s.waitFor(60*time.Second, "Storage ✔ done", "pools Online", "press enter to go on")

	// Vault: the init form's defaults (5 shares, 3 needed, no PGP keys), then the ceremony — five
	// custodians and the root token, each on a screen of its own: the hand-over, the secret, its first
	// characters typed back. The shares are read off the screen, as a custodian would copy them.
	resume("step 8/12 · Vault init", "Key shares", "Threshold")
	s.enter(5, 300*time.Millisecond)
	var shares []string
	for i := range 6 {
		s.waitQuiet(20*time.Second, "press enter when")
		if scr := s.screen(); strings.Contains(scr, "hvs.") || strings.Contains(scr, "=") {
			t.Fatalf("custody %d: the hand-over screen shows the secret", i+1)
		}
		s.keys("Enter")
		s.waitQuiet(10*time.Second, "shown once", "characters")
		secret := secretOnScreen(s.screen())
		if secret == "" {
			t.Fatalf("custody %d: no secret on the screen", i+1)
		}
		if i < 5 {
			shares = append(shares, secret)
		}
		s.keys("-l", secret[:3]+"x")
		s.keys("Enter")
		s.waitQuiet(5*time.Second, "does not match")
		s.keys("C-u")
		s.keys("-l", secret[:6])
		s.keys("Enter")
		s.until(10*time.Second, true, func(scr string) bool { return !strings.Contains(scr, secret) })
	}
	s.waitFor(20*time.Second, "Vault init ✔ done", "press enter to go on")
	// typeShares types three shares, masked, at the prompts of a step's progress line.
	typeShares := func(progress string, three []string) {
		t.Helper()
		for i, sh := range three {
			s.waitQuiet(20*time.Second, fmt.Sprintf("%s%d of 3 shares", progress, i))
			s.keys("-l", sh)
			if strings.Contains(s.screen(), sh) {
				t.Fatal("the share input is not masked")
			}
			s.keys("Enter")
		}
	}
	// The demo comes back with Vault initialized (not a second ceremony): the shares unseal it.
	resume("step 9/12 · Vault unseal")
	s.keys("Enter")
	s.waitFor(20*time.Second, "Unseal vault-0")
	typeShares("", []string{shares[0], shares[2], shares[4]})
	s.waitFor(20*time.Second, "every replica unsealed", "press enter to go on")

	// A later run holds no root token: the bootstrap makes one from three other custodians' shares
	// (generate-root) and revokes it by itself.
	resume("step 10/12 · Vault bootstrap", "ArgoCD Dex GitHub client ID")
	s.enter(2, 300*time.Millisecond)
	s.waitFor(20*time.Second, "Make a root token from the shares?")
	s.keys("y")
	typeShares("generate-root  ", []string{shares[1], shares[3], shares[4]})
	s.waitFor(20*time.Second, "Vault bootstrapped", "press enter to go on")

	// vclusters: the chart and the default list; each registered in ArgoCD and checked. Then the hand-off.
	resume("step 11/12 · vclusters", "vcluster chart repository URL")
	s.enter(4, 250*time.Millisecond)
	s.waitFor(60*time.Second, "vclusters registered in ArgoCD", "press enter to go on")
	resume("step 12/12 · Hand-off")
	s.keys("Enter")
	s.waitFor(60*time.Second, "Hand-off ✔ done", "press enter to open the console")
	// The demo keeps its install apart from a real one's, under its state directory.
	if b, err := os.ReadFile(filepath.Join(home, ".local", "state", "cedille-tui", "demo", "config", "handoff.md")); err != nil ||
		!strings.Contains(string(b), "registered in ArgoCD as https://staging.vcluster-staging.svc") {
		t.Errorf("the hand-off summary: %v\n%s", err, b)
	}

	// Once installed, `cedille-tui demo` opens the console of the platform it installed.
	resume("cedille-tui │ cedille-cluster [demo]")
	s.waitFor(30*time.Second, "secrets", "✔")
	scr := s.until(30*time.Second, false, func(scr string) bool {
		return !strings.Contains(scr, "▲") && !strings.Contains(scr, "✖")
	})
	if strings.Contains(scr, "not initialized") || strings.Contains(scr, "sealed") {
		t.Errorf("the console sees Vault uninitialized or sealed after the install:\n%s", scr)
	}
	s.keys("q")
	if st := s.exited(15 * time.Second); st != "0" {
		t.Fatalf("quitting the console: exit %s", st)
	}
}
