package health

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	vault "github.com/hashicorp/vault/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// VaultConfigGroup is the API group of vault-config-operator's custom resources; o.Unavailable keys
// ending in "."+VaultConfigGroup ("policies.redhatcop.redhat.io", …) are reported by Secrets.
const VaultConfigGroup = "redhatcop.redhat.io"

// The fixes of a Vault that cannot serve: never initialized, or sealed.
const (
	vaultInitHint   = "run `cedille-tui install` (step vault-init)"
	vaultUnsealHint = "unseal it with a threshold of the key shares: cedille-tui install --only vault-unseal; runbook: " + RunbookVaultSealed
)

// VaultReplica judges one Vault server from its sys/health answer (nil with err when it did not answer).
// An uninitialized or sealed Vault is Down: nothing can read a secret from it.
func VaultReplica(name string, h *vault.HealthResponse, err error) Finding {
	f := Finding{Object: "Vault/" + name}
	switch {
	case err != nil:
		f.Status, f.Reason = Down, oneLine(err.Error())
		f.Hint = "check that the Vault pod runs and is reachable"
	case h == nil:
		f.Status, f.Reason = Unknown, "no sys/health answer recorded"
		f.Hint = "wait for the next poll of Vault"
	case !h.Initialized:
		f.Status, f.Reason = Down, "not initialized"
		f.Hint, f.demo = vaultInitHint, demoVaultSetup
	case h.Sealed:
		f.Status, f.Reason = Down, "sealed"
		f.Hint, f.demo = vaultUnsealHint, demoUnseal
	case h.Standby:
		f.Status, f.Reason = OK, "unsealed, standby"
	default:
		f.Status, f.Reason = OK, "unsealed, active"
	}
	if h != nil && h.Version != "" && err == nil {
		f.Reason += ", v" + h.Version
	}
	return f
}

// SealShamir is the seal type of a Vault unsealed with key shares; any other type (gcpckms, awskms,
// transit…) is an auto-unseal seal, whose recovery keys cannot unseal it.
const SealShamir = "shamir"

// AutoUnseal tells whether a seal type (sys/seal-status's type) is an auto-unseal seal: the server unseals
// itself with its KMS key, and its recovery keys cannot unseal it.
func AutoUnseal(sealType string) bool { return sealType != "" && sealType != SealShamir }

// autoUnsealHint is what to do for a Vault sealed behind an auto-unseal seal (PLATFORM.md §3.2: gcpckms
// on every era-2 cluster): bring back the KMS, not key shares.
func autoUnsealHint(sealType string) string {
	if sealType == "gcpckms" {
		return "its seal is gcpckms: recovery keys cannot unseal it. Restore its access to the GCP KMS key " +
			"(the seal stanza's key_ring/crypto_key, the kms-creds Secret's credentials, the project's IAM), then restart the pod: it unseals itself"
	}
	return "its seal is " + sealType + " (auto-unseal): recovery keys cannot unseal it. Restore its access to the " +
		sealType + " key and its credentials, then restart the pod: it unseals itself"
}

// VaultServer judges one watched Vault server as VaultReplica does, knowing its seal type: a sealed
// server with an auto-unseal seal (gcpckms…) says that its recovery keys cannot unseal it and that its
// KMS key must be reachable again, instead of asking for key shares.
func VaultServer(v VaultStatus) Finding {
	f := VaultReplica(v.Name, v.Health, v.Err)
	if v.Err == nil && v.Health != nil && v.Health.Initialized && v.Health.Sealed && AutoUnseal(v.SealType) {
		f.Reason = strings.Replace(f.Reason, "sealed", "sealed ("+v.SealType+" auto-unseal)", 1)
		f.Hint, f.demo = autoUnsealHint(v.SealType), ""
	}
	return f
}

// Secrets builds the secrets layer: one finding per Vault server (VaultServer), an HA finding per Vault
// cluster when several servers are watched, one finding per vault-config-operator CR, and (era 2) one per
// vault-secrets-operator VaultAuth and VaultStaticSecret (VSOFindings).
//
// HA: the unsealed servers that answered are grouped by cluster_id (servers with different ids are
// different Vaults, e.g. one per Kubernetes cluster in era 2); in each group none active is Down (no
// leader: Raft quorum lost or every node standby), exactly one is OK, and more than one is Degraded
// "split brain?": reads still work, but two leaders with one cluster_id is what two Vault servers sharing
// one storage backend look like (PLATFORM.md §3.2), which corrupts it over time. When several servers are
// watched and none is unsealed and answering, the HA finding is Down too.
func Secrets(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.Vault)+len(o.VaultConfigCRs)+2)
	for _, v := range o.Vault {
		fs = append(fs, VaultServer(v))
	}
	if len(o.Vault) > 1 {
		fs = append(fs, vaultHA(o.Vault)...)
	}

	missing := make([]string, 0)
	for res := range o.Unavailable {
		if strings.HasSuffix(res, "."+VaultConfigGroup) && o.Unavailable[res] != nil {
			missing = append(missing, res)
		}
	}
	sort.Strings(missing)
	for _, res := range missing {
		fs = append(fs, MissingFinding("CRD/"+res, o.Unavailable[res],
			"install vault-config-operator, or grant the console list/watch on "+res))
	}
	for _, cr := range o.VaultConfigCRs {
		if cr != nil {
			fs = append(fs, VaultConfigCR(cr))
		}
	}
	fs = append(fs, VSOFindings(o)...)
	return NewLayer(LayerSecrets, fs)
}

