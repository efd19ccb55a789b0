//go:build e2e

package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
)

// transitSeal makes the lab's Vault of l a transit server for another Vault's auto-unseal seal (the
// platform's seal is GCP KMS; a transit seal is the auto-unseal this machine can run for real): it is
// initialized 1/1, unsealed, given a transit key, and the stanza of the seal is written to a 0600 file.
func transitSeal(t *testing.T, l *lab.Lab) string {
	t.Helper()
	ctx := context.Background()
	c, err := vault.NewClient(&vault.Config{Address: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	init, err := c.Sys().InitWithContext(ctx, &vault.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sys().UnsealWithContext(ctx, init.KeysB64[0]); err != nil {
		t.Fatal(err)
	}
	c.SetToken(init.RootToken)
	// An unsealed Vault takes a moment to become active.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = c.Sys().MountWithContext(ctx, "transit", &vault.MountInput{Type: "transit"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the transit mount: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := c.Logical().WriteWithContext(ctx, "transit/keys/autounseal", nil); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "seal.hcl")
	stanza := fmt.Sprintf("seal \"transit\" {\n  address = %q\n  token = %q\n  key_name = \"autounseal\"\n  mount_path = \"transit/\"\n}\n",
		l.VaultAddr(), init.RootToken)
	if err := os.WriteFile(f, []byte(stanza), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVaultStepsAutoUnseal: a real Vault whose seal is transit auto-unseal (served by a second real
// Vault). vault-init sees the auto-unseal seal and makes recovery shares (5/3), shown in the ceremony as
// recovery shares with the root token; vault-unseal asks for no share: the server unsealed itself. The
// bootstrap runs with the root token from memory, which it revokes. Vault is then killed and started
// again: it comes back unsealed by itself, and the unseal step's Check holds without a share. Finally a
// later session runs the bootstrap again: three of the recovery shares the ceremony showed make a new root
// token through generate-root (a malformed one refused first), used and then revoked.
func TestVaultStepsAutoUnseal(t *testing.T) {
	transit := labtest.Start(t, lab.KubeAPIServer, lab.Vault)
	seal := transitSeal(t, transit)
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.Vault}, VaultSealFile: seal})

	p, dir := clusterPlan(t, transit)
	op := &operator{t: t, revoke: true, shares: func(Prompt) vaultops.Secret {
		t.Error("a share was asked for: an auto-unseal Vault unseals itself")
		return vaultops.Secret{}
	}}
	var sc scanner
	r := vaultSession(l.VaultAddr(), dir, op.ask, &sc)
	env := r.Env
	sv := Saved{Plan: p}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	c, err := vault.NewClient(&vault.Config{Address: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Sys().SealStatusWithContext(ctx); err != nil || st.Type != "transit" || st.Initialized {
		t.Fatalf("the Vault under test: %+v %v, want an uninitialized transit-sealed Vault", st, err)
	}

	if err := r.RunOne(ctx, &sv, VaultInitStep{}); err != nil {
		t.Fatalf("init: %v", err)
	}
	said := sc.text.String()
	if !strings.Contains(said, "auto-unseal seal (transit)") || !strings.Contains(said, "5 recovery shares, 3 needed") {
		t.Errorf("the init does not say it made recovery shares of an auto-unseal seal:\n%s", said)
	}
	if len(op.shown) != 6 {
		t.Fatalf("the ceremony showed %d secrets, want 5 recovery shares and the root token", len(op.shown))
	}
	for i, pr := range op.prompts[:5] {
		if !strings.Contains(pr.Title, "recovery share") {
			t.Errorf("custody prompt %d is not titled as a recovery share: %q", i, pr.Title)
		}
	}
	shares, root := op.shown[:5], op.shown[5]

	if err := r.RunOne(ctx, &sv, VaultUnsealStep{}); err != nil {
		t.Fatalf("unseal: %v", err)
	}
	if err := r.RunOne(ctx, &sv, VaultBootstrapStep{}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	c.SetToken(root)
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err == nil {
		t.Error("the root token still works though the operator chose to revoke it")
	}

	// A power cut: Vault comes back and unseals itself; nothing to type.
	if err := l.Stop(lab.Vault); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(lab.Vault); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := c.Sys().SealStatusWithContext(ctx)
		if err == nil && !st.Sealed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted Vault did not unseal itself: %+v %v", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if o, err := (VaultUnsealStep{}).Check(ctx, env, sv.Plan); err != nil || !o.Holds {
		t.Errorf("after the restart the unseal step's Check: %+v %v", o, err)
	}

	// A later session (the init's token gone, VAULT_TOKEN unset) runs the bootstrap again: it offers to
	// make a root token from the recovery shares; a malformed one is refused with Vault's words, three
	// good ones make the token, and it is revoked at the end.
	given := 0
	op.shares = func(pr Prompt) vaultops.Secret {
		given++
		if given == 1 {
			return vaultops.NewSecret("not-a-share!")
		}
		if given == 2 && !strings.Contains(pr.Problem, "vault refused the share") {
			t.Errorf("the prompt after a malformed share does not show Vault's refusal: %q", pr.Problem)
		}
		if len(pr.Items) != 1 || !strings.Contains(pr.Items[0].State, fmt.Sprintf("%d of 3 shares", max(given-2, 0))) {
			t.Errorf("generate-root progress at share %d: %+v", given, pr.Items)
		}
		return vaultops.NewSecret(shares[given-1])
	}
	if err := vaultSession(l.VaultAddr(), dir, op.ask, &sc).RunOne(ctx, &sv, VaultBootstrapStep{}); err != nil {
		t.Fatalf("the bootstrap in a later session: %v", err)
	}
	if given != 4 {
		t.Errorf("%d shares asked for, want 4 (one refused, three good)", given)
	}
	last := op.prompts[len(op.prompts)-1]
	if last.Kind != PromptShare || !strings.Contains(sc.text.String(), "the root token made for the bootstrap is revoked") {
		t.Errorf("the made token must be revoked without a question (last prompt %q):\n%s", last.Title, sc.text.String())
	}
	if st, err := c.Sys().GenerateRootStatusWithContext(ctx); err != nil || st.Started {
		t.Errorf("a generate-root attempt is left open: %+v %v", st, err)
	}

	sc.mustNotContain(t, "a recovery share", shares...)
	sc.mustNotContain(t, "the root token", root)
	state, err := os.ReadFile(r.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range append(shares, root) {
		if strings.Contains(string(state), s) {
			t.Errorf("secret %d is in the state file", i+1)
		}
	}
}
