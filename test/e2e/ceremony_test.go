//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	gossh "golang.org/x/crypto/ssh"
)

// TestCeremonyOverSSHUnsealsTheLabsVault: `cedille-tui serve` in front of the lab's real Vault,
// initialized 5/3 and sealed. The admin opens an unseal ceremony in the console (OpenSSH under tmux);
// bob types his share, masked, in his own console (OpenSSH under tmux, the pane's whole output stream
// recorded); Vault is killed and started again — sealed, its progress lost — and every screen says the
// server noticed and gave bob's share again; dave pipes a malformed share (refused, progress kept);
// then carol (golang.org/x/crypto/ssh) and dave (OpenSSH) pipe theirs at the same moment and Vault is
// unsealed. Then a secret scan: no share and no root token in the audit trail, the server's output, the
// terminal streams, the commands' outputs, or any file the server wrote; and the trail verifies.
func TestCeremonyOverSSHUnsealsTheLabsVault(t *testing.T) {
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for this test: run `make deps`", tool)
		}
	}
	l := labtest.Start(t, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := vaultops.Init(ctx, v, vaultops.InitOptions{Shares: 5, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Wipe()
	secrets := append([]vaultops.Secret{keys.RootToken}, keys.Shares...)

	// The people: a key each, OpenSSH's format, and the access file.
	dir, state := t.TempDir(), t.TempDir()
	people := []struct{ name, role string }{{"alice", "admin"}, {"bob", "viewer"}, {"carol", "operator"}, {"dave", "viewer"}}
	signers := map[string]gossh.Signer{}
	var access strings.Builder
	access.WriteString("users:\n")
	for _, p := range people {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		block, err := gossh.MarshalPrivateKey(priv, p.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p.name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		sp, err := gossh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		if signers[p.name], err = gossh.NewSignerFromKey(priv); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&access, "  - name: %s\n    role: %s\n    custodian: %t\n    keys: [%q]\n", p.name, p.role, p.name != "alice",
			strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))))
	}
	accessFile := filepath.Join(dir, "access.yaml")
	if err := os.WriteFile(accessFile, []byte(access.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	// The server.
	addr := freeAddr(t)
	trail := filepath.Join(state, "audit.jsonl")
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "XDG_STATE_HOME=" + state, "XDG_CONFIG_HOME=" + t.TempDir(),
		"TERM=xterm-256color", "VAULT_ADDR=" + l.VaultAddr()}
	srv := exec.CommandContext(ctx, shared.binary, "serve", "--listen", addr, "--access", accessFile, "--audit-log", trail)
	srv.Env = env
	srv.Cancel = func() error { return srv.Process.Signal(syscall.SIGTERM) }
	var srvOut, srvErr syncBuf
	srv.Stderr = &srvErr
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	serving := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			srvOut.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "serving the console") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = srv.Process.Signal(syscall.SIGTERM)
			<-readDone
			_ = srv.Wait()
		}
	}
	t.Cleanup(stop)
	select {
	case <-serving:
	case <-ctx.Done():
		t.Fatalf("serve never served:\n%s\n%s", srvOut.String(), srvErr.String())
	}

	knownHosts := filepath.Join(dir, "known_hosts")
	host, port, _ := strings.Cut(addr, ":")
	sshArgs := func(name string) []string {
		return []string{"-i", filepath.Join(dir, name), "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + knownHosts,
			"-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-p", port, name + "@" + host}
	}
	console := func(name string) (*tmuxSession, string) {
		s := &tmuxSession{t: t, socket: fmt.Sprintf("cedille-e2e-%d", os.Getpid()), name: "ceremony-" + name,
			status: filepath.Join(t.TempDir(), "status")}
		cmdline := strings.Join(append(append([]string{"env", "-i"}, env...), append([]string{"ssh", "-tt"}, sshArgs(name)...)...), " ")
		s.tmux("new-session", "-d", "-s", s.name, "-x", "100", "-y", "30", cmdline+"; echo $? > "+s.status+"; sleep 60")
		t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run() })
		stream := filepath.Join(t.TempDir(), name+".stream")
		s.tmux("pipe-pane", "-t", s.name, "-o", "cat >> "+stream) // every byte the terminal receives
		s.waitFor(30*time.Second, "Overview", "q quit")
		return s, stream
	}
	jump := func(s *tmuxSession, page string) {
		s.press(100*time.Millisecond, ":")
		s.keys("-l", page)
		s.keys("Enter")
	}

	// alice opens the ceremony; its id and fingerprint are read off her screen.
	alice, aliceStream := console("alice")
	jump(alice, "ceremony")
	alice.waitFor(15*time.Second, "No Vault ceremony has been opened")
	alice.keys("u")
	alice.waitFor(30*time.Second, "Unseal ceremony", "· open", "0 of 3")
	m := regexp.MustCompile(`Unseal ceremony ([0-9a-f]{8}) · open\s+fingerprint ([0-9a-f-]{19})`).FindStringSubmatch(alice.screen())
	if m == nil {
		t.Fatalf("no id and fingerprint on alice's screen:\n%s", alice.screen())
	}
	id, fingerprint := m[1], m[2]

	// bob, in his console: the notice, then his share typed (masked).
	bob, bobStream := console("bob")
	bob.waitFor(15*time.Second, "your share is wanted")
	jump(bob, "ceremony")
	bob.waitFor(15*time.Second, "fingerprint "+fingerprint, "s: type or paste your share")
	bob.keys("s")
	bob.waitFor(10*time.Second, "enter sends it to Vault")
	bob.keys("-l", keys.Shares[0].Reveal())
	bob.waitFor(10*time.Second, "share ••••••••")
	bob.keys("Enter")
	bob.waitFor(30*time.Second, "share taken", "1 of 3")
	alice.waitFor(15*time.Second, "bob", "1 of 3")

	// Vault restarts: sealed again, its progress lost. The server notices and gives bob's share again.
	if err := l.Stop(lab.Vault); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(30*time.Second, "connection refused")
	if err := l.Start(lab.Vault); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(60*time.Second, "restarted: its progress was reset; the shares given so far are given again", "1 of 3")
	bob.waitFor(15*time.Second, "restarted: its progress was reset")

	// dave's malformed share is refused; the progress is kept.
	var outputs syncBuf
	openssh := func(name, stdin string, args ...string) (string, error) {
		c := exec.CommandContext(ctx, "ssh", append(sshArgs(name), args...)...)
		c.Env, c.Stdin = env, strings.NewReader(stdin)
		o, err := c.CombinedOutput()
		outputs.Write(o)
		return string(o), err
	}
	got, err := openssh("dave", "not-a-share!\n", "ceremony", "submit", id, fingerprint)
	if err == nil || !strings.Contains(got, "the share was refused") {
		t.Fatalf("a malformed share: %v\n%s", err, got)
	}
	alice.waitFor(15*time.Second, "1 of 3")

	// carol (x/crypto/ssh) and dave (OpenSSH) at the same moment.
	var wg sync.WaitGroup
	var carolOut, daveOut string
	var carolErr, daveErr error
	wg.Go(func() {
		carolOut, carolErr = runSSH(addr, signers["carol"], "ceremony submit "+id, keys.Shares[3].Reveal()+"\n")
		outputs.Write([]byte(carolOut))
	})
	wg.Go(func() {
		daveOut, daveErr = openssh("dave", keys.Shares[1].Reveal()+"\n", "ceremony", "submit", id, fingerprint)
	})
	wg.Wait()
	if carolErr != nil || daveErr != nil {
		t.Fatalf("carol: %v\n%s\ndave: %v\n%s", carolErr, carolOut, daveErr, daveOut)
	}
	if st, err := vaultops.SealStatus(ctx, v); err != nil || st.Sealed {
		t.Fatalf("Vault after the ceremony: %+v %v", st, err)
	}
	alice.waitFor(15*time.Second, "completed (every replica is unsealed)", "unsealed ✔")
	bob.waitFor(15*time.Second, "completed (every replica is unsealed)")
	status, err := openssh("alice", "", "ceremony", "status")
	if err != nil || !strings.Contains(status, "custodian carol: submitted at") || !strings.Contains(status, "note: ") {
		t.Fatalf("ceremony status: %v\n%s", err, status)
	}
	alice.keys("q")
	bob.keys("q")
	alice.exited(20 * time.Second)
	bob.exited(20 * time.Second)
	stop()

	// The trail: it verifies, and holds who and when.
	verify := exec.Command(shared.binary, "audit", "verify", trail)
	verify.Env = env
	if o, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(o), "the chain holds") {
		t.Fatalf("audit verify: %v\n%s", err, o)
	}
	records, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ceremony_opened"`, `"ceremony_joined"`, `"ceremony_completed"`, `"user":"carol"`} {
		if !bytes.Contains(records, []byte(want)) {
			t.Errorf("the trail has no %s", want)
		}
	}
	if n := bytes.Count(records, []byte(`"ceremony_submitted"`)); n != 4 {
		t.Errorf("%d submissions recorded, want 4 (bob, dave's refused one, carol, dave)", n)
	}

	// The secret scan.
	scanned := map[string][]byte{"audit trail": records, "server stdout": []byte(srvOut.String()),
		"server stderr": []byte(srvErr.String()), "command outputs": []byte(outputs.String())}
	for name, path := range map[string]string{"alice's terminal stream": aliceStream, "bob's terminal stream": bobStream} {
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v (%d bytes)", name, err, len(b))
		}
		scanned[name] = b
	}
	scanned["alice's screen"], scanned["bob's screen"] = []byte(alice.screen()), []byte(bob.screen())
	_ = filepath.WalkDir(state, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(path); err == nil {
				scanned[path] = b
			}
		}
		return nil
	})
	for i, s := range secrets {
		for where, b := range scanned {
			if bytes.Contains(b, []byte(s.Reveal())) || bytes.Contains(b, []byte(s.Reveal()[:16])) {
				t.Errorf("secret %d is in %s", i, where)
			}
		}
	}
	for where, b := range scanned {
		if bytes.Contains(b, []byte("not-a-share")) {
			t.Errorf("the refused share is repeated in %s", where)
		}
	}
	t.Logf("ceremony %s unsealed the lab's Vault; scanned %d outputs and files", id, len(scanned))
}

// runSSH runs cmd over golang.org/x/crypto/ssh with stdin, without a terminal; the error carries the
// exit status.
func runSSH(addr string, signer gossh.Signer, cmd, stdin string) (string, error) {
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "carol", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	s.Stdin = strings.NewReader(stdin)
	out, err := s.CombinedOutput(cmd)
	var exit *gossh.ExitError
	if errors.As(err, &exit) {
		return string(out), fmt.Errorf("exit status %d", exit.ExitStatus())
	}
	return string(out), err
}

// syncBuf is a buffer written by one goroutine and read by another.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
