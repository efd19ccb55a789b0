package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// Credentials no preview may show.
const (
	fakeCA   = "-----BEGIN CERTIFICATE-----CA-MATERIAL"
	fakeCert = "-----BEGIN CERTIFICATE-----CERT-MATERIAL"
	fakeKey  = "-----BEGIN EC PRIVATE KEY-----KEY-MATERIAL"
)

// Vcluster staging, and the server its kubeconfig names.
const stagingServer = "https://staging.example.org:8443"

// stagingTarget is vcluster staging as register-vcluster names it.
func stagingTarget() Target {
	return Target{Kind: KindVCluster, Namespace: "vcluster-staging", Name: "staging"}
}

// vcSecret is vcluster staging's own Secret, its kubeconfig naming server.
func vcSecret(server string) *corev1.Secret {
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server +
		"\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user: {}\n"
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-staging", Namespace: "vcluster-staging", UID: "uid-vc", ResourceVersion: "3"},
		Data: map[string][]byte{gitops.KeyConfig: []byte(kubeconfig), gitops.KeyCA: []byte(fakeCA), gitops.KeyCert: []byte(fakeCert), gitops.KeyKey: []byte(fakeKey)}}
}

// registration is the cluster Secret a registration of vcluster staging makes, for server and key.
func registration(t *testing.T, server, key string) *corev1.Secret {
	t.Helper()
	s, err := gitops.ClusterSecret(ArgoNamespace, gitops.Registration{Name: "staging", Namespace: "vcluster-staging", Server: server,
		CA: []byte(fakeCA), Cert: []byte(fakeCert), Key: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	s.UID, s.ResourceVersion = "uid-reg", "9"
	return s
}

// noSecret fails when text holds any of the credentials.
func noSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{"CA-MATERIAL", "CERT-MATERIAL", "KEY-MATERIAL", "OLD-KEY"} {
		if strings.Contains(text, s) {
			t.Errorf("%s shows secret material %q:\n%s", what, s, text)
		}
	}
}

func TestRegisterVClusterPreview(t *testing.T) {
	ctx, target, server := context.Background(), stagingTarget(), stagingServer
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		expect  Precondition
		changes []string // path: before → after, in order
		notes   string
		err     string
	}{
		{name: "not registered", objects: []runtime.Object{vcSecret(server)},
			changes: []string{"metadata.labels.app.kubernetes.io/managed-by: (unset) → \"cedille-tui\"",
				"metadata.labels.argocd.argoproj.io/secret-type: (unset) → \"cluster\"",
				"metadata.labels.etsmtl.club/vcluster: (unset) → \"staging\"",
				"metadata.labels.etsmtl.club/vcluster-namespace: (unset) → \"vcluster-staging\"",
				"type: (unset) → \"Opaque\"",
				"data.config.tlsClientConfig.caData: (unset) → (set)", "data.config.tlsClientConfig.certData: (unset) → (set)",
				"data.config.tlsClientConfig.keyData: (unset) → (set)",
				"data.name: (unset) → \"staging\"", "data.server: (unset) → \"" + server + "\""},
			notes: "no cluster Secret argocd/cluster-staging yet: it is created"},
		{name: "stale key and server", objects: []runtime.Object{vcSecret(server), registration(t, "https://old:6443", "OLD-KEY")},
			expect:  Precondition{UID: "uid-reg", ResourceVersion: "9"},
			changes: []string{"data.config.tlsClientConfig.keyData: (set) → (changed)", "data.server: \"https://old:6443\" → \"" + server + "\""},
			notes:   "server " + server},
		{name: "a kubeconfig for localhost: the in-cluster service", objects: []runtime.Object{vcSecret("https://localhost:8443"),
			registration(t, "https://staging.vcluster-staging.svc", fakeKey)},
			expect: Precondition{UID: "uid-reg", ResourceVersion: "9"}, notes: "server https://staging.vcluster-staging.svc"},
		{name: "no vcluster Secret", err: "vcluster/vcluster-staging/staging: no vc-staging Secret: nothing to register it with"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := RegisterVCluster().Preview(ctx, Client{Kube: fake.NewClientset(tc.objects...)}, target)
			if tc.err != "" {
				if !errors.Is(err, ErrNoCredentials) || err.Error() != tc.err {
					t.Fatalf("%v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Changes {
				got = append(got, c.Path+": "+c.Before+" → "+c.After)
			}
			if strings.Join(got, "\n") != strings.Join(tc.changes, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.changes, "\n"))
			}
			if p.Expect != tc.expect || !strings.Contains(strings.Join(p.Notes, "\n"), tc.notes) {
				t.Errorf("expect %+v, notes %q", p.Expect, p.Notes)
			}
			p.Action, p.Target = "register-vcluster", target
			noSecret(t, "the preview", p.String())
		})
	}
}

