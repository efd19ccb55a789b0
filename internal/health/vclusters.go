package health

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The o.Unavailable keys the vclusters layer depends on.
const (
	ResourceStatefulSets = "statefulsets.apps"
	ResourceSecrets      = "secrets"
)

// VClusters builds the vclusters layer: one finding per vcluster StatefulSet (vcluster.IsVCluster), the
// worst of its checks (StatefulSet ready, vc-<name> kubeconfig Secret present, registered by an ArgoCD
// cluster Secret as argocd.RegistersVCluster tells from its name and labels: the console holds Secrets'
// metadata only), its reason listing every check that failed.
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
		if argocd.IsClusterSecret(s.Labels) {
			clusterSecrets = append(clusterSecrets, s)
		}
	}

	for _, sts := range o.StatefulSets {
		if sts == nil || !vcluster.IsVCluster(sts.Labels) {
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
		if kubeconfig := vcluster.KubeconfigSecret(sts.Name); !have[sts.Namespace+"/"+kubeconfig] {
			worsen(Degraded, "kubeconfig Secret "+kubeconfig+" missing",
				"the vcluster has not finished starting, or its Secret was deleted: restart pod "+sts.Name+"-0")
		}
		if !registeredInArgoCD(sts.Name, sts.Namespace, clusterSecrets) {
			worsen(Degraded, "not registered in ArgoCD",
				fmt.Sprintf("create ArgoCD cluster Secret %s (server %s); runbook: %s",
					argocd.ClusterSecretName(sts.Name), vcluster.Server(sts.Name, sts.Namespace), RunbookVClusterRegist))
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

// registeredInArgoCD tells whether one of the cluster Secrets registers the vcluster.
func registeredInArgoCD(name, namespace string, clusterSecrets []*metav1.PartialObjectMetadata) bool {
	return slices.ContainsFunc(clusterSecrets, func(s *metav1.PartialObjectMetadata) bool {
		return argocd.RegistersVCluster(s.Name, s.Labels, name, namespace)
	})
}
