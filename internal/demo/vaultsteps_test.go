package demo

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// TestVaultStepsOnDemo runs the install's Vault steps on the demo's sealed, uninitialized Vault, as the
// wizard does: the ceremony (five shares and the root token), the unseal of the three replicas (three
// shares typed once, given to each replica; a wrong-looking share refused on the way), the bootstrap
// with the Dex secret typed and the root token revoked. Every replica ends unsealed, and the bootstrap's
// own check holds.
func TestVaultStepsOnDemo(t *testing.T) {
	d := startDemo(t, Options{})
	env := d.InstallEnv(t.TempDir())
	env.Keys = &steps.Keyring{}
	env.Poll = 10 * time.Millisecond

	op := &vaultOperator{refuseFirst: true}
	env.Ask = op.ask
	p := plan.New()
	p.Vault.SSO.ArgoCD.ClientID = "demo-client"
	sv := steps.Saved{Plan: p}
	var log stepLog
	r := &steps.Runner{Steps: []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}},
		Env: env, Store: steps.NewStore(t.TempDir()), Report: log.report}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("the Vault steps on the demo: %v\n%s", err, log.String())
	}
	if shown, asked := op.counts(); shown != 6 || asked != 4 {
		t.Errorf("%d secrets shown (want 5 shares and the root token), %d shares asked (want 1 refused + 3)", shown, asked)
	}
	for _, tgt := range d.Targets().Vault {
		h, err := tgt.Vault.Health(ctx, time.Second)
		if err != nil || h.Sealed || !h.Initialized {
			t.Errorf("%s after the steps: %+v %v", tgt.Name, h, err)
		}
	}
	for _, s := range []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}} {
		if o, err := s.Check(ctx, env, sv.Plan); err != nil || !o.Holds {
			t.Errorf("%s check after the run: %+v %v", s.ID(), o, err)
		}
	}
	joined := log.String()
	for _, want := range []string{"refused the share", "vault-1 unsealed", "vault-2 unsealed", "root token revoked", "kv-system/sso/argocd"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the steps did not say %q:\n%s", want, joined)
		}
	}

	// A later session that fails after making its root token (the operator leaves at Grafana's secret):
	// the token is revoked all the same.
	failing := d.InstallEnv(t.TempDir())
	failing.Keys, failing.Poll = &steps.Keyring{}, env.Poll
	op3 := &vaultOperator{shown: op.shown[:3], leaveAtSecret: true}
	failing.Ask = op3.ask
	var log3 stepLog
	r3 := &steps.Runner{Steps: r.Steps, Env: failing, Store: r.Store, Report: log3.report}
	sv3 := sv
	sv3.Plan.Vault.SSO.Grafana.ClientID = "demo-grafana" // a secret not in Vault yet: asked for
	if err := r3.RunOne(ctx, &sv3, steps.VaultBootstrapStep{}); err == nil {
		t.Fatal("the bootstrap went on without the SSO secret")
	}
	if !strings.Contains(log3.String(), "generate-root done") || !strings.Contains(log3.String(), "the root token made for the bootstrap is revoked") {
		t.Errorf("a failed bootstrap must still revoke the token it made:\n%s", log3.String())
	}

	// A later session: the init's token gone (and revoked); the bootstrap again, with a root token the
	// custodians make from their shares (generate-root), revoked at the end.
	later := d.InstallEnv(t.TempDir())
	later.Keys, later.Poll = &steps.Keyring{}, env.Poll
	op2 := &vaultOperator{shown: op.shown[:3]}
	later.Ask = op2.ask
	var log2 stepLog
	r2 := &steps.Runner{Steps: r.Steps, Env: later, Store: r.Store, Report: log2.report}
	if err := r2.RunOne(ctx, &sv, steps.VaultBootstrapStep{}); err != nil {
		t.Fatalf("the bootstrap in a later session: %v\n%s", err, log2.String())
	}
	if _, asked := op2.counts(); asked != 3 {
		t.Errorf("%d shares asked for generate-root, want 3", asked)
	}
	for _, want := range []string{"generate-root started: 3 shares needed", "generate-root done", "the root token made for the bootstrap is revoked"} {
		if !strings.Contains(log2.String(), want) {
			t.Errorf("the later bootstrap did not say %q:\n%s", want, log2.String())
		}
	}
}

// vaultOperator answers the Vault steps' questions as the operator does: each share and the root token
// shown are acknowledged, the first three shares typed back (in turn, as often as asked), the Dex
// secret typed, every yes/no answered yes. With refuseFirst, the first share typed is not one.
type vaultOperator struct {
	refuseFirst bool
	// leaveAtSecret: the operator walks away when asked for a secret (the step fails there).
	leaveAtSecret bool

	mu     sync.Mutex
	shown  []vaultops.Secret
	shares int // shares asked
}

func (o *vaultOperator) ask(_ context.Context, p steps.Prompt) (steps.Answer, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch p.Kind {
	case steps.PromptCustody:
		o.shown = append(o.shown, vaultops.NewSecret(p.Secret.Reveal()))
		return steps.Answer{Yes: true}, nil
	case steps.PromptShare:
		o.shares++
		n := o.shares - 1
		if o.refuseFirst {
			if n == 0 {
				return steps.Answer{Secret: vaultops.NewSecret("not a share")}, nil
			}
			n--
		}
		return steps.Answer{Secret: vaultops.NewSecret(o.shown[n%3].Reveal())}, nil // a step wipes what it is given
	case steps.PromptSecret:
		if o.leaveAtSecret {
			return steps.Answer{}, context.Canceled
		}
		return steps.Answer{Secret: vaultops.NewSecret("demo-dex-secret")}, nil
	case steps.PromptYesNo:
		return steps.Answer{Yes: true}, nil
	}
	return steps.Answer{}, nil
}

// counts are how many secrets were shown and how many shares asked.
func (o *vaultOperator) counts() (shown, sharesAsked int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.shown), o.shares
}
