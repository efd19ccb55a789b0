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
	d, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	env := d.InstallEnv(t.TempDir())
	env.Keys = &steps.Keyring{}
	env.Poll = 10 * time.Millisecond

	var mu sync.Mutex
	var shown []vaultops.Secret
	shareAsks := 0
	env.Ask = func(_ context.Context, p steps.Prompt) (steps.Answer, error) {
		mu.Lock()
		defer mu.Unlock()
		switch p.Kind {
		case steps.PromptCustody:
			shown = append(shown, vaultops.NewSecret(p.Secret.Reveal()))
			return steps.Answer{Yes: true}, nil
		case steps.PromptShare:
			shareAsks++
			if shareAsks == 1 {
				return steps.Answer{Secret: vaultops.NewSecret("not a share")}, nil
			}
			return steps.Answer{Secret: shown[shareAsks-2]}, nil
		case steps.PromptSecret:
			return steps.Answer{Secret: vaultops.NewSecret("demo-dex-secret")}, nil
		case steps.PromptYesNo:
			return steps.Answer{Yes: true}, nil
		}
		return steps.Answer{}, nil
	}
	p := plan.New()
	p.Vault.SSO.ArgoCD.ClientID = "demo-client"
	sv := steps.Saved{Plan: p}
	var log []string
	r := &steps.Runner{Steps: []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}},
		Env: env, Store: steps.NewStore(t.TempDir()), Report: func(u steps.Update) {
			if u.Event != nil && u.Event.Message != "" {
				mu.Lock()
				log = append(log, u.Event.Message)
				mu.Unlock()
			}
		}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("the Vault steps on the demo: %v\n%s", err, strings.Join(log, "\n"))
	}
	if len(shown) != 6 || shareAsks != 4 {
		t.Errorf("%d secrets shown (want 5 shares and the root token), %d shares asked (want 1 refused + 3)", len(shown), shareAsks)
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
	joined := strings.Join(log, "\n")
	for _, want := range []string{"refused the share", "vault-1 unsealed", "vault-2 unsealed", "root token revoked", "kv-system/sso/argocd"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the steps did not say %q:\n%s", want, joined)
		}
	}
}
