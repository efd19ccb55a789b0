package gitops

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func app(name, sync, health, msg string) *unstructured.Unstructured {
	st := map[string]any{"sync": map[string]any{"status": sync}, "health": map[string]any{"status": health}}
	if msg != "" {
		st["health"].(map[string]any)["message"] = msg
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": "argocd"}, "status": st}}
}

func withPhase(a *unstructured.Unstructured, phase string) *unstructured.Unstructured {
	a.Object["status"].(map[string]any)["operationState"] = map[string]any{"phase": phase}
	return a
}

func rootWith(sync, health string, children ...string) *unstructured.Unstructured {
	r := app(RootName, sync, health, "")
	var res []any
	for _, c := range children {
		res = append(res, map[string]any{"group": "argoproj.io", "kind": "Application", "name": c, "namespace": "argocd"})
	}
	res = append(res, map[string]any{"kind": "ConfigMap", "name": "not-an-app"})
	r.Object["status"].(map[string]any)["resources"] = res
	return r
}

func TestChildren(t *testing.T) {
	healthy := func(n string) *unstructured.Unstructured { return app(n, "Synced", "Healthy", "") }
	cases := []struct {
		name   string
		root   *unstructured.Unstructured
		apps   []*unstructured.Unstructured
		done   bool
		states []string // "name state ok failed"
	}{
		{"not reconciled yet", app(RootName, "", "", ""), nil, false, nil},
		{"all synced and healthy", rootWith("Synced", "Healthy", "vault", "grafana"),
			[]*unstructured.Unstructured{healthy("vault"), healthy("grafana")}, true,
			[]string{"grafana Synced/Healthy true false", "vault Synced/Healthy true false"}},
		{"a child not created yet", rootWith("Synced", "Healthy", "vault", "kuma"), []*unstructured.Unstructured{healthy("vault")}, false,
			[]string{"kuma not created yet false false", "vault Synced/Healthy true false"}},
		{"a degraded child", rootWith("Synced", "Healthy", "kuma"),
			[]*unstructured.Unstructured{app("kuma", "Synced", "Degraded", "Deployment kuma-control-plane: 0/1 ready")}, false,
			[]string{"kuma Synced/Degraded false true"}},
		{"a child whose last sync failed", rootWith("Synced", "Progressing", "cert-manager"),
			[]*unstructured.Unstructured{withPhase(app("cert-manager", "OutOfSync", "Progressing", "Deployment cert-manager: 0/1 ready"), "Failed")}, false,
			[]string{"cert-manager OutOfSync/Progressing false true"}},
		{"a child still progressing", rootWith("Synced", "Progressing", "vault"),
			[]*unstructured.Unstructured{app("vault", "OutOfSync", "Progressing", "")}, false,
			[]string{"vault OutOfSync/Progressing false false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apps := map[string]*unstructured.Unstructured{}
			for _, a := range c.apps {
				apps[a.GetName()] = a
			}
			ch, done := Children(c.root, apps)
			var got []string
			for _, x := range ch {
				got = append(got, strings.Join([]string{x.Name, x.State, bstr(x.OK), bstr(x.Failed)}, " "))
			}
			if done != c.done || strings.Join(got, "|") != strings.Join(c.states, "|") {
				t.Errorf("done %v %v, want %v %v", done, got, c.done, c.states)
			}
			for _, x := range ch {
				if x.Failed && !strings.Contains(x.Detail, "0/1 ready") {
					t.Errorf("a degraded child's detail carries ArgoCD's message: %q", x.Detail)
				}
			}
		})
	}
	r := RootApplication("argocd", "https://git.example.org/platform.git", "HEAD", "apps/argo-apps")
	if r.GetName() != RootName || r.Object["spec"].(map[string]any)["source"].(map[string]any)["path"] != "apps/argo-apps" {
		t.Errorf("root: %v", r.Object)
	}
}

func bstr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestChildrenDeferred: Vault's Applications cannot be Healthy before Vault is unsealed and bootstrapped:
// deferred, they do not hold the list back (nor the root they make Progressing), and say why.
func TestChildrenDeferred(t *testing.T) {
	root := rootWith("Synced", "Progressing", "vault", "grafana")
	apps := map[string]*unstructured.Unstructured{
		"vault":   app("vault", "Synced", "Progressing", "StatefulSet vault: 0/3 ready"),
		"grafana": app("grafana", "Synced", "Healthy", ""),
	}
	ch, done := Children(root, apps, "vault", "vault-configs")
	if !done || !ch[1].Deferred || ch[1].OK || !strings.Contains(ch[1].Detail, "after the Vault steps") {
		t.Errorf("deferred: done %v %+v", done, ch)
	}
	if _, done := Children(root, apps); done {
		t.Error("without deferral the list is not done")
	}
	apps["grafana"] = app("grafana", "Synced", "Degraded", "crash")
	if _, done := Children(root, apps, "vault"); done {
		t.Error("a Degraded child that is not deferred holds the list back")
	}
}
