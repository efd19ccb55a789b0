//go:build e2e

package helmops

import (
	"context"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/helmops/helmtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const configMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-cm}
data: {greeting: {{ .Values.greeting | quote }}}
`

// TestInstallOrUpgradeRealAPIServer: a chart served from a chart repository on 127.0.0.1, under the real
// name argo-cd, installed on a real API server into its namespace (created), then upgraded to a new
// version with other values: one release, two revisions, one deployed, the objects in the release's
// namespace with the new values.
func TestInstallOrUpgradeRealAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl := map[string]string{"configmap.yaml": configMap, "deployment.yaml": deployment}
	url, _ := helmtest.Repo(t,
		helmtest.Chart("argo-cd", "7.7.3", "greeting: hello\nreplicas: 1\nimage: server:1\n", tmpl),
		helmtest.Chart("argo-cd", "7.8.0", "greeting: bonjour\nreplicas: 1\nimage: server:2\n", tmpl))
	c, err := New(l.RESTConfig(), "argocd", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	kc, _ := kubernetes.NewForConfig(l.RESTConfig())
	r := Release{Name: "argocd", Namespace: "argocd", Timeout: time.Minute}

	ch, err := LoadFromRepo(url, "argo-cd", "7.7.3")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.InstallOrUpgrade(ctx, r, ch, map[string]any{"greeting": "salut"})
	if err != nil || !res.Installed || res.Revision != 1 || res.Status != "deployed" {
		t.Fatalf("install: %+v %v", res, err)
	}
	cm, err := kc.CoreV1().ConfigMaps("argocd").Get(ctx, "argocd-cm", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "salut" {
		t.Fatalf("the chart's ConfigMap in the release's namespace: %v %v", cm, err)
	}
	if _, err := kc.AppsV1().Deployments("argocd").Get(ctx, "argocd-server", metav1.GetOptions{}); err != nil {
		t.Fatalf("deployment: %v", err)
	}

	ch, err = LoadFromRepo(url, "argo-cd", "7.8.0")
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.InstallOrUpgrade(ctx, r, ch, nil)
	if err != nil || res.Installed || res.Revision != 2 {
		t.Fatalf("upgrade: %+v %v", res, err)
	}
	cm, _ = kc.CoreV1().ConfigMaps("argocd").Get(ctx, "argocd-cm", metav1.GetOptions{})
	if cm.Data["greeting"] != "bonjour" {
		t.Errorf("after the upgrade the values are the new chart's defaults, not the old run's: %v", cm.Data)
	}
	secrets, err := kc.CoreV1().Secrets("argocd").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=argocd"})
	if err != nil {
		t.Fatal(err)
	}
	deployed := 0
	for _, s := range secrets.Items {
		if s.Labels["status"] == "deployed" {
			deployed++
		}
	}
	if len(secrets.Items) != 2 || deployed != 1 {
		t.Errorf("release records: %d, deployed %d (want 2 revisions of one release, one deployed)", len(secrets.Items), deployed)
	}
	if _, err := kc.CoreV1().ConfigMaps("default").Get(ctx, "argocd-cm", metav1.GetOptions{}); err == nil {
		t.Error("an object landed in namespace default")
	}
}
