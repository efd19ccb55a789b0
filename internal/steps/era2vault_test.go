package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	vault "github.com/hashicorp/vault/api"
)

func TestEra2VaultLayout(t *testing.T) {
	type role struct {
		sas, nss, pols []string
		aud            string
	}
	everyone := []string{"*"}
	admin := role{sas: []string{"vault", "default", "controller-manager"}, nss: []string{"vault"}, pols: []string{"config-admin"}}
	for _, tc := range []struct {
		name   string
		mut    func(*plan.Era2Vault)
		roles  map[string]role
		mounts []string
	}{
		{name: "the club's (PLATFORM.md §3.2)", roles: map[string]role{
			"config-admin":  admin,
			"secret-reader": {sas: everyone, nss: everyone, pols: []string{"secret-reader"}, aud: "vault"},
			"secret-writer": {sas: everyone, nss: everyone, pols: []string{"secret-writer"}, aud: "vault"},
		}, mounts: []string{"kv", "kv-system", "kv-v2"}},
		{name: "another audience", mut: func(v *plan.Era2Vault) { v.Audience = "https://vault.etsmtl.club" }, roles: map[string]role{
			"config-admin":  admin,
			"secret-reader": {sas: everyone, nss: everyone, pols: []string{"secret-reader"}, aud: "https://vault.etsmtl.club"},
			"secret-writer": {sas: everyone, nss: everyone, pols: []string{"secret-writer"}, aud: "https://vault.etsmtl.club"},
		}, mounts: []string{"kv", "kv-system", "kv-v2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := era2TestPlan(t)
			if tc.mut != nil {
				tc.mut(&p.Era2.Vault)
			}
			l := Era2VaultLayout(p)
			if len(l.Roles) != len(tc.roles) {
				t.Fatalf("%d roles, want %d: %+v", len(l.Roles), len(tc.roles), l.Roles)
			}
			for _, r := range l.Roles {
				w, ok := tc.roles[r.Name]
				if !ok || !slices.Equal(r.ServiceAccounts, w.sas) || !slices.Equal(r.Namespaces, w.nss) || !slices.Equal(r.Policies, w.pols) ||
					r.Audience != w.aud || r.TTL != "24h" {
					t.Errorf("role %+v, want %+v", r, w)
				}
			}
			var mounts []string
			for _, m := range l.Mounts {
				mounts = append(mounts, m.Path)
				if m.Type != "kv" {
					t.Errorf("mount %s is a %s engine", m.Path, m.Type)
				}
			}
			if !slices.Equal(mounts, tc.mounts) {
				t.Errorf("mounts %v, want %v", mounts, tc.mounts)
			}
			if len(l.Policies) != 1 || l.Policies[0].Name != "config-admin" || !strings.Contains(l.Policies[0].Text, `path "kv-v2/*"`) ||
				!strings.Contains(l.Policies[0].Text, `path "identity/*"`) {
				t.Errorf("policies: %+v", l.Policies)
			}
		})
	}
	// Era 1's layout is not touched by era 2's.
	if e1 := vaultops.Era1Layout(); len(e1.Roles) != 1 || len(e1.Mounts) != 2 || e1.Policies[0].Text != vaultops.ConfigAdminPolicy {
		t.Errorf("era 1's layout changed: %+v", e1)
	}
}

func TestSealRefusal(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   vault.SealStatusResponse
		says []string // nil: accepted
	}{
		{name: "the plan's", st: vault.SealStatusResponse{Type: "gcpckms", RecoverySeal: true}},
		{name: "the plan's, initialized", st: vault.SealStatusResponse{Type: "gcpckms", RecoverySeal: true, Initialized: true}},
		{name: "shamir, new", st: vault.SealStatusResponse{Type: "shamir"},
			says: []string{"shamir seal, the plan a gcpckms one", "unseal keys", "recovery shares cannot unseal it", "fix the seal stanza"}},
		{name: "shamir, initialized", st: vault.SealStatusResponse{Type: "shamir", Initialized: true},
			says: []string{"unseal keys", "seal migration"}},
		{name: "another KMS", st: vault.SealStatusResponse{Type: "awskms", RecoverySeal: true},
			says: []string{"awskms seal, the plan a gcpckms one", "another key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sealRefusal(plan.SealGCPCKMS, &tc.st)
			if (got == "") != (tc.says == nil) {
				t.Fatalf("sealRefusal = %q", got)
			}
			for _, s := range tc.says {
				if !strings.Contains(got, s) {
					t.Errorf("%q does not say %q", got, s)
				}
			}
		})
	}
}

// TestEra2VaultDescribe: the dry run names the split, the custodians, the roles with their audience
// and the mounts; the step order puts both after the registration.
func TestEra2VaultDescribe(t *testing.T) {
	p := era2TestPlan(t)
	p.Era2.Vault.Custodians = []plan.Custodian{{Name: "ana", PGPKey: "ana.asc", ShareFile: "ana.share.asc"}}
	init := strings.Join(Era2VaultInitStep{}.Describe(p), "\n")
	for _, s := range []string{"cluster k8s-lab's Vault", "unless its seal is gcpckms", "5 recovery shares, 3 of them needed",
		"share 1 → ana (ana.asc), exported to ana.share.asc", "unsealed itself"} {
		if !strings.Contains(init, s) {
			t.Errorf("the init's dry run does not say %q:\n%s", s, init)
		}
	}
	boot := strings.Join(Era2VaultBootstrapStep{}.Describe(p), "\n")
	for _, s := range []string{"role config-admin: service accounts vault, default, controller-manager of namespace vault\n",
		"role secret-reader: service accounts * of namespace *, audience vault", "role secret-writer", "mounts kv/, kv-system/, kv-v2/"} {
		if !strings.Contains(boot, s) {
			t.Errorf("the bootstrap's dry run does not say %q:\n%s", s, boot)
		}
	}
	ids := Order(Era2Steps())
	i, j := slices.Index(ids, Era2Register), slices.Index(ids, Era2VaultInit)
	if i < 0 || j != i+1 || ids[j+1] != Era2VaultBootstrap {
		t.Errorf("era 2's steps: %v", ids)
	}
}
