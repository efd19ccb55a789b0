// Package gitops is what the install does to ArgoCD besides installing it: the root Application of the
// app-of-apps, following its children, and registering clusters (the vclusters) as ArgoCD cluster
// Secrets, checked with the very credentials registered.
package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ClusterConfig is the "config" key of an ArgoCD cluster Secret (ArgoCD's own JSON names).
type ClusterConfig struct {
	BearerToken     string          `json:"bearerToken,omitempty"`
	TLSClientConfig TLSClientConfig `json:"tlsClientConfig"`
}

// TLSClientConfig holds PEM bytes (base64 in the JSON, as ArgoCD reads them).
type TLSClientConfig struct {
	Insecure   bool   `json:"insecure"`
	ServerName string `json:"serverName,omitempty"`
	CAData     []byte `json:"caData,omitempty"`
	CertData   []byte `json:"certData,omitempty"`
	KeyData    []byte `json:"keyData,omitempty"`
}

// Registration is a cluster to register: a vcluster by name and namespace, the server ArgoCD reaches it
// at (its in-cluster service URL), and its client credentials.
type Registration struct {
	Name, Namespace, Server string
	CA, Cert, Key           []byte
}

// The vcluster kubeconfig Secret's keys (vc-<name>, written by the vcluster's syncer).
const (
	KeyConfig = "config"
	KeyCA     = "certificate-authority"
	KeyCert   = "client-certificate"
	KeyKey    = "client-key"
)

// FromVClusterSecret reads a vcluster's credentials from its vc-<name> Secret.
func FromVClusterSecret(name, namespace, server string, s *corev1.Secret) (Registration, error) {
	r := Registration{Name: name, Namespace: namespace, Server: server,
		CA: s.Data[KeyCA], Cert: s.Data[KeyCert], Key: s.Data[KeyKey]}
	var missing []string
	for k, v := range map[string][]byte{KeyCA: r.CA, KeyCert: r.Cert, KeyKey: r.Key} {
		if len(v) == 0 {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return r, fmt.Errorf("Secret %s/%s lacks %s: the vcluster has not written its credentials yet",
			s.Namespace, s.Name, strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return r, nil
}

// ClusterSecret is the ArgoCD cluster Secret of a registration: a fixed name per vcluster (a rerun
// overwrites it, never adds a second one for the same server), labelled so the console finds it.
func ClusterSecret(argoNamespace string, r Registration) (*corev1.Secret, error) {
	cfg, err := json.Marshal(ClusterConfig{TLSClientConfig: TLSClientConfig{CAData: r.CA, CertData: r.Cert, KeyData: r.Key}})
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: argocd.ClusterSecretName(r.Name), Namespace: argoNamespace,
			Labels: map[string]string{argocd.SecretTypeLabel: argocd.SecretTypeCluster, argocd.VClusterLabel: r.Name,
				argocd.VClusterNamespaceLabel: r.Namespace, "app.kubernetes.io/managed-by": "cedille-tui"}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"name": []byte(r.Name), "server": []byte(r.Server), "config": cfg},
	}, nil
}

// Register writes the cluster Secret, or repairs one that differs (stale credentials, another server, a
// corrupted config). It returns what it did: "created", "repaired" or "" (already as wanted).
func Register(ctx context.Context, k kubernetes.Interface, argoNamespace string, r Registration) (string, error) {
	want, err := ClusterSecret(argoNamespace, r)
	if err != nil {
		return "", err
	}
	secrets := k.CoreV1().Secrets(argoNamespace)
	cur, err := secrets.Get(ctx, want.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := WriteClusterSecret(ctx, k, want, nil, nil); err != nil {
			return "", fmt.Errorf("create ArgoCD cluster Secret %s: %w", want.Name, err)
		}
		return "created", nil
	}
	if err != nil {
		return "", err
	}
	if SameRegistration(cur, want) {
		return "", nil
	}
	if _, err := WriteClusterSecret(ctx, k, want, cur, nil); err != nil {
		return "", fmt.Errorf("repair ArgoCD cluster Secret %s: %w", want.Name, err)
	}
	return "repaired", nil
}

// SameRegistration tells whether an existing cluster Secret already says what want says.
func SameRegistration(cur, want *corev1.Secret) bool {
	for k, v := range want.Labels {
		if cur.Labels[k] != v {
			return false
		}
	}
	for _, k := range []string{"name", "server"} {
		if string(cur.Data[k]) != string(want.Data[k]) {
			return false
		}
	}
	var a, b ClusterConfig
	if json.Unmarshal(cur.Data["config"], &a) != nil || json.Unmarshal(want.Data["config"], &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// RESTConfig is the client config ArgoCD builds from a cluster Secret.
func RESTConfig(s *corev1.Secret) (*rest.Config, error) {
	server := strings.TrimSuffix(string(s.Data["server"]), "/")
	if server == "" {
		return nil, errors.New("no server in the cluster Secret")
	}
	var cfg ClusterConfig
	if err := json.Unmarshal(s.Data["config"], &cfg); err != nil {
		return nil, fmt.Errorf("the cluster Secret's config is not ArgoCD's JSON: %w", err)
	}
	t := cfg.TLSClientConfig
	return &rest.Config{Host: server, BearerToken: cfg.BearerToken, Timeout: 0,
		TLSClientConfig: rest.TLSClientConfig{Insecure: t.Insecure, ServerName: t.ServerName, CAData: t.CAData,
			CertData: t.CertData, KeyData: t.KeyData}}, nil
}

// Check makes a real request with exactly the Secret's credentials, as ArgoCD will: a
// SelfSubjectReview, which the server answers only for an authenticated client (unlike /version). It
// returns the user the server saw.
func Check(ctx context.Context, s *corev1.Secret) (string, error) {
	rc, err := RESTConfig(s)
	if err != nil {
		return "", err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return "", err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("a request to %s with the registered credentials failed: %w", rc.Host, err)
	}
	user := r.Status.UserInfo.Username
	if user == "" || user == "system:anonymous" {
		return user, fmt.Errorf("%s answered, but did not authenticate the registered credentials (user %q)", rc.Host, user)
	}
	return user, nil
}
