package vaultops

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
)

// Defaults of the ceremony: Vault's own (5 shares, 3 needed), which the platform used.
const (
	DefaultShares    = 5
	DefaultThreshold = 3
)

// InitOptions is how Vault is initialized.
type InitOptions struct {
	Shares, Threshold int
	// PGPKeys are the custodians' public keys (armored or binary), one per share: each share comes back
	// encrypted to its holder and no plaintext share ever exists outside Vault.
	PGPKeys [][]byte
	// RootTokenPGPKey encrypts the root token the same way (optional).
	RootTokenPGPKey []byte
}

// Validate checks the options against Vault's rules, before anything is sent.
func (o InitOptions) Validate() error {
	var errs []error
	switch {
	case o.Shares < 1 || o.Shares > 255:
		errs = append(errs, fmt.Errorf("shares: %d, must be 1 to 255", o.Shares))
	case o.Threshold < 1 || o.Threshold > o.Shares:
		errs = append(errs, fmt.Errorf("threshold: %d, must be 1 to the number of shares (%d)", o.Threshold, o.Shares))
	case o.Shares > 1 && o.Threshold == 1:
		errs = append(errs, fmt.Errorf("threshold: 1 of %d shares means any one custodian can unseal alone; use 1 share or a threshold of at least 2", o.Shares))
	}
	if len(o.PGPKeys) > 0 && len(o.PGPKeys) != o.Shares {
		errs = append(errs, fmt.Errorf("PGP keys: %d given for %d shares; give one per custodian", len(o.PGPKeys), o.Shares))
	}
	for i, k := range o.PGPKeys {
		if _, err := PGPFingerprint(k); err != nil {
			errs = append(errs, fmt.Errorf("PGP key %d: %w", i+1, err))
		}
	}
	if len(o.RootTokenPGPKey) > 0 {
		if _, err := PGPFingerprint(o.RootTokenPGPKey); err != nil {
			errs = append(errs, fmt.Errorf("root token PGP key: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Keys is what an init returns: the shares (plain base64, or PGP-encrypted base64 when keys were
// given), the root token (likewise), and which kind of shares they are.
type Keys struct {
	Shares    []Secret
	RootToken Secret
	// Encrypted is true when the shares and token are PGP-encrypted to their custodians.
	Encrypted, RootEncrypted bool
	// Recovery is true for recovery shares (an auto-unseal seal: they authorize operations, they do not
	// unseal).
	Recovery  bool
	Threshold int
}

// Wipe overwrites every share and the token.
func (k *Keys) Wipe() {
	for i := range k.Shares {
		k.Shares[i].Wipe()
	}
	k.RootToken.Wipe()
}

// SealStatus reads one server's seal status.
func SealStatus(ctx context.Context, v *platform.Vault) (*vault.SealStatusResponse, error) {
	return v.SealStatus(ctx, 10*time.Second)
}

// AutoUnseal tells whether the server's seal unseals by itself (a KMS, like the platform's GCP KMS):
// it is initialized with recovery shares instead of unseal shares.
func AutoUnseal(s *vault.SealStatusResponse) bool {
	return s != nil && (s.RecoverySeal || (s.Type != "" && s.Type != "shamir"))
}

// ErrAlreadyInitialized is returned when Vault is initialized: there is nothing to do, and no new keys.
var ErrAlreadyInitialized = errors.New("Vault is already initialized")

// Init initializes Vault once. It refuses an initialized Vault. With an auto-unseal seal the shares are
// recovery shares.
func Init(ctx context.Context, v *platform.Vault, o InitOptions) (*Keys, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	st, err := SealStatus(ctx, v)
	if err != nil {
		return nil, err
	}
	if st.Initialized {
		return nil, ErrAlreadyInitialized
	}
	recovery := AutoUnseal(st)
	req := &vault.InitRequest{}
	keys := make([]string, len(o.PGPKeys))
	for i, k := range o.PGPKeys {
		keys[i], err = pgpForVault(k)
		if err != nil {
			return nil, err
		}
	}
	if recovery {
		req.RecoveryShares, req.RecoveryThreshold, req.RecoveryPGPKeys = o.Shares, o.Threshold, keys
		// Vault refuses secret_shares and secret_threshold with an auto-unseal seal: they stay zero.
	} else {
		req.SecretShares, req.SecretThreshold, req.PGPKeys = o.Shares, o.Threshold, keys
	}
	if len(o.RootTokenPGPKey) > 0 {
		if req.RootTokenPGPKey, err = pgpForVault(o.RootTokenPGPKey); err != nil {
			return nil, err
		}
	}
	ictx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := v.Client.Sys().InitWithContext(ictx, req)
	if err != nil {
		return nil, v.Classify(err)
	}
	out := &Keys{Encrypted: len(keys) > 0, RootEncrypted: req.RootTokenPGPKey != "", Recovery: recovery,
		Threshold: o.Threshold, RootToken: NewSecret(resp.RootToken)}
	shares := resp.KeysB64
	if recovery {
		shares = resp.RecoveryKeysB64
	}
	for _, s := range shares {
		out.Shares = append(out.Shares, NewSecret(s))
	}
	resp.RootToken = ""
	clear(resp.Keys)
	clear(resp.KeysB64)
	clear(resp.RecoveryKeys)
	clear(resp.RecoveryKeysB64)
	return out, nil
}

// pgpForVault is a public key as Vault's init takes it: base64 of the binary key.
func pgpForVault(k []byte) (string, error) {
	key, err := readKey(k)
	if err != nil {
		return "", err
	}
	b, err := key.GetPublicKey()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func readKey(k []byte) (*crypto.Key, error) {
	s := strings.TrimSpace(string(k))
	if strings.HasPrefix(s, "-----BEGIN PGP") {
		return crypto.NewKeyFromArmored(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		k = b
	}
	return crypto.NewKey(k)
}

// PGPFingerprint is a key's fingerprint, for the ceremony's screens ("share 2 → key 9A3F…").
func PGPFingerprint(k []byte) (string, error) {
	key, err := readKey(k)
	if err != nil {
		return "", fmt.Errorf("not a PGP public key: %w", err)
	}
	if key.IsPrivate() {
		return "", errors.New("this is a private key: give the custodian's PUBLIC key")
	}
	return strings.ToUpper(key.GetFingerprint()), nil
}
