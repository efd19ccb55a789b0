package vaultops

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("s.hvs-ROOTTOKEN-0123456789")
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "token", s, "keys", []Secret{s})
	for _, out := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s), fmt.Sprintf("%v", struct{ T Secret }{s}),
		fmt.Sprintf("%+v", []Secret{s}), logs.String(),
	} {
		if strings.Contains(out, "ROOTTOKEN") {
			t.Errorf("secret leaked: %q", out)
		}
	}
	if _, err := json.Marshal(struct{ T Secret }{s}); err == nil {
		t.Error("JSON marshalled a secret")
	}
	if _, err := yaml.Marshal(struct{ T Secret }{s}); err == nil {
		t.Error("YAML marshalled a secret")
	}
	if s.Reveal() != "s.hvs-ROOTTOKEN-0123456789" || len(s.Fingerprint()) != 8 || s.Fingerprint() == NewSecret("other").Fingerprint() {
		t.Error("Reveal/Fingerprint")
	}
	s.Wipe()
	if !s.Empty() {
		t.Error("Wipe left a value")
	}
}

func testKey(t *testing.T, n int) *crypto.Key {
	t.Helper()
	k, err := crypto.PGP().KeyGeneration().AddUserId(fmt.Sprintf("custodian %d", n), fmt.Sprintf("c%d@cedille.test", n)).New().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func armoredPublic(t *testing.T, k *crypto.Key) []byte {
	t.Helper()
	s, err := k.GetArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

func TestInitOptionsValidate(t *testing.T) {
	pub := armoredPublic(t, testKey(t, 1))
	priv, _ := testKey(t, 2).Armor()
	cases := []struct {
		name string
		o    InitOptions
		want string // "" = valid
	}{
		{"defaults", InitOptions{Shares: 5, Threshold: 3}, ""},
		{"one share", InitOptions{Shares: 1, Threshold: 1}, ""},
		{"threshold above shares", InitOptions{Shares: 3, Threshold: 4}, "must be 1 to the number of shares (3)"},
		{"threshold one of many", InitOptions{Shares: 5, Threshold: 1}, "any one custodian can unseal alone"},
		{"no shares", InitOptions{Shares: 0, Threshold: 0}, "must be 1 to 255"},
		{"too many shares", InitOptions{Shares: 256, Threshold: 3}, "must be 1 to 255"},
		{"PGP keys count", InitOptions{Shares: 3, Threshold: 2, PGPKeys: [][]byte{pub, pub}}, "2 given for 3 shares"},
		{"not a key", InitOptions{Shares: 1, Threshold: 1, PGPKeys: [][]byte{[]byte("hello")}}, "PGP key 1: not a PGP public key"},
		{"a private key", InitOptions{Shares: 1, Threshold: 1, PGPKeys: [][]byte{[]byte(priv)}}, "PUBLIC key"},
		{"bad root token key", InitOptions{Shares: 1, Threshold: 1, RootTokenPGPKey: []byte("x")}, "root token PGP key"},
		{"keys per custodian", InitOptions{Shares: 2, Threshold: 2, PGPKeys: [][]byte{pub, pub}, RootTokenPGPKey: pub}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Validate()
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}

// TestDecodeRoot: the token generate-root returns, base64 of the token XOR the one-time password (padded
// or not), decodes to the token; an encoding of another length is refused without showing either.
func TestDecodeRoot(t *testing.T) {
	token, otp := "hvs.ABCDEFGHIJKLMNOPQRSTUVWX", NewSecret("0123456789abcdefghijklmnopqr")
	enc := make([]byte, len(token))
	for i := range enc {
		enc[i] = token[i] ^ otp.Reveal()[i]
	}
	for _, e := range []string{base64.RawStdEncoding.EncodeToString(enc), base64.StdEncoding.EncodeToString(enc)} {
		got, err := decodeRoot(e, otp)
		if err != nil || got.Reveal() != token {
			t.Errorf("decodeRoot(%q): %v", e, err)
		}
	}
	_, err := decodeRoot(base64.RawStdEncoding.EncodeToString(enc[:20]), otp)
	if err == nil || strings.Contains(err.Error(), otp.Reveal()) || !strings.Contains(err.Error(), "20 bytes") {
		t.Errorf("a token of another length: %v", err)
	}
	if _, err := decodeRoot("not base64!", otp); err == nil {
		t.Error("a malformed encoding was decoded")
	}
}
