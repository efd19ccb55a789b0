//go:build e2e

package steps

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/helmops/helmtest"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestGitOpsStepRealAPIServer: ArgoCD installed with the Helm SDK from a chart repository on 127.0.0.1
// (a small chart under the real name argo-cd) into a real API server, its Deployment followed until
// kwok's pod is ready; the root Application created; the test plays ArgoCD, writing the root's and its
// children's statuses: a Degraded child is shown with its message, then all are Healthy and the step
// ends. A rerun with a newer chart upgrades the one release.
func TestGitOpsStepRealAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.KubeControllerManager, lab.Kwok)
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "kwok-0", Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		Labels: map[string]string{"type": "kwok"}}}
	if _, err := k.Typed.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url, _ := helmtest.Repo(t, helmtest.ArgoCD("7.7.3", "kwok-0"), helmtest.ArgoCD("7.8.0", "kwok-0"))
	p := plan.New()
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	p.GitOps = plan.GitOps{Chart: plan.Chart{Repo: url, Version: "7.7.3"}, Domain: "argocd.example.org", GitHubOrg: "ExampleOrg",
		Root: plan.RootApp{RepoURL: "https://git.example.org/platform.git", Path: "apps/argo-apps"}}
	p.Vault.SSO.ArgoCD.ClientID = "client-123"

	var mu sync.Mutex
	var lines []string
	var items []Item
	emit := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Message != "" {
			lines = append(lines, ev.Message)
		}
		if ev.Unit == "applications" {
			items = ev.Items
		}
	}
	env := &Env{Vault: ClusterVault{}, Poll: 100 * time.Millisecond, ClusterWait: 2 * time.Minute}
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = GitOpsStep{}.Run(ctx, env, &p, emit)
		done <- err
	}()

	apps := k.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	var root *unstructured.Unstructured
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if root, err = apps.Get(ctx, gitops.RootName, metav1.GetOptions{}); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the step ended before creating the root Application: %v\n%s", err, strings.Join(lines, "\n"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no root Application: %v\n%s", err, strings.Join(lines, "\n"))
		}
	}
	cm, err := k.Typed.CoreV1().ConfigMaps("argocd").Get(ctx, "argocd-cm", metav1.GetOptions{})
	if err != nil || cm.Data["url"] != "https://argocd.example.org" || !strings.Contains(cm.Data["dex.config"], "$dex-secret:dex.github.clientSecret") ||
		!strings.Contains(cm.Data["policy.csv"], "g, ExampleOrg:SRE, role:org-operators") {
		t.Fatalf("the chart did not get the platform's values: %v %v", cm.Data, err)
	}

	// ArgoCD: the root syncs and makes two children; one is Degraded.
	writeStatus := func(u *unstructured.Unstructured, sync, health, msg string, children ...string) {
		st := map[string]any{"sync": map[string]any{"status": sync}, "health": map[string]any{"status": health, "message": msg}}
		var res []any
		for _, c := range children {
			res = append(res, map[string]any{"group": "argoproj.io", "kind": "Application", "name": c, "namespace": "argocd"})
		}
		if res != nil {
			st["resources"] = res
		}
		u.Object["status"] = st
		if _, err := apps.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			if _, err := apps.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	child := func(name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": name, "namespace": "argocd"},
			"spec": map[string]any{"project": "default", "destination": map[string]any{"server": "https://kubernetes.default.svc"},
				"source": map[string]any{"repoURL": "https://git.example.org/platform.git", "path": "system/" + name}}}}
		c, err := apps.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	writeStatus(root, "Synced", "Healthy", "", "vault", "kuma")
	vault, kuma := child("vault"), child("kuma")
	writeStatus(vault, "Synced", "Healthy", "")
	writeStatus(kuma, "Synced", "Degraded", "Deployment kuma-control-plane: 0/1 ready")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		seen := false
		for _, it := range items {
			seen = seen || (it.Name == "kuma" && it.Failed && strings.Contains(it.Detail, "kuma-control-plane: 0/1 ready"))
		}
		mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Degraded child is not shown with its message: %+v", items)
		}
	}
	kuma, _ = apps.Get(ctx, "kuma", metav1.GetOptions{})
	writeStatus(kuma, "Synced", "Healthy", "")
	if err := <-done; err != nil {
		t.Fatalf("gitops step: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if want := []string{"ArgoCD installed; 2 Applications Synced and Healthy",
		"ArgoCD at https://argocd.example.org, the root Application from https://git.example.org/platform.git"}; !slices.Equal(res.Summary, want) || len(res.Artifacts) != 0 {
		t.Errorf("result %+v, want the summary %q", res, want)
	}
	if o, err := (GitOpsStep{}).Check(ctx, env, p); err != nil || !o.Holds {
		t.Errorf("check after the run: %+v %v", o, err)
	}

	// A newer chart: the same release upgraded, the root kept.
	p.GitOps.Chart.Version = "7.8.0"
	if _, err := (GitOpsStep{}).Run(ctx, env, &p, emit); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	secrets, _ := k.Typed.CoreV1().Secrets("argocd").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=argocd"})
	deployed := 0
	for _, s := range secrets.Items {
		if s.Labels["status"] == "deployed" {
			deployed++
		}
	}
	if len(secrets.Items) != 2 || deployed != 1 {
		t.Errorf("release records %d, deployed %d: want one release, two revisions", len(secrets.Items), deployed)
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"installed as argo-cd 7.7.3, revision 1", "upgraded to argo-cd 7.8.0, revision 2",
		"root Application root created", "root Application root kept", "Secret argocd/dex-secret is not there yet"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the step did not say %q:\n%s", want, joined)
		}
	}
}
