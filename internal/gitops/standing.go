package gitops

import (
	"context"
	"fmt"
	"net/url"

	"github.com/clubcedille/cedille-tui/internal/vcluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// ServerOf is the URL ArgoCD reaches vcluster name of namespace at, as its own Secret says: the server of
// the kubeconfig its syncer wrote (exportKubeConfig.server, which the install sets), or the in-cluster
// service URL when the kubeconfig names none or the vcluster's default, https://localhost:8443 (an
// address only a port-forward serves).
func ServerOf(name, namespace string, s *corev1.Secret) string {
	fallback := vcluster.Server(name, namespace)
	cfg, err := clientcmd.Load(s.Data[KeyConfig])
	if err != nil {
		return fallback
	}
	var server string
	if c, ok := cfg.Contexts[cfg.CurrentContext]; ok && cfg.Clusters[c.Cluster] != nil {
		server = cfg.Clusters[c.Cluster].Server
	} else if len(cfg.Clusters) == 1 {
		for _, c := range cfg.Clusters {
			server = c.Server
		}
	}
	u, err := url.Parse(server)
	if server == "" || err != nil || u.Hostname() == "localhost" {
		return fallback
	}
	return server
}

// Fault is what is wrong with a vcluster's ArgoCD registration.
type Fault int

// The faults, in the order Inspect looks for them.
const (
	Registered    Fault = iota // registered as the vcluster's own Secret says, and a request with it succeeds
	NoCredentials              // the vcluster's vc-<name> Secret is missing or lacks its credentials
	NotRegistered              // no cluster Secret
	Stale                      // a cluster Secret with other credentials, another server or a corrupted config
	Unreachable                // registered as the vcluster says, but a request with those credentials fails
)

// Standing is how a vcluster stands in ArgoCD, read from the cluster. It holds credentials: never print
// or store it whole.
type Standing struct {
	Fault   Fault
	Problem string         // what is wrong, in one line ("" when Registered); never secret material
	Server  string         // the server the registration should name
	Want    *corev1.Secret // the cluster Secret the vcluster's own credentials make (nil: NoCredentials)
	Current *corev1.Secret // the cluster Secret as it is (nil: none)
	User    string         // whom the registered credentials authenticate as (Registered)
}

// Wanted reads vcluster name's vc-<name> Secret in namespace and makes the ArgoCD cluster Secret (in
// argoNamespace) its credentials register, for server ("": ServerOf the Secret). A problem (the Secret
// missing, or without its credentials) is said, not returned as an error; an error is a failed read.
func Wanted(ctx context.Context, k kubernetes.Interface, argoNamespace, name, namespace, server string) (want *corev1.Secret, problem string, err error) {
	vc, err := k.CoreV1().Secrets(namespace).Get(ctx, vcluster.KubeconfigSecret(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, "no " + vcluster.KubeconfigSecret(name) + " Secret", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read Secret %s/%s: %w", namespace, vcluster.KubeconfigSecret(name), err)
	}
	if server == "" {
		server = ServerOf(name, namespace, vc)
	}
	r, err := FromVClusterSecret(name, namespace, server, vc)
	if err != nil {
		return nil, err.Error(), nil
	}
	want, err = ClusterSecret(argoNamespace, r)
	if err != nil {
		return nil, "", err
	}
	return want, "", nil
}

// Inspect reads how vcluster name of namespace is registered in ArgoCD (argoNamespace), against its own
// credentials, for server ("": ServerOf its Secret): what the install's check and the
// vcluster-registration runbook both judge. check makes the real request with the registered
// credentials (nil: Check). An error is a read that failed (other than a missing object).
func Inspect(ctx context.Context, k kubernetes.Interface, argoNamespace, name, namespace, server string,
	check func(context.Context, *corev1.Secret) (string, error)) (Standing, error) {
	if check == nil {
		check = Check
	}
	want, problem, err := Wanted(ctx, k, argoNamespace, name, namespace, server)
	if err != nil {
		return Standing{}, err
	}
	if want == nil {
		return Standing{Fault: NoCredentials, Problem: problem, Server: server}, nil
	}
	st := Standing{Server: string(want.Data["server"]), Want: want}
	cur, err := k.CoreV1().Secrets(argoNamespace).Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		st.Fault, st.Problem = NotRegistered, "not registered in ArgoCD"
		return st, nil
	case err != nil:
		return Standing{}, fmt.Errorf("read Secret %s/%s: %w", argoNamespace, want.Name, err)
	}
	st.Current = cur
	if !SameRegistration(cur, want) {
		st.Fault, st.Problem = Stale, "its ArgoCD registration is stale (other credentials or server)"
		return st, nil
	}
	if st.User, err = check(ctx, cur); err != nil {
		st.Fault, st.Problem = Unreachable, err.Error()
	}
	return st, nil
}

// WriteClusterSecret creates want, or, when cur (the cluster Secret as read) is given, replaces its
// labels, type and data with want's, bound to cur's resourceVersion (a Conflict when it changed since).
// dryRun passes to the API server (metav1.DryRunAll: a server-side dry run).
func WriteClusterSecret(ctx context.Context, k kubernetes.Interface, want, cur *corev1.Secret, dryRun []string) (*corev1.Secret, error) {
	secrets := k.CoreV1().Secrets(want.Namespace)
	if cur == nil {
		return secrets.Create(ctx, want, metav1.CreateOptions{DryRun: dryRun})
	}
	next := cur.DeepCopy()
	next.Labels, next.Type = want.Labels, want.Type
	next.Data, next.StringData = want.Data, nil
	return secrets.Update(ctx, next, metav1.UpdateOptions{DryRun: dryRun})
}
