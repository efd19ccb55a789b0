package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// VaultSealed is `vault-sealed`: Vault's servers sealed after a restart (a power cut, a pod moved). It
// reads each server's seal — in name order, vault-0 first: the one the others join — and says what
// unseals it: the custodians' shares for a Shamir seal (a ceremony over SSH, each from their own
// session, or `install --only vault-unseal` at one keyboard), or, for an auto-unseal seal, the KMS: its
// recovery shares cannot unseal, and nothing here can stand in for the KMS. It then waits until every
// server is unsealed, each one's progress k of n as its line.
func VaultSealed() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookVaultSealed, Title: "Vault sealed",
		Summary: "read each server's seal, unseal them (the custodians, or the KMS), wait until all are unsealed",
		Steps: []runbook.Step{
			{ID: "seal", Kind: runbook.Precheck, Title: "Read each Vault server's seal", Check: vaultSeal},
			{ID: "unseal", Kind: runbook.Manual, Title: "Unseal: the custodians give their shares (or the KMS comes back)", Instructions: unsealInstructions},
			{ID: "unsealed", Kind: runbook.Postcheck, Title: "Wait until every server is unsealed", Wait: vaultUnsealed,
				Every: 3 * time.Second, Timeout: time.Hour},
		}}
}

// sealOf is one server's seal as read.
type sealOf struct {
	name   string
	p      vaultops.Progress
	kind   string // shamir, gcpckms, transit…
	auto   bool
	err    error
	inited bool
}

func readSeals(ctx context.Context, w runbook.World) ([]sealOf, error) {
	if w.Vault == nil {
		return nil, errors.New("no Vault to read: set VAULT_ADDR, or a kubeconfig whose cluster runs Vault")
	}
	reps, err := w.Vault(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range reps {
			r.Close()
		}
	}()
	out := make([]sealOf, 0, len(reps))
	for _, r := range reps {
		s := sealOf{name: r.Name, err: r.Err}
		if r.Err == nil {
			st, err := vaultops.SealStatus(ctx, r.Vault)
			if err != nil {
				s.err = err
			} else {
				s.p = vaultops.Progress{Sealed: st.Sealed, Progress: st.Progress, Threshold: st.T}
				s.kind, s.auto, s.inited = st.Type, vaultops.AutoUnseal(st), st.Initialized
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func (s sealOf) String() string {
	switch {
	case s.err != nil:
		return s.name + ": not reached (" + oneLine(s.err.Error()) + ")"
	case !s.inited:
		return s.name + ": not initialized (the install's vault-init step)"
	case !s.p.Sealed:
		return s.name + ": unsealed"
	case s.auto:
		return fmt.Sprintf("%s: sealed (%s seal: it unseals by itself once its KMS answers)", s.name, s.kind)
	}
	return fmt.Sprintf("%s: sealed, %d of %d shares (%s)", s.name, s.p.Progress, s.p.Threshold, s.kind)
}

func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func vaultSeal(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Verdict, error) {
	seals, err := readSeals(ctx, w)
	if err != nil {
		return runbook.Verdict{}, err
	}
	v := runbook.Verdict{}
	var sealed, auto, unreached []string
	for _, s := range seals {
		v.Details = append(v.Details, s.String())
		switch {
		case s.err != nil:
			unreached = append(unreached, s.name)
		case s.inited && s.p.Sealed && s.auto:
			auto = append(auto, s.name)
		case s.inited && s.p.Sealed:
			sealed = append(sealed, s.name)
		}
	}
	switch {
	case len(auto) > 0:
		v.Applies = true
		v.Why = strings.Join(auto, ", ") + " sealed with an auto-unseal seal: the KMS is the blocker — recovery shares cannot unseal"
		v.Details = append(v.Details, "check that the pods reach the KMS (network, DNS) and that the seal's key and its credentials are valid; once the KMS answers, restart the sealed pods")
	case len(sealed) > 0:
		v.Applies, v.Why = true, strings.Join(sealed, ", ")+" sealed: the custodians' shares unseal them, "+sealed[0]+" first"
	case len(unreached) > 0:
		v.Applies, v.Why = true, strings.Join(unreached, ", ")+" not reached: read why (the pod's state, its events) before unsealing"
	default:
		v.Why = "every Vault server is unsealed: nothing to repair"
	}
	return v, nil
}

func unsealInstructions(runbook.Target, func(string) runbook.StepState) []string {
	return []string{
		"Shamir seal — the custodians give their shares; nobody should carry a threshold of them:",
		"  over SSH: an admin opens :ceremony and presses u; each custodian checks the fingerprint and gives their share from their own session (s), or pipes it: gpg -d share.asc | ssh HOST ceremony submit ID;",
		"  at one keyboard: cedille-tui install --only vault-unseal asks for the shares, vault-0 first.",
		"Each server is unsealed on its own: every sealed one needs the threshold.",
		"Auto-unseal seal (a KMS): shares cannot help. Make the KMS reachable, then restart the sealed pods.",
	}
}

func vaultUnsealed(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	seals, err := readSeals(ctx, w)
	if err != nil {
		return runbook.Progress{}, err
	}
	done := len(seals) > 0
	parts := make([]string, 0, len(seals))
	for _, s := range seals {
		done = done && s.err == nil && s.inited && !s.p.Sealed
		parts = append(parts, s.String())
	}
	return runbook.Progress{Done: done, Line: strings.Join(parts, "; ")}, nil
}
