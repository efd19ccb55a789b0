package gitops

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// kubeconfig is a kubeconfig whose current context names server ("" for none).
func kubeconfig(server string) string {
	if server == "" {
		return "apiVersion: v1\nkind: Config\n"
	}
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
		"\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user: {}\n"
}

func TestServerOf(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"the server the install set", kubeconfig("https://staging.example.org:8443"), "https://staging.example.org:8443"},
		{"the vcluster's default", kubeconfig("https://localhost:8443"), "https://staging.vcluster-staging.svc"},
		{"no cluster", kubeconfig(""), "https://staging.vcluster-staging.svc"},
		{"not a kubeconfig", "{", "https://staging.vcluster-staging.svc"},
		{"one cluster, no current context", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://10.0.0.5:443\n", "https://10.0.0.5:443"},
	} {
		if got := ServerOf("staging", "vcluster-staging", vcSecret(map[string]string{KeyConfig: tc.config})); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestInspect(t *testing.T) {
	ctx := context.Background()
	creds := map[string]string{KeyConfig: kubeconfig("https://staging.example.org"), KeyCA: "CA", KeyCert: "CERT", KeyKey: "KEY"}
	want, err := ClusterSecret("argocd", Registration{Name: "staging", Namespace: "vcluster-staging", Server: "https://staging.example.org",
		CA: []byte("CA"), Cert: []byte("CERT"), Key: []byte("KEY")})
	if err != nil {
		t.Fatal(err)
	}
	stale := want.DeepCopy()
	stale.Data["server"] = []byte("https://old")
	ok := func(context.Context, *corev1.Secret) (string, error) { return "admin", nil }
	refused := func(context.Context, *corev1.Secret) (string, error) {
		return "", errors.New("x509: unknown authority")
	}
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		check   func(context.Context, *corev1.Secret) (string, error)
		fault   Fault
		problem string
	}{
		{"no vcluster Secret", nil, ok, NoCredentials, "no vc-staging Secret"},
		{"no credentials", []runtime.Object{vcSecret(map[string]string{KeyCA: "CA"})}, ok, NoCredentials,
			"Secret vcluster-staging/vc-staging lacks client-certificate, client-key: the vcluster has not written its credentials yet"},
		{"not registered", []runtime.Object{vcSecret(creds)}, ok, NotRegistered, "not registered in ArgoCD"},
		{"stale", []runtime.Object{vcSecret(creds), stale}, ok, Stale, "its ArgoCD registration is stale (other credentials or server)"},
		{"unreachable", []runtime.Object{vcSecret(creds), want}, refused, Unreachable, "x509: unknown authority"},
		{"registered", []runtime.Object{vcSecret(creds), want}, ok, Registered, ""},
	} {
		st, err := Inspect(ctx, fake.NewClientset(tc.objects...), "argocd", "staging", "vcluster-staging", "", tc.check)
		if err != nil || st.Fault != tc.fault || st.Problem != tc.problem {
			t.Errorf("%s: fault %d %q %v; want %d %q", tc.name, st.Fault, st.Problem, err, tc.fault, tc.problem)
		}
		if tc.fault >= NotRegistered && st.Server != "https://staging.example.org" {
			t.Errorf("%s: server %q", tc.name, st.Server)
		}
		if tc.fault == Registered && st.User != "admin" {
			t.Errorf("%s: user %q", tc.name, st.User)
		}
	}
	// The install names its server: the Secret's kubeconfig is not read for it.
	st, err := Inspect(ctx, fake.NewClientset(vcSecret(creds)), "argocd", "staging", "vcluster-staging", "https://plan.example.org", ok)
	if err != nil || st.Server != "https://plan.example.org" {
		t.Errorf("a server given: %+v %v", st.Server, err)
	}
}

func TestWriteClusterSecretReplacesWhatRegisters(t *testing.T) {
	ctx := context.Background()
	cur := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-staging", Namespace: "argocd", Labels: map[string]string{"x": "y"},
		Annotations: map[string]string{"kept": "yes"}}, StringData: map[string]string{"token": "t"}, Data: map[string][]byte{"server": []byte("https://old")}}
	k := fake.NewClientset(cur)
	want, _ := ClusterSecret("argocd", Registration{Name: "staging", Namespace: "vcluster-staging", Server: "https://new"})
	got, err := WriteClusterSecret(ctx, k, want, cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !SameRegistration(got, want) || got.Annotations["kept"] != "yes" || got.StringData != nil || got.Labels["x"] != "" {
		t.Errorf("written: %+v", got)
	}
	if cur.Data["server"] == nil || string(cur.Data["server"]) != "https://old" {
		t.Error("the Secret as read was changed in place")
	}
}
