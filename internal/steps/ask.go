package steps

import (
	"context"
	"errors"

	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// A step that needs the operator in the middle of its Run — the key ceremony, an unseal share, an SSO
// client secret, a yes/no — asks through Env.Ask and waits for the answer. The wizard shows each prompt
// on its own screen; without Ask (the unattended install) the Vault steps read what they need from the
// files the answers name, and refuse what would need a person.

// PromptKind is what a prompt wants.
type PromptKind int

const (
	// PromptCustody shows Secret once to one custodian on a cleared screen; the answer is the first
	// Confirm characters they typed back (the wizard checks them; Answer.Yes tells they matched).
	PromptCustody PromptKind = iota
	// PromptShare asks for one key share (to unseal, or for generate-root), masked; Items is the progress.
	PromptShare
	// PromptSecret asks for a secret value (an SSO client secret), masked.
	PromptSecret
	// PromptYesNo asks a question; Answer.Yes is the reply.
	PromptYesNo
)

// Prompt is one question a step puts to the operator.
type Prompt struct {
	Kind  PromptKind
	Title string
	// Lines explain what is asked and why (no secret in them).
	Lines []string
	// Secret is what a custody prompt shows (a share, its PGP-encrypted blob, the root token).
	Secret vaultops.Secret
	// Fingerprint names the secret without showing it (the share's, or the custodian's PGP key).
	Fingerprint string
	// Holder is who receives it ("custodian 2 of 5", a PGP key's user).
	Holder string
	// Confirm is how many of the secret's first characters the custodian types back.
	Confirm int
	// Items are live lines under the prompt (each replica's unseal progress).
	Items []Item
	// Problem is the previous attempt's error (a refused share), shown above the input.
	Problem string
	// Default is a yes/no prompt's preselected answer.
	Default bool
}

// Answer is the operator's reply.
type Answer struct {
	Secret vaultops.Secret
	Yes    bool
}

// ErrNoOperator is returned when a step needs a person and runs unattended.
var ErrNoOperator = errors.New("this needs an operator at the terminal")

func (e *Env) ask(ctx context.Context, p Prompt) (Answer, error) {
	if e.Ask == nil {
		return Answer{}, ErrNoOperator
	}
	return e.Ask(ctx, p)
}

// Keyring is the in-memory hand-off between the Vault steps of one process: the root token the init
// returned, used by the bootstrap, then revoked or dropped. It is never written anywhere.
type Keyring struct {
	RootToken vaultops.Secret
}

// Wipe forgets everything the keyring holds.
func (k *Keyring) Wipe() {
	if k != nil {
		k.RootToken.Wipe()
	}
}
