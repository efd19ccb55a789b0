package demo

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// The hub's ArgoCD (PLATFORM.md §1.2, §4.3): a cluster Secret per cluster (the spokes reached through
// Omni's Kubernetes proxy with an Omni service-account token, labelled with their stack), the stacks'
// ApplicationSets selecting clusters by that label, the Applications they generate per cluster, and the
// root and app Applications of the club's repositories. Sandbox's token is rejected: every Application
// destined there is in ComparisonError. One ApplicationSet has a cluster generator without a selector.

const argoNamespace = "argocd"

// ArgoCD's label on its cluster Secrets, and the club's labels on them.
const (
	argoSecretType     = "argocd.argoproj.io/secret-type"
	labelStack         = "stack"
	labelExternalNet   = "etsmtl.club/external-network"
	annotationExternal = "etsmtl.club/external-ip"
)

// fleetRevision is the commit the hub's Applications are synced to (a stand-in).
const fleetRevision = "5e0c2a9f41d7b3e8c6a1f0d2b4e7c9a3f5d8b1e6"

// hubObjects are the hub's ArgoCD objects for the fleet; token stands for the Omni service-account
// tokens in the spokes' cluster Secrets.
func hubObjects(clusters []fleetSpec, token string, now time.Time) ([]runtime.Object, []*unstructured.Unstructured) {
	var typed []runtime.Object
	var dyn []*unstructured.Unstructured
	for _, c := range clusters {
		typed = append(typed, clusterSecret(c, token))
		dyn = append(dyn, fleetObject(platform.ArgoAppProject, argoNamespace, c.name,
			map[string]any{"sourceRepos": []any{"*"}, "destinations": []any{map[string]any{"server": FleetServer(c.name), "namespace": "*"}},
				"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}}}, nil))
	}
	for _, set := range appSets() {
		var members []fleetSpec
		for _, c := range clusters {
			if set.selects(c) {
				members = append(members, c)
			}
		}
		dyn = append(dyn, set.object(members, now))
		for _, c := range members {
			dyn = append(dyn, set.application(c, now))
		}
	}
	for _, a := range hubApplications() {
		dyn = append(dyn, a.object(now))
	}
	return typed, dyn
}

// clusterSecret is ArgoCD's cluster Secret for c: the hub's own in-cluster one, or a spoke's as the
// club's Terraform writes it (named after Omni's proxy host, server Omni's proxy, a bearer token Omni
// issued for a service account).
func clusterSecret(c fleetSpec, token string) *corev1.Secret {
	config := map[string]any{"tlsClientConfig": map[string]any{"insecure": false}}
	name := "cluster-kubernetes.default.svc"
	if c.name != FleetHub {
		h := fnv.New32a()
		_, _ = h.Write([]byte(c.name))
		name = fmt.Sprintf("cluster-cedille.kubernetes.omni.siderolabs.io-%d", h.Sum32())
		config["bearerToken"] = token
	}
	cfg, _ := json.Marshal(config)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: argoNamespace, Name: name,
			Labels:      map[string]string{argoSecretType: "cluster", labelStack: c.stack, labelExternalNet: "true"},
			Annotations: map[string]string{annotationExternal: c.lbAddress}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"name": []byte(c.name), "server": []byte(FleetServer(c.name)), "config": cfg},
	}
}

// appSet is one of the stacks' ApplicationSets: it generates <cluster>-<app> (or <app>-<cluster>) for
// each cluster its generator selects.
type appSet struct {
	name, app, stack string // stack "" is a cluster generator without a selector: every cluster
	namespace, path  string // the generated Applications' destination namespace and source path
	prefix           bool   // the generated name is <app>-<cluster> (gitops-<cluster>)
	wave             string
}

// appSets are the k8s-base and k8s-foundation stacks' ApplicationSets (the foundation's prefixed kf-),
// and the one with no selector.
func appSets() []appSet {
	return []appSet{
		{name: "velero", app: "velero", stack: stackBase, namespace: "velero", path: "common/velero/overlays/{{.name}}", wave: "-1000"},
		{name: "vault", app: "vault", stack: stackBase, namespace: "vault", path: "common/vault/overlays/{{.name}}", wave: "-10"},
		{name: "rook-ceph-external", app: "rook", stack: stackBase, namespace: "rook-ceph-external", path: "common/rook", wave: "-10"},
		{name: "cert-manager", app: "cert-manager", stack: stackBase, namespace: "cert-manager", path: "common/cert-manager", wave: "-70"},
		{name: "metallb", app: "metallb", stack: stackBase, namespace: "metallb-system", path: "common/metallb", wave: "-90"},
		{name: "postgresql-cloudnative", app: "postgresql-cloudnative", stack: stackBase, namespace: "cnpg-system", path: "common/postgresql-cloudnative", wave: "-10"},
		{name: "gitops-argoapps", app: "gitops", stack: stackBase, namespace: argoNamespace, path: ".", prefix: true, wave: "0"},
		{name: "kf-velero", app: "velero", stack: stackFoundation, namespace: "velero", path: "velero/overlays/{{.name}}", wave: "-1000"},
		{name: "kf-vault", app: "vault", stack: stackFoundation, namespace: "vault", path: "vault/overlays/{{.name}}", wave: "-10"},
		{name: "kf-rook-ceph-external", app: "rook", stack: stackFoundation, namespace: "rook-ceph-external", path: "rook", wave: "-10"},
		{name: "kf-cert-manager", app: "cert-manager", stack: stackFoundation, namespace: "cert-manager", path: "cert-manager", wave: "-70"},
		{name: "cilium", app: "cilium", stack: stackFoundation, namespace: "kube-system", path: "cilium", wave: "-100"},
		{name: "cilium-ip-pools", app: "cilium-ip-pools", stack: stackFoundation, namespace: "kube-system", path: "cilium/ip-pools/overlays/{{.name}}", wave: "-80"},
		{name: "kf-gitops-argoapps", app: "gitops", stack: stackFoundation, namespace: argoNamespace, path: ".", prefix: true, wave: "0"},
		{name: unselectedAppSet, app: "external-dns", namespace: "external-dns", path: "common/external-dns", wave: "-10"},
	}
}

func (a appSet) selects(c fleetSpec) bool { return a.stack == "" || a.stack == c.stack }

// generated is the name of the Application the set generates for a cluster.
func (a appSet) generated(cluster string) string {
	if a.prefix {
		return a.app + "-" + cluster
	}
	return cluster + "-" + a.app
}

// repo is the repository of the set's sources: the stack's, or the cluster's own for gitops sets.
func (a appSet) repo(cluster string) string {
	switch {
	case a.prefix:
		return "https://github.com/ClubCedille/" + cluster
	case a.stack == stackFoundation:
		return "https://github.com/ClubCedille/k8s-foundation"
	}
	return "https://github.com/ClubCedille/k8s-base"
}

// object is the ApplicationSet, its status listing the Applications it generated for members.
func (a appSet) object(members []fleetSpec, now time.Time) *unstructured.Unstructured {
	clusters := map[string]any{}
	if a.stack != "" {
		clusters["selector"] = map[string]any{"matchLabels": map[string]any{labelStack: a.stack}}
	}
	dest := "{{.server}}"
	if a.prefix {
		dest = inClusterServer
	}
	name, repo := a.app+"-{{.name}}", a.repo("{{.name}}")
	if !a.prefix {
		name = "{{.name}}-" + a.app
	}
	resources := []any{}
	for _, c := range members {
		sync, health := appState(c.name, a.prefix)
		resources = append(resources, map[string]any{"group": "argoproj.io", "version": "v1alpha1", "kind": "Application",
			"namespace": argoNamespace, "name": a.generated(c.name), "status": sync, "health": map[string]any{"status": health}})
	}
	since := now.Add(-30 * day)
	return fleetObject(platform.ArgoApplicationSet, argoNamespace, a.name,
		map[string]any{
			"goTemplate": true, "goTemplateOptions": []any{"missingkey=error"},
			"generators": []any{map[string]any{"clusters": clusters}},
			"template": map[string]any{
				"metadata": map[string]any{"name": name, "annotations": map[string]any{"argocd.argoproj.io/sync-wave": a.wave}},
				"spec": map[string]any{"project": "{{.name}}",
					"source":      map[string]any{"repoURL": repo, "path": a.path, "targetRevision": "HEAD"},
					"destination": map[string]any{"server": dest, "namespace": a.namespace},
					"syncPolicy": map[string]any{"automated": map[string]any{"selfHeal": true, "prune": true},
						"syncOptions": []any{"CreateNamespace=true"}}}},
		},
		map[string]any{
			"conditions": []any{
				condition("ErrorOccurred", "False", "ApplicationSetUpToDate", "Successfully generated parameters for all Applications", since),
				condition("ParametersGenerated", "True", "ParametersGenerated", "Successfully generated parameters for all Applications", since),
				condition("ResourcesUpToDate", "True", "ApplicationSetUpToDate", "ApplicationSet up to date", since),
			},
			"resources": resources,
		})
}

// application is the Application the set generates for cluster c.
func (a appSet) application(c fleetSpec, now time.Time) *unstructured.Unstructured {
	dest := FleetServer(c.name)
	if a.prefix {
		dest = inClusterServer // the cluster repo's root: its Applications live in the hub
	}
	path := strings.ReplaceAll(a.path, "{{.name}}", c.name)
	u := hubApp{name: a.generated(c.name), project: c.name, repo: a.repo(c.name), path: path, server: dest,
		namespace: a.namespace, wave: a.wave, cluster: c.name}.object(now)
	yes := true
	u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "ApplicationSet", Name: a.name,
		Controller: &yes, BlockOwnerDeletion: &yes}})
	return u
}

