package actions

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// Tokens no preview, error or result may show.
const (
	oldSpokeToken = "old-token-5d1e-never-shown"
	newSpokeToken = "new-token-9b2c-never-shown"
	spokeProxy    = "https://club.kubernetes.omni.example?cluster=prod-v2"
)

// clusterSecret is the hub's cluster Secret for cluster prod-v2, registered through Omni's proxy (its
// `name` another one), holding the old token and TLS settings to keep.
func clusterSecret(name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ArgoNamespace, Name: name, UID: types.UID("uid-" + name), ResourceVersion: "5",
		Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		Data: map[string][]byte{"name": []byte("production"), "server": []byte(spokeProxy),
			"config": []byte(`{"bearerToken":"` + oldSpokeToken + `","tlsClientConfig":{"insecure":false,"serverName":"omni"},"execProviderConfig":{"command":"x"}}`)}}
}

func spokeTarget() Target {
	return Target{Kind: KindArgoCluster, Namespace: ArgoNamespace, Name: "prod-v2"}
}

// omniKubeconfig is a service-account kubeconfig as Omni issues it.
func omniKubeconfig(token string) []byte {
	return []byte("apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: 'https://omni'}}]\n" +
		"users: [{name: u, user: {token: " + token + "}}]\ncontexts: [{name: c, context: {cluster: s, user: u}}]\ncurrent-context: c\n")
}

// spokesAnswering issue newSpokeToken and record what the check saw; the check fails with refuse.
func spokesAnswering(seen *rest.Config, refuse error) Spokes {
	return Spokes{Issued: "a test token",
		Issue: func(_ context.Context, cluster string) ([]byte, error) {
			if cluster != "prod-v2" {
				return nil, errors.New("wrong cluster " + cluster)
			}
			return omniKubeconfig(newSpokeToken), nil
		},
		Check: func(_ context.Context, cfg *rest.Config) error { *seen = *cfg; return refuse }}
}

func configOf(t *testing.T, kc *fake.Clientset, name string) map[string]any {
	t.Helper()
	s, err := kc.CoreV1().Secrets(ArgoNamespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(s.Data["config"], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFindClusterSecret(t *testing.T) {
	byName := clusterSecret("by-name")
	byName.Data["name"], byName.Data["server"] = []byte("prod-v2"), []byte("https://10.0.0.1:6443")
	other := clusterSecret("other")
	other.Data["server"] = []byte("https://club.kubernetes.omni.example?cluster=sandbox")
	for _, tc := range []struct {
		name    string
		objs    []runtime.Object
		want    string
		wantErr string
	}{
		{"by the proxy URL's cluster", []runtime.Object{clusterSecret("proxy"), other}, "proxy", ""},
		{"by its name", []runtime.Object{byName, other}, "by-name", ""},
		{"none", []runtime.Object{other}, "", "no ArgoCD cluster Secret registers it"},
		{"two", []runtime.Object{clusterSecret("a"), byName}, "", "both register prod-v2: delete the stale one first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := FindClusterSecret(context.Background(), fake.NewClientset(tc.objs...), ArgoNamespace, "prod-v2")
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && (err != nil || s.Name != tc.want):
				t.Fatalf("found %v %v, want %s", s, err, tc.want)
			}
		})
	}
}

func TestReissueSpokeTokenPreview(t *testing.T) {
	kc := fake.NewClientset(clusterSecret("cluster-prod"))
	a := ReissueSpokeToken(spokesAnswering(new(rest.Config), nil))
	p, err := a.Preview(context.Background(), Client{Kube: kc}, spokeTarget())
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (Precondition{UID: "uid-cluster-prod", ResourceVersion: "5"}) {
		t.Errorf("bound to %+v", p.Expect)
	}
	if len(p.Changes) != 1 || p.Changes[0] != (Change{Path: "data.config.bearerToken", Before: "(set)", After: "(changed)"}) {
		t.Errorf("changes %+v", p.Changes)
	}
	text := p.String() + strings.Join(p.Notes, "\n")
	for _, want := range []string{"Secret argocd/cluster-prod, server " + spokeProxy, "a test token, issued when you confirm", "rest of config"} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, oldSpokeToken) || strings.Contains(text, newSpokeToken) {
		t.Fatalf("the preview shows a token:\n%s", text)
	}
	if _, err := ReissueSpokeToken(Spokes{}).Preview(context.Background(), Client{Kube: kc}, spokeTarget()); !errors.Is(err, ErrNoOmni) ||
		!strings.Contains(err.Error(), "OMNI_ENDPOINT") {
		t.Fatalf("without Omni: %v", err)
	}
}

func TestReissueSpokeToken(t *testing.T) {
	bound := Precondition{UID: "uid-cluster-prod", ResourceVersion: "5"}
	for _, tc := range []struct {
		name    string
		refuse  error
		expect  Precondition
		wantErr error
		patched bool
	}{
		{"the new token answers: patched", nil, bound, nil, true},
		{"the new token is refused too: not patched", errors.New("Unauthorized"), bound, ErrSpokeRefusesToken, false},
		{"the Secret changed since the preview", nil, Precondition{UID: "uid-cluster-prod", ResourceVersion: "4"}, ErrChanged, false},
		{"the Secret made again since the preview", nil, Precondition{UID: "uid-older", ResourceVersion: "5"}, ErrChanged, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := fake.NewClientset(clusterSecret("cluster-prod"))
			var seen rest.Config
			err := ReissueSpokeToken(spokesAnswering(&seen, tc.refuse)).Run(context.Background(), Client{Kube: kc}, spokeTarget(), tc.expect)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), newSpokeToken) || strings.Contains(err.Error(), oldSpokeToken)) {
				t.Fatalf("the error shows a token: %v", err)
			}
			cfg := configOf(t, kc, "cluster-prod")
			if got := cfg["bearerToken"] == newSpokeToken; got != tc.patched {
				t.Fatalf("patched %v, want %v", got, tc.patched)
			}
			if _, kept := cfg["execProviderConfig"]; !kept || cfg["tlsClientConfig"].(map[string]any)["serverName"] != "omni" {
				t.Errorf("the rest of config was not kept: %v", cfg)
			}
			if tc.wantErr == nil || errors.Is(tc.wantErr, ErrSpokeRefusesToken) {
				if seen.Host != spokeProxy || seen.BearerToken != newSpokeToken || seen.TLSClientConfig.ServerName != "omni" {
					t.Errorf("checked with host %q, serverName %q, the new token %v", seen.Host, seen.TLSClientConfig.ServerName, seen.BearerToken == newSpokeToken)
				}
			} else if seen.Host != "" {
				t.Error("a token was issued and checked for a Secret changed since the preview")
			}
		})
	}
}

func TestWithSpokes(t *testing.T) {
	var seen rest.Config
	all := WithSpokes(Builtin(), spokesAnswering(&seen, nil))
	if len(all) != len(Builtin()) {
		t.Fatalf("%d actions, want %d", len(all), len(Builtin()))
	}
	kc := fake.NewClientset(clusterSecret("cluster-prod"))
	for _, a := range all {
		if a.Name != reissueSpokeToken {
			continue
		}
		if err := a.Run(context.Background(), Client{Kube: kc}, spokeTarget(), Precondition{}); err != nil {
			t.Fatal(err)
		}
		if configOf(t, kc, "cluster-prod")["bearerToken"] != newSpokeToken {
			t.Fatal("not issued through the given spokes")
		}
		return
	}
	t.Fatal("no reissue-spoke-token among the built-in actions")
}
