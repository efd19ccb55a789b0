package watch

import (
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Evaluate applies the health rules to a snapshot's contents. It is pure: the same snapshot gives the
// same report, which is what `status` and every console share.
func Evaluate(s Snapshot) health.Report {
	var layers []health.LayerReport

	kube, om := s.Source(platform.SourceKubernetes), s.Source(platform.SourceOmni)
	if kube.Configured || om.Configured {
		layers = append(layers, clusterLayer(s, kube, om))
	}
	if v := s.Source(platform.SourceVault); v.Configured {
		layers = append(layers, secretsLayer(s, v))
	}
	return health.NewReport(layers...)
}

func clusterLayer(s Snapshot, kube, om SourceState) health.LayerReport {
	// When every configured source of the layer failed before it ever synced, say so instead of
	// reporting an empty cluster.
	failed := func(st SourceState) bool { return st.Configured && st.Err != nil && !st.Synced }
	switch {
	case failed(kube) && (!om.Configured || failed(om)):
		return unavailable(health.LayerCluster, "API/kubernetes", kube.Err)
	case failed(om) && !kube.Configured:
		return unavailable(health.LayerCluster, "API/omni", om.Err)
	}
	l := health.Cluster(s.Nodes, s.Machines)
	for _, src := range []struct {
		name string
		st   SourceState
	}{{"API/kubernetes", kube}, {"API/omni", om}} {
		if src.st.Configured && src.st.Err != nil {
			l.Findings = append(l.Findings, sourceFinding(src.name, src.st.Err))
		}
	}
	return health.NewLayer(health.LayerCluster, l.Findings)
}

func secretsLayer(s Snapshot, v SourceState) health.LayerReport {
	if v.Err != nil && len(s.Vault) == 0 {
		return unavailable(health.LayerSecrets, "API/vault", v.Err)
	}
	fs := make([]health.Finding, 0, len(s.Vault))
	for _, r := range s.Vault {
		fs = append(fs, health.VaultReplica(r.Name, r.Health, r.Err))
	}
	return health.NewLayer(health.LayerSecrets, fs)
}

// sourceFinding reports a source error: Down when the server is unreachable, Unknown otherwise
// (forbidden, misconfigured), so the rest of the layer still counts.
func sourceFinding(object string, err error) health.Finding {
	st := health.Unknown
	if platform.IsUnreachable(err) {
		st = health.Down
	}
	return health.Finding{Object: object, Status: st, Reason: err.Error(), Hint: hintFor(err)}
}

func unavailable(layer health.Layer, object string, err error) health.LayerReport {
	f := sourceFinding(object, err)
	return health.UnavailableLayer(layer, object, f.Status, f.Reason, f.Hint)
}

func hintFor(err error) string {
	if platform.IsUnreachable(err) {
		return "data shown may be stale; the console reconnects by itself"
	}
	return ""
}
