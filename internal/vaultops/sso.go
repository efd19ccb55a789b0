package vaultops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/platform"
	vault "github.com/hashicorp/vault/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The SSO client secrets the platform once kept as hand-made Kubernetes Secrets, lost each time their
// namespace was recreated (PLATFORM.md §4.2): they are kept in Vault (kv-system/sso/<client>) and
// reflected into the Secrets the charts read by vault-config-operator VaultSecret objects, which log in
// with the sso-reader role as the namespace's default ServiceAccount.

// SSOReader is the policy and the kubernetes auth role that read the SSO secrets, nothing else.
const SSOReader = "sso-reader"

// SSOClient is one OAuth client: where its secret lives in Vault and the Secret a chart reads.
type SSOClient struct {
	// Name is the plan's key ("argocd", "grafana").
	Name string
	// Namespace and Secret are the Kubernetes Secret the chart reads.
	Namespace, Secret string
	// StringData is the Secret's keys as templates over the Vault secret (named "sso").
	StringData map[string]string
	// Labels on the Secret (ArgoCD reads $secret:key references only from Secrets labelled part-of argocd).
	Labels map[string]string
	// What is said on screens ("ArgoCD Dex GitHub connector").
	What string
}

// Path is the client's secret in Vault: kv-system (KV v1) under sso/.
func (c SSOClient) Path() string { return "kv-system/sso/" + c.Name }

// SSOClients are the platform's two GitHub OAuth clients: ArgoCD's Dex connector
// (`clientSecret: $dex-secret:dex.github.clientSecret`) and Grafana's GitHub login
// (`envFromSecret: grafana-github-secret`).
func SSOClients() []SSOClient {
	return []SSOClient{
		{Name: "argocd", Namespace: "argocd", Secret: "dex-secret", What: "ArgoCD Dex GitHub connector",
			StringData: map[string]string{"dex.github.clientSecret": "{{ .sso.clientSecret }}"},
			Labels:     map[string]string{"app.kubernetes.io/part-of": "argocd"}},
		{Name: "grafana", Namespace: "grafana", Secret: "grafana-github-secret", What: "Grafana GitHub OAuth",
			StringData: map[string]string{"GF_AUTH_GITHUB_CLIENT_ID": "{{ .sso.clientID }}",
				"GF_AUTH_GITHUB_CLIENT_SECRET": "{{ .sso.clientSecret }}"}},
	}
}

// SSOClientNamed returns the client of that plan key.
func SSOClientNamed(name string) (SSOClient, bool) {
	for _, c := range SSOClients() {
		if c.Name == name {
			return c, true
		}
	}
	return SSOClient{}, false
}

// SSOReaderPolicy reads the SSO secrets and nothing else.
const SSOReaderPolicy = `# Written by cedille-tui: VaultSecret objects reflect the SSO client secrets (role sso-reader).
path "kv-system/sso/*" {
  capabilities = ["read"]
}
`

// StoredSSO reads the client ID stored for a client; ok is false when nothing is stored.
func StoredSSO(ctx context.Context, v *platform.Vault, c SSOClient) (clientID string, ok bool, err error) {
	s, err := v.Client.Logical().ReadWithContext(ctx, c.Path())
	if err != nil {
		return "", false, v.Classify(err)
	}
	if s == nil || s.Data == nil {
		return "", false, nil
	}
	id, _ := s.Data["clientID"].(string)
	_, has := s.Data["clientSecret"]
	return id, has, nil
}

// StoreSSO writes a client's ID and secret to Vault.
func StoreSSO(ctx context.Context, v *platform.Vault, c SSOClient, clientID string, secret Secret) error {
	if secret.Empty() {
		return fmt.Errorf("%s: the client secret is empty", c.What)
	}
	_, err := v.Client.Logical().WriteWithContext(ctx, c.Path(), map[string]any{
		"clientID": clientID, "clientSecret": strings.TrimSpace(secret.Reveal())})
	if err != nil {
		return fmt.Errorf("store the %s secret: %w", c.What, v.Classify(err))
	}
	return nil
}

// EnsureSSOReader writes the sso-reader policy and the role that binds it to the default
// ServiceAccount of the clients' namespaces.
func EnsureSSOReader(ctx context.Context, v *platform.Vault, clients []SSOClient) error {
	if err := v.Client.Sys().PutPolicyWithContext(ctx, SSOReader, SSOReaderPolicy); err != nil {
		return fmt.Errorf("write policy %s: %w", SSOReader, v.Classify(err))
	}
	ns := make([]string, 0, len(clients))
	for _, c := range clients {
		ns = append(ns, c.Namespace)
	}
	role := map[string]any{
		"bound_service_account_names":      "default",
		"bound_service_account_namespaces": strings.Join(ns, ","),
		"policies":                         SSOReader,
		"ttl":                              "1h",
	}
	if _, err := v.Client.Logical().WriteWithContext(ctx, "auth/"+AuthPath+"/role/"+SSOReader, role); err != nil {
		return fmt.Errorf("write role %s: %w", SSOReader, v.Classify(err))
	}
	return nil
}

// VaultSecretObject is the vault-config-operator VaultSecret that keeps a client's Kubernetes Secret
// filled from Vault (re-created by the operator when the Secret is deleted, refreshed every hour).
func VaultSecretObject(c SSOClient) *unstructured.Unstructured {
	data := map[string]any{}
	for k, v := range c.StringData {
		data[k] = v
	}
	output := map[string]any{"name": c.Secret, "type": "Opaque", "stringData": data}
	if len(c.Labels) > 0 {
		labels := map[string]any{}
		for k, v := range c.Labels {
			labels[k] = v
		}
		output["labels"] = labels
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": platform.VaultSecret.GVR.GroupVersion().String(),
		"kind":       platform.VaultSecret.Kind,
		"metadata": map[string]any{"name": c.Secret, "namespace": c.Namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "cedille-tui"}},
		"spec": map[string]any{
			"refreshPeriod": "1h0m0s",
			"vaultSecretDefinitions": []any{map[string]any{
				"name": "sso",
				"path": c.Path(),
				"authentication": map[string]any{"path": AuthPath, "role": SSOReader,
					"serviceAccount": map[string]any{"name": "default"}},
			}},
			"output": output,
		},
	}}
	return u
}

// Login logs in through the kubernetes auth method with a service-account token and returns a client
// holding the resulting token (for checks made as the operator would be).
func Login(ctx context.Context, v *platform.Vault, role string, jwt Secret) (*platform.Vault, *vault.Secret, error) {
	c, err := v.Client.Clone()
	if err != nil {
		return nil, nil, err
	}
	c.ClearToken()
	s, err := c.Logical().WriteWithContext(ctx, "auth/"+AuthPath+"/login", map[string]any{"role": role, "jwt": jwt.Reveal()})
	if err != nil {
		return nil, nil, fmt.Errorf("log in with role %s: %w", role, v.Classify(err))
	}
	if s == nil || s.Auth == nil {
		return nil, nil, fmt.Errorf("log in with role %s: no token in the answer", role)
	}
	c.SetToken(s.Auth.ClientToken)
	return &platform.Vault{Client: c, Addr: v.Addr}, s, nil
}
