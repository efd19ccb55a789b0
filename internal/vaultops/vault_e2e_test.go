//go:build e2e

package vaultops

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// startLab starts a lab of the test's own: Vault's init cannot be undone.
func startLab(t *testing.T, components ...string) *lab.Lab { return labtest.Start(t, components...) }

// vaultLab starts a lab with only a real, uninitialized Vault and connects to it.
func vaultLab(t *testing.T) (*lab.Lab, *platform.Vault) {
	t.Helper()
	l := startLab(t, lab.Vault)
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: l.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return l, v
}

// decrypt opens a PGP-encrypted share as Vault returns it (base64 of the binary message).
func decrypt(t *testing.T, k *crypto.Key, b64 Secret) Secret {
	t.Helper()
	msg, err := base64.StdEncoding.DecodeString(b64.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := crypto.PGP().Decryption().DecryptionKey(k).New()
	if err != nil {
		t.Fatal(err)
	}
	res, err := dec.Decrypt(msg, crypto.Bytes)
	if err != nil {
		t.Fatalf("a custodian cannot open their share: %v", err)
	}
	return NewSecret(string(res.Bytes()))
}

// TestInitUnsealRealVault: init 5/3 with five custodians' PGP keys (and the root token to a sixth);
// no plaintext share comes back; three decrypted shares unseal Vault, a malformed one is refused with
// Vault's error and the progress kept; Vault killed and restarted mid-unseal is noticed and brought
// back to where it was; an initialized Vault is not initialized twice.
func TestInitUnsealRealVault(t *testing.T) {
	l, v := vaultLab(t)
	ctx := context.Background()
	keys := make([]*crypto.Key, 6)
	pubs := make([][]byte, 5)
	for i := range keys {
		keys[i] = testKey(t, i+1)
		if i < 5 {
			pubs[i] = armoredPublic(t, keys[i])
		}
	}
	st, err := SealStatus(ctx, v)
	if err != nil || st.Initialized || AutoUnseal(st) {
		t.Fatalf("lab Vault: %+v %v", st, err)
	}
	k, err := Init(ctx, v, InitOptions{Shares: 5, Threshold: 3, PGPKeys: pubs, RootTokenPGPKey: armoredPublic(t, keys[5])})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	if len(k.Shares) != 5 || !k.Encrypted || !k.RootEncrypted || k.Recovery || k.Threshold != 3 {
		t.Fatalf("keys: %d shares, encrypted %v/%v, recovery %v", len(k.Shares), k.Encrypted, k.RootEncrypted, k.Recovery)
	}
	shares := make([]Secret, 5)
	for i := range shares {
		shares[i] = decrypt(t, keys[i], k.Shares[i])
		if strings.Contains(k.Shares[i].Reveal(), shares[i].Reveal()) {
			t.Fatal("the encrypted share contains the plaintext")
		}
	}
	root := decrypt(t, keys[5], k.RootToken)
	if !strings.HasPrefix(root.Reveal(), "hvs.") {
		t.Errorf("the decrypted root token does not look like one (%d chars)", root.Len())
	}
	if _, err := Init(ctx, v, InitOptions{Shares: 1, Threshold: 1}); err != ErrAlreadyInitialized {
		t.Errorf("second init: %v", err)
	}

	u := NewUnsealer("vault-0", v)
	p, err := u.Submit(ctx, shares[0])
	if err != nil || !p.Sealed || p.Progress != 1 || p.Threshold != 3 {
		t.Fatalf("share 1: %v %v", p, err)
	}
	p, err = u.Submit(ctx, NewSecret("not-a-share!"))
	if err == nil || p.Progress != 1 {
		t.Fatalf("a malformed share: progress %v, err %v (want Vault's error and the progress kept)", p, err)
	}
	if strings.Contains(err.Error(), "not-a-share") {
		t.Errorf("the error repeats the share: %v", err)
	}
	t.Logf("Vault's refusal: %v", err)
	p, err = u.Submit(ctx, shares[1])
	if err != nil || p.Progress != 2 {
		t.Fatalf("share 2: %v %v", p, err)
	}

	// Vault goes down and comes back sealed, its progress lost.
	if err := l.Stop(lab.Vault); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(lab.Vault); err != nil {
		t.Fatal(err)
	}
	p, err = u.Status(ctx)
	if err != nil || !p.Restarted || p.Progress != 2 {
		t.Fatalf("after the restart: %+v %v (want the two shares sent again)", p, err)
	}
	p, err = u.Submit(ctx, shares[4])
	if err != nil || p.Sealed {
		t.Fatalf("share 3: %v %v", p, err)
	}
	h, err := v.Health(ctx, 5*time.Second)
	if err != nil || h.Sealed || !h.Initialized {
		t.Fatalf("health: %+v %v", h, err)
	}
	p, err = u.Submit(ctx, shares[3])
	if err != nil || p.Sealed {
		t.Errorf("a share to an unsealed Vault changes nothing: %v %v", p, err)
	}
}

// TestUnsealWrongCombination: three valid-looking shares that are not Vault's: Vault drops the attempt
// when the threshold is reached, and the unsealer says so and starts from zero.
func TestUnsealWrongCombination(t *testing.T) {
	_, v := vaultLab(t)
	ctx := context.Background()
	k, err := Init(ctx, v, InitOptions{Shares: 3, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	if k.Encrypted || len(k.Shares) != 3 || k.RootToken.Empty() {
		t.Fatalf("plain init: %+v", k)
	}
	other := make([]byte, 33)
	other[32] = 9
	u := NewUnsealer("vault", v)
	if p, err := u.Submit(ctx, k.Shares[0]); err != nil || p.Progress != 1 {
		t.Fatalf("share 1: %v %v", p, err)
	}
	p, err := u.Submit(ctx, NewSecret(base64.StdEncoding.EncodeToString(other)))
	if err == nil || !p.Sealed || p.Progress != 0 {
		t.Fatalf("a wrong combination: %v %v (want Vault's error, progress back to 0)", p, err)
	}
	t.Logf("Vault's refusal: %v", err)
	for _, s := range k.Shares[1:] {
		p, err = u.Submit(ctx, s)
	}
	if err != nil || p.Sealed {
		t.Fatalf("the right shares after a wrong one: %v %v", p, err)
	}
}

// TestGenerateRootRealVault: after the root token is revoked, a threshold of the shares makes a new one
// through generate-root: a malformed share is refused with Vault's words and the attempt kept; a share
// that is not one of this Vault's makes Vault drop the shares given, which is said (the attempt and its
// one-time password stay); an attempt left over by someone else is replaced; the right shares give a
// token that works and is root.
func TestGenerateRootRealVault(t *testing.T) {
	_, v := vaultLab(t)
	ctx := context.Background()
	k, err := Init(ctx, v, InitOptions{Shares: 3, Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUnsealer("vault", v)
	for _, s := range k.Shares[:2] {
		if _, err := u.Submit(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	waitActive(t, v, k.RootToken)
	v.Client.SetToken(k.RootToken.Reveal())
	if err := RevokeRoot(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Client.ClearToken()

	// Someone else's attempt, whose one-time password this process cannot know.
	if _, err := v.Client.Sys().GenerateRootInitWithContext(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	g, err := StartRootGeneration(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Replaced || g.Required != 2 || g.Progress != 0 {
		t.Fatalf("the attempt: %+v", g)
	}
	if _, restarted, err := g.Provide(ctx, NewSecret("not-a-share!")); err == nil || restarted || !strings.Contains(err.Error(), "vault refused the share") {
		t.Fatalf("a malformed share: restarted %v, %v", restarted, err)
	}
	if _, _, err := g.Provide(ctx, k.Shares[2]); err != nil || g.Progress != 1 {
		t.Fatalf("share 3: progress %d, %v", g.Progress, err)
	}
	other := make([]byte, 33)
	other[32] = 9
	tok, restarted, err := g.Provide(ctx, NewSecret(base64.StdEncoding.EncodeToString(other)))
	if err == nil || !tok.Empty() {
		t.Fatalf("a share of no Vault completed the attempt: %v", err)
	}
	if !restarted || g.Progress != 0 || !strings.Contains(err.Error(), "give the right ones again") {
		t.Fatalf("a wrong combination: restarted %v, progress %d, %v", restarted, g.Progress, err)
	}
	for _, s := range k.Shares[:2] {
		if tok, _, err = g.Provide(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if tok.Empty() {
		t.Fatalf("no token after %d of %d shares", g.Progress, g.Required)
	}
	v.Client.SetToken(tok.Reveal())
	s, err := v.Client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		t.Fatalf("the generated token does not work: %v", err)
	}
	if pol, _ := s.TokenPolicies(); len(pol) != 1 || pol[0] != "root" {
		t.Errorf("the generated token's policies: %v, want root", pol)
	}
	if st, _ := v.Client.Sys().GenerateRootStatusWithContext(ctx); st == nil || st.Started {
		t.Errorf("the attempt is still open after completion: %+v", st)
	}
	_ = RevokeRoot(ctx, v)
}

// waitActive waits until an unsealed Vault serves requests with token.
func waitActive(t *testing.T, v *platform.Vault, token Secret) {
	t.Helper()
	c, err := v.Client.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token.Reveal())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err = c.Auth().Token().LookupSelfWithContext(context.Background()); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("vault not active: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
