package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	gossh "golang.org/x/crypto/ssh"
)

// HostKey is the server's identity: its private key (PEM, OpenSSH format) and the fingerprint clients
// see on first connection (SHA256:…), which the server prints at start and in the session banner.
type HostKey struct {
	PEM         []byte
	Fingerprint string
}

// LoadOrCreateHostKey reads the host key at path, or makes an Ed25519 one there (mode 0600, its
// directory 0700) when there is none. A key file readable by others is refused: its owner fixes the
// mode (chmod 600) rather than the server serving with a key others may have copied.
func LoadOrCreateHostKey(path string) (HostKey, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data, err = newHostKey()
		if err != nil {
			return HostKey{}, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return HostKey{}, fmt.Errorf("host key: %w", err)
		}
		if err := atomicfile.Write(path, data, 0o600); err != nil {
			return HostKey{}, fmt.Errorf("host key: %w", err)
		}
	case err != nil:
		return HostKey{}, fmt.Errorf("host key: %w", err)
	default:
		fi, err := os.Stat(path)
		if err != nil {
			return HostKey{}, fmt.Errorf("host key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return HostKey{}, fmt.Errorf("host key %s is readable by others (mode %v): chmod 600 it, or remove it to make a new one", path, fi.Mode().Perm())
		}
	}
	return parseHostKey(path, data)
}

func newHostKey() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "cedille-tui serve")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	return pem.EncodeToMemory(block), nil
}

func parseHostKey(path string, data []byte) (HostKey, error) {
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return HostKey{}, fmt.Errorf("host key %s: %w (a PEM private key without a passphrase is expected)", path, err)
	}
	return HostKey{PEM: data, Fingerprint: gossh.FingerprintSHA256(signer.PublicKey())}, nil
}
