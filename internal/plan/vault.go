package plan

import (
	"fmt"
	"strings"
	"time"
)

// Vault is how the install initializes, unseals and bootstraps Vault. It names files, never holds a key:
// the custodians' PGP public keys, where their encrypted shares are exported, and — for an unattended
// unseal — files of plaintext shares the operator provides and removes afterwards.
type Vault struct {
	// Shares and Threshold are the Shamir split (or the recovery split on an auto-unseal seal).
	Shares    int `yaml:"shares,omitempty"`
	Threshold int `yaml:"threshold,omitempty"`
	// Custodians receive one share each, in order. With PGP keys each share is encrypted to its holder by
	// Vault itself, so no plaintext share ever leaves Vault.
	Custodians []Custodian `yaml:"custodians,omitempty"`
	// RootToken is where the root token is exported, encrypted (optional).
	RootToken RootTokenExport `yaml:"rootToken,omitempty"`
	// UnsealShareFiles are files of plaintext unseal shares for an unattended unseal. They must not
	// persist: put them on a tmpfs and remove them after.
	UnsealShareFiles []string `yaml:"unsealShareFiles,omitempty"`
	// KubernetesHost is the API server as Vault reaches it, for the kubernetes auth method (default:
	// https://kubernetes.default.svc when Vault runs in the cluster).
	KubernetesHost string `yaml:"kubernetesHost,omitempty"`
	// RevokeRoot revokes the root token once the bootstrap is done (unattended; the wizard asks).
	RevokeRoot bool `yaml:"revokeRoot,omitempty"`
	// SSO are the GitHub OAuth clients whose secrets are kept in Vault.
	SSO SSO `yaml:"sso,omitempty"`
	// ReviewerExpires is written by the bootstrap: when the token Vault reviews ServiceAccount tokens with
	// expires (kubernetes logins fail after it; rerunning vault-bootstrap renews it). Not a secret.
	ReviewerExpires time.Time `yaml:"reviewerExpires,omitempty"`
}

// Custodian is one holder of a share.
type Custodian struct {
	Name string `yaml:"name,omitempty"`
	// PGPKey is the custodian's PGP public key file (armored or binary).
	PGPKey string `yaml:"pgpKey,omitempty"`
	// ShareFile is where the share, encrypted to PGPKey, is exported (optional interactively).
	ShareFile string `yaml:"shareFile,omitempty"`
}

// RootTokenExport names the key the root token is encrypted to and the file it is written to.
type RootTokenExport struct {
	PGPKey string `yaml:"pgpKey,omitempty"`
	File   string `yaml:"file,omitempty"`
}

// SSO are the platform's GitHub OAuth clients: ArgoCD's Dex connector and Grafana's GitHub login.
type SSO struct {
	ArgoCD  SSOClient `yaml:"argocd,omitempty"`
	Grafana SSOClient `yaml:"grafana,omitempty"`
}

// SSOClient is one OAuth client: its ID (not a secret) and, unattended, the file holding its secret. An
// empty ClientID leaves the client out (it stays manual; the hand-off says so).
type SSOClient struct {
	ClientID         string `yaml:"clientID,omitempty"`
	ClientSecretFile string `yaml:"clientSecretFile,omitempty"`
}

// NamedSSOClient is an SSO client with its key in the plan ("argocd", "grafana").
type NamedSSOClient struct {
	Name   string
	Client SSOClient
}

// Clients lists the SSO clients in a fixed order.
func (s SSO) Clients() []NamedSSOClient {
	return []NamedSSOClient{{"argocd", s.ArgoCD}, {"grafana", s.Grafana}}
}

// Vault defaults: Vault's own split, which the platform used.
const (
	DefaultShares    = 5
	DefaultThreshold = 3
)

// WithDefaults fills the split when it is not given.
func (v Vault) WithDefaults() Vault {
	if v.Shares == 0 {
		v.Shares = DefaultShares
	}
	if v.Threshold == 0 {
		v.Threshold = min(DefaultThreshold, v.Shares)
	}
	return v
}

// Encrypted tells whether the shares go to custodians' PGP keys.
func (v Vault) Encrypted() bool {
	for _, c := range v.Custodians {
		if c.PGPKey != "" {
			return true
		}
	}
	return false
}

