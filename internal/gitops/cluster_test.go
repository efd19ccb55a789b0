package gitops

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func vcSecret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vc-staging", Namespace: "vcluster-staging"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestRegisterCreatesRepairsAndKeeps(t *testing.T) {
	ctx := context.Background()
	k := fake.NewClientset()
	r, err := FromVClusterSecret("staging", "vcluster-staging", "https://staging.vcluster-staging.svc",
		vcSecret(map[string]string{KeyCA: "CA", KeyCert: "CERT", KeyKey: "KEY", KeyConfig: "kubeconfig"}))
	if err != nil {
		t.Fatal(err)
	}
	if did, err := Register(ctx, k, "argocd", r); err != nil || did != "created" {
		t.Fatalf("first: %q %v", did, err)
	}
	s, err := k.CoreV1().Secrets("argocd").Get(ctx, "cluster-staging", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Labels["argocd.argoproj.io/secret-type"] != "cluster" || string(s.Data["server"]) != "https://staging.vcluster-staging.svc" {
		t.Errorf("cluster Secret: %v %s", s.Labels, s.Data["server"])
	}
	var cfg map[string]map[string]any
	if err := json.Unmarshal(s.Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["tlsClientConfig"]["caData"] != "Q0E=" || cfg["tlsClientConfig"]["certData"] != "Q0VSVA==" {
		t.Errorf("ArgoCD reads base64 PEM in tlsClientConfig: %v", cfg)
	}
	if did, err := Register(ctx, k, "argocd", r); err != nil || did != "" {
		t.Errorf("a rerun with the same credentials changes nothing: %q %v", did, err)
	}
	for name, corrupt := range map[string]func(*corev1.Secret){
		"config":     func(s *corev1.Secret) { s.Data["config"] = []byte("{not json") },
		"server":     func(s *corev1.Secret) { s.Data["server"] = []byte("https://old:6443") },
		"key":        func(s *corev1.Secret) { s.Data["config"] = []byte(`{"tlsClientConfig":{"keyData":"T0xE"}}`) },
		"label gone": func(s *corev1.Secret) { delete(s.Labels, "argocd.argoproj.io/secret-type") },
		"server name": func(s *corev1.Secret) {
			s.Data["config"] = []byte(`{"tlsClientConfig":{"serverName":"other.invalid","caData":"Q0E=","certData":"Q0VSVA==","keyData":"S0VZ"}}`)
		},
	} {
		s, _ := k.CoreV1().Secrets("argocd").Get(ctx, "cluster-staging", metav1.GetOptions{})
		corrupt(s)
		if _, err := k.CoreV1().Secrets("argocd").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if did, err := Register(ctx, k, "argocd", r); err != nil || did != "repaired" {
			t.Errorf("%s corrupted: %q %v", name, did, err)
		}
	}
	list, _ := k.CoreV1().Secrets("argocd").List(ctx, metav1.ListOptions{})
	if len(list.Items) != 1 {
		t.Errorf("%d cluster Secrets, want one per vcluster", len(list.Items))
	}
}

func TestFromVClusterSecretNamesWhatIsMissing(t *testing.T) {
	_, err := FromVClusterSecret("sandbox", "vcluster-sandbox", "https://sandbox.vcluster-sandbox.svc",
		vcSecret(map[string]string{KeyCA: "CA"}))
	if err == nil || !strings.Contains(err.Error(), "lacks client-certificate, client-key") {
		t.Errorf("missing keys: %v", err)
	}
}
