package serve

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	gossh "golang.org/x/crypto/ssh"
)

// shamirVault is one sealed replica that takes any three of its shares (a share beginning "bad" is not
// one of them, and is refused as Vault refuses a malformed one).
type shamirVault struct {
	mu     sync.Mutex
	sealed bool
	parts  []string
}

func (v *shamirVault) progress() vaultops.Progress {
	return vaultops.Progress{Sealed: v.sealed, Progress: len(v.parts), Threshold: 3}
}

func (v *shamirVault) Status(context.Context) (vaultops.Progress, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.progress(), nil
}

func (v *shamirVault) Submit(_ context.Context, s vaultops.Secret) (vaultops.Progress, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if strings.HasPrefix(s.Reveal(), "bad") {
		return v.progress(), errors.New("refused the share: 'key' must be a valid hex or base64 string")
	}
	v.parts = append(v.parts, s.Reveal())
	if len(v.parts) == 3 {
		v.sealed, v.parts = false, nil
	}
	return v.progress(), nil
}

func (v *shamirVault) Given(s vaultops.Secret) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.parts {
		if p == s.Reveal() {
			return true
		}
	}
	return false
}

// fakeRoot makes a root token from two shares.
type fakeRoot struct{ given int }

func (r *fakeRoot) Provide(context.Context, vaultops.Secret) (vaultops.Secret, bool, error) {
	r.given++
	if r.given == 2 {
		return vaultops.NewSecret("hvs.fake-root-token-0123456789"), false, nil
	}
	return vaultops.Secret{}, false, nil
}
func (r *fakeRoot) Progress() (int, int)                    { return r.given, 2 }
func (r *fakeRoot) Cancel(context.Context) error            { return nil }
func newRoot(context.Context) (ceremony.RootAttempt, error) { return &fakeRoot{}, nil }

