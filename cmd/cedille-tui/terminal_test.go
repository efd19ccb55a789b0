//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// buildBinary builds cedille-tui into a temporary directory, as a user runs it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := t.TempDir() + "/cedille-tui"
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binaryEnv is a private environment: its own state and config directories, no platform configured.
func binaryEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	return append([]string{"HOME=" + home, "XDG_STATE_HOME=" + home + "/state", "XDG_CONFIG_HOME=" + home + "/config",
		"PATH=" + os.Getenv("PATH"), "TERM=xterm-256color"}, extra...)
}

// TestFullScreenCommands runs the built binary: without a terminal, and on one until a signal.
func TestFullScreenCommands(t *testing.T) {
	bin := buildBinary(t)
	t.Run("without a terminal", func(t *testing.T) { withoutATerminal(t, bin) })
	t.Run("ended by a signal", func(t *testing.T) { endedBySignal(t, bin) })
	t.Run("the demo as plain prompts", func(t *testing.T) { demoAccessible(t, bin) })
}

// demoAccessible: `demo --accessible` needs no terminal: it runs the demo's install as plain prompts,
// one line each (preflight done, the ISO form's questions), and when the input ends it says the answers
// are saved; the demo's platform is kept beside them for the next run.
func demoAccessible(t *testing.T, bin string) {
	env := binaryEnv(t)
	cmd := exec.Command(bin, "demo", "--accessible")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Errorf("the input ended before the questions did: want a failure, got success")
	}
	for _, want := range []string{"== Preflight (step 1 of 12) ==", "[preflight] done", "== Talos ISO (step 2 of 12) ==", "Talos version"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String()+stderr.String(), "needs a terminal") || strings.Contains(stdout.String(), "\x1b[") {
		t.Errorf("plain prompts asked for a terminal or drew a screen:\n%s\n%s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "saved") {
		t.Errorf("stderr does not say the answers are saved: %q", stderr.String())
	}
	state := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_STATE_HOME="); ok {
			state = v
		}
	}
	for _, f := range []string{"install.yaml", "world/world.json", "world/omni.db"} {
		if _, err := os.Stat(state + "/cedille-tui/demo/" + f); err != nil {
			t.Errorf("the demo kept no %s: %v", f, err)
		}
	}
}

// withoutATerminal: console, demo and the install wizard say in one line what to use instead when stdin
// or stdout is not a terminal, and exit — stdin from /dev/null or from a pipe whose writer stays open (a
// full-screen program would wait on it forever) — never drawing a screen.
func withoutATerminal(t *testing.T, bin string) {
	kubeconfig := closedPortKubeconfig(t)
	commands := []struct {
		args    []string
		instead string
	}{
		{[]string{"console", "--kubeconfig", kubeconfig}, "cedille-tui status"},
		{[]string{"--kubeconfig", kubeconfig}, "cedille-tui status"},
		{[]string{"demo"}, "cedille-tui install --answers FILE"},
		{[]string{"demo", "--skip-install"}, "cedille-tui install --answers FILE"},
		{[]string{"demo", "--installed"}, "cedille-tui install --answers FILE"},
		{[]string{"demo", "--installed", "--accessible"}, "its install as plain prompts"}, // a console all the same
		{[]string{"install"}, "--accessible"},
	}
	for _, c := range commands {
		for _, stdin := range []string{"/dev/null", "pipe"} {
			t.Run(strings.Join(c.args, " ")+" <"+stdin, func(t *testing.T) {
				cmd := exec.Command(bin, c.args...)
				cmd.Env = binaryEnv(t)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if stdin == "pipe" {
					w, err := cmd.StdinPipe()
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close() // held open until the process has ended
				}
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Either the process ends (its stdout closes) or it starts drawing: the first bytes tell.
				out, _ := bufio.NewReader(stdout).Peek(1)
				if len(out) > 0 {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatalf("it started a full-screen program without a terminal: %q\nstderr: %s", out, stderr.String())
				}
				err = cmd.Wait()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Errorf("exit: %v, want code 1", err)
				}
				msg := strings.TrimSpace(stderr.String())
				if strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "needs a terminal") || !strings.Contains(msg, c.instead) {
					t.Errorf("stderr = %q, want one line saying it needs a terminal and naming %q", msg, c.instead)
				}
			})
		}
	}
}

// endedBySignal: the demo's console on a terminal ends, and the process exits, on SIGTERM or SIGINT.
func endedBySignal(t *testing.T, bin string) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			term := openPTY(t)
			cmd := exec.Command(bin, "demo", "--skip-install")
			cmd.Env = binaryEnv(t)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = term.tty, term.tty, term.tty
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			term.waitFor(t, "cedille-cluster")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v\n%s", sig, err, term.screen())
			}
		})
	}
}

// pty is a pseudo-terminal: tty is the program's side; everything it writes is kept, and what is
// typed on the terminal's side (press) is its input.
type pty struct {
	tty     *os.File
	master  *os.File
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
	done    chan struct{}
}

func openPTY(t *testing.T) *pty {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	size := struct{ rows, cols, x, y uint16 }{24, 80, 0, 0}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&size))); e != 0 {
		t.Fatal(e)
	}
	p := &pty{tty: tty, master: master, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			select {
			case p.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = tty.Close()
		_ = master.Close()
		<-p.done
	})
	return p
}

func (p *pty) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the program has written s.
func (p *pty) waitFor(t *testing.T, s string) {
	t.Helper()
	for !strings.Contains(p.screen(), s) {
		select {
		case <-p.changed:
		case <-p.done:
			if !strings.Contains(p.screen(), s) {
				t.Fatalf("the terminal closed before showing %q:\n%s", s, p.screen())
			}
		}
	}
}

// press types keys on the terminal (the bytes a terminal sends for them).
func (p *pty) press(t *testing.T, keys string) {
	t.Helper()
	if _, err := p.master.WriteString(keys); err != nil {
		t.Fatal(err)
	}
}
