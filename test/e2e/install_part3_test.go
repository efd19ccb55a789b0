//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lab "github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/helmops/helmtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// TestInstallPart3UnattendedBinary runs `cedille-tui install --answers --only gitops,vclusters` — the
// binary, Helm in process — against a lab of its own (kube-apiserver, controller manager, kwok) and
// charts served on 127.0.0.1; the test plays ArgoCD (the root's children) and the vclusters' syncer
// (vc-<name>, credentials for the lab's API server). The run ends 0 with ArgoCD installed, the
// app-of-apps followed and both vclusters registered and checked; Helm's own output went to the
// --log-file, not the terminal; a second run finds both steps done and changes nothing.
func TestInstallPart3UnattendedBinary(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.KubeControllerManager, lab.Kwok)
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	createNode(t, k.Typed, "kwok-0")
	url, _ := helmtest.Repo(t, helmtest.ArgoCD("7.7.3", "kwok-0"), helmtest.VCluster("0.36.1", "kwok-0"))
	dir, home := t.TempDir(), t.TempDir()
	answers := filepath.Join(dir, "answers.yaml")
	body := fmt.Sprintf(`version: 1
iso: {talosVersion: 1.8.0}
cluster: {name: e2e-part3, kubernetesVersion: 1.31.1, kubeconfig: %[1]s}
machines:
  - {id: m1, role: controlplane, installDisk: {serial: S1}}
  - {id: m2, role: controlplane, installDisk: {serial: S2}}
  - {id: m3, role: controlplane, installDisk: {serial: S3}}
  - {id: m4, role: worker, installDisk: {serial: S4}}
gitops:
  chart: {repo: %[2]s, version: 7.7.3}
  domain: argocd.example.org
  root: {repoURL: https://git.example.org/platform.git, path: apps/argo-apps}
vclusters:
  chart: {repo: %[2]s, version: 0.36.1}
  clusters:
    - {name: staging, server: %[3]s}
    - {name: sandbox, server: %[3]s}
`, l.KubeconfigPath(), url, l.APIServerURL())
	if err := os.WriteFile(answers, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "debug.log")
	run := func() (string, string, int) {
		r := runCLIWhile(ctx, t, map[string]string{"HOME": home}, func(exited <-chan struct{}) { playControllers(ctx, k, l, exited) },
			"install", "--answers", answers, "--only", "gitops,vclusters", "--log-file", logFile)
		return r.stdout, r.stderr, r.code
	}

	stdout, stderr, code := run()
	if code != 0 {
		t.Fatalf("install: code %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"ArgoCD installed as argo-cd 7.7.3, revision 1", "root Application root created",
		"the root Application and its child are Synced and Healthy", "vcluster staging installed as vcluster 0.36.1", "(authenticated as admin)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the run does not say %q:\n%s", want, stdout)
		}
	}
	logged, _ := os.ReadFile(logFile)
	if !strings.Contains(string(logged), "helm") {
		t.Error("Helm's lines are not in the debug log")
	}
	if strings.Contains(stdout+stderr, "creating 1 resource(s)") {
		t.Errorf("Helm wrote on the terminal:\n%s%s", stdout, stderr)
	}
	stdout, stderr, code = run()
	if code != 0 || !strings.Contains(stdout, "[gitops] done: ArgoCD runs") || !strings.Contains(stdout, "[vclusters] done: 2 vclusters") ||
		strings.Contains(stdout, "installed as") || strings.Contains(stdout, "upgraded to") {
		t.Fatalf("a second run finds both steps done and changes nothing: code %d\n%s\n%s", code, stdout, stderr)
	}
}

// playControllers does what ArgoCD and the vclusters' syncers would, until the install ends: the root's
// status listing one healthy child, and each vc-<name> Secret once its StatefulSet exists.
func playControllers(ctx context.Context, k *platform.Kube, l *lab.Lab, exited <-chan struct{}) {
	apps := k.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	rc := l.RESTConfig()
	for {
		select {
		case <-exited:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if root, err := apps.Get(ctx, gitops.RootName, metav1.GetOptions{}); err == nil {
			if _, err := apps.Get(ctx, "grafana", metav1.GetOptions{}); err != nil {
				child := root.DeepCopy()
				child.SetName("grafana")
				child.SetResourceVersion("")
				child.SetFinalizers(nil)
				_, _ = apps.Create(ctx, child, metav1.CreateOptions{})
			}
			if c, err := apps.Get(ctx, "grafana", metav1.GetOptions{}); err == nil && c.Object["status"] == nil {
				c.Object["status"] = map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}
				writeStatus(ctx, apps, c)
			}
			if root.Object["status"] == nil {
				root.Object["status"] = map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"},
					"resources": []any{map[string]any{"group": "argoproj.io", "kind": "Application", "name": "grafana", "namespace": "argocd"}}}
				writeStatus(ctx, apps, root)
			}
		}
		for _, name := range []string{"staging", "sandbox"} {
			ns := "vcluster-" + name
			if _, err := k.Typed.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
				continue
			}
			sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-" + name, Namespace: ns},
				Data: map[string][]byte{gitops.KeyConfig: []byte("-"), gitops.KeyCA: rc.CAData, gitops.KeyCert: rc.CertData, gitops.KeyKey: rc.KeyData}}
			_, _ = k.Typed.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{})
		}
	}
}

// writeStatus writes an Application's status through the status subresource, or the object when the
// lab's CRD has none.
func writeStatus(ctx context.Context, apps dynamic.ResourceInterface, u *unstructured.Unstructured) {
	if _, err := apps.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		_, _ = apps.Update(ctx, u, metav1.UpdateOptions{})
	}
}
