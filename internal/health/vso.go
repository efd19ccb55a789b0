package health

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The era-2 rules of vault-secrets-operator (secrets.hashicorp.com/v1beta1): a VaultAuth logs the
// operator in to Vault, a VaultStaticSecret copies one Vault KV secret into a Kubernetes Secret. Each
// rule judges one object, pure; VSOFindings makes the secrets layer's part of them.

const (
	// vssOnceStaleAfter is how long a VaultStaticSecret synced once and never refreshed (refreshAfter
	// unset, no instant updates) is taken as current. vault-secrets-operator copies such a secret when it
	// is created, when its spec changes and when the operator restarts, never else: a password rotated
	// in Vault is never seen. A day is the bound: the platform's other Vault copies are refreshed every
	// hour (VaultSecret refreshPeriod 1h, PLATFORM.md §1.2), so a copy a day old is already well behind
	// them, and a secret made today is not yet a problem worth the on-call's night.
	vssOnceStaleAfter = 24 * time.Hour
	// vssStalePeriods is how many refreshAfter periods may pass without a sync before a refreshed
	// VaultStaticSecret counts as stale (a slow Vault, a retry with backoff, are not staleness).
	vssStalePeriods = 3
	// vsoDefaultNamespace is where era 2 installs vault-secrets-operator (with Vault, in the vault
	// overlay), used when its Deployment is not among the objects read.
	vsoDefaultNamespace = "vault"
)

// VaultAuth judges a vault-secrets-operator VaultAuth from status.valid and status.error (and its
// conditions when valid is not reported): invalid is Down, every VaultStaticSecret using it (users)
// stops syncing; valid is OK; not yet validated is Unknown. operatorNS is vault-secrets-operator's
// namespace, for the hint.
func VaultAuth(u *unstructured.Unstructured, users int, operatorNS string) Finding {
	f := Finding{Object: ObjectName("VaultAuth", u)}
	method, role := Str(u, "spec", "method"), vaultAuthRole(u)
	what := gwOr(method, "?") + " auth"
	if role != "" {
		what += ", role " + role
	}
	valid, hasValid, _ := unstructured.NestedBool(u.Object, "status", "valid")
	errText := collapse(Str(u, "status", "error"))
	var failed *Condition
	for _, c := range Conditions(u) {
		if c.Status == "False" {
			failed = &c
			break
		}
	}
	switch {
	case hasValid && valid:
		f.Status, f.Reason = OK, "valid ("+what+")"
	case hasValid || failed != nil:
		f.Status, f.Reason = Down, "invalid ("+what+")"
		switch {
		case errText != "":
			f.Reason += ": " + errText
		case failed != nil && failed.Message != "":
			f.Reason += ": " + collapse(failed.Message)
		case failed != nil:
			f.Reason += ": " + failed.Type + "=False " + failed.Reason
		}
		if users > 0 {
			f.Reason += "; " + units.Count(users, "VaultStaticSecret") + " using it stop syncing"
		}
		f.Hint = fmt.Sprintf("read vault-secrets-operator's logs (%s); in Vault, check auth mount %s role %s (bound service account %s, audiences)",
			vsoLogs(operatorNS), gwOr(Str(u, "spec", "mount"), method), gwOr(role, "?"), gwOr(Str(u, "spec", "kubernetes", "serviceAccount"), "default"))
	default:
		f.Status, f.Reason = Unknown, "not validated yet ("+what+")"
		f.Hint = "check that vault-secrets-operator runs: " + vsoLogs(operatorNS)
	}
	return f
}