// CustodianName is custodian i's name for the screens ("custodian 2" when unnamed).
func (v Vault) CustodianName(i int) string {
	if i < len(v.Custodians) && strings.TrimSpace(v.Custodians[i].Name) != "" {
		return v.Custodians[i].Name
	}
	return fmt.Sprintf("custodian %d", i+1)
}

// ValidateVault checks the Vault section on its own (the files are read by the steps). unattended adds
// what an install without an operator needs: every share encrypted to a custodian and exported, so no
// plaintext share is ever produced.
func (p Plan) ValidateVault(unattended bool) Problems {
	var ps Problems
	v := p.Vault.WithDefaults()
	switch {
	case v.Shares < 1 || v.Shares > 255:
		ps.add("vault.shares", "%d: must be 1 to 255", v.Shares)
	case v.Threshold < 1 || v.Threshold > v.Shares:
		ps.add("vault.threshold", "%d: must be 1 to the number of shares (%d)", v.Threshold, v.Shares)
	case v.Shares > 1 && v.Threshold == 1:
		ps.add("vault.threshold", "1 of %d shares lets any one custodian unseal alone: use 1 share, or a threshold of at least 2", v.Shares)
	}
	v.validateCustody(ps.add, "vault.", false)
	if h := v.KubernetesHost; h != "" && !strings.HasPrefix(h, "https://") {
		ps.add("vault.kubernetesHost", "%q: the API server's https:// URL as Vault reaches it", h)
	}
	for _, sc := range v.SSO.Clients() {
		name, c := sc.Name, sc.Client
		if c.ClientID == "" && c.ClientSecretFile != "" {
			ps.add("vault.sso."+name+".clientID", "required with clientSecretFile: the GitHub OAuth app's client ID")
		}
		if c.ClientID != "" && strings.ContainsAny(c.ClientID, " \t\n") {
			ps.add("vault.sso."+name+".clientID", "%q is not a client ID", c.ClientID)
		}
	}
	if !unattended {
		return ps
	}
	v.validateCustody(ps.add, "vault.", true)
	for _, sc := range v.SSO.Clients() {
		name, c := sc.Name, sc.Client
		if c.ClientID != "" && c.ClientSecretFile == "" {
			ps.add("vault.sso."+name+".clientSecretFile", "required unattended with a clientID: the file holding the client secret")
		}
	}
	return ps
}

// validateCustody checks who receives the shares and the root token, its paths under prefix ("vault.");
// unattended checks only what an install without an operator adds: every share encrypted to a custodian
// and exported.
func (v Vault) validateCustody(add adder, prefix string, unattended bool) {
	if unattended {
		if len(v.Custodians) != v.Shares {
			add(prefix+"custodians", "unattended init needs one custodian per share (%d) with pgpKey and shareFile: "+
				"no plaintext share may leave the process", v.Shares)
		}
		for i, c := range v.Custodians {
			if c.PGPKey != "" && c.ShareFile == "" {
				add(fmt.Sprintf("%scustodians[%d].shareFile", prefix, i), "required unattended: where the encrypted share is written")
			}
		}
		return
	}
	if len(v.Custodians) > 0 && len(v.Custodians) != v.Shares {
		add(prefix+"custodians", "%d custodians for %d shares: list one per share", len(v.Custodians), v.Shares)
	}
	enc := v.Encrypted()
	for i, c := range v.Custodians {
		path := fmt.Sprintf("%scustodians[%d]", prefix, i)
		if enc && c.PGPKey == "" {
			add(path+".pgpKey", "required: when one share is encrypted, every share is (give each custodian's public key)")
		}
		if c.ShareFile != "" && c.PGPKey == "" {
			add(path+".shareFile", "an exported share must be encrypted: give the custodian's pgpKey")
		}
	}
	if v.RootToken.File != "" && v.RootToken.PGPKey == "" {
		add(prefix+"rootToken.file", "an exported root token must be encrypted: give rootToken.pgpKey")
	}
	if v.RootToken.PGPKey != "" && v.RootToken.File == "" {
		add(prefix+"rootToken.file", "required with rootToken.pgpKey: where the encrypted root token is written")
	}
}
