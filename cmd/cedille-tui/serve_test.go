package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/serve/servetest"
	gossh "golang.org/x/crypto/ssh"
)

// TestDemoServe: `demo --serve 127.0.0.1:0` serves the demo's platform; the keys it made log in over
// SSH as their roles (a real SSH client), `status` runs without a terminal, another command is refused,
// and the audit trail it keeps verifies.
func TestDemoServe(t *testing.T) {
	state := t.TempDir()
	vars := map[string]string{"HOME": t.TempDir(), "XDG_STATE_HOME": state, "XDG_CONFIG_HOME": t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	out := &servetest.Buffer{}
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, []string{"demo", "--serve", "127.0.0.1:0"}, streams{in: strings.NewReader(""), out: out, err: &errOut},
			platform.MapLookup(vars), nil)
	}()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(60 * time.Second):
			t.Fatal("demo --serve did not stop")
		}
		return -1
	}
	t.Cleanup(func() { stop() })

	serving := regexp.MustCompile(`serving the console of \S+ on (127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(60 * time.Second)
	var addr string
	for addr == "" {
		if m := serving.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo --serve never said where it serves:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	dir := filepath.Join(state, "cedille-tui", "demo", "serve")
	if !strings.Contains(out.String(), "ssh -F "+filepath.Join(dir, "ssh_config")+" viewer") {
		t.Errorf("the login lines name the ssh_config and the identity:\n%s", out.String())
	}
	signer := func(name string) gossh.Signer {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s, err := gossh.ParsePrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := func(name, cmd string) (string, error) { return servetest.Run(addr, "anyone", cmd, signer(name)) }
	got, err := run("viewer", "status")
	if err != nil || !strings.Contains(got, "cedille-cluster") || !strings.Contains(got, "Node/worker-1") {
		t.Fatalf("status over SSH: %v\n%q\n%s", err, got, out.String())
	}
	if got, err := run("admin", "sh"); err == nil || !strings.Contains(got, `"sh" is not a command here`) {
		t.Errorf("an unknown command: %v %q", err, got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo --serve exit %d: %s", code, errOut.String())
	}
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head, err := audit.VerifyHead(f)
	if err != nil || head.Seq != 4 {
		t.Errorf("the audit trail: two sessions, a connect and a disconnect each, a chain that holds: %d records, %v", head.Seq, err)
	}
}

// TestServeRefusesAMalformedAccessFile: a malformed access file stops serve before it listens, with the
// file's line and what to fix.
func TestServeRefusesAMalformedAccessFile(t *testing.T) {
	cfg := t.TempDir()
	bad := filepath.Join(cfg, "access.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - name: alice\n    role: boss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, map[string]string{"KUBECONFIG": closedPortKubeconfig(t)}, "serve", "--access", bad, "--listen", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.stderr, bad+":3:") || !strings.Contains(r.stderr, "viewer") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
