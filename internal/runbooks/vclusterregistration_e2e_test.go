//go:build e2e

package runbooks

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// TestVClusterRegistrationOnTheLabsAPIServer runs `vcluster-registration` through the engine against the
// lab's real kube-apiserver (RBAC on, deploy/'s operator role applied as shipped), writing as
// impersonated console users. The API server stands in for the vcluster, as in the install's e2e: its
// StatefulSet is made Ready, and its vc-<name> Secret holds a kubeconfig naming the lab's server and
// credentials the lab's server authenticates. Its ArgoCD registration is made stale for real (the
// vcluster's old server), then deleted:
//   - a viewer's run reaches register-vcluster and the dispatcher refuses it; the viewer aborts;
//   - an operator's run: the precheck says the registration is stale and the vcluster's own credentials
//     answer; a second operator is refused while it runs ("in progress by olive");
//   - the registration changes between the preview and the write: refused, left as it was; previewed
//     again, written as cedille:olive, the postcheck's real request with exactly those credentials
//     authenticates;
//   - once registered, the precheck says there is nothing to repair, and the run ends changing nothing;
//   - the registration deleted: the next run creates it (its preview binds nothing: there is nothing to
//     bind to);
//   - no credential — PEM or base64 — is in a preview, a verdict, a progress line, the audit trail, a
//     run's state file or an incident report.
func TestVClusterRegistrationOnTheLabsAPIServer(t *testing.T) {
	began := time.Now()
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rc := l.RESTConfig()
	kc, dc := adminClients(t, rc)
	const ns, name = "vcluster-staging", "staging"
	for _, n := range []string{ns, actions.ArgoNamespace} {
		if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	standInVCluster(ctx, t, kc, ns, name, l.APIServerURL(), rc.CAData, rc.CertData, rc.KeyData)
	// The stale registration: the vcluster's old server, as a registration made before it moved.
	old, err := gitops.ClusterSecret(actions.ArgoNamespace, gitops.Registration{Name: name, Namespace: ns, Server: "https://staging.old.invalid:6443",
		CA: rc.CAData, Cert: rc.CertData, Key: rc.KeyData})
	if err != nil {
		t.Fatal(err)
	}
	secrets := kc.CoreV1().Secrets(actions.ArgoNamespace)
	if _, err := secrets.Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	applyOperatorRole(ctx, t, dc)
	applyDeployed(ctx, t, dc, "rolebindings-register-vcluster.yaml")

	bed := newTestbed(t, rc)
	world := runbook.World{Kube: kc}
	rb := VClusterRegistration()
	target := runbook.Target{Kind: "VCluster", Namespace: ns, Name: name}
	vc := actions.Target{Kind: actions.KindVCluster, Namespace: ns, Name: name}
	vic := actions.Actor{Name: "vic", Role: access.Viewer, Session: "s-vic"}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	otto := actions.Actor{Name: "otto", Role: access.Operator, Session: "s-otto"}
	waitAllowedIn(ctx, t, bed.clients, olive, "update", "", "secrets", actions.ArgoNamespace)
	waitAllowedIn(ctx, t, bed.clients, olive, "get", "", "secrets", ns)
	// Secrets are written namespace by namespace: nowhere else.
	if c, err := bed.clients.For(olive); err != nil {
		t.Fatal(err)
	} else if _, err := c.Kube.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("an operator lists kube-system's Secrets: %v", err)
	}
	var shown []string // everything the runbook showed a person

	// A viewer: the precheck reads, register-vcluster is refused by the dispatcher; the viewer aborts.
	sv, err := bed.start(bed.engine(), rb, target, vic, world)
	if err != nil {
		t.Fatal(err)
	}
	viewerRefused(ctx, t, sv, vc, "register-vcluster needs operator; you are viewer")

	// The operator's run: the precheck says what is wrong, and that the vcluster's credentials answer.
	s, err := bed.start(bed.engine(), rb, target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	shown = append(shown, v.Why)
	shown = append(shown, v.Details...)
	details := strings.Join(v.Details, "\n")
	for _, want := range []string{"StatefulSet vcluster-staging/staging: 1/1 ready", "credentials: Secret vcluster-staging/vc-staging",
		"server: " + l.APIServerURL(), "ArgoCD: Secret argocd/cluster-staging stale",
		"a request to " + l.APIServerURL() + " with the vcluster's own credentials authenticated as admin"} {
		if !strings.Contains(details, want) {
			t.Errorf("the precheck does not say %q:\n%s", want, details)
		}
	}
	if !strings.Contains(v.Why, "staging: its ArgoCD registration is stale") {
		t.Errorf("why: %q", v.Why)
	}
	// A second operator is refused while olive's run holds the vcluster.
	if _, err := bed.start(bed.engine(), rb, target, otto, world); err == nil || !strings.Contains(err.Error(), "in progress by olive") {
		t.Fatalf("a second run on the same vcluster: %v", err)
	}

	// The preview: the server's dry run, the credentials named, not shown; bound to the registration.
	if objs, err := s.Objects(ctx); err != nil || len(objs) != 1 || objs[0].Object != vc.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}
	p, err := s.Preview(ctx, vc)
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, p.String())
	cur, err := secrets.Get(ctx, "cluster-staging", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (actions.Precondition{UID: cur.UID, ResourceVersion: cur.ResourceVersion}) ||
		!strings.Contains(p.String(), `data.server: "https://staging.old.invalid:6443" → "`+l.APIServerURL()+`"`) {
		t.Fatalf("preview bound to %+v (the registration is %s/%s):\n%s", p.Expect, cur.UID, cur.ResourceVersion, p)
	}
	// Someone edits the registration between the preview and the write: refused, left as it was.
	if _, err := secrets.Patch(ctx, "cluster-staging", types.MergePatchType, []byte(`{"metadata":{"annotations":{"edited":"by hand"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, vc, actions.Confirmation{Expect: p.Expect}); !errors.Is(err, actions.ErrChanged) {
		t.Fatalf("a write bound to a stale preview: %v", err)
	}
	if cur, err := secrets.Get(ctx, "cluster-staging", metav1.GetOptions{}); err != nil || string(cur.Data["server"]) != "https://staging.old.invalid:6443" {
		t.Fatalf("the refused write changed the registration: %s %v", cur.Data["server"], err)
	}
	if p, err = s.Preview(ctx, vc); err != nil {
		t.Fatal(err)
	}
	shown = append(shown, p.String())
	res, err := s.Act(ctx, vc, actions.Confirmation{Expect: p.Expect})
	if err != nil || res.As != "cedille:olive" {
		t.Fatalf("register: %+v %v", res, err)
	}
	lines := waitRegistered(ctx, t, s)
	shown = append(shown, lines...)
	want := "argocd/cluster-staging registers " + l.APIServerURL() + "; a request with exactly its credentials authenticated as admin"
	if run := s.Run(); run.Outcome != "done" || lines[len(lines)-1] != want {
		t.Fatalf("outcome %q, last reading %q", run.Outcome, lines[len(lines)-1])
	}
	registered(ctx, t, kc, ns, name)
	if cur, _ := secrets.Get(ctx, "cluster-staging", metav1.GetOptions{}); cur.Annotations["edited"] != "by hand" {
		t.Error("the repair dropped what it does not own (an annotation)")
	}
	report, err := os.ReadFile(s.Run().Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"— VCluster/vcluster-staging/staging", "| olive | register-vcluster vcluster/vcluster-staging/staging done"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	// Registered and reachable: the precheck says there is nothing to repair; nothing changes.
	before, _ := secrets.Get(ctx, "cluster-staging", metav1.GetOptions{})
	s2, err := bed.start(bed.engine(), rb, target, otto, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "staging is registered and reachable: nothing to repair") {
		t.Fatalf("a registered vcluster: %+v %v", v, err)
	} else {
		shown = append(shown, v.Why)
		shown = append(shown, v.Details...)
	}
	if run := s2.Run(); !strings.HasPrefix(run.Outcome, "not applicable") {
		t.Fatalf("outcome %q", run.Outcome)
	}
	if after, _ := secrets.Get(ctx, "cluster-staging", metav1.GetOptions{}); after.ResourceVersion != before.ResourceVersion {
		t.Error("a run that does not apply changed the registration")
	}

	// The registration deleted: the next run creates it.
	if err := secrets.Delete(ctx, "cluster-staging", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s3, err := bed.start(bed.engine(), rb, target, otto, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s3.Check(ctx); err != nil || !v.Applies || v.Why != "staging: not registered in ArgoCD" {
		t.Fatalf("a missing registration: %+v %v", v, err)
	}
	if _, err := s3.Objects(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err = s3.Preview(ctx, vc); err != nil || !p.Expect.IsZero() || !strings.Contains(p.String(), "no cluster Secret argocd/cluster-staging yet: it is created") {
		t.Fatalf("preview of a creation: %v\n%s", err, p)
	}
	shown = append(shown, p.String())
	if res, err := s3.Act(ctx, vc, actions.Confirmation{Expect: p.Expect}); err != nil || res.As != "cedille:otto" {
		t.Fatalf("register: %+v %v", res, err)
	}
	shown = append(shown, waitRegistered(ctx, t, s3)...)
	registered(ctx, t, kc, ns, name)

	// The trail verifies and holds the refusals; no credential anywhere.
	f, err := os.Open(bed.trailPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := audit.Verify(f); err != nil {
		t.Fatal(err)
	}
	entries, err := bed.entries(sv.Run().ID)
	if err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "register-vcluster needs operator; you are viewer")
	if entries, err = bed.entries(s.Run().ID); err != nil {
		t.Fatal(err)
	}
	refusalsRecorded(t, entries, "re-registered (its cluster Secret modified)")
	noCredentials(t, bed.dir, shown, rc.CAData, rc.CertData, rc.KeyData)
	t.Logf("vcluster-registration on the lab: %s", time.Since(began).Round(time.Millisecond))
}

// standInVCluster makes what a running vcluster is, on the lab's API server: its StatefulSet, Ready, and
// the Secret its syncer writes — a kubeconfig naming server, and the client credentials.
func standInVCluster(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, name, server string, ca, cert, key []byte) {
	t.Helper()
	one := int32(1)
	labels := map[string]string{"app": "vcluster", "release": name}
	sts, err := kc.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.StatefulSetSpec{Replicas: &one, ServiceName: name, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "syncer", Image: "ghcr.io/loft-sh/vcluster:0.36.1"}}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sts.Status = appsv1.StatefulSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, CurrentReplicas: 1, UpdatedReplicas: 1, ObservedGeneration: sts.Generation}
	if _, err := kc.AppsV1().StatefulSets(ns).UpdateStatus(ctx, sts, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- name: my-vcluster\n  cluster:\n    server: " + server +
		"\ncontexts:\n- name: my-vcluster\n  context:\n    cluster: my-vcluster\n    user: my-vcluster\ncurrent-context: my-vcluster\nusers:\n- name: my-vcluster\n  user: {}\n"
	if _, err := kc.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-" + name, Namespace: ns},
		Data: map[string][]byte{gitops.KeyConfig: []byte(kubeconfig), gitops.KeyCA: ca, gitops.KeyCert: cert, gitops.KeyKey: key}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitRegistered runs the postcheck and returns its progress lines.
func waitRegistered(ctx context.Context, t *testing.T, s *runbook.Session) []string {
	t.Helper()
	var lines []string
	if err := s.Wait(ctx, func(p runbook.Progress) { lines = append(lines, p.Line) }); err != nil || len(lines) == 0 {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	return lines
}

// registered wants the cluster Secret to say what the vcluster's own Secret says, and a request with
// exactly its credentials to authenticate.
func registered(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, name string) {
	t.Helper()
	st, err := gitops.Inspect(ctx, kc, actions.ArgoNamespace, name, ns, "", gitops.Check)
	if err != nil || st.Fault != gitops.Registered || st.User != "admin" {
		t.Fatalf("after the run: fault %d %q, user %q, %v", st.Fault, st.Problem, st.User, err)
	}
}

// noCredentials wants none of the credentials — a piece of their PEM, or of its base64 as ArgoCD's
// config holds it — in what was shown, nor in any file under dir (the audit trail, the runs' state
// files, the incident reports).
func noCredentials(t *testing.T, dir string, shown []string, creds ...[]byte) {
	t.Helper()
	var marks []string
	for _, c := range creds {
		lines := strings.Split(strings.TrimSpace(string(c)), "\n") // a line of the PEM's body, none of its headers
		b64 := base64.StdEncoding.EncodeToString(c)
		marks = append(marks, lines[len(lines)/2], b64[len(b64)/2:len(b64)/2+24])
	}
	look := func(where, text string) {
		for _, m := range marks {
			if strings.Contains(text, m) {
				t.Errorf("%s holds credential material", where)
				return
			}
		}
	}
	for i, s := range shown {
		look(fmt.Sprintf("what the run showed (item %d)", i), s)
	}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		look(path, string(b))
		return nil
	})
	if err != nil || files < 3 {
		t.Fatalf("looked at %d files under %s: %v", files, dir, err)
	}
}
