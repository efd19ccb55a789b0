//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/health"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TestRestrictedRBAC: with credentials that may only read Nodes, status still judges the nodes, and every
// kind it may not list makes its layer Unknown with the reason — no crash, no false OK.
func TestRestrictedRBAC(t *testing.T) {
	ctx := context.Background()
	c := kubeClient(t)
	const ns, sa = "default", "e2e-node-reader"
	must := func(err error) {
		t.Helper()
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
	}
	_, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
	must(err)
	_, err = c.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: sa},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}}}},
		metav1.CreateOptions{})
	must(err)
	_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: sa},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}}, metav1.CreateOptions{})
	must(err)
	tok, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	createNode(t, c, "e2e-rbac-node")
	waitNodeReady(t, c, "e2e-rbac-node")

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = &clientcmdapi.Cluster{Server: shared.lab.APIServerURL(), CertificateAuthorityData: shared.lab.CAPEM()}
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["restricted"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: sa}
	cfg.CurrentContext = "restricted"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, map[string]string{"KUBECONFIG": path}, "status", "-o", "json", "--timeout", "20s")
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status -o json: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
		t.Fatalf("crash:\n%s", r.stderr)
	}
	if f, ok := findFinding(rep, health.LayerCluster, "Node/e2e-rbac-node"); !ok || f.Status != health.OK {
		t.Fatalf("the readable nodes must still be judged: %+v (%v)", f, ok)
	}
	for _, layer := range []health.Layer{health.LayerStorage, health.LayerGitOps, health.LayerCertificates} {
		l, ok := rep.Layer(layer)
		if !ok {
			t.Fatalf("layer %s missing", layer)
		}
		unknown := false
		for _, f := range l.Findings {
			if f.Status == health.Unknown && strings.Contains(f.Reason, "forbidden") {
				unknown = true
			}
			if f.Status == health.OK {
				t.Errorf("%s: %s is OK although it could not be read", layer, f.Object)
			}
		}
		if !unknown {
			t.Errorf("%s should carry an Unknown finding saying the list is forbidden: %+v", layer, l)
		}
	}
	if r.code == 0 {
		t.Fatal("a platform it may not fully see is not healthy (exit must not be 0)")
	}
}
