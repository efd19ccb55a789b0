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
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeOptions are the kubectl-style flags.
type KubeOptions struct {
	// Kubeconfig is --kubeconfig: one file that overrides KUBECONFIG and ~/.kube/config.
	Kubeconfig string
	// Context is --context.
	Context string
	// UserAgent is sent with every request.
	UserAgent string
	// ServiceAccountDir is where the in-cluster configuration reads the service account's token and CA
	// ("" is ServiceAccountDir, the kubelet's mount; tests name their own).
	ServiceAccountDir string
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
	// InCluster is set when the connection is the pod's own (InClusterConfig); ServiceAccount is then
	// the service account's "namespace/name" ("" when its token does not say).
	InCluster      bool
	ServiceAccount string
}

// kubeSource is where a configuration came from: a kubeconfig context, or a pod's service account.
type kubeSource struct {
	context        string
	inCluster      bool
	serviceAccount string
}

// LoadKubeConfig resolves the REST config with kubectl's loading rules: --kubeconfig, else the KUBECONFIG
// list, else ~/.kube/config, else, in a pod, the service account (InClusterConfig); --context picks the
// context. The context name is "" in-cluster.
func LoadKubeConfig(o KubeOptions, env Lookup) (*rest.Config, string, error) {
	cfg, src, err := loadKubeConfig(o, env)
	return cfg, src.context, err
}

// loadKubeConfig is LoadKubeConfig, saying where the configuration came from. The in-cluster
// configuration is used only when nothing names a kubeconfig or a context, none is found, and env
// says the process is in a pod; it is decided here from env and o.ServiceAccountDir, never from the
// process's own environment and fixed paths (client-go's deferred loading would).
func loadKubeConfig(o KubeOptions, env Lookup) (*rest.Config, kubeSource, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	_, listed := env.get(clientcmd.RecommendedConfigPathEnvVar)
	if listed != "" {
		rules.Precedence = filepath.SplitList(listed)
	} else if _, home := env.get("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
	}
	raw, err := rules.Load()
	if err != nil {
		return nil, kubeSource{}, kubeConfigError(o, listed, err)
	}
	if clientcmdapi.IsConfigEmpty(raw) && o.Kubeconfig == "" && listed == "" && o.Context == "" && inClusterEnv(env) {
		dir := o.ServiceAccountDir
		if dir == "" {
			dir = ServiceAccountDir
		}
		cfg, sa, err := InClusterConfig(dir, env)
		return cfg, kubeSource{inCluster: true, serviceAccount: sa}, err
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, o.Context, overrides, rules).ClientConfig()
	if err != nil {
		return nil, kubeSource{}, kubeConfigError(o, listed, err)
	}
	ctxName := o.Context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	return cfg, kubeSource{context: ctxName}, nil
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
	cfg, src, err := loadKubeConfig(o, env)
	if err != nil {
		return nil, err
	}
	k, err := NewKube(cfg, src.context, o.UserAgent)
	if err != nil {
		return nil, err
	}
	k.InCluster, k.ServiceAccount = src.inCluster, src.serviceAccount
	return k, nil
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
	case apierrors.IsUnauthorized(err) && k.InCluster:
		return &ConnError{Source: SourceKubernetes, Problem: Refused, What: "the service account's token refused by " + where,
			Fix: "check that " + k.identity() + " still exists; the token is read again as the kubelet renews it"}
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

// identity says who the connection reads as, for a person: "service account NS/NAME" in a pod, else
// the kubeconfig context, else the API server's URL.
func (k *Kube) identity() string {
	switch {
	case k.InCluster && k.ServiceAccount != "":
		return "service account " + k.ServiceAccount
	case k.InCluster:
		return "the pod's service account"
	case k.Context != "":
		return k.Context
	}
	return k.Host
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
