package demo

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVaultGenerateRoot: the simulated generate-root as vault/api's client speaks it. A sealed replica
// refuses; the password must be otpLength long; one attempt at a time; a malformed share, a wrong nonce
// and a share given twice are refused and the progress kept; a wrong combination at the threshold drops
// the shares but keeps the attempt; the right shares (hex or base64) make a root token, returned XOR the
// password, that Vault accepts; cancel ends an attempt.
func TestVaultGenerateRoot(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	c, _, keys := unsealedVaultKeys(t)
	sys := vaultClient(t, c, "vault-0", "").Sys()

	if _, err := vaultClient(t, c, "vault-1", "").Sys().GenerateRootStatusWithContext(ctx); statusOf(err) != 503 {
		t.Errorf("generate-root on a sealed replica: %v", err)
	}
	st, err := sys.GenerateRootStatusWithContext(ctx)
	if err != nil || st.Started || st.OTPLength != otpLength || st.Required != 2 {
		t.Fatalf("status before an attempt: %+v %v", st, err)
	}
	if _, err := sys.GenerateRootInitWithContext(ctx, "short", ""); statusOf(err) != 400 || !strings.Contains(err.Error(), "wrong length") {
		t.Errorf("a password of the wrong length: %v", err)
	}
	otp := strings.Repeat("A1b2", otpLength/4)
	st, err = sys.GenerateRootInitWithContext(ctx, otp, "")
	if err != nil || !st.Started || st.Nonce == "" || st.Progress != 0 {
		t.Fatalf("start: %+v %v", st, err)
	}
	nonce := st.Nonce
	if _, err := sys.GenerateRootInitWithContext(ctx, otp, ""); statusOf(err) != 400 || !strings.Contains(err.Error(), "already in progress") {
		t.Errorf("a second attempt: %v", err)
	}

	progress := func(want int) {
		t.Helper()
		st, err := sys.GenerateRootStatusWithContext(ctx)
		if err != nil || !st.Started || st.Nonce != nonce || st.Progress != want {
			t.Errorf("status: %+v %v; want the attempt with %d shares", st, err, want)
		}
	}
	for share, want := range map[string]string{"not a share": "valid hex or base64", keys[0]: "incorrect nonce"} {
		n := nonce
		if share == keys[0] {
			n = "another"
		}
		if _, err := sys.GenerateRootUpdateWithContext(ctx, share, n); statusOf(err) != 400 || !strings.Contains(err.Error(), want) {
			t.Errorf("update %q: %v; want %q", share, err, want)
		}
	}
	progress(0)
	if st, err := sys.GenerateRootUpdateWithContext(ctx, keys[0], nonce); err != nil || st.Progress != 1 || st.Complete {
		t.Fatalf("first share: %+v %v", st, err)
	}
	if _, err := sys.GenerateRootUpdateWithContext(ctx, keys[0], nonce); statusOf(err) != 400 || !strings.Contains(err.Error(), "already been provided") {
		t.Errorf("the same share again: %v", err)
	}
	progress(1)
	if _, err := sys.GenerateRootUpdateWithContext(ctx, randomHex(33), nonce); statusOf(err) != 400 || !strings.Contains(err.Error(), "root generation aborted") {
		t.Errorf("a wrong combination: %v", err)
	}
	progress(0)

	raw, _ := hex.DecodeString(keys[1])
	if _, err := sys.GenerateRootUpdateWithContext(ctx, keys[0], nonce); err != nil {
		t.Fatal(err)
	}
	st, err = sys.GenerateRootUpdateWithContext(ctx, base64.StdEncoding.EncodeToString(raw), nonce)
	if err != nil || !st.Complete || st.EncodedToken == "" || st.EncodedRootToken != st.EncodedToken {
		t.Fatalf("the threshold reached: %+v %v", st, err)
	}
	enc, err := base64.RawStdEncoding.DecodeString(st.EncodedToken)
	if err != nil || len(enc) != otpLength {
		t.Fatalf("encoded token: %d bytes, %v", len(enc), err)
	}
	for i := range enc {
		enc[i] ^= otp[i]
	}
	secret, err := vaultClient(t, c, "vault-0", string(enc)).Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		t.Fatalf("the generated token: %v", err)
	}
	if pol, _ := secret.TokenPolicies(); len(pol) != 1 || pol[0] != "root" {
		t.Errorf("the generated token's policies: %v", pol)
	}
	if st, err := sys.GenerateRootStatusWithContext(ctx); err != nil || st.Started {
		t.Errorf("status after the token was made: %+v %v", st, err)
	}

	if _, err := sys.GenerateRootInitWithContext(ctx, otp, ""); err != nil {
		t.Fatal(err)
	}
	if err := sys.GenerateRootCancelWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := sys.GenerateRootStatusWithContext(ctx); err != nil || st.Started {
		t.Errorf("status after cancel: %+v %v", st, err)
	}
}
