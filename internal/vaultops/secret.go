// Package vaultops is what the install does to Vault: initialize it (Shamir key shares or recovery
// shares, optionally each encrypted to its custodian's PGP key), unseal each replica, and bootstrap
// the configuration the platform once made by hand. Key shares and tokens live only in memory, in
// Secret values that refuse to be printed, logged or marshalled.
package vaultops

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
)

// Secret holds a key share, a root token or a client secret. Every way of printing or encoding it
// gives "[redacted]" or an error; only Reveal gives the value, for the one place it must go.
type Secret struct{ v []byte }

// NewSecret keeps a copy of s.
func NewSecret(s string) Secret { return Secret{v: []byte(s)} }

// SecretOf takes b as the value, without a copy: wiping the Secret wipes b (a share read into a buffer
// leaves no second copy behind).
func SecretOf(b []byte) Secret { return Secret{v: b} }

// Reveal returns the value. Call it only where the value is sent to Vault or shown to its custodian.
func (s Secret) Reveal() string { return string(s.v) }

// Empty tells whether there is no value.
func (s Secret) Empty() bool { return len(s.v) == 0 }

// Len is the value's length (for masked input).
func (s Secret) Len() int { return len(s.v) }

// Fingerprint is a short, non-secret name for the value: the first 8 hex digits of its SHA-256, so a
// custodian can tell which share they hold without showing it.
func (s Secret) Fingerprint() string {
	if len(s.v) == 0 {
		return ""
	}
	h := sha256.Sum256(s.v)
	return hex.EncodeToString(h[:4])
}

// Wipe overwrites the value in place.
func (s *Secret) Wipe() {
	for i := range s.v {
		s.v[i] = 0
	}
	s.v = nil
}

const redacted = "[redacted]"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// Format covers %v, %+v, %#v, %s, %q, %x: all redacted.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps it out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// errMarshal is returned by every encoding: a secret is never serialized by accident.
var errMarshal = errors.New("a secret cannot be serialized")

func (s Secret) MarshalJSON() ([]byte, error) { return nil, errMarshal }
func (s Secret) MarshalText() ([]byte, error) { return nil, errMarshal }
func (s Secret) MarshalYAML() (any, error)    { return nil, errMarshal }