// vaultHA returns one finding per Vault cluster (cluster_id) among several watched servers.
func vaultHA(vs []VaultStatus) []Finding {
	type group struct {
		name            string
		active, standby []string
	}
	groups := map[string]*group{}
	for _, v := range vs {
		h := v.Health
		if v.Err != nil || h == nil || !h.Initialized || h.Sealed {
			continue
		}
		g := groups[h.ClusterID]
		if g == nil {
			g = &group{name: h.ClusterName}
			groups[h.ClusterID] = g
		}
		if g.name == "" {
			g.name = h.ClusterName
		}
		if h.Standby || h.PerformanceStandby {
			g.standby = append(g.standby, v.Name)
		} else {
			g.active = append(g.active, v.Name)
		}
	}
	if len(groups) == 0 {
		f := Finding{Object: "VaultCluster/vault", Status: Down,
			Reason: fmt.Sprintf("no active replica: none of the %d servers is unsealed and answering", len(vs)),
			Hint:   "unseal the servers (runbook: " + RunbookVaultSealed + ") or bring their pods back", demo: demoUnseal}
		// Every sealed server that said how it is sealed is auto-unsealed: key shares are not the fix.
		if sealed := slices.DeleteFunc(slices.Clone(vs), func(v VaultStatus) bool {
			return v.Err != nil || v.Health == nil || !v.Health.Sealed || !v.Health.Initialized
		}); len(sealed) > 0 && !slices.ContainsFunc(sealed, func(v VaultStatus) bool { return !AutoUnseal(v.SealType) }) {
			f.Hint, f.demo = autoUnsealHint(sealed[0].SealType), ""
		}
		// Every server answered that it was never initialized: unsealing is not the next step.
		if !slices.ContainsFunc(vs, func(v VaultStatus) bool { return v.Err != nil || v.Health == nil || v.Health.Initialized }) {
			f.Hint, f.demo = "initialize it: "+vaultInitHint, demoVaultSetup
		}
		return []Finding{f}
	}
	ids := slices.Sorted(maps.Keys(groups))
	out := make([]Finding, 0, len(groups))
	for _, id := range ids {
		g := groups[id]
		name := g.name
		if name == "" {
			name = id
		}
		if name == "" {
			name = "vault"
		}
		f := Finding{Object: "VaultCluster/" + name}
		switch len(g.active) {
		case 0:
			f.Status = Down
			f.Reason = fmt.Sprintf("no active replica (%d standby: %s)", len(g.standby), strings.Join(g.standby, ", "))
			f.Hint, f.demo = "no leader: check Raft quorum (vault operator raft list-peers) and the pods' logs", demoElsewhere
		case 1:
			f.Status = OK
			f.Reason = fmt.Sprintf("active %s, %d standby", g.active[0], len(g.standby))
		default:
			f.Status = Degraded
			f.Reason = fmt.Sprintf("split brain? %d active replicas with one cluster_id: %s", len(g.active), strings.Join(g.active, ", "))
			f.Hint = "two servers lead the same cluster: do two Vault servers share one storage backend? Give each its own, then restart the extra leader"
		}
		out = append(out, f)
	}
	return out
}

// VaultConfigCR judges one vault-config-operator custom resource (redhatcop.redhat.io/v1alpha1, any kind)
// from its ReconcileSuccessful condition; the runbook's failure messages get their own hints.
func VaultConfigCR(cr *unstructured.Unstructured) Finding {
	kind := cr.GetKind()
	if kind == "" {
		kind = "VaultConfig"
	}
	f := Finding{Object: ObjectName(kind, cr)}
	c, ok := FindCondition(Conditions(cr), "ReconcileSuccessful")
	msg := strings.Join(strings.Fields(c.Message), " ") // Vault's errors span lines: keep them all, on one
	switch {
	case !ok:
		f.Status, f.Reason = Unknown, "no ReconcileSuccessful condition yet"
		f.Hint = "check that vault-config-operator runs (namespace vault) and watches this namespace"
	case c.Status == "True":
		f.Status, f.Reason = OK, "reconciled"
	case c.Status == "False":
		f.Status, f.Reason = Degraded, "reconcile failed"
		if msg != "" {
			f.Reason += ": " + msg
		} else if c.Reason != "" {
			f.Reason += ": " + c.Reason
		}
		f.Hint, f.demo = vaultConfigHint(c.Message)
	default:
		f.Status, f.Reason = Unknown, "ReconcileSuccessful="+c.Status
		if msg != "" {
			f.Reason += ": " + msg
		}
		f.Hint = "wait for vault-config-operator's next reconcile"
	}
	return f
}

// vaultConfigHint recognises the failure messages of KF's vault-config-operator bootstrap runbook; demo is
// what works in the embedded demo instead, when the hint names a command.
func vaultConfigHint(msg string) (hint, demo string) {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "invalid role name"):
		return "the Kubernetes auth bootstrap is missing (auth/kubernetes role config-admin): run `cedille-tui install` step vault-bootstrap", demoVaultSetup
	case strings.Contains(m, "vault is sealed"):
		return "Vault is sealed (or not initialized): see the Vault findings of this layer; the operator retries by itself once it is unsealed", demoSealed
	case strings.Contains(m, "no such host"), strings.Contains(m, "dial tcp"), strings.Contains(m, "connection refused"),
		strings.Contains(m, "i/o timeout"), strings.Contains(m, "no route to host"):
		return "Vault is unreachable from the operator: check the vault Service, its pods and cluster DNS", ""
	case strings.Contains(m, "403"), strings.Contains(m, "permission denied"):
		return "policy/role drift: check the config-admin policy and role in Vault (bound service accounts, audience, token_reviewer_jwt)", ""
	case strings.Contains(m, "400"):
		return "Vault rejected the request: compare the CR with what Vault expects (vault-config-operator logs)", ""
	default:
		return "read vault-config-operator's logs and the CR's events", ""
	}
}