// VaultStaticSecret judges a vault-secrets-operator VaultStaticSecret from its SecretSynced condition and
// how it is refreshed. role is its VaultAuth's role ("" when unknown), operatorNS vault-secrets-operator's
// namespace, both for the hint (which names the Vault path, never a secret's value).
//
//   - SecretSynced False: Down with the operator's reason and message; a 403 says whether Vault refused
//     the login (role binding, audience, token reviewer) or the read (the role's policy).
//   - SecretSynced True with instant updates (syncConfig.instantUpdates): OK, Vault's events drive it.
//   - SecretSynced True, refreshAfter unset: the copy was made once and is never renewed (the trap of
//     PLATFORM.md §6: SYNCED=True from a stale success). The sync time read is the condition's
//     lastTransitionTime, the last time it turned True; past vssOnceStaleAfter it is Degraded
//     "synced once at <time>, never refreshed", before it OK saying the same.
//   - SecretSynced True, refreshAfter set: OK. When hmacSecretData is false, vault-secrets-operator
//     rewrites the condition at every refresh, so a condition older than vssStalePeriods periods is
//     Degraded stale (the operator stopped refreshing it). With hmacSecretData (the default) the
//     operator leaves the condition alone when the data did not change, so its age says when the data
//     last changed, not when it was last read: no staleness is claimed from it.
//   - no SecretSynced condition: Unknown (not reconciled yet, or an operator too old to report it).
func VaultStaticSecret(u *unstructured.Unstructured, role, operatorNS string, now time.Time) Finding {
	f := Finding{Object: ObjectName("VaultStaticSecret", u)}
	path := strings.Trim(Str(u, "spec", "mount")+"/"+Str(u, "spec", "path"), "/")
	auth := vssAuthName(u)
	c, ok := FindCondition(Conditions(u), "SecretSynced")
	switch {
	case !ok:
		f.Status, f.Reason = Unknown, "no SecretSynced condition yet (Vault path "+path+")"
		f.Hint = "check that vault-secrets-operator runs and watches this namespace: " + vsoLogs(operatorNS)
		return f
	case c.Status == "False":
		f.Status, f.Reason = Down, "not synced from "+path
		if c.Reason != "" {
			f.Reason += ": " + c.Reason
		}
		if msg := collapse(c.Message); msg != "" {
			f.Reason += ": " + msg
		}
		f.Hint = vssFailureHint(c.Message, auth, role, path) + "; " + vsoLogs(operatorNS)
		return f
	case c.Status != "True":
		f.Status, f.Reason = Unknown, "SecretSynced="+gwOr(c.Status, "?")+" (Vault path "+path+")"
		f.Hint = "wait for vault-secrets-operator's next sync; if it stays, " + vsoLogs(operatorNS)
		return f
	}

	instant, _, _ := unstructured.NestedBool(u.Object, "spec", "syncConfig", "instantUpdates")
	refresh := Str(u, "spec", "refreshAfter")
	every, err := time.ParseDuration(refresh)
	synced := c.LastTransition
	age := func() string {
		if synced.IsZero() {
			return ""
		}
		return ", " + units.Duration(now.Sub(synced)) + " ago"
	}
	switch {
	case instant:
		f.Status, f.Reason = OK, "synced from "+path+", updated on Vault's events"
	case refresh == "" || err != nil || every <= 0:
		at := "at an unknown time"
		if !synced.IsZero() {
			at = "at " + synced.UTC().Format(time.RFC3339)
		}
		f.Reason = "synced once " + at + age() + ", never refreshed (refreshAfter unset)"
		if refresh != "" {
			f.Reason = fmt.Sprintf("synced once %s%s, never refreshed (refreshAfter %q does not parse)", at, age(), refresh)
		}
		f.Status = OK
		if synced.IsZero() || now.Sub(synced) > vssOnceStaleAfter {
			f.Status = Degraded
			f.Hint = "a change in Vault (" + path + ") never reaches the Secret: set spec.refreshAfter (e.g. 1h) or syncConfig.instantUpdates"
		}
	default:
		hmac, set, _ := unstructured.NestedBool(u.Object, "spec", "hmacSecretData")
		f.Status, f.Reason = OK, "synced from "+path+", refreshed every "+refresh
		if set && !hmac && !synced.IsZero() {
			f.Reason = "synced from " + path + age() + ", refreshed every " + refresh
			if now.Sub(synced) > vssStalePeriods*every {
				f.Status = Degraded
				f.Reason = fmt.Sprintf("stale: last synced %s ago, refreshed every %s", units.Duration(now.Sub(synced)), refresh)
				f.Hint = "vault-secrets-operator no longer refreshes it: " + vsoLogs(operatorNS)
			}
		}
	}
	return f
}