// memTrail keeps the ceremony's records.
type memTrail struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (m *memTrail) Append(r audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

// ceremonyServer serves the ceremony command over a board of one replica v, to alice (admin), bob and
// carol and dave (custodians) and victor (a viewer, not a custodian).
func ceremonyServer(t *testing.T, v *shamirVault) (string, *Server, *ceremony.Board, *memTrail) {
	t.Helper()
	trail := &memTrail{}
	b := ceremony.NewBoard(ceremony.BoardOptions{Sink: trail, Now: func() time.Time { return now },
		Replicas: func(context.Context) ([]ceremony.Replica, func(), error) {
			return []ceremony.Replica{{Name: "vault-0", Unsealer: v, StartRoot: newRoot}}, nil, nil
		}})
	addr, _, srv := startWith(t, Options{Access: ceremonyAccess(t, true), Exec: map[string]Command{"ceremony": CeremonyCommand(b)}})
	return addr, srv, b, trail
}

func ceremonyAccess(t *testing.T, daveIsCustodian bool) *access.File {
	dave := userLine(t, "dave", "viewer")
	if daveIsCustodian {
		dave = strings.Replace(dave, "role: viewer", "role: viewer, custodian: true", 1)
	}
	return accessFile(t, "users:", userLine(t, "alice", "admin"),
		strings.Replace(userLine(t, "bob", "viewer"), "role: viewer", "role: viewer, custodian: true", 1),
		strings.Replace(userLine(t, "carol", "operator"), "role: operator", "role: operator, custodian: true", 1),
		dave, userLine(t, "victor", "viewer"))
}

// ran is one exec command's outcome.
type ran struct {
	out, err string
	status   int
}

// runCommand runs cmd as name, with stdin, with or without a terminal.
func runCommand(t *testing.T, addr, name, cmd, stdin string, pty bool) ran {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: name, Auth: []gossh.AuthMethod{gossh.PublicKeys(keyOf(t, name))},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = strings.NewReader(stdin), &out, &errOut
	if pty {
		if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Run(cmd)
	r := ran{out: out.String(), err: errOut.String()}
	var exit *gossh.ExitError
	switch {
	case errors.As(err, &exit):
		r.status = exit.ExitStatus()
	case err != nil:
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

var testShares = []string{"q1Vh8mZ3nR0tYw2Lp4Xc7Bf9Ks6Dj5Ag1Ee0Hi3Oo2Uu", "Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD8cB7aA6zY5",
	"M3nB4vC5xZ6lK7jH8gF9dS0aP1oI2uY3tR4eW5qQ6wE7"}

// TestCeremonySubmitOverSSH: custodians give their shares through `ceremony submit`, from stdin, each
// checked against the access file as it stands; every refusal says why and keeps the progress; the
// shares reach neither the trail nor any output.
func TestCeremonySubmitOverSSH(t *testing.T) {
	v := &shamirVault{sealed: true}
	addr, srv, b, trail := ceremonyServer(t, v)
	alice := ceremony.Actor{Name: "alice", Role: access.Admin, Session: "s-alice"}
	c, err := b.Open(context.Background(), ceremony.Unseal, alice, srv.custodians())
	if err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	submit := "ceremony submit " + c.ID
	for _, step := range []struct {
		name, user, cmd, stdin string
		pty                    bool
		status                 int
		want                   string
	}{
		{"status, for anyone", "victor", "ceremony", "", false, 0, "unseal ceremony " + c.ID + ": open\nfingerprint " + c.Fingerprint},
		{"not a custodian", "victor", submit, testShares[0], false, 1, "victor is not a custodian in the access file"},
		{"another fingerprint", "bob", submit + " 0000-0000-0000-0000", testShares[0], false, 1, "refused, nothing was read: ceremony " + c.ID + "'s fingerprint is not 0000-0000-0000-0000"},
		{"with a terminal", "bob", submit, "", true, 1, "a share typed into a terminal is echoed"},
		{"an unknown ceremony", "bob", "ceremony submit 00000000", testShares[0], false, 1, `no such ceremony "00000000"`},
		{"nothing piped", "bob", submit, "\n", false, 1, "stdin was empty"},
		{"still encrypted", "bob", submit, "-----BEGIN PGP MESSAGE-----\nhQEMA\n", false, 1, "that are not one share"},
		{"too much", "bob", submit, strings.Repeat("a", maxShare+1), false, 1, "stdin holds more than 4096 bytes"},
		{"refused by Vault", "bob", submit, "bad-share", false, 1, "the share was refused: refused the share"},
		{"bob's share", "bob", submit + " " + strings.ToUpper(c.Fingerprint), testShares[0] + "\n", false, 0, "share taken — vault-0: 1 of 3"},
		{"bob again", "bob", submit, testShares[1], false, 1, "bob already submitted a share to ceremony " + c.ID},
		{"carol's", "carol", submit, testShares[1], false, 0, "vault-0: 2 of 3"},
		{"usage", "carol", "ceremony open", "", false, 1, "usage: ceremony [status]"},
	} {
		r := runCommand(t, addr, step.user, step.cmd, step.stdin, step.pty)
		seen.WriteString(r.out + r.err)
		if r.status != step.status || !strings.Contains(r.out+r.err, step.want) {
			t.Fatalf("%s: status %d, out %q, err %q; want %d and %q", step.name, r.status, r.out, r.err, step.status, step.want)
		}
	}
	if p := c.Progress()[0]; p.Progress != 2 {
		t.Fatalf("progress %v", p)
	}

	// dave is no longer a custodian: his share is refused, though the ceremony named him.
	srv.SetAccess(ceremonyAccess(t, false))
	r := runCommand(t, addr, "dave", submit, testShares[2], false)
	if r.status != 1 || !strings.Contains(r.err, "dave is not a custodian in the access file") {
		t.Fatalf("a custodian removed from the access file: %+v", r)
	}
	srv.SetAccess(ceremonyAccess(t, true))
	r = runCommand(t, addr, "dave", submit, testShares[2], false)
	seen.WriteString(r.out + r.err)
	if r.status != 0 || !strings.Contains(r.out, "vault-0: unsealed") {
		t.Fatalf("dave's share: %+v", r)
	}
	if v.sealed {
		t.Fatal("Vault is still sealed")
	}
	r = runCommand(t, addr, "victor", "ceremony status", "", false)
	if !strings.Contains(r.out, "completed (every replica is unsealed)") || !strings.Contains(r.out, "custodian dave: submitted at 03:12:00") {
		t.Fatalf("status after: %q", r.out)
	}

	trail.mu.Lock()
	defer trail.mu.Unlock()
	var records strings.Builder
	for _, rec := range trail.recs {
		records.WriteString(rec.Reason + rec.Action + rec.Target + rec.User + "\n")
	}
	if n := strings.Count(records.String(), "\n"); n < 6 {
		t.Fatalf("only %d records: %s", n, records.String())
	}
	for _, s := range testShares {
		for where, text := range map[string]string{"audit trail": records.String(), "output": seen.String()} {
			if strings.Contains(text, s[:12]) {
				t.Errorf("a share is in the %s", where)
			}
		}
	}
	if strings.Contains(seen.String(), "bad-share") || strings.Contains(seen.String(), "hQEMA") {
		t.Error("a refused input is repeated in the output")
	}
}

// TestCeremonyTokenOverSSH: the generated root token goes to its owner's stdout once, never to a
// terminal, never to anyone else.
func TestCeremonyTokenOverSSH(t *testing.T) {
	addr, srv, b, _ := ceremonyServer(t, &shamirVault{sealed: true})
	alice := ceremony.Actor{Name: "alice", Role: access.Admin, Session: "s-alice"}
	c, err := b.Open(context.Background(), ceremony.GenerateRoot, alice, srv.custodians())
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"bob", "carol"} {
		if r := runCommand(t, addr, who, "ceremony submit "+c.ID, testShares[0], false); r.status != 0 {
			t.Fatalf("%s: %+v", who, r)
		}
	}
	token := "ceremony token " + c.ID
	for _, step := range []struct {
		name, user string
		pty        bool
		status     int
		want       string
	}{
		{"someone else", "bob", false, 1, "the root token goes only to alice"},
		{"to a terminal", "alice", true, 1, "the token would be printed to a screen"},
		{"its owner", "alice", false, 0, "hvs.fake-root-token-0123456789\n"},
		{"a second time", "alice", false, 1, "no root token waits"},
	} {
		r := runCommand(t, addr, step.user, token, "", step.pty)
		if r.status != step.status || !strings.Contains(r.out+r.err, step.want) {
			t.Fatalf("%s: %+v, want %d and %q", step.name, r, step.status, step.want)
		}
		if step.status != 0 && strings.Contains(r.out+r.err, "fake-root-token") {
			t.Fatalf("%s: the token leaked: %+v", step.name, r)
		}
	}
}

func TestReadShare(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{"a line", "  q1Vh8mZ3\n", "q1Vh8mZ3", ""},
		{"empty", "\n\n", "", "stdin was empty"},
		{"two words", "q1Vh 8mZ3", "", "are not one share"},
		{"binary", "q1Vh\x008mZ3", "", "are not one share"},
		{"the limit", strings.Repeat("b", maxShare), strings.Repeat("b", maxShare), ""},
		{"past the limit", strings.Repeat("b", maxShare+1), "", "more than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readShare(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !s.Empty() {
					t.Fatalf("got %v (empty %v), want %q", err, s.Empty(), tc.err)
				}
				if strings.Contains(err.Error(), "q1Vh") {
					t.Fatal("the refusal repeats the input")
				}
				return
			}
			if err != nil || s.Reveal() != tc.want {
				t.Fatalf("got %d bytes, %v", s.Len(), err)
			}
		})
	}
}
