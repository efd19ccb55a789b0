//go:build e2e

package steps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// labKubeconfig is the lab's kubeconfig on its bearer-token context, with token in place of the lab's
// when it is not empty: what Omni issues for a service account.
func labKubeconfig(t *testing.T, l *lab.Lab, token string) []byte {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(l.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.CurrentContext = lab.ContextToken
	if token != "" {
		cfg.AuthInfos[lab.ContextToken].Token = token
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEra2InstallRealAPIServer: the era-2 cluster made in the simulated Omni from MachineClasses, then
// registered in the hub — a real kube-apiserver of the lab serving the era-2 CRDs — through kubeconfigs
// the simulated Omni issues. A dry run changes nothing; a token the cluster refuses is never written; the
// registration is checked with a real request, and a drifted label or a refused token makes the step
// not done until a rerun repairs it.
func TestEra2InstallRealAPIServer(t *testing.T) {
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	srv, om := omnisimtest.Start(t, omnisim.Options{})
	st := srv.State()
	p := era2TestPlan(t)
	if err := st.Create(ctx, omni.NewCluster(p.Era2.Hub)); err != nil {
		t.Fatal(err)
	}
	srv.SetClusterKubeconfig(p.Era2.Hub, labKubeconfig(t, l, ""))
	const refused = "e2e-refused-token-never-shown"
	srv.SetClusterKubeconfig(p.Era2.Cluster, labKubeconfig(t, l, refused))
	writeMachineClasses(ctx, t, st, "k8s-lab-controlplane", "k8s-lab-worker")
	e := &Env{Omni: om, Poll: 10 * time.Millisecond, ClusterWait: time.Minute,
		Confirm: func(context.Context, Confirmation) error { return nil }}

	ready := playOmniReady(ctx, t, st, p.Era2.Cluster, 2)
	if _, err := (Era2ClusterStep{}).Run(ctx, e, &p, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	if err := <-ready; err != nil {
		t.Fatal(err)
	}

	s := Era2RegisterStep{}
	if o, err := s.Check(ctx, e, p); err != nil || o.Holds || !strings.Contains(o.Detail, "no ArgoCD cluster Secret for k8s-lab") {
		t.Fatalf("check before: %+v %v", o, err)
	}
	preview, err := s.Preview(ctx, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(preview) != 1 || !strings.Contains(preview[0], "creating ArgoCD cluster Secret argocd/cluster-k8s-lab in the hub k8s-hub") ||
		!strings.Contains(preview[0], "?cluster=k8s-lab") || !strings.Contains(preview[0], "stack=k8s-foundation, etsmtl.club/external-network=false") {
		t.Errorf("dry run: %q", preview)
	}
	if _, err := k.CoreV1().Secrets("argocd").Get(ctx, "cluster-k8s-lab", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the dry run wrote the Secret: %v", err)
	}

	// The token Omni issues is refused by the cluster: nothing is written, and the token is not said.
	_, err = s.Run(ctx, e, &p, func(Event) {})
	if !errors.Is(err, actions.ErrSpokeRefusesToken) || strings.Contains(err.Error(), refused) {
		t.Fatalf("a refused token: %v", err)
	}
	if _, err := k.CoreV1().Secrets("argocd").Get(ctx, "cluster-k8s-lab", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a refused token was written: %v", err)
	}

	srv.SetClusterKubeconfig(p.Era2.Cluster, labKubeconfig(t, l, ""))
	var lines []string
	res, err := s.Run(ctx, e, &p, func(ev Event) { lines = append(lines, ev.Message) })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Summary[0], "created ArgoCD cluster Secret argocd/cluster-k8s-lab in the hub k8s-hub") {
		t.Errorf("result: %+v", res)
	}
	reg, err := k.CoreV1().Secrets("argocd").Get(ctx, "cluster-k8s-lab", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg gitops.ClusterConfig
	if err := json.Unmarshal(reg.Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	if reg.Labels["argocd.argoproj.io/secret-type"] != "cluster" || reg.Labels["stack"] != "k8s-foundation" ||
		reg.Labels["etsmtl.club/external-network"] != "false" || string(reg.Data["name"]) != "k8s-lab" ||
		string(reg.Data["server"]) != l.APIServerURL()+"?cluster=k8s-lab" || cfg.BearerToken == "" || len(cfg.TLSClientConfig.CAData) == 0 {
		t.Fatalf("the cluster Secret: labels %v, name %s, server %s, token set %v, CA set %v", reg.Labels, reg.Data["name"],
			reg.Data["server"], cfg.BearerToken != "", len(cfg.TLSClientConfig.CAData) > 0)
	}
	issuedTo := map[string]bool{}
	for _, i := range srv.Issued() {
		if i.Cluster == p.Era2.Cluster {
			issuedTo[i.User+"/"+strings.Join(i.Groups, ",")] = true
		}
	}
	if !issuedTo[actions.SpokeUser+"/system:masters"] {
		t.Errorf("the token is not the argocd service account's: %v", issuedTo)
	}
	if o, err := s.Check(ctx, e, p); err != nil || !o.Holds {
		t.Fatalf("check after: %+v %v", o, err)
	}

	// Someone relabels it, and adds a label of their own: not done; a rerun puts the stack back and keeps
	// their label.
	reg.Labels["stack"] = "k8s-base"
	reg.Labels["team"] = "sre"
	if reg, err = k.CoreV1().Secrets("argocd").Update(ctx, reg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Check(ctx, e, p); o.Holds || !strings.Contains(o.Detail, `label stack="k8s-base", want "k8s-foundation"`) {
		t.Fatalf("a relabelled Secret: %+v", o)
	}
	if preview, err := s.Preview(ctx, e, p); err != nil || len(preview) != 3 || !strings.Contains(preview[1], "label stack") {
		t.Errorf("dry run of the repair: %q %v", preview, err)
	}
	if _, err := s.Run(ctx, e, &p, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	reg, err = k.CoreV1().Secrets("argocd").Get(ctx, "cluster-k8s-lab", metav1.GetOptions{})
	if err != nil || reg.Labels["stack"] != "k8s-foundation" || reg.Labels["team"] != "sre" {
		t.Fatalf("after the repair: %v %v", reg.Labels, err)
	}

	// The registered token stops answering: not done.
	cfg.BearerToken = refused
	reg.Data["config"], _ = json.Marshal(cfg)
	if _, err := k.CoreV1().Secrets("argocd").Update(ctx, reg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	o, _ := s.Check(ctx, e, p)
	if o.Holds || !strings.Contains(o.Detail, "ArgoCD's token for k8s-lab is refused") || strings.Contains(o.Detail, refused) {
		t.Fatalf("a refused registered token: %+v", o)
	}
	if _, err := s.Run(ctx, e, &p, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Check(ctx, e, p); err != nil || !o.Holds {
		t.Fatalf("check after the new token: %+v %v", o, err)
	}
}
