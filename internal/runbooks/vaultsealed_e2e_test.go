//go:build e2e

package runbooks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"k8s.io/client-go/rest"
)

// TestVaultSealedOnTheLabsVault runs `vault-sealed` against the lab's real Vault, initialized 5/3 and so
// sealed: the precheck reads its seal (Shamir, 0 of 3); the manual step (the custodians) is ticked; the
// postcheck follows the progress while the shares are given — as a ceremony would, one at a time — and
// ends once Vault is unsealed. Run again, unsealed: it does not apply. No share reaches the trail, the
// state file or the report.
func TestVaultSealedOnTheLabsVault(t *testing.T) {
	l := labtest.Start(t, lab.Vault)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	vault := newLabVault(ctx, t, l.VaultAddr())
	connect, keys := vault.connect, vault.keys
	bed := newTestbed(t, &rest.Config{Host: "https://127.0.0.1:1"}) // no cluster: the runbook acts on none
	e, dir, trailPath := bed.engine(), bed.dir, bed.trailPath
	w := runbook.World{Vault: vault.replicas}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}

	s, err := e.Start(VaultSealed(), runbook.Target{}, olive, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || v.Why != "vault-0 sealed: the custodians' shares unseal them, vault-0 first" ||
		v.Details[0] != "vault-0: sealed, 0 of 3 shares (shamir)" {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	if err := s.Tick("three custodians called"); err != nil {
		t.Fatal(err)
	}
	// The custodians' shares, one at a time, while the postcheck follows.
	given := make(chan error, 1)
	var lines []string
	progress := func(p runbook.Progress) {
		lines = append(lines, p.Line)
		if len(lines) == 1 { // once the postcheck has read the sealed state
			go func() {
				u := vaultops.NewUnsealer("vault-0", connect())
				for i := range 3 {
					if _, err := u.Submit(ctx, vaultops.NewSecret(keys.Shares[i].Reveal())); err != nil {
						given <- err
						return
					}
				}
				given <- nil
			}()
		}
	}
	if err := s.Wait(ctx, progress); err != nil {
		t.Fatalf("postcheck: %v (%q)", err, lines)
	}
	if err := <-given; err != nil {
		t.Fatal(err)
	}
	if r := s.Run(); r.Outcome != "done" || lines[0] != "vault-0: sealed, 0 of 3 shares (shamir)" || lines[len(lines)-1] != "vault-0: unsealed" {
		t.Fatalf("outcome %q, readings %q", r.Outcome, lines)
	}

	again, err := e.Start(VaultSealed(), runbook.Target{}, olive, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := again.Check(ctx); err != nil || v.Applies || again.Run().Outcome != "not applicable: every Vault server is unsealed: nothing to repair" {
		t.Fatalf("unsealed: %+v %v %q", v, err, again.Run().Outcome)
	}

	for _, path := range []string{trailPath, s.Run().Report, filepath.Join(dir, "runbooks", "runs", s.Run().ID+".json")} {
		b, err := readFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, sh := range append(keys.Shares, keys.RootToken) {
			if strings.Contains(b, sh.Reveal()[:16]) {
				t.Errorf("secret %d is in %s", i, path)
			}
		}
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
