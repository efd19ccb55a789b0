package plan

import (
	"strings"
	"testing"
)

func TestValidateEra2Vault(t *testing.T) {
	custodians := func(n int, file bool) []Custodian {
		out := make([]Custodian, n)
		for i := range out {
			out[i] = Custodian{Name: "c", PGPKey: "c.asc"}
			if file {
				out[i].ShareFile = "share.asc"
			}
		}
		return out
	}
	cases := []struct {
		name       string
		mut        func(*Era2Vault)
		unattended bool
		path       string // "" = no problem
		says       string
	}{
		{name: "the example"},
		{name: "the example, unattended", unattended: true, path: "era2.vault.custodians", says: "one custodian per share (5)"},
		{name: "custodians with files, unattended", unattended: true, mut: func(v *Era2Vault) { v.Custodians = custodians(5, true) }},
		{name: "custodians without files, unattended", unattended: true, mut: func(v *Era2Vault) { v.Custodians = custodians(5, false) },
			path: "era2.vault.custodians[0].shareFile", says: "required unattended"},
		{name: "too few custodians", mut: func(v *Era2Vault) { v.Custodians = custodians(3, true) }, path: "era2.vault.custodians",
			says: "3 custodians for 5 shares"},
		{name: "a share exported in clear", mut: func(v *Era2Vault) {
			v.Custodians = custodians(5, true)
			v.Custodians[2].PGPKey = ""
		}, path: "era2.vault.custodians[2].pgpKey", says: "every share is"},
		{name: "root token in clear", mut: func(v *Era2Vault) { v.RootToken.File = "root.asc" }, path: "era2.vault.rootToken.file",
			says: "must be encrypted"},
		{name: "no recovery share", mut: func(v *Era2Vault) { v.RecoveryShares = 0 }, path: "era2.vault.recoveryShares", says: "at least one"},
		{name: "threshold above shares", mut: func(v *Era2Vault) { v.RecoveryThreshold = 6 }, path: "era2.vault.recoveryThreshold",
			says: "between 1 and the 5"},
		{name: "API server not https", mut: func(v *Era2Vault) { v.KubernetesHost = "http://10.0.0.1:6443" },
			path: "era2.vault.kubernetesHost", says: "https://"},
		{name: "an audience", mut: func(v *Era2Vault) { v.Audience = "vault, other" }, path: "era2.vault.audience", says: "not one audience"},
		{name: "a URL audience", mut: func(v *Era2Vault) { v.Audience = "https://vault.etsmtl.club" }},
		{name: "the seal is not judged here", mut: func(v *Era2Vault) { v.Seal.Type = "transit" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := era2Plan(t)
			if tc.mut != nil {
				tc.mut(&p.Era2.Vault)
			}
			ps := p.ValidateEra2Vault(tc.unattended)
			if tc.path == "" {
				if len(ps) > 0 {
					t.Fatalf("unexpected problems: %v", ps)
				}
				return
			}
			for _, pr := range ps {
				if pr.Path == tc.path && strings.Contains(pr.Message, tc.says) {
					return
				}
			}
			t.Fatalf("no problem at %s saying %q: %v", tc.path, tc.says, ps)
		})
	}
}

// TestEra2ValidateJudgesCustody: the answers' validation finds the custody problems too (not only the
// step), but never the unattended ones: the step knows whether an operator is there.
func TestEra2ValidateJudgesCustody(t *testing.T) {
	p, _ := era2Plan(t)
	if ps := p.ValidateEra2(nil, nil); len(ps) > 0 {
		t.Fatalf("the example: %v", ps)
	}
	p.Era2.Vault.RootToken.PGPKey = "root.asc"
	if ps := p.ValidateEra2(nil, nil).Only("era2.vault.rootToken"); len(ps) != 1 {
		t.Fatalf("a root token key without its file: %v", ps)
	}
}

func TestEra2VaultCustody(t *testing.T) {
	v := Era2Vault{RecoveryShares: 4, RecoveryThreshold: 2, Custodians: []Custodian{{Name: "ana"}}, RecoveryShareFiles: []string{"r1"},
		RootToken: RootTokenExport{PGPKey: "k", File: "f"}, RevokeRoot: true, KubernetesHost: "https://k"}
	c := v.Custody()
	if c.Shares != 4 || c.Threshold != 2 || c.CustodianName(0) != "ana" || c.UnsealShareFiles[0] != "r1" || c.RootToken.File != "f" ||
		!c.RevokeRoot || c.KubernetesHost != "https://k" {
		t.Errorf("custody: %+v", c)
	}
}