// hubApp is one Application of the hub.
type hubApp struct {
	name, project, repo, path, server, namespace, wave string
	cluster                                            string // the cluster it deploys to
}

// hubApplications are the hub's own Applications (its root, the one managing ArgoCD) and the cluster
// repositories' apps.
func hubApplications() []hubApp {
	prod := FleetServer(FleetProduction)
	return []hubApp{
		{"common", "common", "https://github.com/ClubCedille/k8s-base", "common", inClusterServer, argoNamespace, "-100", FleetHub},
		{"argocd", FleetHub, "https://github.com/ClubCedille/" + FleetHub, "system/argocd", inClusterServer, argoNamespace, "0", FleetHub},
		{"nextcloud", FleetHub, "https://github.com/ClubCedille/" + FleetHub, "apps/nextcloud", inClusterServer, "nextcloud", "2", FleetHub},
		{"calidum-rotae", FleetProduction, "https://github.com/ClubCedille/" + FleetProduction, "calidum-rotae/prod", prod, "calidum-rotae", "2", FleetProduction},
		{"raconteurs", FleetProduction, "https://github.com/ClubCedille/" + FleetProduction, "grav/raconteurs", prod, "raconteurs-grav", "2", FleetProduction},
		{"sandbox-whoami", FleetSandbox, "https://github.com/ClubCedille/" + FleetSandbox, "apps/whoami", FleetServer(FleetSandbox), "sandbox", "2", FleetSandbox},
	}
}

