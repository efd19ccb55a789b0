//go:build e2e

package steps

import (
	"context"
	"errors"
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
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestVClustersStepRealAPIServer: two vclusters installed with the Helm SDK from a chart repository on
// 127.0.0.1 into a real API server (kwok runs their pods); the test writes each vc-<name> Secret as the
// syncer would, with credentials for the lab's API server itself (the plan's server URL pointed at it);
// the step registers each in ArgoCD and checks the registration with a real request made with those
// credentials. A corrupted registration fails the step's check and is repaired by a rerun; a deleted one
// is made again.
func TestVClustersStepRealAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer, lab.KubeControllerManager, lab.Kwok)
	k, err := platform.NewKube(l.RESTConfig(), "lab", "cedille-tui-test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "kwok-0", Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}}}
	if _, err := k.Typed.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A hand install left one of sandbox's objects, without Helm's labels: the step adopts it.
	if _, err := k.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vcluster-sandbox"}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Typed.CoreV1().ConfigMaps("vcluster-sandbox").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "vc-config-sandbox"}, Data: map[string]string{"server": "by hand"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url, _ := helmtest.Repo(t, helmtest.VCluster("0.36.1", "kwok-0"))
	p := plan.New()
	p.Cluster.Kubeconfig = l.KubeconfigPath()
	p.VClusters = plan.VClusters{Chart: plan.Chart{Repo: url, Version: "0.36.1"},
		Clusters: []plan.VCluster{{Name: "staging", Server: l.APIServerURL()}, {Name: "sandbox", Server: l.APIServerURL()}}}

	var mu sync.Mutex
	var lines []string
	emit := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Message != "" {
			lines = append(lines, ev.Message)
		}
	}
	env := &Env{Vault: ClusterVault{}, Poll: 100 * time.Millisecond, ClusterWait: 2 * time.Minute}
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = VClustersStep{}.Run(ctx, env, &p, emit)
		done <- err
	}()

	// The syncer: once the StatefulSet exists, write vc-<name> with the vcluster's kubeconfig credentials.
	rc := l.RESTConfig()
	for _, name := range []string{"staging", "sandbox"} {
		ns := "vcluster-" + name
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if _, err := k.Typed.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no StatefulSet %s/%s", ns, name)
			}
		}
		cm, err := k.Typed.CoreV1().ConfigMaps(ns).Get(ctx, "vc-config-"+name, metav1.GetOptions{})
		if err != nil || cm.Data["server"] != l.APIServerURL() || !strings.Contains(cm.Data["sans"], name+"."+ns+".svc") {
			t.Fatalf("the chart did not get the values built with the vcluster config types: %v %v", cm, err)
		}
		if cm.Labels["app.kubernetes.io/managed-by"] != "Helm" || cm.Annotations["meta.helm.sh/release-name"] != name {
			t.Errorf("%s/%s is not the release's: labels %v, annotations %v", ns, cm.Name, cm.Labels, cm.Annotations)
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-" + name, Namespace: ns},
			Data: map[string][]byte{gitops.KeyConfig: []byte("kubeconfig"), gitops.KeyCA: rc.CAData, gitops.KeyCert: rc.CertData,
				gitops.KeyKey: rc.KeyData}}
		if _, err := k.Typed.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("vclusters step: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if want := []string{"2 vclusters registered in ArgoCD: staging, sandbox"}; !slices.Equal(res.Summary, want) {
		t.Errorf("result %+v, want the summary %q", res, want)
	}
	joined := strings.Join(lines, "\n")
	if strings.Count(joined, "registered in ArgoCD as "+l.APIServerURL()+" (authenticated as admin)") != 2 {
		t.Errorf("each registration checked with its credentials:\n%s", joined)
	}
	reg, err := k.Typed.CoreV1().Secrets("argocd").Get(ctx, "cluster-staging", metav1.GetOptions{})
	if err != nil || reg.Labels["argocd.argoproj.io/secret-type"] != "cluster" || string(reg.Data["server"]) != l.APIServerURL() {
		t.Fatalf("ArgoCD cluster Secret: %v %v", reg, err)
	}
	if o, err := (VClustersStep{}).Check(ctx, env, p); err != nil || !o.Holds {
		t.Fatalf("check after the run: %+v %v", o, err)
	}

	// A corrupted registration: the check sees it, a rerun repairs it; a deleted one is made again.
	reg.Data["config"] = []byte(`{"tlsClientConfig":{"caData":"bm90IGEgY2VydA=="}}`)
	if _, err := k.Typed.CoreV1().Secrets("argocd").Update(ctx, reg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := k.Typed.CoreV1().Secrets("argocd").Delete(ctx, "cluster-sandbox", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if o, _ := (VClustersStep{}).Check(ctx, env, p); o.Holds || !strings.Contains(o.Detail, "stale") {
		t.Errorf("a corrupted registration must not hold: %+v", o)
	}
	lines = nil
	if _, err := (VClustersStep{}).Run(ctx, env, &p, emit); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	joined = strings.Join(lines, "\n")
	if !strings.Contains(joined, "registration repaired") || !strings.Contains(joined, "registration created") ||
		!strings.Contains(joined, "upgraded to vcluster 0.36.1") {
		t.Errorf("the rerun repairs, recreates and upgrades:\n%s", joined)
	}
	if o, err := (VClustersStep{}).Check(ctx, env, p); err != nil || !o.Holds {
		t.Errorf("check after the repair: %+v %v", o, err)
	}
	if _, err := k.Typed.CoreV1().Secrets("argocd").Get(ctx, "cluster-sandbox", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Error("the deleted registration was not made again")
	}

	// The platform's own vcluster (release vcluster-sandbox, by ArgoCD) in sandbox's namespace: the step
	// refuses before installing anything, and says how to take it over.
	one := int32(1)
	old := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "vcluster-sandbox", Namespace: "vcluster-sandbox",
		Labels: map[string]string{"app": "vcluster", "app.kubernetes.io/instance": "vcluster-sandbox"}},
		Spec: appsv1.StatefulSetSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "old"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "old"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "old"}}}}}}
	if _, err := k.Typed.AppsV1().StatefulSets("vcluster-sandbox").Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lines = nil
	_, err = (VClustersStep{}).Run(ctx, env, &p, emit)
	var ps plan.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "vclusters.clusters[1].name" ||
		!strings.Contains(ps[0].Message, "already runs vcluster vcluster-sandbox") || !strings.Contains(ps[0].Message, "ArgoCD Application vcluster-sandbox") {
		t.Fatalf("another vcluster in the namespace: %v", err)
	}
	if len(lines) != 0 {
		t.Errorf("the refused run changed things:\n%s", strings.Join(lines, "\n"))
	}

	// A vcluster ArgoCD deploys (as the platform's vcluster-prod): unattended, the plan must say to only
	// register it; in the wizard the step asks, keeps the answer in the plan, installs nothing with Helm
	// and registers it.
	prod := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "vcluster-prod", Namespace: "vcluster-prod",
		Labels: map[string]string{"app": "vcluster"}, Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "vcluster-prod:apps/StatefulSet:vcluster-prod/vcluster-prod"}},
		Spec: appsv1.StatefulSetSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "prod"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "prod"}},
				Spec: corev1.PodSpec{NodeName: "kwok-0", Tolerations: []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "syncer", Image: "vcluster:0.16.4"}}}}}}
	if _, err := k.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vcluster-prod"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Typed.AppsV1().StatefulSets("vcluster-prod").Create(ctx, prod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-vcluster-prod", Namespace: "vcluster-prod"},
		Data: map[string][]byte{gitops.KeyConfig: []byte("kubeconfig"), gitops.KeyCA: rc.CAData, gitops.KeyCert: rc.CertData, gitops.KeyKey: rc.KeyData}}
	if _, err := k.Typed.CoreV1().Secrets("vcluster-prod").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p2 := p
	p2.VClusters.Clusters = []plan.VCluster{{Name: "vcluster-prod", Namespace: "vcluster-prod", Server: l.APIServerURL()}}
	_, err = (VClustersStep{}).Run(ctx, env, &p2, emit)
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "vclusters.clusters[0].registerOnly" ||
		!strings.Contains(ps[0].Message, "deployed by ArgoCD Application vcluster-prod") {
		t.Fatalf("unattended, an ArgoCD-deployed vcluster: %v", err)
	}
	var asked []string
	wizard := *env
	wizard.Ask = func(_ context.Context, pr Prompt) (Answer, error) {
		asked = append(asked, pr.Title)
		return Answer{Yes: true}, nil
	}
	lines = nil
	if _, err := (VClustersStep{}).Run(ctx, &wizard, &p2, emit); err != nil {
		t.Fatalf("register only: %v\n%s", err, strings.Join(lines, "\n"))
	}
	joined = strings.Join(lines, "\n")
	if len(asked) != 1 || !p2.VClusters.Clusters[0].RegisterOnly || !strings.Contains(joined, "vcluster vcluster-prod registered in ArgoCD") ||
		strings.Contains(joined, "installed as") {
		t.Errorf("asked %v, registerOnly %v:\n%s", asked, p2.VClusters.Clusters[0].RegisterOnly, joined)
	}
	if hs, err := k.Typed.CoreV1().Secrets("vcluster-prod").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"}); err != nil || len(hs.Items) != 0 {
		t.Errorf("a Helm release was made for a vcluster ArgoCD deploys: %v %v", hs, err)
	}
	if o, err := (VClustersStep{}).Check(ctx, env, p2); err != nil || !o.Holds {
		t.Errorf("check of the registered vcluster: %+v %v", o, err)
	}
}
