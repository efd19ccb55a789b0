package fleet

import (
	"context"
	"sort"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ArgoCD's cluster Secrets (PLATFORM.md §4.3): where the hub keeps each cluster it deploys to.
const (
	ArgoNamespace     = "argocd"
	ArgoSecretTypeKey = "argocd.argoproj.io/secret-type"
	// StackLabel selects a cluster for a stack's ApplicationSets (k8s-base, k8s-foundation).
	StackLabel = "stack"
	// clubLabelPrefix marks the club's own labels on a cluster Secret (etsmtl.club/external-network…).
	clubLabelPrefix = "etsmtl.club/"
)

// ArgoCluster is one cluster the hub's ArgoCD knows: its Secret's name, `name` and `server`, and its
// labels. The Secret's `config` (the bearer token) is never kept.
type ArgoCluster struct {
	Secret string            `json:"secret"`
	Name   string            `json:"name"`
	Server string            `json:"server"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Cluster is the fleet cluster the registration is for: the `cluster` of an Omni proxy URL, else its name.
func (a ArgoCluster) Cluster() string {
	if c := health.ClusterOfServer(a.Server); c != "" {
		return c
	}
	return a.Name
}

// InCluster tells whether this is the hub itself (ArgoCD's in-cluster server).
func (a ArgoCluster) InCluster() bool { return a.Server == "https://kubernetes.default.svc" }

// Stack is the stack label's value.
func (a ArgoCluster) Stack() string { return a.Labels[StackLabel] }

// ClubLabels are the etsmtl.club/* labels, "key=value" sorted.
func (a ArgoCluster) ClubLabels() []string {
	var out []string
	for k, v := range a.Labels {
		if strings.HasPrefix(k, clubLabelPrefix) {
			out = append(out, strings.TrimPrefix(k, clubLabelPrefix)+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// IsHub tells whether a cluster's snapshot is ArgoCD's hub: its argocd namespace holds cluster Secrets.
func IsHub(secrets []*metav1.PartialObjectMetadata) bool {
	for _, s := range secrets {
		if s.Namespace == ArgoNamespace && s.Labels[ArgoSecretTypeKey] == "cluster" {
			return true
		}
	}
	return false
}

// argoSecretsKey is what changes when a cluster Secret changes (names and resourceVersions): the
// registrations are read again only then.
func argoSecretsKey(secrets []*metav1.PartialObjectMetadata) string {
	var b strings.Builder
	for _, s := range secrets {
		if s.Namespace == ArgoNamespace && s.Labels[ArgoSecretTypeKey] == "cluster" {
			b.WriteString(s.Name + "@" + s.ResourceVersion + ";")
		}
	}
	return b.String()
}

// ReadArgoClusters lists the hub's cluster Secrets and keeps their name, server and labels only: the
// token in `config` is dropped as each Secret is read and never stored or shown.
func ReadArgoClusters(ctx context.Context, k *platform.Kube) ([]ArgoCluster, error) {
	l, err := k.Typed.CoreV1().Secrets(ArgoNamespace).List(ctx, metav1.ListOptions{LabelSelector: ArgoSecretTypeKey + "=cluster"})
	if err != nil {
		return nil, k.Classify(err)
	}
	out := make([]ArgoCluster, 0, len(l.Items))
	for i := range l.Items {
		s := &l.Items[i]
		out = append(out, ArgoCluster{Secret: s.Name, Name: string(s.Data["name"]), Server: string(s.Data["server"]),
			Labels: s.Labels})
		s.Data, s.StringData = nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster() < out[j].Cluster() })
	return out, nil
}

// Connection is how the hub's ArgoCD fares with a cluster, read from the Applications it deploys there.
type Connection struct {
	// State is "Successful" (an App there compares), "Failed" (the cluster refuses ArgoCD's token),
	// "Unknown" (no App tells), or "" (the cluster is not registered).
	State   string `json:"state,omitempty"`
	Message string `json:"message,omitempty"`
}

// ConnectionTo reads ArgoCD's connection to a cluster from the hub's Applications destined there: one
// whose conditions say the cluster refused the token makes it Failed; one Synced makes it Successful.
func ConnectionTo(a ArgoCluster, apps []*unstructured.Unstructured) Connection {
	c := Connection{State: "Unknown"}
	for _, app := range apps {
		if !destinedTo(app, a) {
			continue
		}
		if msg, ok := health.SpokeAuthFailure(app); ok {
			return Connection{State: "Failed", Message: msg}
		}
		if health.Str(app, "status", "sync", "status") == "Synced" {
			c.State = "Successful"
		}
	}
	return c
}

func destinedTo(app *unstructured.Unstructured, a ArgoCluster) bool {
	server, name := health.Str(app, "spec", "destination", "server"), health.Str(app, "spec", "destination", "name")
	return (server != "" && server == a.Server) || (name != "" && name == a.Name)
}
