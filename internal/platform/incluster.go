package platform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
)

// ServiceAccountDir is where the kubelet mounts a pod's service account: token, ca.crt, namespace.
const ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// The variables the kubelet sets in every container: the API server's Service address.
const (
	envServiceHost = "KUBERNETES_SERVICE_HOST"
	envServicePort = "KUBERNETES_SERVICE_PORT"
)

// inClusterEnv tells whether env says the process runs in a pod (both variables set).
func inClusterEnv(env Lookup) bool {
	_, host := env.get(envServiceHost)
	_, port := env.get(envServicePort)
	return host != "" && port != ""
}

// InClusterConfig is the configuration of a process running in a pod, as client-go's
// rest.InClusterConfig builds it, from dir (ServiceAccountDir in a pod) and env instead of fixed
// ones: the API server at https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, trusted through
// dir's ca.crt, authenticated with dir's token. The token is named (BearerTokenFile), not copied into
// the config: the transport reads it and reads it again as the kubelet rotates it, and the config
// carries no secret. Unlike client-go, a missing or unreadable ca.crt is an error, not a warning.
//
// serviceAccount is "namespace/name", from the token's subject (system:serviceaccount:NS:NAME), or ""
// when the token does not say; the token is not verified, only read for that.
func InClusterConfig(dir string, env Lookup) (cfg *rest.Config, serviceAccount string, err error) {
	_, host := env.get(envServiceHost)
	_, port := env.get(envServicePort)
	if host == "" || port == "" {
		return nil, "", &ConnError{Source: SourceKubernetes, Problem: NotConfigured,
			What: "not in a pod: " + envServiceHost + " and " + envServicePort + " are not both set",
			Fix:  "set KUBECONFIG or pass --kubeconfig"}
	}
	mountFix := "mount the service account's token (automountServiceAccountToken: true), or a kubeconfig and KUBECONFIG"
	tokenFile := filepath.Join(dir, "token")
	token, err := os.ReadFile(tokenFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", &ConnError{Source: SourceKubernetes, Problem: NotConfigured,
			What: "in a pod, but no service account token at " + tokenFile, Fix: mountFix}
	case err != nil:
		return nil, "", &ConnError{Source: SourceKubernetes, Problem: Invalid,
			What: "the service account token cannot be read", Err: err, Fix: mountFix}
	case len(bytes.TrimSpace(token)) == 0:
		return nil, "", &ConnError{Source: SourceKubernetes, Problem: Invalid,
			What: "the service account token " + tokenFile + " is empty", Fix: mountFix}
	}
	caFile := filepath.Join(dir, "ca.crt")
	if _, err := certutil.NewPool(caFile); err != nil {
		return nil, "", &ConnError{Source: SourceKubernetes, Problem: Invalid,
			What: "the cluster's CA " + caFile + " is unusable", Err: err, Fix: mountFix}
	}
	cfg = &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		TLSClientConfig: rest.TLSClientConfig{CAFile: caFile},
		BearerTokenFile: tokenFile,
	}
	return cfg, tokenServiceAccount(token), nil
}

// tokenServiceAccount is the "namespace/name" of the service account a JWT's subject names, or "".
// Nothing of the token but that subject is kept or said.
func tokenServiceAccount(token []byte) string {
	parts := strings.Split(string(bytes.TrimSpace(token)), ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	sa, ok := strings.CutPrefix(claims.Sub, "system:serviceaccount:")
	ns, name, ok2 := strings.Cut(sa, ":")
	if !ok || !ok2 || ns == "" || name == "" || strings.Contains(name, ":") {
		return ""
	}
	return ns + "/" + name
}
