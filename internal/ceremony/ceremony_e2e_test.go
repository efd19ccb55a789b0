//go:build e2e

package ceremony

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// TestCeremonyRealVault: the lab's real Vault, initialized 5/3. A first ceremony: bob's share is taken
// (1 of 3); carol's malformed share is refused with the progress kept; Vault is killed and started again,
// and Refresh notices it and gives bob's share again; carol and dave then submit at once and Vault is
// unsealed. Vault is restarted (sealed again) and a second ceremony has three custodians submit at once.
// Then the audit file and every message the test saw are scanned for the shares and the root token.
func TestCeremonyRealVault(t *testing.T) {
	l := labtest.Start(t, lab.Vault)
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	keys, err := vaultops.Init(ctx, v, vaultops.InitOptions{Shares: 5, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Wipe()
	// The ceremony wipes what it is given: each custodian's share is a copy of the init's.
	share := func(i int) vaultops.Secret { return vaultops.NewSecret(keys.Shares[i].Reveal()) }
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	var seen strings.Builder // every message and view the test saw, scanned at the end
	say := func(format string, a ...any) { fmt.Fprintf(&seen, format+"\n", a...) }
	open := func() *Ceremony {
		t.Helper()
		rep, err := ReplicaOf(ctx, "vault-0", v)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Open(Unseal, admin, []Replica{rep}, []string{"bob", "carol", "dave"}, 10*time.Minute, Options{Sink: log})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	restart := func() {
		t.Helper()
		if err := l.Stop(lab.Vault); err != nil {
			t.Fatal(err)
		}
		if err := l.Start(lab.Vault); err != nil {
			t.Fatal(err)
		}
	}
	together := func(c *Ceremony, who []Actor, idx []int) {
		t.Helper()
		errs := make([]error, len(who))
		var wg sync.WaitGroup
		for i := range who {
			s := share(idx[i])
			wg.Go(func() { errs[i] = c.Submit(ctx, who[i], s) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", who[i].Name, err)
			}
		}
	}

	c := open()
	if err := c.Submit(ctx, bob, share(0)); err != nil {
		t.Fatal(err)
	}
	err = c.Submit(ctx, carol, vaultops.NewSecret("not-a-share!"))
	if err == nil {
		t.Fatal("a malformed share was taken")
	}
	say("refusal: %v", err)
	if p := c.Progress()[0]; !p.Sealed || p.Progress != 1 || p.Threshold != 3 {
		t.Fatalf("after a refused share: %v (want 1 of 3 kept)", p)
	}
	restart()
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	p := c.Progress()[0]
	say("after the restart: %v %s", p, p.Note)
	if p.Progress != 1 || !strings.Contains(p.Note, "vault-0 restarted: its progress was reset; the shares given so far are given again") {
		t.Fatalf("the restart: %+v", p)
	}
	together(c, []Actor{carol, dave}, []int{1, 2})
	view := c.View()
	say("%+v", view)
	if view.Phase != Completed {
		t.Fatalf("first ceremony: %v %v", view.Phase, view.Replicas)
	}
	if st, err := vaultops.SealStatus(ctx, v); err != nil || st.Sealed {
		t.Fatalf("Vault after the first ceremony: %+v %v", st, err)
	}

	restart() // sealed again
	c = open()
	together(c, []Actor{bob, carol, dave}, []int{4, 3, 1})
	view = c.View()
	say("%+v", view)
	if view.Phase != Completed {
		t.Fatalf("second ceremony: %v %v", view.Phase, view.Replicas)
	}
	if st, err := vaultops.SealStatus(ctx, v); err != nil || st.Sealed {
		t.Fatalf("Vault after the second ceremony: %+v %v", st, err)
	}

	trail, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(strings.NewReader(string(trail))); err != nil {
		t.Errorf("the trail does not verify: %v", err)
	}
	if n := strings.Count(string(trail), `"ceremony_submitted"`); n != 7 {
		t.Errorf("%d submissions recorded, want 7 (carol's refused one counts: who and when, then her second)", n)
	}
	secrets := append([]vaultops.Secret{keys.RootToken}, keys.Shares...)
	for i, s := range secrets {
		for where, text := range map[string]string{"audit trail": string(trail), "test output": seen.String()} {
			if strings.Contains(text, s.Reveal()) || strings.Contains(text, s.Reveal()[:16]) {
				t.Errorf("secret %d is in the %s", i, where)
			}
		}
	}
	if strings.Contains(string(trail)+seen.String(), "not-a-share") {
		t.Error("the refused share is in the trail or the output")
	}
	t.Logf("%s", seen.String())
}
