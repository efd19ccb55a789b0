package watch

import (
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// kubeLayers are the layers read from the Kubernetes API, in the overview's order; the workloads layer
// comes last, after secrets (workloadsLayer). A cluster shows those of its era (health.LayerShown).
func kubeLayers() []struct {
	name health.Layer
	rule func(health.Objects) health.LayerReport
} {
	return []struct {
		name health.Layer
		rule func(health.Objects) health.LayerReport
	}{
		{health.LayerStorage, health.Storage},
		{health.LayerMesh, health.Mesh},
		{health.LayerGitOps, health.GitOps},
		{health.LayerVClusters, health.VClusters},
		{health.LayerCertificates, health.Certificates},
		{health.LayerIngress, health.Ingress},
		{health.LayerNetwork, health.Network},
		{health.LayerDatabases, health.Databases},
		{health.LayerBackups, health.Backups},
	}
}

// Evaluate applies the health rules to a snapshot's contents. It is pure: the same snapshot gives the
// same report, which is what `status` and every console share. Layers whose source is not configured
// are left out; layers whose source failed before it ever synced say so instead of reporting emptiness.
// The demo's snapshot gets the demo's hints (health.Report.ForDemo): what works there, the tools a real
// platform's hints name reaching nothing in it.
func Evaluate(s Snapshot) health.Report {
	r := evaluate(s)
	// The demo's own hints are its era-1 platform's fault keys; the era-2 fleet demo teaches the real ones.
	if s.Demo && health.EraOf(s.Objects) != health.Era2 {
		return r.ForDemo()
	}
	return r
}

func evaluate(s Snapshot) health.Report {
	var layers []health.LayerReport
	kube, om, v := s.Source(platform.SourceKubernetes), s.Source(platform.SourceOmni), s.Source(platform.SourceVault)

	if kube.Configured || om.Configured {
		layers = append(layers, clusterLayer(s, kube, om))
	}
	if kube.Configured {
		for _, l := range kubeLayers() {
			if health.LayerShown(s.Objects, l.name) {
				layers = append(layers, kubeLayer(s, kube, l.name, l.rule))
			}
		}
	}
	if v.Configured || kube.Configured {
		layers = append(layers, secretsLayer(s, kube, v))
	}
	// The pods last: among problems of equal severity the overview lists the platform's (a sealed Vault,
	// a lost node) before the pods they stop.
	if kube.Configured {
		layers = append(layers, kubeLayer(s, kube, health.LayerWorkloads, health.Workloads))
	}
	return health.NewReport(layers...)
}

// kubeLayer is a layer read from the Kubernetes API: its rule's report, or why the API was never read.
func kubeLayer(s Snapshot, kube SourceState, name health.Layer, rule func(health.Objects) health.LayerReport) health.LayerReport {
	if failedBeforeSync(kube) {
		return unavailable(name, "API/kubernetes", kube.Err)
	}
	return withSourceError(rule(s.Objects), "API/kubernetes", kube)
}

func failedBeforeSync(st SourceState) bool { return st.Configured && st.Err != nil && !st.Synced }

func clusterLayer(s Snapshot, kube, om SourceState) health.LayerReport {
	switch {
	case failedBeforeSync(kube) && (!om.Configured || failedBeforeSync(om)):
		return unavailable(health.LayerCluster, "API/kubernetes", kube.Err)
	case failedBeforeSync(om) && !kube.Configured:
		return unavailable(health.LayerCluster, "API/omni", om.Err)
	}
	l := health.Cluster(s.Objects)
	l = withSourceError(l, "API/kubernetes", kube)
	return withSourceError(l, "API/omni", om)
}

func secretsLayer(s Snapshot, kube, v SourceState) health.LayerReport {
	if v.DependsOn == platform.SourceKubernetes && failedBeforeSync(kube) && len(s.Vault) == 0 {
		return unavailable(health.LayerSecrets, "API/kubernetes", kube.Err)
	}
	if v.Configured && v.Err != nil && len(s.Vault) == 0 && (!kube.Configured || failedBeforeSync(kube)) {
		return unavailable(health.LayerSecrets, "API/vault", v.Err)
	}
	l := health.Secrets(s.Objects)
	return withSourceError(l, "API/kubernetes", kube)
}

// withSourceError adds the finding of a source that failed after it synced: its data is kept (stale),
// and the outage is itself a finding.
func withSourceError(l health.LayerReport, object string, st SourceState) health.LayerReport {
	if !st.Configured || st.Err == nil {
		return l
	}
	return health.NewLayer(l.Name, append(append([]health.Finding{}, l.Findings...), sourceFinding(object, st.Err)))
}

// sourceFinding reports a source error: Down when the server is unreachable, Unknown otherwise
// (forbidden, misconfigured), so the rest of the layer still counts.
func sourceFinding(object string, err error) health.Finding {
	st := health.Unknown
	hint := ""
	if platform.IsUnreachable(err) {
		st = health.Down
		hint = "data shown may be stale; the console reconnects by itself"
	}
	return health.Finding{Object: object, Status: st, Reason: err.Error(), Hint: hint}
}

func unavailable(layer health.Layer, object string, err error) health.LayerReport {
	f := sourceFinding(object, err)
	return health.UnavailableLayer(layer, object, f.Status, f.Reason, f.Hint)
}
