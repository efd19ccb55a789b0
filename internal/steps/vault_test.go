package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
)

// noVault fails every connection: the refusals below must come before Vault is reached.
type noVault struct{}

func (noVault) Kube(context.Context, plan.Plan) (*platform.Kube, error) {
	return nil, errors.New("no cluster in this test")
}
func (noVault) Replicas(context.Context, plan.Plan, *platform.Kube) ([]*vaultops.Replica, error) {
	return nil, errors.New("Vault reached: the step should have refused first")
}
func (noVault) InCluster() bool        { return true }
func (noVault) Token() vaultops.Secret { return vaultops.Secret{} }

// TestVaultInitRefusesBeforeVault: what is wrong with the files the plan names is said with the field's
// path before Vault is touched (an init cannot be undone).
func TestVaultInitRefusesBeforeVault(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "taken.asc")
	if err := os.WriteFile(exists, []byte("another Vault's share"), 0o600); err != nil {
		t.Fatal(err)
	}
	notKey := filepath.Join(dir, "not-a-key.asc")
	if err := os.WriteFile(notKey, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		v          plan.Vault
		unattended bool
		want       string
	}{
		{"missing key file", plan.Vault{Shares: 1, Threshold: 1, Custodians: []plan.Custodian{{PGPKey: filepath.Join(dir, "missing.asc")}}},
			false, "vault.custodians[0].pgpKey: cannot read"},
		{"not a PGP key", plan.Vault{Shares: 1, Threshold: 1, Custodians: []plan.Custodian{{PGPKey: notKey}}},
			false, "vault.custodians[0].pgpKey: " + notKey + ": not a PGP public key"},
		{"unattended without custodians", plan.Vault{}, true, "vault.custodians: unattended init needs one custodian per share"},
		{"bad split", plan.Vault{Shares: 2, Threshold: 3}, false, "vault.threshold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := plan.New()
			p.Vault = c.v
			e := &Env{Vault: noVault{}}
			if !c.unattended {
				e.Ask = func(context.Context, Prompt) (Answer, error) { return Answer{Yes: true}, nil }
			}
			err := VaultInitStep{}.Run(context.Background(), e, &p, func(Event) {})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// An export never overwrites a file: refused before the init, with the field.
	err := checkExports(plan.Vault{RootToken: plan.RootTokenExport{PGPKey: "k", File: exists}})
	if err == nil || !strings.Contains(err.Error(), "vault.rootToken.file: "+exists+" exists") {
		t.Errorf("an existing export file: %v", err)
	}
}
