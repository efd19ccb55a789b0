package vaultops

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// Exports are the only way a key leaves the process: PGP-encrypted, armored, one file per custodian.

// ArmorShare turns a share as Vault returns it encrypted (base64 of a binary PGP message) into armored
// text a custodian opens with `gpg --decrypt`.
func ArmorShare(encrypted Secret) (Secret, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encrypted.Reveal()))
	if err != nil {
		return Secret{}, errors.New("the encrypted share is not base64")
	}
	a, err := crypto.NewPGPMessage(b).Armor()
	if err != nil {
		return Secret{}, err
	}
	return NewSecret(a), nil
}

// EncryptTo encrypts a secret to one public key, armored (the root token's export).
func EncryptTo(publicKey []byte, s Secret) (Secret, error) {
	key, err := readKey(publicKey)
	if err != nil {
		return Secret{}, fmt.Errorf("not a PGP public key: %w", err)
	}
	enc, err := crypto.PGP().Encryption().Recipient(key).New()
	if err != nil {
		return Secret{}, err
	}
	msg, err := enc.Encrypt([]byte(s.Reveal()))
	if err != nil {
		return Secret{}, err
	}
	a, err := msg.Armor()
	if err != nil {
		return Secret{}, err
	}
	return NewSecret(a), nil
}

// CheckExportTarget refuses an export file that exists already (it may hold the share of another
// Vault) or whose directory cannot be created. It runs before the init, so a refusal loses nothing.
func CheckExportTarget(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists: an export never overwrites a file (it may hold a share of another Vault); move it away", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the export directory: %w", err)
	}
	return nil
}

// WriteExport writes an armored, encrypted export: mode 0600, never over an existing file, synced.
func WriteExport(path string, armored Secret) error {
	if !strings.HasPrefix(strings.TrimSpace(armored.Reveal()), "-----BEGIN PGP MESSAGE-----") {
		return fmt.Errorf("%s: refusing to write something that is not a PGP message", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if _, err := f.WriteString(armored.Reveal()); err != nil {
		f.Close()
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