// appState is an Application's sync and health: Synced and Healthy, but Unknown when it deploys to the
// spoke whose token Omni rejects (a cluster repository's root lives in the hub: it still syncs).
func appState(cluster string, inHub bool) (sync, health string) {
	if cluster == FleetSandbox && !inHub {
		return "Unknown", "Unknown"
	}
	return "Synced", "Healthy"
}

// tokenRejected is what ArgoCD says of an Application whose cluster's API rejects its bearer token: the
// API server's 401 through Omni's proxy, and, for some calls, the proxy's own words.
func tokenRejected(server string, i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("Failed to load live state: failed to get cluster info for %q: error synchronizing cache state : "+
			"failed to sync cluster %s: failed to load initial state of resource Deployment.apps: "+
			"the server has asked for the client to provide credentials", server, server)
	}
	return fmt.Sprintf("Failed to load target state: failed to get cluster version for cluster %q: "+
		"failed to get cluster info for %q: Unauthorized: token is unverifiable: error while executing keyfunc: key not found",
		server, server)
}

// object is the Application, as ArgoCD reports it.
func (a hubApp) object(now time.Time) *unstructured.Unstructured {
	sync, health := appState(a.cluster, a.server == inClusterServer)
	status := map[string]any{
		"sync":   map[string]any{"status": sync, "revision": fleetRevision, "comparedTo": map[string]any{"destination": map[string]any{"server": a.server, "namespace": a.namespace}}},
		"health": map[string]any{"status": health},
		"operationState": map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)",
			"finishedAt": rfc3339(now.Add(-2 * day))},
		"reconciledAt": rfc3339(now.Add(-90 * time.Second)),
	}
	if sync == "Unknown" {
		delete(status["sync"].(map[string]any), "revision")
		status["conditions"] = []any{map[string]any{"type": "ComparisonError",
			"message": tokenRejected(a.server, len(a.name)), "lastTransitionTime": rfc3339(now.Add(-6 * time.Hour))}}
	}
	u := fleetObject(platform.ArgoApplication, argoNamespace, a.name,
		map[string]any{"project": a.project,
			"source":      map[string]any{"repoURL": a.repo, "path": a.path, "targetRevision": "HEAD"},
			"destination": map[string]any{"server": a.server, "namespace": a.namespace},
			"syncPolicy": map[string]any{"automated": map[string]any{"selfHeal": true, "prune": true},
				"syncOptions": []any{"CreateNamespace=true"}}},
		status)
	u.SetAnnotations(map[string]string{"argocd.argoproj.io/sync-wave": a.wave})
	u.SetFinalizers([]string{"resources-finalizer.argocd.argoproj.io"})
	return u
}
