package fleet

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	vault "github.com/hashicorp/vault/api"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var now = time.Date(2026, 7, 20, 12, 0, 0, 0, time.UTC)

func running(id string, total, healthy uint32) *omni.ClusterStatus {
	c := omni.NewClusterStatus(id)
	c.TypedSpec().Value = &specs.ClusterStatusSpec{
		Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true, HasConnectedControlPlanes: true,
		Phase:        specs.ClusterStatusSpec_RUNNING,
		Machines:     &specs.Machines{Total: total, Healthy: healthy, Connected: total, Requested: total},
		TalosVersion: "1.10.5", KubernetesVersion: "1.33.2",
	}
	return c
}

// snap is a cluster's own snapshot with one layer of the given status and a Vault answering with id.
func snap(st health.Status, vaultID string) *watch.Snapshot {
	s := &watch.Snapshot{Objects: health.Objects{Now: now, Serves: map[string]bool{health.ResourceBackups: true}}}
	s.Report = health.NewReport(
		health.NewLayer(health.LayerStorage, []health.Finding{{Object: "CephCluster/rook-ceph-external/ceph", Status: st, Reason: "HEALTH_WARN"}}),
		health.NewLayer(health.LayerWorkloads, []health.Finding{{Object: "Deployment/a/b", Status: health.OK}}))
	if vaultID != "" {
		s.Vault = []health.VaultStatus{{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true, ClusterID: vaultID}}}
	}
	return s
}

func refusedApp(cluster string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": cluster + "-vault", "namespace": "argocd"},
		"spec":     map[string]any{"destination": map[string]any{"server": "https://omni.example?cluster=" + cluster}},
		"status": map[string]any{"sync": map[string]any{"status": "Unknown"}, "conditions": []any{map[string]any{
			"type": "ComparisonError", "message": "Unauthorized: token is unverifiable: key not found"}}},
	}}
}

func syncedApp(cluster string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": cluster + "-velero", "namespace": "argocd"},
		"spec":     map[string]any{"destination": map[string]any{"server": "https://omni.example?cluster=" + cluster}},
		"status":   map[string]any{"sync": map[string]any{"status": "Synced"}},
	}}
}

func TestEvaluate(t *testing.T) {
	hub := snap(health.OK, "aaa")
	hub.Applications = []*unstructured.Unstructured{refusedApp("sandbox"), syncedApp("prod")}
	argo := []ArgoCluster{
		{Secret: "cluster-kubernetes.default.svc", Name: "shared", Server: "https://kubernetes.default.svc", Labels: map[string]string{"stack": "k8s-base"}},
		{Secret: "cluster-omni-1", Name: "prod", Server: "https://omni.example?cluster=prod", Labels: map[string]string{"stack": "k8s-foundation", "etsmtl.club/external-network": "true"}},
		{Secret: "cluster-omni-2", Name: "sandbox", Server: "https://omni.example?cluster=sandbox"},
		{Secret: "cluster-omni-3", Name: "gone", Server: "https://omni.example?cluster=gone"},
	}
	in := Inputs{Now: now, OmniSynced: true,
		Omni: []*omni.ClusterStatus{running("shared", 3, 3), running("prod", 6, 5), running("sandbox", 3, 3), running("poc", 1, 1)},
		Hub:  "shared", Argo: argo,
		Watched: map[string]Watched{
			"shared":  {Started: true, Snapshot: hub},
			"prod":    {Started: true, Snapshot: snap(health.Degraded, "bbb")},
			"sandbox": {Started: true, Snapshot: snap(health.OK, "bbb")},
			"poc":     {Started: true, Err: errors.New("kubernetes: 10.0.0.9:6443 unreachable")},
		}}
	r := Evaluate(in)
	rows := map[string]Row{}
	for _, row := range r.Clusters {
		rows[row.Cluster] = row
	}
	for _, tc := range []struct {
		cluster string
		status  health.Status
		reason  string
	}{
		{"sandbox", health.Down, "ArgoCD's token is refused: Unauthorized"},
		{"prod", health.Degraded, ""},
		{"poc", health.Unknown, "cannot be read: kubernetes: 10.0.0.9:6443 unreachable"},
		{"gone", health.Unknown, "registered in ArgoCD (cluster-omni-3) but unknown to Omni"},
		{"shared", health.OK, ""},
	} {
		row, ok := rows[tc.cluster]
		if !ok {
			t.Errorf("no row for %s", tc.cluster)
			continue
		}
		if row.Status != tc.status || !strings.Contains(row.Reason, tc.reason) {
			t.Errorf("%s: %s %q, want %s containing %q", tc.cluster, row.Status, row.Reason, tc.status, tc.reason)
		}
	}
	if r.Clusters[0].Cluster != "sandbox" || r.Overall != health.Down {
		t.Errorf("worst first: %s first, overall %s", r.Clusters[0].Cluster, r.Overall)
	}
	if p := rows["prod"]; p.MachinesHealthy != 5 || p.Machines != 6 || p.Stack != "k8s-foundation" || p.ArgoCD.State != "Successful" ||
		p.WorstLayer != health.LayerStorage || p.Talos != "1.10.5" || len(p.Labels) != 1 || p.LastBackupAge != "never" {
		t.Errorf("prod's columns: %+v", p)
	}
	if !rows["shared"].Hub || rows["shared"].ArgoCD.State != "in-cluster" {
		t.Errorf("the hub: %+v", rows["shared"])
	}
	if !strings.Contains(rows["sandbox"].Hint, "recover spoke-token --target Cluster/sandbox") {
		t.Errorf("sandbox's hint: %q", rows["sandbox"].Hint)
	}
	if len(r.Findings) != 1 || r.Findings[0].Status != health.Down || !strings.Contains(r.Findings[0].Reason, "prod and sandbox") {
		t.Errorf("shared Vault storage: %+v", r.Findings)
	}
}

func TestEvaluateEmptyAndOmniDown(t *testing.T) {
	if r := Evaluate(Inputs{Now: now}); r.Overall != health.Unknown {
		t.Errorf("nothing known: %s", r.Overall)
	}
	r := Evaluate(Inputs{Now: now, OmniErr: errors.New("omni: unreachable")})
	if r.Overall != health.Down || len(r.Findings) != 1 || r.Findings[0].Object != "API/omni" {
		t.Errorf("Omni down: %+v", r)
	}
}

// TestEvaluateUnreachable: a cluster whose API failed before its first read has no layers; one that
// failed after keeps its layers as last read; both say why in Unreachable and are never judged OK.
func TestEvaluateUnreachable(t *testing.T) {
	failed := func(synced bool) *watch.Snapshot {
		s := snap(health.OK, "")
		s.Sources = map[platform.Source]watch.SourceState{platform.SourceKubernetes: {Configured: true, Synced: synced,
			Err: errors.New("kubernetes: 10.0.0.9:6443 unreachable")}}
		return s
	}
	in := Inputs{Now: now, Watched: map[string]Watched{"never": {Started: true, Snapshot: failed(false)},
		"stale": {Started: true, Snapshot: failed(true)}}}
	r := Evaluate(in)
	never, _ := r.Row("never")
	stale, _ := r.Row("stale")
	if never.Unreachable == "" || never.Layers != nil || never.Status != health.Unknown {
		t.Errorf("never read: %+v", never)
	}
	if stale.Unreachable == "" || stale.Layers == nil || stale.Status != health.Unknown || !strings.Contains(stale.Reason, "cannot be read") {
		t.Errorf("read, then lost: %+v", stale)
	}
}
