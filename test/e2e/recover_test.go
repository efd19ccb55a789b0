//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

// TestRecoverBinary drives `cedille-tui recover` as a person at a plain terminal would, on the lab's
// real kube-apiserver: the list names app-sync for an Application OutOfSync (from the gitops finding's
// hint), --dry-run shows the precheck's verdict and the sync's server-side dry run and changes nothing,
// and the run — the Application's name typed on stdin, the Argo CD controller's part played by the test —
// ends done, with the incident report written and the audit trail verifying.
func TestRecoverBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc := kubeClient(t)
	dc, err := dynamic.NewForConfig(shared.lab.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	const ns = "recover-e2e"
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apps := dc.Resource(actions.ApplicationsResource()).Namespace(ns)
	if _, err := apps.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "shop", "namespace": ns},
		"spec": map[string]any{"project": "default",
			"source":      map[string]any{"repoURL": "https://github.com/ClubCedille/k8s-shared", "path": "apps/shop", "targetRevision": "HEAD"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "shop"}},
		"status": map[string]any{"sync": map[string]any{"status": "OutOfSync", "revision": "abc123"},
			"health": map[string]any{"status": "Healthy"}, "operationState": map[string]any{"phase": "Succeeded"},
			"resources": []any{map[string]any{"kind": "Deployment", "namespace": "shop", "name": "web", "status": "OutOfSync"}}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	env := only("KUBECONFIG")
	env["XDG_STATE_HOME"], env["USER"] = state, "olive"
	target := "Application/" + ns + "/shop"

	list := runCLI(t, env, "recover")
	if list.code != 0 || !strings.Contains(list.stdout, "app-sync") || !strings.Contains(list.stdout, "cedille-tui recover app-sync --target "+target) {
		t.Fatalf("recover (list): %d\n%s\n%s", list.code, list.stdout, list.stderr)
	}

	dry := runCLI(t, env, "recover", "app-sync", "--target", target, "--dry-run")
	for _, want := range []string{"dry run: nothing is changed", "applies: shop is sync OutOfSync, health Healthy",
		"drifts: Deployment/shop/web OutOfSync", "argocd-sync " + strings.ToLower(target), "(asks for shop typed)", "now: sync OutOfSync"} {
		if !strings.Contains(dry.stdout, want) {
			t.Errorf("--dry-run does not say %q:\n%s\n%s", want, dry.stdout, dry.stderr)
		}
	}
	if u, err := apps.Get(ctx, "shop", metav1.GetOptions{}); err != nil || u.Object["operation"] != nil {
		t.Fatalf("the dry run changed the Application: %v %v", err, u.Object["operation"])
	}

	// The run: the name typed, then the controller's part once the sync is asked for.
	cmd := exec.CommandContext(ctx, shared.binary, "recover", "app-sync", "--target", target)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader("shop\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		u, err := apps.Get(ctx, "shop", metav1.GetOptions{})
		if err != nil || u.Object["operation"] == nil {
			return false, nil
		}
		delete(u.Object, "operation")
		_ = unstructured.SetNestedField(u.Object, "Synced", "status", "sync", "status")
		_, err = apps.Update(ctx, u, metav1.UpdateOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the sync was never asked for: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("recover: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"Step 1 of 3 (precheck)", "argocd-sync cannot be undone: type shop to run it",
		"✔ argocd-sync " + strings.ToLower(target) + ": done (as olive)", "✔ sync Synced, health Healthy", "The run ended: done."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the run does not say %q:\n%s", want, out.String())
		}
	}
	reports, _ := filepath.Glob(filepath.Join(state, "cedille-tui", "incidents", "*-app-sync-*.md"))
	if len(reports) != 1 {
		t.Fatalf("incident reports: %v", reports)
	}
	report, err := os.ReadFile(reports[0])
	if err != nil || !strings.Contains(string(report), "argocd-sync application/"+ns+"/shop done") {
		t.Fatalf("the report: %v\n%s", err, report)
	}
	verify := runCLI(t, env, "audit", "verify", filepath.Join(state, "cedille-tui", "audit.jsonl"))
	if verify.code != 0 || !strings.Contains(verify.stdout, "the chain holds") {
		t.Fatalf("audit verify: %d %s %s", verify.code, verify.stdout, verify.stderr)
	}
}
