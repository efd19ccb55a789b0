package plan

import "strings"

// Custody is the era2 section's Vault as era 1's key ceremony reads it: the recovery split, the
// custodians their recovery shares are encrypted to, the root token's export, the recovery share files
// an unattended generate-root reads, whether the root token is revoked at the end.
func (v Era2Vault) Custody() Vault {
	return Vault{Shares: v.RecoveryShares, Threshold: v.RecoveryThreshold, Custodians: v.Custodians, RootToken: v.RootToken,
		UnsealShareFiles: v.RecoveryShareFiles, KubernetesHost: v.KubernetesHost, RevokeRoot: v.RevokeRoot,
		ReviewerExpires: v.ReviewerExpires}
}

// era2VaultPrefix is where the era2 section's Vault fields are named in problems.
const era2VaultPrefix = "era2.vault."

// ValidateEra2Vault checks what the era-2 Vault steps read beside the seal (which the answers' validation
// checks): the recovery split, the custodians and the root token's export, the API server's URL;
// unattended adds what an install without an operator needs (every recovery share encrypted to a
// custodian and exported: no plaintext share leaves the process). Pure.
func (p Plan) ValidateEra2Vault(unattended bool) Problems {
	var ps Problems
	if p.Era2 == nil {
		ps.add("era2", "required with era: 2")
		return ps
	}
	validateEra2Vault(ps.add, p.Era2.Vault, unattended)
	return ps
}

func validateEra2Vault(add adder, v Era2Vault, unattended bool) {
	switch {
	case v.RecoveryShares < 1:
		add(era2VaultPrefix+"recoveryShares", "%d: at least one recovery share (5 is usual)", v.RecoveryShares)
	case v.RecoveryThreshold < 1 || v.RecoveryThreshold > v.RecoveryShares:
		add(era2VaultPrefix+"recoveryThreshold", "%d: between 1 and the %d recovery shares", v.RecoveryThreshold, v.RecoveryShares)
	}
	c := v.Custody()
	c.validateCustody(add, era2VaultPrefix, false)
	if h := v.KubernetesHost; h != "" && !strings.HasPrefix(h, "https://") {
		add(era2VaultPrefix+"kubernetesHost", "%q: the API server's https:// URL as Vault reaches it", h)
	}
	if strings.ContainsAny(v.Audience, " \t\n,") {
		add(era2VaultPrefix+"audience", "%q is not one audience, like vault", v.Audience)
	}
	if unattended {
		c.validateCustody(add, era2VaultPrefix, true)
	}
}
