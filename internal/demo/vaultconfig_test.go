package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// vaultConfigFindings judges every vault-config-operator object of the demo as the console does.
func vaultConfigFindings(ctx context.Context, t *testing.T, d *Platform) []health.Finding {
	t.Helper()
	var out []health.Finding
	for _, k := range vaultConfigKinds() {
		l, err := d.Kube.Dynamic.Resource(k.GVR).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range l.Items {
			out = append(out, health.VaultConfigCR(&l.Items[i]))
		}
	}
	if len(out) == 0 {
		t.Fatal("the demo has no vault-config-operator object")
	}
	return out
}

// allAre tells whether each finding has the status and a reason containing has.
func allAre(fs []health.Finding, status health.Status, has string) bool {
	for _, f := range fs {
		if f.Status != status || !strings.Contains(f.Reason, has) {
			return false
		}
	}
	return true
}

// TestVaultConfigOperatorFollowsVault: the simulated vault-config-operator reconciles against the Vault
// the install leaves. On the fresh platform (Vault uninitialized) its objects fail as the operator does
// ("Vault is sealed"); once the install's Vault steps ran (init, unseal, the bootstrap's config-admin
// role) every one of them — the VaultSecret the bootstrap wrote included — is reconciled; sealing Vault
// fails them again, and on a platform in service (Installed) they are reconciled from the start.
func TestVaultConfigOperatorFollowsVault(t *testing.T) {
	ctx := context.Background()
	d := startDemo(t, Options{})
	waitFor(t, "the operator's objects to fail on a sealed Vault", func() bool {
		return allAre(vaultConfigFindings(ctx, t, d), health.Degraded, "Vault is sealed")
	})

	env := d.InstallEnv(t.TempDir())
	env.Keys, env.Poll = &steps.Keyring{}, 10*time.Millisecond
	op := &vaultOperator{}
	env.Ask = op.ask
	p := plan.New()
	p.Vault.SSO.ArgoCD.ClientID = "demo-client"
	sv := steps.Saved{Plan: p}
	r := &steps.Runner{Steps: []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}},
		Env: env, Store: steps.NewStore(t.TempDir())}
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("the Vault steps: %v", err)
	}
	waitFor(t, "every object reconciled after the install's bootstrap", func() bool {
		fs := vaultConfigFindings(ctx, t, d)
		return allAre(fs, health.OK, "reconciled") && len(fs) > 4 // the bootstrap's VaultSecret too
	})

	d.vault.seal("vault-0")
	d.vault.seal("vault-1")
	d.vault.seal("vault-2")
	waitFor(t, "the objects to fail again once Vault is sealed", func() bool {
		return allAre(vaultConfigFindings(ctx, t, d), health.Degraded, "Vault is sealed")
	})

	in := startDemo(t, Options{Installed: true})
	waitFor(t, "an installed platform's objects reconciled", func() bool {
		return allAre(vaultConfigFindings(ctx, t, in), health.OK, "reconciled")
	})
}