// vssFailureHint reads a failed sync's message: a 403 on the login is the VaultAuth's role (binding,
// audience, token reviewer), a 403 elsewhere the role's policy on the path, a sealed or unreachable
// Vault the Vault findings.
func vssFailureHint(msg, auth, role, path string) string {
	m := strings.ToLower(msg)
	r := "role " + gwOr(role, "?")
	switch {
	case (strings.Contains(m, "403") || strings.Contains(m, "permission denied")) && strings.Contains(m, "/login"):
		return "Vault refused VaultAuth " + auth + "'s login: check " + r + " (bound service account and namespace, audience vault) and auth/kubernetes/config (token_reviewer_jwt, kubernetes_host)"
	case strings.Contains(m, "403"), strings.Contains(m, "permission denied"):
		return "Vault refused the read: the policy of VaultAuth " + auth + "'s " + r + " must allow read on " + path
	case strings.Contains(m, "vault is sealed"):
		return "Vault is sealed: see the Vault findings of this layer"
	case strings.Contains(m, "404"), strings.Contains(m, "no secret"), strings.Contains(m, "not found"):
		return "nothing at " + path + " in Vault: write the secret there, or fix spec.mount/spec.path"
	case strings.Contains(m, "no such host"), strings.Contains(m, "dial tcp"), strings.Contains(m, "connection refused"), strings.Contains(m, "i/o timeout"):
		return "Vault is unreachable from the operator: check the VaultConnection's address, the vault Service and its pods"
	default:
		return "check VaultAuth " + auth + " (" + r + ") and the Vault path " + path
	}
}

// VSOFindings judges every VaultAuth and VaultStaticSecret, and says when their kinds are served but
// cannot be read. Each VaultAuth is told how many VaultStaticSecrets use it; each VaultStaticSecret's
// hint names its VaultAuth's role.
func VSOFindings(o Objects) []Finding {
	fs := servedButUnreadable(o,
		unreadableKind{ResourceVaultAuths, "vault-secrets-operator's VaultAuths"},
		unreadableKind{ResourceVaultStaticSecrets, "vault-secrets-operator's VaultStaticSecrets"})
	ns := vsoNamespace(o)
	auths := map[string]*unstructured.Unstructured{}
	for _, a := range o.VaultAuths {
		if a != nil {
			auths[a.GetNamespace()+"/"+a.GetName()] = a
		}
	}
	users := map[string]int{}
	roles := make([]string, len(o.VaultStaticSecrets))
	for i, s := range o.VaultStaticSecrets {
		if s == nil {
			continue
		}
		key := vssAuthKey(s, ns, auths)
		users[key]++
		if a := auths[key]; a != nil {
			roles[i] = vaultAuthRole(a)
		}
	}
	keys := make([]string, 0, len(auths))
	for k := range auths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fs = append(fs, VaultAuth(auths[k], users[k], ns))
	}
	for i, s := range o.VaultStaticSecrets {
		if s != nil {
			fs = append(fs, VaultStaticSecret(s, roles[i], ns, o.Now))
		}
	}
	return fs
}

// vssAuthName is the VaultAuth a VaultStaticSecret names ("default" when it names none).
func vssAuthName(u *unstructured.Unstructured) string {
	return gwOr(Str(u, "spec", "vaultAuthRef"), "default")
}

// vssAuthKey resolves a VaultStaticSecret's vaultAuthRef to "namespace/name": "ns/name" as written, a
// bare name in the secret's namespace; none is the "default" VaultAuth of its namespace, else the
// operator's.
func vssAuthKey(u *unstructured.Unstructured, operatorNS string, auths map[string]*unstructured.Unstructured) string {
	ref := Str(u, "spec", "vaultAuthRef")
	if strings.Contains(ref, "/") {
		return ref
	}
	if ref != "" {
		return u.GetNamespace() + "/" + ref
	}
	if _, ok := auths[u.GetNamespace()+"/default"]; ok {
		return u.GetNamespace() + "/default"
	}
	return operatorNS + "/default"
}

// vaultAuthRole is the Vault role a VaultAuth logs in with, whatever its method.
func vaultAuthRole(u *unstructured.Unstructured) string {
	for _, m := range []string{"kubernetes", "jwt", "appRole", "aws", "gcp"} {
		if r := Str(u, "spec", m, "role"); r != "" {
			return r
		}
		if r := Str(u, "spec", m, "roleId"); r != "" {
			return r
		}
	}
	return ""
}

// vsoNamespace is where vault-secrets-operator runs: its Deployment's namespace, else era 2's.
func vsoNamespace(o Objects) string {
	for _, d := range o.Deployments {
		if d != nil && strings.Contains(d.Name, "vault-secrets-operator") {
			return d.Namespace
		}
	}
	return vsoDefaultNamespace
}

// vsoLogs is the command that shows vault-secrets-operator's logs.
func vsoLogs(ns string) string {
	return "kubectl logs -n " + ns + " -l app.kubernetes.io/name=vault-secrets-operator"
}

// collapse puts a multi-line message on one line, keeping all of it (Vault's errors span lines).
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
