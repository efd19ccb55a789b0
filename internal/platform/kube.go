package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeOptions are the kubectl-style flags.
type KubeOptions struct {
	// Kubeconfig is --kubeconfig: one file that overrides KUBECONFIG and ~/.kube/config.
	Kubeconfig string
	// Context is --context.
	Context string
	// UserAgent is sent with every request.
	UserAgent string
}

// Kube is a Kubernetes connection: typed clients for core kinds, dynamic for CRDs.
type Kube struct {
	// Config is the REST config the clients were built from (JSON content type).
	Config *rest.Config
	// Typed speaks protobuf for the built-in kinds.
	Typed kubernetes.Interface
	// Dynamic serves custom resources.
	Dynamic dynamic.Interface
	// Metadata reads kinds whose body the console must not hold (Secrets): names, labels, annotations.
	Metadata metadata.Interface
	// Context is the kubeconfig context in use ("" in-cluster or for an injected client).
	Context string
	// Host is the API server URL.
	Host string
}

// LoadKubeConfig resolves the REST config with kubectl's loading rules: --kubeconfig, else the KUBECONFIG
// list, else ~/.kube/config, else the in-cluster service account; --context picks the context.
func LoadKubeConfig(o KubeOptions, env Lookup) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	if _, v := env.get(clientcmd.RecommendedConfigPathEnvVar); v != "" {
		rules.Precedence = filepath.SplitList(v)
	} else if _, home := env.get("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		_, listed := env.get(clientcmd.RecommendedConfigPathEnvVar)
		return nil, "", kubeConfigError(o, listed, err)
	}
	raw, rerr := cc.RawConfig()
	ctxName := o.Context
	if ctxName == "" && rerr == nil {
		ctxName = raw.CurrentContext
	}
	return cfg, ctxName, nil
}

// kubeConfigError says why no configuration could be loaded; listed is KUBECONFIG's value.
func kubeConfigError(o KubeOptions, listed string, err error) error {
	switch {
	case o.Kubeconfig != "" && errors.Is(err, fs.ErrNotExist):
		return &ConnError{Source: SourceKubernetes, Problem: Invalid,
			What: "--kubeconfig " + o.Kubeconfig + " does not exist",
			Fix:  "check the path, or leave --kubeconfig out to use KUBECONFIG or ~/.kube/config"}
	case clientcmd.IsEmptyConfig(err) && o.Kubeconfig == "" && listed != "":
		// kubectl's rules skip the files KUBECONFIG names that do not exist; when none does, say so.
		if missing := missingFiles(filepath.SplitList(listed)); len(missing) > 0 {
			verb := "does"
			if len(missing) > 1 {
				verb = "do"
			}
			return &ConnError{Source: SourceKubernetes, Problem: Invalid,
				What: fmt.Sprintf("KUBECONFIG names %s, which %s not exist", strings.Join(missing, ", "), verb),
				Fix:  "fix KUBECONFIG, unset it to use ~/.kube/config, or pass --kubeconfig"}
		}
		return &ConnError{Source: SourceKubernetes, Problem: Invalid, What: "the files KUBECONFIG names hold no cluster",
			Fix: "fix KUBECONFIG, or pass --kubeconfig"}
	case clientcmd.IsEmptyConfig(err):
		return &ConnError{Source: SourceKubernetes, Problem: NotConfigured, What: "no kubeconfig found",
			Fix: "set KUBECONFIG or pass --kubeconfig"}
	case strings.Contains(err.Error(), "context was not found") || strings.Contains(err.Error(), "does not exist"):
		if o.Context != "" {
			return &ConnError{Source: SourceKubernetes, Problem: Invalid,
				What: fmt.Sprintf("context %q is not in the kubeconfig", o.Context),
				Fix:  "check --context against `kubectl config get-contexts`"}
		}
	}
	fix := "check KUBECONFIG"
	if o.Kubeconfig != "" {
		fix = "check the file given to --kubeconfig"
	}
	return &ConnError{Source: SourceKubernetes, Problem: Invalid, What: "kubeconfig unusable", Err: err, Fix: fix}
}

// missingFiles are the paths that do not exist, when none of them does (nil otherwise).
func missingFiles(paths []string) []string {
	var missing []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		missing = append(missing, p)
	}
	return missing
}

// ConnectKube loads the configuration and builds the clients. It does not contact the server: call Ping.
func ConnectKube(o KubeOptions, env Lookup) (*Kube, error) {
	cfg, ctxName, err := LoadKubeConfig(o, env)
	if err != nil {
		return nil, err
	}
	return NewKube(cfg, ctxName, o.UserAgent)
}

// NewKube builds the clients for a REST config.
func NewKube(cfg *rest.Config, ctxName, userAgent string) (*Kube, error) {
	cfg = rest.CopyConfig(cfg)
	if userAgent != "" {
		cfg.UserAgent = userAgent
	}
	// A console over thousands of objects lists and watches a lot at start: do not throttle it like kubectl.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	typedCfg := rest.CopyConfig(cfg)
	typedCfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	typedCfg.ContentType = "application/vnd.kubernetes.protobuf"
	typed, err := kubernetes.NewForConfig(typedCfg)
	if err != nil {
		return nil, &ConnError{Source: SourceKubernetes, Problem: Invalid, What: "cannot build a client", Err: err,
			Fix: "check the kubeconfig's server and credentials"}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, &ConnError{Source: SourceKubernetes, Problem: Invalid, What: "cannot build a client", Err: err,
			Fix: "check the kubeconfig's server and credentials"}
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, &ConnError{Source: SourceKubernetes, Problem: Invalid, What: "cannot build a client", Err: err,
			Fix: "check the kubeconfig's server and credentials"}
	}
	return &Kube{Config: cfg, Typed: typed, Dynamic: dyn, Metadata: md, Context: ctxName, Host: cfg.Host}, nil
}

// Ping asks the API server for its version, within timeout.
func (k *Kube) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := k.Typed.Discovery().RESTClient().Get().AbsPath("/version").DoRaw(ctx)
	return k.Classify(err)
}

// Classify turns a client-go error into a ConnError where it is about the connection; other errors
// (not found, conflict, …) are returned as they are.
func (k *Kube) Classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return err
	}
	where := k.Host
	if k.Context != "" {
		where = fmt.Sprintf("%s (context %s)", k.Host, k.Context)
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return &ConnError{Source: SourceKubernetes, Problem: Refused, What: "credentials refused by " + where,
			Fix: "renew the kubeconfig's credentials"}
	case apierrors.IsForbidden(err):
		return &ConnError{Source: SourceKubernetes, Problem: Refused, What: "forbidden", Err: err,
			Fix: "ask for a role that allows it, or use another --context"}
	case looksUnreachable(err):
		return &ConnError{Source: SourceKubernetes, Problem: Unreachable, What: "API server " + where + " unreachable",
			Err: RootCause(err), Fix: "check the network, or pick another cluster with --context/KUBECONFIG"}
	}
	return err
}

// RootCause is the innermost error: "connection refused", not a client's wrapping of it.
func RootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
