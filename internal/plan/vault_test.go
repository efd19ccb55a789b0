package plan

import (
	"strings"
	"testing"
)

func TestValidateVault(t *testing.T) {
	five := func(c Custodian) []Custodian {
		out := make([]Custodian, 5)
		for i := range out {
			out[i] = c
			out[i].ShareFile = strings.ReplaceAll(c.ShareFile, "N", string(rune('1'+i)))
		}
		return out
	}
	enc := Custodian{PGPKey: "k.asc", ShareFile: "out/N.asc"}
	cases := []struct {
		name       string
		v          Vault
		unattended bool
		want       []string // problem paths, in order; nil = valid
	}{
		{"defaults, interactive", Vault{}, false, nil},
		{"defaults, unattended: no plaintext share may leave", Vault{}, true, []string{"vault.custodians"}},
		{"encrypted and exported, unattended", Vault{Custodians: five(enc)}, true, nil},
		{"threshold above shares", Vault{Shares: 3, Threshold: 4}, false, []string{"vault.threshold"}},
		{"threshold 1 of many", Vault{Shares: 5, Threshold: 1}, false, []string{"vault.threshold"}},
		{"one share alone is fine", Vault{Shares: 1, Threshold: 1}, false, nil},
		{"too many shares", Vault{Shares: 300, Threshold: 3}, false, []string{"vault.shares"}},
		{"custodians do not match shares", Vault{Custodians: five(enc)[:4]}, false, []string{"vault.custodians"}},
		{"an export must be encrypted", Vault{Custodians: five(Custodian{ShareFile: "out/N.asc"})}, false,
			[]string{"vault.custodians[0].shareFile", "vault.custodians[1].shareFile", "vault.custodians[2].shareFile",
				"vault.custodians[3].shareFile", "vault.custodians[4].shareFile"}},
		{"one encrypted means all", Vault{Custodians: append(five(enc)[:4], Custodian{Name: "e"})}, false,
			[]string{"vault.custodians[4].pgpKey"}},
		{"unattended needs the share files", Vault{Custodians: five(Custodian{PGPKey: "k.asc"})}, true,
			[]string{"vault.custodians[0].shareFile", "vault.custodians[1].shareFile", "vault.custodians[2].shareFile",
				"vault.custodians[3].shareFile", "vault.custodians[4].shareFile"}},
		{"root token export unencrypted", Vault{RootToken: RootTokenExport{File: "root.asc"}}, false, []string{"vault.rootToken.file"}},
		{"root token key without a file", Vault{RootToken: RootTokenExport{PGPKey: "k.asc"}}, false, []string{"vault.rootToken.file"}},
		{"kubernetes host not https", Vault{KubernetesHost: "http://api:6443"}, false, []string{"vault.kubernetesHost"}},
		{"SSO secret file without a client", Vault{SSO: SSO{Grafana: SSOClient{ClientSecretFile: "g"}}}, false,
			[]string{"vault.sso.grafana.clientID"}},
		{"SSO client unattended needs its secret file", Vault{Custodians: five(enc), SSO: SSO{ArgoCD: SSOClient{ClientID: "abc"}}}, true,
			[]string{"vault.sso.argocd.clientSecretFile"}},
		{"SSO client interactive: the secret is typed", Vault{SSO: SSO{ArgoCD: SSOClient{ClientID: "abc"}}}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := Plan{Vault: c.v}.ValidateVault(c.unattended)
			var got []string
			for _, p := range ps {
				got = append(got, p.Path)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("problems %v, want %v\n%v", got, c.want, ps)
			}
		})
	}
}

func TestExampleAnswersVaultIsUnattended(t *testing.T) {
	p := exampleAnswers(t)
	if ps := p.ValidateVault(true); len(ps) > 0 {
		t.Errorf("the example's vault section is not enough for an unattended init:\n%v", ps)
	}
	if v := p.Vault.WithDefaults(); v.Shares != 5 || v.Threshold != 3 || !v.Encrypted() || !v.RevokeRoot {
		t.Errorf("example vault: %+v", v)
	}
}
