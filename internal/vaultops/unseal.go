package vaultops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
)

// Progress is one replica's unseal progress as Vault reports it.
type Progress struct {
	Sealed              bool
	Progress, Threshold int
	// Restarted is true when the replica lost the progress it had (it restarted, sealed again) and the
	// shares given so far were sent again.
	Restarted bool
}

func (p Progress) String() string {
	if !p.Sealed {
		return "unsealed"
	}
	return fmt.Sprintf("sealed, %d of %d shares", p.Progress, p.Threshold)
}

// Unsealer unseals one replica with shares given one at a time, keeping (in memory only) the shares it
// accepted so that a replica that restarts in the middle is brought back to where it was.
type Unsealer struct {
	Name string
	v    *platform.Vault
	// given are the shares this replica accepted in the current attempt.
	given []Secret
	nonce string
}

// Given tells whether this replica accepted that share in the current attempt.
func (u *Unsealer) Given(share Secret) bool {
	for _, g := range u.given {
		if g.Reveal() == share.Reveal() {
			return true
		}
	}
	return false
}

// SetVault points the unsealer at a new connection to the same replica (its port-forward was opened
// again); the shares it keeps stay.
func (u *Unsealer) SetVault(v *platform.Vault) { u.v = v }

// NewUnsealer follows one replica.
func NewUnsealer(name string, v *platform.Vault) *Unsealer { return &Unsealer{Name: name, v: v} }

// Status reads the replica's progress and notices a restart: Vault reports less progress than the
// shares it accepted, or another attempt (nonce). The shares are then sent again.
func (u *Unsealer) Status(ctx context.Context) (Progress, error) {
	st, err := SealStatus(ctx, u.v)
	if err != nil {
		return Progress{}, err
	}
	p := progressOf(st)
	if !st.Sealed || len(u.given) == 0 {
		return p, nil
	}
	if st.Progress < len(u.given) || (u.nonce != "" && st.Nonce != u.nonce) {
		again := u.given
		u.given, u.nonce = nil, ""
		for _, s := range again {
			q, err := u.send(ctx, s)
			if err != nil {
				return q, fmt.Errorf("%s restarted; sending the shares again: %w", u.Name, err)
			}
			p = q
		}
		p.Restarted = true
	}
	return p, nil
}

// Submit gives one share (after sending again those a restarted replica lost: Restarted says so). A share Vault refuses leaves the progress as it was and returns Vault's
// error (which never contains the share). A share that completes a wrong combination makes Vault drop
// the attempt: the error says so and the progress is back to zero.
func (u *Unsealer) Submit(ctx context.Context, share Secret) (Progress, error) {
	p, err := u.Status(ctx)
	if err != nil || !p.Sealed {
		return p, err
	}
	q, err := u.send(ctx, share)
	q.Restarted = p.Restarted
	return q, err
}

func (u *Unsealer) send(ctx context.Context, share Secret) (Progress, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := u.v.Client.Sys().UnsealWithContext(cctx, strings.TrimSpace(share.Reveal()))
	if err != nil {
		before, serr := SealStatus(ctx, u.v)
		p := Progress{Sealed: true}
		if serr == nil {
			p = progressOf(before)
			if before.Progress < len(u.given) {
				u.given, u.nonce = nil, "" // Vault dropped the attempt
			}
		}
		return p, fmt.Errorf("%s refused the share: %s", u.Name, vaultMessage(err))
	}
	if st.Sealed {
		u.given = append(u.given, share)
		u.nonce = st.Nonce
	} else {
		u.given, u.nonce = nil, ""
	}
	return progressOf(st), nil
}

func progressOf(st *vault.SealStatusResponse) Progress {
	return Progress{Sealed: st.Sealed, Progress: st.Progress, Threshold: st.T}
}

// vaultMessage is Vault's own error text, without the client's request dump.
func vaultMessage(err error) string {
	var re *vault.ResponseError
	msg := err.Error()
	if errors.As(err, &re) && len(re.Errors) > 0 {
		msg = strings.Join(re.Errors, "; ")
	}
	return strings.Join(strings.Fields(msg), " ")
}
