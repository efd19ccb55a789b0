package health

import (
	"cmp"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The o.Unavailable keys the vclusters layer depends on.
const (
	ResourceStatefulSets = "statefulsets.apps"
	ResourceSecrets      = "secrets"
)

// vcluster ↔ ArgoCD cluster Secret convention, shared with the installer's registration step.
//
// A vcluster is a StatefulSet labelled app=vcluster (chart 0.16: release name = StatefulSet name) in
// namespace <ns>; its kubeconfig is the Secret vc-<name> in <ns>. It is registered in ArgoCD when a Secret
// labelled argocd.argoproj.io/secret-type=cluster (in any namespace, usually argocd) matches it by one of:
//  1. labels etsmtl.club/vcluster=<name> and etsmtl.club/vcluster-namespace=<ns> (the namespace label may
//     be left out; when present it must match) — what the installer writes, with the Secret named
//     cluster-<name> and server https://<name>.<ns>.svc;
//  2. the name cluster-<name> (the installer's name, for a Secret whose labels were lost);
//  3. a name starting with cluster-<name>.<ns>.svc, which is how `argocd cluster add` names the Secret of
//     server https://<name>.<ns>.svc[.cluster.local] (cluster-<host>-<hash>).
//
// Only metadata is read: the server URL lives in the Secret's data, which the console never holds.
const (
	ArgoCDSecretTypeLabel    = "argocd.argoproj.io/secret-type"
	VClusterLabel            = "etsmtl.club/vcluster"
	VClusterNamespaceLabel   = "etsmtl.club/vcluster-namespace"
	vclusterAppLabelValue    = "vcluster"
	vclusterKubeconfigPrefix = "vc-"
)

// VClusterClusterSecretName is the name the installer gives a vcluster's ArgoCD cluster Secret.
func VClusterClusterSecretName(name string) string { return "cluster-" + name }

// VClusterServer is the in-cluster API server URL the installer registers for a vcluster.
func VClusterServer(name, namespace string) string {
	return "https://" + name + "." + namespace + ".svc"
}

// VClusters builds the vclusters layer: one finding per StatefulSet labelled app=vcluster, the worst of
// its checks (StatefulSet ready, vc-<name> kubeconfig Secret present, ArgoCD cluster Secret present),
// its reason listing every check that failed.
func VClusters(o Objects) LayerReport {
	fs := make([]Finding, 0, 4)
	if err := o.Missing(ResourceStatefulSets); err != nil {
		fs = append(fs, MissingFinding("API/"+ResourceStatefulSets, err, "grant the console list/watch on statefulsets"))
	}
	secretsErr := o.Missing(ResourceSecrets)
	if secretsErr != nil {
		fs = append(fs, MissingFinding("API/"+ResourceSecrets, secretsErr,
			"grant the console list/watch on Secrets' metadata (vc-<name> and ArgoCD cluster Secrets)"))
	}

	// Index Secrets once: kubeconfig Secrets by namespace/name, ArgoCD cluster Secrets apart.
	have := make(map[string]bool, len(o.Secrets))
	var clusterSecrets []*metav1.PartialObjectMetadata
	for _, s := range o.Secrets {
		if s == nil {
			continue
		}
		have[s.Namespace+"/"+s.Name] = true
		if s.Labels[ArgoCDSecretTypeLabel] == "cluster" {
			clusterSecrets = append(clusterSecrets, s)
		}
	}

	for _, sts := range o.StatefulSets {
		if sts == nil || sts.Labels["app"] != vclusterAppLabelValue {
			continue
		}
		fs = append(fs, judgeVCluster(sts, have, clusterSecrets, secretsErr != nil))
	}
	return NewLayer(LayerVClusters, fs)
}

func judgeVCluster(sts *appsv1.StatefulSet, have map[string]bool, clusterSecrets []*metav1.PartialObjectMetadata, secretsUnknown bool) Finding {
	f := Finding{Object: ObjectName("VCluster", sts), Status: OK}
	var problems, hints []string
	worsen := func(st Status, problem, hint string) {
		f.Status = Worst(f.Status, st)
		problems = append(problems, problem)
		if hint != "" {
			hints = append(hints, hint)
		}
	}
	demo := "" // what works in the demo instead of the hints (demo.go)

	want := int32(1)
	if sts.Spec.Replicas != nil {
		want = *sts.Spec.Replicas
	}
	ready := sts.Status.ReadyReplicas
	switch {
	case want == 0:
		worsen(Degraded, "scaled to 0 (paused)", fmt.Sprintf("resume it if the pause was not intended (vcluster resume %s -n %s)", sts.Name, sts.Namespace))
		demo = demoElsewhere
	case ready == 0:
		worsen(Down, fmt.Sprintf("0/%d ready", want), fmt.Sprintf("look at pod %s-0 in %s (k3s and syncer logs)", sts.Name, sts.Namespace))
	case ready < want:
		worsen(Degraded, fmt.Sprintf("%d/%d ready", ready, want), fmt.Sprintf("look at the unready pods of %s in %s", sts.Name, sts.Namespace))
	}

	if secretsUnknown {
		worsen(Unknown, "kubeconfig and ArgoCD registration not checked (Secrets unreadable)", "")
	} else {
		if !have[sts.Namespace+"/"+vclusterKubeconfigPrefix+sts.Name] {
			worsen(Degraded, "kubeconfig Secret "+vclusterKubeconfigPrefix+sts.Name+" missing",
				"the vcluster has not finished starting, or its Secret was deleted: restart pod "+sts.Name+"-0")
		}
		if !registeredInArgoCD(sts.Name, sts.Namespace, clusterSecrets) {
			worsen(Degraded, "not registered in ArgoCD",
				fmt.Sprintf("create ArgoCD cluster Secret %s (server %s); runbook: %s",
					VClusterClusterSecretName(sts.Name), VClusterServer(sts.Name, sts.Namespace), RunbookVClusterRegist))
			demo = cmp.Or(demo, demoRegister)
		}
	}

	if len(problems) == 0 {
		f.Reason = fmt.Sprintf("%d/%d ready, kubeconfig Secret present, registered in ArgoCD", ready, want)
		return f
	}
	f.Reason = strings.Join(problems, "; ")
	f.Hint = strings.Join(hints, "; ")
	return f.inDemo(demo)
}

// registeredInArgoCD applies the convention documented above.
func registeredInArgoCD(name, namespace string, clusterSecrets []*metav1.PartialObjectMetadata) bool {
	cliPrefix := "cluster-" + name + "." + namespace + ".svc"
	for _, s := range clusterSecrets {
		if ns, ok := s.Labels[VClusterNamespaceLabel]; ok && ns != namespace {
			continue // labelled for a namesake in another namespace
		}
		if v, ok := s.Labels[VClusterLabel]; ok {
			if v == name {
				return true
			}
			continue // labelled for another vcluster
		}
		if s.Name == VClusterClusterSecretName(name) || strings.HasPrefix(s.Name, cliPrefix) {
			return true
		}
	}
	return false
}