func TestRegisterVClusterRunIsBound(t *testing.T) {
	ctx, target, server := context.Background(), stagingTarget(), stagingServer
	for _, tc := range []struct {
		name   string
		reg    *corev1.Secret // the registration as it is at the write (nil: none)
		expect Precondition
		why    string // the refusal ("": written)
	}{
		{name: "created", expect: Precondition{}},
		{name: "repaired as previewed", reg: registration(t, "https://old:6443", "OLD-KEY"), expect: Precondition{UID: "uid-reg", ResourceVersion: "9"}},
		{name: "unbound repair", reg: registration(t, "https://old:6443", "OLD-KEY")},
		{name: "modified since", reg: registration(t, "https://old:6443", "OLD-KEY"), expect: Precondition{UID: "uid-reg", ResourceVersion: "8"},
			why: "re-registered (its cluster Secret modified)"},
		{name: "made again since", reg: registration(t, "https://old:6443", "OLD-KEY"), expect: Precondition{UID: "uid-old", ResourceVersion: "9"},
			why: "registered anew"},
		{name: "deleted since", expect: Precondition{UID: "uid-reg", ResourceVersion: "9"}, why: "deregistered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objects := []runtime.Object{vcSecret(server)}
			if tc.reg != nil {
				objects = append(objects, tc.reg)
			}
			kc := fake.NewClientset(objects...)
			err := RegisterVCluster().Run(ctx, Client{Kube: kc}, target, tc.expect)
			if tc.why != "" {
				if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("%v, want a refusal saying %q", err, tc.why)
				}
				if tc.reg != nil {
					cur, _ := kc.CoreV1().Secrets(ArgoNamespace).Get(ctx, "cluster-staging", metav1.GetOptions{})
					if string(cur.Data["server"]) != "https://old:6443" {
						t.Error("a refused write changed the registration")
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cur, err := kc.CoreV1().Secrets(ArgoNamespace).Get(ctx, "cluster-staging", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !gitops.SameRegistration(cur, registration(t, server, fakeKey)) {
				t.Errorf("the registration written: %v", cur.Data)
			}
		})
	}
}

func TestSecretChangesHideEveryCredential(t *testing.T) {
	reg := func(config string, extra map[string]string) *corev1.Secret {
		s := &corev1.Secret{Data: map[string][]byte{"name": []byte("staging"), "server": []byte("https://s"), "config": []byte(config)}}
		for k, v := range extra {
			s.Data[k] = []byte(v)
		}
		return s
	}
	for _, tc := range []struct {
		name          string
		before, after *corev1.Secret
		want          string
	}{
		{"same", reg(`{"bearerToken":"OLD-KEY"}`, nil), reg(`{"bearerToken":"OLD-KEY"}`, nil), ""},
		{"token dropped, cert set", reg(`{"bearerToken":"OLD-KEY","tlsClientConfig":{"insecure":true}}`, nil),
			reg(`{"tlsClientConfig":{"certData":"Q0VSVC1NQVRFUklBTA=="}}`, nil),
			"data.config.bearerToken: (set) → (unset)\ndata.config.tlsClientConfig.certData: (unset) → (set)\ndata.config.tlsClientConfig.insecure: true → false"},
		{"config not JSON", reg(`OLD-KEY{`, nil), reg(`{}`, nil), "data.config: (set, not ArgoCD's JSON) → (set)"},
		{"another key", reg(`{}`, map[string]string{"token": "OLD-KEY"}), reg(`{}`, nil), "data.token: (set) → (unset)"},
		{"server name", reg(`{}`, nil), reg(`{"tlsClientConfig":{"serverName":"s.svc"}}`, nil), "data.config.tlsClientConfig.serverName: (unset) → \"s.svc\""},
	} {
		var got []string
		for _, c := range secretChanges(tc.before, tc.after) {
			got = append(got, c.Path+": "+c.Before+" → "+c.After)
		}
		// The order is diff's, then the data keys sorted, config's fields in a fixed order: sort to compare.
		if g := strings.Join(slices.Sorted(slices.Values(got)), "\n"); g != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, g, tc.want)
		}
		noSecret(t, tc.name, strings.Join(got, "\n"))
	}
}
