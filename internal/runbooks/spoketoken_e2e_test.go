//go:build e2e

package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The spoke of TestSpokeTokenOnTwoLabAPIServers, and the token the hub's cluster Secret holds for it.
const (
	e2eSpoke    = "k8s-prod-v2"
	staleToken  = "stale-e2e-token-3c9d-never-shown"
	bogusToken  = "bogus-e2e-token-81f0-never-shown"
	e2eSpokeApp = "shop"
)

// TestSpokeTokenOnTwoLabAPIServers runs `spoke-token` through the engine on the hub, one of two real
// kube-apiservers of the lab (the other is the spoke), with the Omni simulator (the real omni client over
// gRPC) issuing the spoke's service-account kubeconfig. The hub's cluster Secret for the spoke holds a
// token the spoke refuses, and an Application there says so, as ArgoCD's controller would (none runs):
//   - a viewer's run reaches the reissue step and the dispatcher refuses it;
//   - the operator's precheck: the spoke answers the Secret's token Unauthorized, the Application refused;
//   - the preview changes nothing (the Secret as it was, no token issued) and names config.bearerToken;
//   - the Secret changed since the preview: refused, no token issued;
//   - Omni issues a token the spoke refuses too: refused (audited), the Secret not patched;
//   - Omni issues the right one: the Secret's bearerToken only is patched, as cedille:olive;
//   - the postchecks: a real request with exactly the Secret's token lists the spoke's nodes; the
//     Application's refusal, cleared by the controller's part, is gone;
//   - a second operator is refused the cluster while olive's run holds it; once repaired, a new run
//     does not apply;
//   - neither token ever reaches the trail, the report, the run's state, the verdict or the preview.
func TestSpokeTokenOnTwoLabAPIServers(t *testing.T) {
	hub := labtest.Start(t, lab.KubeAPIServer)
	spoke := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, hub.RESTConfig())

	srv, err := omnisim.New(omnisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	addr, err := srv.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: "grpc://" + addr.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = om.Close() })
	if err := srv.State().Create(ctx, omni.NewCluster(e2eSpoke)); err != nil {
		t.Fatal(err)
	}
	good := tokenConfig(t, spoke)
	spokeCfg, err := clientcmd.RESTConfigFromKubeConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	liveToken := spokeCfg.BearerToken
	ca := spokeCfg.CAData
	if len(ca) == 0 {
		if ca, err = os.ReadFile(spokeCfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}

	// The hub: ArgoCD's cluster Secret for the spoke with a token the spoke does not know, an Application
	// refused there, operators allowed to list and patch Secrets in argocd (deploy/rolebindings-spoke-token.yaml).
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: actions.ArgoNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	config, _ := json.Marshal(map[string]any{"bearerToken": staleToken, "tlsClientConfig": map[string]any{"insecure": false, "caData": ca}})
	secrets := kc.CoreV1().Secrets(actions.ArgoNamespace)
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-prod-v2",
		Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster", "stack": "k8s-foundation"}},
		Data: map[string][]byte{"name": []byte(e2eSpoke), "server": []byte(spokeCfg.Host), "config": config}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apps := dc.Resource(actions.ApplicationsResource()).Namespace(actions.ArgoNamespace)
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": e2eSpokeApp, "namespace": actions.ArgoNamespace},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/shop", "targetRevision": "HEAD"},
			"destination": map[string]any{"server": spokeCfg.Host, "namespace": "shop"}},
		"status": map[string]any{"sync": map[string]any{"status": "Unknown"}, "health": map[string]any{"status": "Unknown"},
			"conditions": []any{map[string]any{"type": "ComparisonError",
				"message": "Failed to load live state: the server has asked for the client to provide credentials (token is unverifiable: key not found)"}}},
	}}
	if _, err := apps.Create(ctx, app, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bindSpokeTokenRole(ctx, t, kc)

	bed := newTestbed(t, hub.RESTConfig())
	if bed.d, err = actions.NewDispatcher(bed.clients, bed.trail.Append,
		actions.WithSpokes(actions.Builtin(), actions.OmniSpokes(om, "", nil, 0))...); err != nil {
		t.Fatal(err)
	}
	world := runbook.World{Kube: kc, Dynamic: dc}
	rb := SpokeToken()
	target := runbook.Target{Kind: "Cluster", Name: e2eSpoke}
	object := actions.Target{Kind: actions.KindArgoCluster, Namespace: actions.ArgoNamespace, Name: e2eSpoke}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	waitAllowedIn(ctx, t, bed.clients, olive, "patch", "", "secrets", actions.ArgoNamespace)

	sv, err := bed.start(bed.engine(), rb, target, vic, world)
	if err != nil {
		t.Fatal(err)
	}
	viewerRefused(ctx, t, sv, object, "reissue-spoke-token needs operator; you are viewer")

	s, err := bed.start(bed.engine(), rb, target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || v.Why != e2eSpoke+" refuses the token of argocd/cluster-prod-v2" {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	shown := []string{v.Why + strings.Join(v.Details, "\n")}
	for _, want := range []string{"with exactly the Secret's token: Unauthorized", "refused: Application argocd/shop: ", "token is unverifiable"} {
		if !strings.Contains(shown[0], want) {
			t.Errorf("the precheck does not say %q:\n%s", want, shown[0])
		}
	}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	if _, err := bed.start(bed.engine(), rb, target, otto, world); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same cluster: %v", err)
	}
	if _, err := s.Objects(ctx); err != nil {
		t.Fatal(err)
	}
	before := secretOf(ctx, t, secrets)
	p, err := s.Preview(ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, p.String())
	if !slices.Contains(p.Changes, actions.Change{Path: "data.config.bearerToken", Before: "(set)", After: "(changed)"}) || len(p.Changes) != 1 {
		t.Errorf("the preview's changes: %+v", p.Changes)
	}
	if after := secretOf(ctx, t, secrets); after.ResourceVersion != before.ResourceVersion || len(srv.Issued()) != 0 {
		t.Fatalf("the preview changed the Secret (%s → %s) or issued a token (%d)", before.ResourceVersion, after.ResourceVersion, len(srv.Issued()))
	}

	// Someone edits the Secret between the preview and the write: refused, no token issued.
	if _, err := secrets.Patch(ctx, "cluster-prod-v2", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, object, actions.Confirmation{Typed: e2eSpoke, Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a write bound to a stale preview: %v", err)
	}
	if len(srv.Issued()) != 0 || tokenOfSecret(t, secretOf(ctx, t, secrets)) != staleToken {
		t.Fatal("the refused write issued a token or patched the Secret")
	}

	// Omni issues a token the spoke refuses too: refused, nothing patched.
	bad := kubeconfigWithToken(t, good, bogusToken)
	srv.SetClusterKubeconfig(e2eSpoke, bad)
	if p, err = s.Preview(ctx, object); err != nil {
		t.Fatal(err)
	}
	_, err = s.Act(ctx, object, actions.Confirmation{Typed: e2eSpoke, Expect: p.Expect})
	if !errors.Is(err, actions.ErrSpokeRefusesToken) || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("a token the spoke refuses: %v", err)
	}
	shown = append(shown, err.Error())
	if tokenOfSecret(t, secretOf(ctx, t, secrets)) != staleToken {
		t.Fatal("a token the spoke refuses was written")
	}

	// Omni issues the spoke's own: checked, then patched as olive.
	srv.SetClusterKubeconfig(e2eSpoke, good)
	res, err := s.Act(ctx, object, actions.Confirmation{Typed: e2eSpoke, Expect: p.Expect})
	if err != nil || res.As != "cedille:olive" {
		t.Fatalf("reissue: %+v %v", res, err)
	}
	patched := secretOf(ctx, t, secrets)
	if tokenOfSecret(t, patched) != liveToken || !strings.Contains(string(patched.Data["config"]), `"caData"`) ||
		string(patched.Data["server"]) != spokeCfg.Host || patched.Labels["stack"] != "k8s-foundation" {
		t.Fatalf("the patched Secret: token replaced %v, config %d bytes, server %s, labels %v",
			tokenOfSecret(t, patched) == liveToken, len(patched.Data["config"]), patched.Data["server"], patched.Labels)
	}
	issued := srv.Issued()
	if len(issued) != 2 || issued[1].Cluster != e2eSpoke || issued[1].User != actions.SpokeUser ||
		!slices.Equal(issued[1].Groups, actions.SpokeGroups()) || issued[1].TTL != actions.SpokeTTL {
		t.Fatalf("Omni issued %+v", issued)
	}

	// The postchecks: a real request with exactly the Secret's token; then ArgoCD, whose controller's
	// part the test plays — its next reconcile compares the Application.
	var lines []string
	progress := func(p runbook.Progress) { lines = append(lines, p.Line) }
	if err := s.Wait(ctx, progress); err != nil {
		t.Fatalf("postcheck answers: %v (read %q)", err, lines)
	}
	if want := "a request to " + spokeCfg.Host + " with exactly the token of argocd/cluster-prod-v2 lists the nodes of " + e2eSpoke; lines[len(lines)-1] != want {
		t.Fatalf("last reading %q, want %q", lines[len(lines)-1], want)
	}
	u, err := apps.Get(ctx, e2eSpokeApp, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	unstructured.RemoveNestedField(u.Object, "status", "conditions")
	_ = unstructured.SetNestedField(u.Object, "Synced", "status", "sync", "status")
	if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, progress); err != nil {
		t.Fatalf("postcheck argocd: %v (read %q)", err, lines)
	}
	run := s.Run()
	if run.Outcome != "done" {
		t.Fatalf("outcome %q (read %q)", run.Outcome, lines)
	}
	entries, err := bed.entries(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "was modified", "the cluster Secret is not patched")
	if !slices.ContainsFunc(entries, func(e audit.Entry) bool {
		return e.Event == audit.ActionDone && e.Action == "reissue-spoke-token" && e.User == "olive"
	}) {
		t.Error("the trail holds no reissue-spoke-token done by olive")
	}

	// No token anywhere: the trail, the report, the runs' state, what the screens showed.
	shown = append(shown, lines...)
	noTokenIn(t, "what the run showed", []byte(strings.Join(shown, "\n")), liveToken)
	if err := filepath.WalkDir(bed.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		noTokenIn(t, path, b, liveToken)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(run.Report)
	if err != nil || !strings.Contains(string(report), "reissue-spoke-token argocd-cluster/argocd/"+e2eSpoke+" done") {
		t.Fatalf("the report: %v\n%s", err, report)
	}

	// Repaired: a new run does not apply, and changes nothing.
	again, err := bed.start(bed.engine(), rb, target, otto, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := again.Check(ctx); err != nil || v.Applies || v.Why != "ArgoCD reaches "+e2eSpoke+": the Secret's token answers" {
		t.Fatalf("precheck once repaired: %+v %v", v, err)
	}
	if len(srv.Issued()) != 2 || secretOf(ctx, t, secrets).ResourceVersion != patched.ResourceVersion {
		t.Fatal("a run that does not apply issued a token or changed the Secret")
	}
}

// noTokenIn fails when b holds one of the test's tokens, the spoke's real one included.
func noTokenIn(t *testing.T, what string, b []byte, live string) {
	t.Helper()
	for _, tok := range []string{staleToken, bogusToken, live} {
		if tok != "" && strings.Contains(string(b), tok) {
			t.Errorf("%s shows a bearer token", what)
		}
	}
}

// kubeconfigWithToken is kubeconfig with its current user's token replaced.
func kubeconfigWithToken(t *testing.T, kubeconfig []byte, token string) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo].Token = token
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func secretOf(ctx context.Context, t *testing.T, secrets interface {
	Get(context.Context, string, metav1.GetOptions) (*corev1.Secret, error)
}) *corev1.Secret {
	t.Helper()
	s, err := secrets.Get(ctx, "cluster-prod-v2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokenOfSecret is the bearer token a cluster Secret's config holds (compared, never printed).
func tokenOfSecret(t *testing.T, s *corev1.Secret) string {
	t.Helper()
	var cfg struct {
		BearerToken string `json:"bearerToken"`
	}
	if err := json.Unmarshal(s.Data["config"], &cfg); err != nil {
		t.Fatal("the cluster Secret's config is not JSON")
	}
	return cfg.BearerToken
}

// bindSpokeTokenRole grants group cedille:operator, in argocd only, what reissue-spoke-token sends, as
// deploy/rolebindings-spoke-token.yaml does.
func bindSpokeTokenRole(ctx context.Context, t *testing.T, kc kubernetes.Interface) {
	t.Helper()
	const name = "cedille-console-spoke-token"
	if _, err := kc.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list", "patch"}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.RbacV1().RoleBindings(actions.ArgoNamespace).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: actions.GroupPrefix + "operator"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// tokenConfig is the lab's bearer-token kubeconfig (lab.Lab.TokenKubeconfig).
func tokenConfig(t *testing.T, l *lab.Lab) []byte {
	t.Helper()
	b, err := l.TokenKubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
