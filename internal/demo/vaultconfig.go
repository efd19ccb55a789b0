package demo

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// vaultConfigPoll is how often the simulated vault-config-operator reconciles.
const vaultConfigPoll = 500 * time.Millisecond

// vaultConfigKinds are the vault-config-operator kinds the simulated operator reconciles.
func vaultConfigKinds() []platform.Kind {
	return []platform.Kind{platform.VaultPolicy, platform.VaultAuthRole, platform.VaultMount, platform.VaultRandom,
		platform.VaultSecret}
}

// vaultConfigController plays vault-config-operator against the simulated Vault. Each of its objects
// is reconciled as the operator begins every reconcile: a login to Vault's kubernetes auth method (the
// object's spec.authentication path and role, default kubernetes and config-admin) with the operator's
// service-account token. Its ReconcileSuccessful condition then says how that went, in the operator's
// words — Vault unreachable, sealed, or the role unknown before the install's bootstrap made it — so the
// console shows what the install really left, and a fault (Vault sealed) or its healing reaches these
// objects as it would in the cluster. It changes nothing in Vault: the operator's effects (the policies,
// roles and mounts these objects describe) are not simulated.
type vaultConfigController struct{ p *Platform }

func (c vaultConfigController) pass(ctx context.Context) {
	if !c.p.kube.up.Load() {
		return
	}
	now := c.p.opts.now()
	for _, k := range vaultConfigKinds() {
		ri := c.p.kube.dyn.Resource(k.GVR)
		list, err := ri.Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range list.Items {
			u := &list.Items[i]
			mount, role := operatorAuthentication(u)
			cond := reconcileCondition(c.p.vault.operatorLogin(mount, role), now)
			cur, found := health.FindCondition(health.Conditions(u), "ReconcileSuccessful")
			if found && cur.Status == cond["status"] && cur.Message == cond["message"] {
				continue
			}
			_ = mergeStatus(ctx, ri.Namespace(u.GetNamespace()), u.GetName(), map[string]any{"conditions": []any{cond}})
		}
	}
}

// operatorAuthentication is the auth mount and role an object of vault-config-operator logs in with: its
// spec.authentication, or for a VaultSecret its first secret definition's.
func operatorAuthentication(u *unstructured.Unstructured) (mount, role string) {
	auth, _, _ := unstructured.NestedMap(u.Object, "spec", "authentication")
	if defs, _, _ := unstructured.NestedSlice(u.Object, "spec", "vaultSecretDefinitions"); len(defs) > 0 {
		if d, ok := defs[0].(map[string]any); ok {
			auth, _, _ = unstructured.NestedMap(d, "authentication")
		}
	}
	mount, _ = auth["path"].(string)
	role, _ = auth["role"].(string)
	if mount == "" {
		mount = "kubernetes"
	}
	if role == "" {
		role = "config-admin"
	}
	return mount, role
}

// reconcileCondition is the ReconcileSuccessful condition after a reconcile whose login failed with
// failure ("" when it succeeded), as vault-config-operator writes it.
func reconcileCondition(failure string, now time.Time) map[string]any {
	cond := map[string]any{"type": "ReconcileSuccessful", "status": "True", "reason": "LastReconcileCycleSucceded",
		"message": "", "lastTransitionTime": now.UTC().Format(time.RFC3339)}
	if failure != "" {
		cond["status"], cond["reason"], cond["message"] = "False", "LastReconcileCycleFailed", failure
	}
	return cond
}

// operatorHost is the Vault address vault-config-operator is configured with (the vault Service).
const operatorHost = "http://vault.vault.svc.cluster.local:8200"

// operatorLogin is the outcome of vault-config-operator's login with the role on the auth mount: "" when
// Vault would give it a token, else the error the operator reports (Vault's client error, on one line).
func (c *vaultCluster) operatorLogin(mount, role string) string {
	url := operatorHost + "/v1/auth/" + mount + "/login"
	if c.down.Load() {
		return fmt.Sprintf("Put %q: dial tcp: lookup vault.vault.svc.cluster.local: no such host", url)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	refused := func(code int, msg string) string {
		return fmt.Sprintf("Put %q Code: %d. Errors: * %s", url, code, msg)
	}
	if !c.initialized || c.activeLocked() == "" {
		return refused(503, "Vault is sealed")
	}
	m := c.store.auths[mount+"/"]
	if m == nil || m.Type != "kubernetes" {
		return refused(404, fmt.Sprintf("no handler for route %q. route entry not found.", "auth/"+mount+"/login"))
	}
	if r, code, msg := loginRole(m, role, "the operator's service-account token"); r == nil {
		return refused(code, msg)
	}
	return ""
}
