package vaultops

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/platform"
)

// RootGeneration makes a new root token from a threshold of the shares (unseal shares, or recovery
// shares on an auto-unseal seal), as `vault operator generate-root` does: a one-time password kept in
// memory only, each share sent with the attempt's nonce, and the token Vault returns encoded with that
// password decoded at the end. It is the way back in after the root token was revoked.
type RootGeneration struct {
	v     *platform.Vault
	otp   Secret
	nonce string
	// Required is how many shares Vault needs; Progress how many it has taken in this attempt.
	Required, Progress int
	// Replaced is true when an attempt someone else had started was cancelled to start this one (its
	// one-time password is not known here, so its result could not be read anyway).
	Replaced bool
}

// otpAlphabet is what Vault accepts in a one-time password (base62).
const otpAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// StartRootGeneration starts an attempt on v (no token needed: the shares are the authority).
func StartRootGeneration(ctx context.Context, v *platform.Vault) (*RootGeneration, error) {
	st, err := v.Client.Sys().GenerateRootStatusWithContext(ctx)
	if err != nil {
		return nil, v.Classify(err)
	}
	if st.OTPLength <= 0 {
		return nil, fmt.Errorf("vault does not say how long the one-time password must be: it is older than this tool supports")
	}
	g := &RootGeneration{v: v}
	if st.Started {
		if err := v.Client.Sys().GenerateRootCancelWithContext(ctx); err != nil {
			return nil, v.Classify(err)
		}
		g.Replaced = true
	}
	otp := make([]byte, st.OTPLength)
	for i := range otp {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(otpAlphabet))))
		if err != nil {
			return nil, err
		}
		otp[i] = otpAlphabet[n.Int64()]
	}
	g.otp = Secret{v: otp}
	st, err = v.Client.Sys().GenerateRootInitWithContext(ctx, g.otp.Reveal(), "")
	if err != nil {
		g.otp.Wipe()
		return nil, v.Classify(err)
	}
	g.nonce, g.Required, g.Progress = st.Nonce, st.Required, st.Progress
	return g, nil
}

// Provide gives one share. It returns the new root token once Vault has enough shares. A refused share
// returns Vault's error and keeps the progress. When the share completing the count makes a wrong
// combination (one of the shares is not this Vault's), Vault drops every share given: restarted tells it,
// and the shares must be given again (the attempt and its one-time password stay).
func (g *RootGeneration) Provide(ctx context.Context, share Secret) (token Secret, restarted bool, err error) {
	st, err := g.v.Client.Sys().GenerateRootUpdateWithContext(ctx, strings.TrimSpace(share.Reveal()), g.nonce)
	if err != nil {
		if cerr := g.v.Classify(err); cerr != err {
			return Secret{}, false, cerr // unreachable, or no longer allowed: not the share's fault
		}
		cur, serr := g.v.Client.Sys().GenerateRootStatusWithContext(ctx)
		switch {
		case serr != nil:
			return Secret{}, false, fmt.Errorf("vault refused the share: %s", vaultMessage(err))
		case !cur.Started || cur.Nonce != g.nonce:
			// The attempt is gone (cancelled elsewhere): start another, whose shares start at 0.
			n, rerr := StartRootGeneration(ctx, g.v)
			if rerr != nil {
				return Secret{}, false, rerr
			}
			g.otp.Wipe()
			*g = *n
			return Secret{}, true, fmt.Errorf("the attempt ended (%s): it was started again; give the shares again", vaultMessage(err))
		case cur.Progress < g.Progress+1 && g.Progress+1 >= g.Required:
			// The share completed the count but the combination was wrong: Vault drops every share given.
			g.Progress = cur.Progress
			return Secret{}, true, fmt.Errorf("vault dropped the shares given so far (%s): one of them is not one of its shares; give the right ones again", vaultMessage(err))
		}
		g.Progress = cur.Progress
		return Secret{}, false, fmt.Errorf("vault refused the share: %s", vaultMessage(err))
	}
	g.Progress = st.Progress
	if !st.Complete {
		return Secret{}, false, nil
	}
	tok, err := decodeRoot(st.EncodedToken, g.otp)
	g.otp.Wipe()
	if err != nil {
		return Secret{}, false, err
	}
	return tok, false, nil
}

// Cancel ends the attempt and forgets the one-time password.
func (g *RootGeneration) Cancel(ctx context.Context) error {
	g.otp.Wipe()
	return g.v.Classify(g.v.Client.Sys().GenerateRootCancelWithContext(ctx))
}

// decodeRoot undoes Vault's encoding of a generated token: base64 of the token XOR the one-time password.
func decodeRoot(encoded string, otp Secret) (Secret, error) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(encoded, "="))
	if err != nil {
		return Secret{}, fmt.Errorf("the encoded root token: %w", err)
	}
	if len(b) != otp.Len() {
		clear(b)
		return Secret{}, fmt.Errorf("the encoded root token is %d bytes, the one-time password %d", len(b), otp.Len())
	}
	for i := range b {
		b[i] ^= otp.v[i]
	}
	return Secret{v: b}, nil
}
