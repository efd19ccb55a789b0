package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/serve/servetest"
	gossh "golang.org/x/crypto/ssh"
)

// These tests talk to the server with a real SSH client (golang.org/x/crypto/ssh) over 127.0.0.1.

var now = time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)

// keyOf is a fixed Ed25519 key per name (the tests' keys are throw-away).
func keyOf(t testing.TB, name string) gossh.Signer {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, name)
	s, err := gossh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// badSigner offers a real public key but cannot sign for it: the shape of soft-serve's CVE-2026-24058.
// The server accepts the offer (the key is known), then gets a signature it cannot take (of another
// algorithm: x/crypto refuses that attempt and the client goes on with its next key; a signature of the
// right algorithm that does not verify ends the connection instead).
type badSigner struct{ pub gossh.PublicKey }

func (b badSigner) PublicKey() gossh.PublicKey { return b.pub }
func (b badSigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	return &gossh.Signature{Format: gossh.KeyAlgoRSASHA256, Blob: bytes.Repeat([]byte{7}, 64)}, nil
}

func accessFile(t testing.TB, lines ...string) *access.File {
	t.Helper()
	f, err := access.Parse([]byte(strings.Join(lines, "\n")), "access.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func userLine(t testing.TB, name, role string) string {
	k := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(keyOf(t, name).PublicKey())))
	return fmt.Sprintf("  - {name: %s, role: %s, keys: [%q]}", name, role, k)
}

// refusals is an audit sink that keeps the records.
type refusals struct {
	mu  sync.Mutex
	all []audit.Record
}

func (r *refusals) add(x audit.Record) error {
	r.mu.Lock()
	r.all = append(r.all, x)
	r.mu.Unlock()
	return nil
}
func (r *refusals) records() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Record(nil), r.all...)
}

func (r *refusals) list() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Record
	for _, x := range r.all {
		if x.Event == audit.AuthRefused {
			out = append(out, x)
		}
	}
	return out
}

// start serves f on 127.0.0.1 with one exec command, whoami, which says who the session is.
func start(t *testing.T, f *access.File) (string, *refusals) {
	addr, ref, _ := startServer(t, f, nil)
	return addr, ref
}

// startServer is start with the server, and a terminal handler (nil: none).
func startServer(t *testing.T, f *access.File, terminal func(Session)) (string, *refusals, *Server) {
	t.Helper()
	return startWith(t, Options{Access: f, Terminal: terminal})
}

// startWith serves o on 127.0.0.1, with a host key, the fixed clock, an audit sink and whoami unless o
// has its own.
func startWith(t *testing.T, o Options) (string, *refusals, *Server) {
	t.Helper()
	hk, err := LoadOrCreateHostKey(t.TempDir() + "/host_key")
	if err != nil {
		t.Fatal(err)
	}
	ref := &refusals{}
	o.HostKey, o.Audit = hk, ref.add
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	if o.Exec == nil {
		o.Exec = map[string]Command{}
	}
	o.Exec["whoami"] = func(_ context.Context, s Session) int {
		fmt.Fprintf(s, "%s %s %s\n", s.User.Name, s.User.Role, s.Fingerprint)
		return 0
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return l.Addr().String(), ref, srv
}

// run connects as sshUser with the signers, in order, and runs cmd; it returns the output or the error.
var run = servetest.Run

func TestIdentityIsTheKeyThatSigned(t *testing.T) {
	f := accessFile(t, "users:", userLine(t, "alice", "admin"), userLine(t, "victor", "viewer"))
	addr, ref := start(t, f)
	admin, viewer := keyOf(t, "alice"), keyOf(t, "victor")
	stranger := keyOf(t, "mallory")

	tests := []struct {
		name    string
		sshUser string
		signers []gossh.Signer
		want    string // the whoami line's start; "" when refused
	}{
		{"an unknown key is refused before any session", "mallory", []gossh.Signer{stranger}, ""},
		{"the admin's key", "alice", []gossh.Signer{admin}, "alice admin"},
		{"the admin's key offered but not signed, then the viewer's signed: viewer", "alice",
			[]gossh.Signer{badSigner{admin.PublicKey()}, viewer}, "victor viewer"},
		{"the viewer's key offered but not signed, then the admin's signed: admin", "victor",
			[]gossh.Signer{badSigner{viewer.PublicKey()}, admin}, "alice admin"},
		{"the SSH user name is not the identity", "root", []gossh.Signer{viewer}, "victor viewer"},
		{"a key offered but never signed logs nobody in", "alice", []gossh.Signer{badSigner{admin.PublicKey()}}, ""},
		{"an unknown key first, then a known one", "x", []gossh.Signer{stranger, viewer}, "victor viewer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(addr, tt.sshUser, "whoami", tt.signers...)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("logged in: %q", out)
				}
				if !strings.Contains(err.Error(), "unable to authenticate") {
					t.Errorf("refused at authentication, want; got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%q)", err, out)
			}
			if !strings.HasPrefix(out, tt.want+" SHA256:") {
				t.Errorf("whoami = %q, want %q and the key's fingerprint", out, tt.want)
			}
		})
	}
	for _, r := range ref.list() {
		if strings.Contains(r.Reason, "AAAA") || strings.Contains(r.Fingerprint, "AAAA") {
			t.Errorf("a refusal carries a key, not its fingerprint: %+v", r)
		}
	}
	if !hasRefusal(ref.list(), gossh.FingerprintSHA256(stranger.PublicKey())) {
		t.Errorf("the unknown key's refusal is told, by fingerprint: %+v", ref.list())
	}
}

func hasRefusal(rs []audit.Record, fp string) bool {
	for _, r := range rs {
		if r.Fingerprint == fp && r.Remote != "" {
			return true
		}
	}
	return false
}

func TestEmptyAccessLetsNobodyIn(t *testing.T) {
	for name, f := range map[string]*access.File{"nil": nil, "empty": accessFile(t, ""), "no users": accessFile(t, "users: []")} {
		t.Run(name, func(t *testing.T) {
			addr, _ := start(t, f)
			if out, err := run(addr, "alice", "whoami", keyOf(t, "alice")); err == nil {
				t.Fatalf("an empty access file let a key in: %q", out)
			}
		})
	}
}

func TestOnlyAllowedCommands(t *testing.T) {
	addr, _ := start(t, accessFile(t, "users:", userLine(t, "alice", "admin")))
	out, err := run(addr, "alice", "sh -c id", keyOf(t, "alice"))
	if err == nil || !strings.Contains(out, `"sh" is not a command here; the commands are: whoami`) {
		t.Errorf("an unknown command: %v %q", err, out)
	}
	out, err = run(addr, "alice", "", keyOf(t, "alice"))
	if err == nil || !strings.Contains(out, "no terminal and no command") {
		t.Errorf("no terminal, no command: %v %q", err, out)
	}
}

func TestHostKeyKeptAndGuarded(t *testing.T) {
	path := t.TempDir() + "/k/host_key"
	a, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateHostKey(path)
	if err != nil || a.Fingerprint != b.Fingerprint || !strings.HasPrefix(a.Fingerprint, "SHA256:") {
		t.Fatalf("the key made is the key read again: %v %q %q", err, a.Fingerprint, b.Fingerprint)
	}
	if err := chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key readable by others: %v", err)
	}
}

func chmod(path string, mode os.FileMode) error { return os.Chmod(path, mode) }
