package demo

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// fleetNow is the demo clock of the fleet's tests: a morning after every cluster's nightly backups.
func fleetNow() time.Time { return time.Date(2026, 12, 7, 14, 30, 0, 0, time.UTC) }

func startFleet(t *testing.T) *Fleet {
	t.Helper()
	f, err := StartFleet(context.Background(), FleetOptions{Now: fleetNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// TestFleetOmni: the fleet's Omni, read over gRPC by the real client, holds the three clusters with their
// versions, their status and their machines; the sandbox's stopped VM shows in its counts.
func TestFleetOmni(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFleet(t)
	st := f.Omni().State()
	statuses, err := safe.StateListAll[*omni.ClusterStatus](ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*specs.ClusterStatusSpec{}
	for cs := range statuses.All() {
		got[cs.Metadata().ID()] = cs.TypedSpec().Value
	}
	for _, c := range []struct {
		name                     string
		total, healthy           uint32
		ready                    bool
		talos, kubernetes        string
		controlPlanes, nodeNames int
	}{
		{FleetHub, 6, 6, true, "1.8.0", "1.30.0", 3, 6},
		{FleetProduction, 7, 7, true, "1.8.0", "1.30.0", 3, 7},
		{FleetSandbox, 6, 5, false, "1.7.6", "1.29.3", 3, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs, ok := got[c.name]
			if !ok {
				t.Fatalf("no ClusterStatus %s among %d", c.name, len(got))
			}
			m := cs.GetMachines()
			if cs.GetPhase() != specs.ClusterStatusSpec_RUNNING || !cs.GetKubernetesAPIReady() || cs.GetReady() != c.ready ||
				m.GetTotal() != c.total || m.GetHealthy() != c.healthy || m.GetConnected() != c.healthy || m.GetRequested() != c.total {
				t.Errorf("ClusterStatus %s: %v", c.name, cs)
			}
			if cs.GetTalosVersion() != c.talos || cs.GetKubernetesVersion() != c.kubernetes {
				t.Errorf("ClusterStatus %s versions %s/%s, want %s/%s", c.name, cs.GetTalosVersion(), cs.GetKubernetesVersion(), c.talos, c.kubernetes)
			}
			cl, err := safe.StateGetByID[*omni.Cluster](ctx, st, c.name)
			if err != nil || cl.TypedSpec().Value.GetTalosVersion() != c.talos || cl.TypedSpec().Value.GetKubernetesVersion() != c.kubernetes {
				t.Errorf("Cluster %s: %v %v", c.name, cl, err)
			}
			members, err := safe.StateListAll[*omni.ClusterMachineStatus](ctx, st,
				state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, c.name)))
			if err != nil {
				t.Fatal(err)
			}
			cps, names := 0, 0
			for cms := range members.All() {
				if _, ok := cms.Metadata().Labels().Get(omni.LabelControlPlaneRole); ok {
					cps++
				}
				if n, _ := cms.Metadata().Labels().Get(omni.ClusterMachineStatusLabelNodeName); strings.HasPrefix(n, c.name+"-") {
					names++
				}
				ms, err := safe.StateGetByID[*omni.MachineStatus](ctx, st, cms.Metadata().ID())
				if err != nil || ms.TypedSpec().Value.GetCluster() != c.name {
					t.Errorf("MachineStatus of %s: %v %v", cms.Metadata().ID(), ms, err)
				}
			}
			if cps != c.controlPlanes || names != c.nodeNames {
				t.Errorf("%s: %d control planes, %d machines named after it; want %d, %d", c.name, cps, names, c.controlPlanes, c.nodeNames)
			}
		})
	}
}

// TestFleetTargets: each cluster's targets reach its own API, serving era 2's kinds and neither Mayastor
// nor Kuma, and its own Vault (KMS-sealed, its own cluster id); a snapshot of it is era 2, with the
// objects the layers read, and the backups layer finds production-v2's failed backup; the sandbox's
// Gateway API CRDs (v1.6.0, read by name through the metadata client) are newer than its Cilium 1.17
// supports, its ingress layer Down on them and on the GatewayClass they leave never accepted.
func TestFleetTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFleet(t)
	ids := map[string]string{}
	for _, c := range []struct {
		name                                      string
		nodes, schedules, backups, auths, secrets int
		loadBalancers, gatewayAPICRDs             int
		cilium                                    bool
		backupsLayer                              health.Status
		down                                      string // the Backups Down in the backups layer, by prefix ("" none)
	}{
		{FleetHub, 6, 2, 6, 1, 2, 2, 0, false, health.OK, ""},
		{FleetProduction, 7, 2, 6, 2, 2, 2, 0, false, health.Down, "Backup/velero/" + failedSchedule + "-"},
		{FleetSandbox, 6, 1, 3, 2, 2, 0, len(platform.GatewayAPICRDNames()), true, health.OK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := f.Targets(ctx, c.name)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Name != c.name || !tg.Demo || tg.Kube == nil || len(tg.Vault) != 1 || tg.Omni != nil {
				t.Fatalf("targets %+v", tg)
			}
			s := watch.Collect(ctx, tg, time.Minute, fleetNow())
			if era := health.EraOf(s.Objects); era != health.Era2 {
				t.Fatalf("era %v, want era 2 (serves %v)", era, s.Serves)
			}
			for _, k := range platform.Era2Kinds() {
				want := true
				switch k {
				case platform.MetalLBPool:
					want = !c.cilium
				case platform.CiliumLBPool:
					want = c.cilium
				case platform.ArgoApplicationSet:
					want = c.name == FleetHub
				}
				if s.Serves[k.Key()] != want {
					t.Errorf("serves %s: %v, want %v", k.Key(), s.Serves[k.Key()], want)
				}
			}
			for _, k := range []platform.Kind{platform.DiskPool, platform.KumaMesh, platform.KumaDataplane} {
				if s.Serves[k.Key()] {
					t.Errorf("serves %s", k.Key())
				}
			}
			if len(s.Nodes) != c.nodes || len(s.CephClusters) != 1 || len(s.BackupStorageLocations) != 1 ||
				len(s.BackupSchedules) != c.schedules || len(s.Backups) != c.backups || len(s.PGClusters) != 1 ||
				len(s.PGBackups) != 1 || len(s.VaultAuths) != c.auths || len(s.VaultStaticSecrets) != c.secrets ||
				len(s.Certificates) < 2 || len(s.VaultConfigCRs) == 0 || len(s.Deployments) == 0 || len(s.StatefulSets) == 0 || len(s.Pods) == 0 {
				t.Errorf("objects: %d nodes, %d ceph, %d bsl, %d schedules, %d backups, %d pg, %d pg backups, %d auths, %d vss, %d certs, %d deployments, %d statefulsets, %d pods",
					len(s.Nodes), len(s.CephClusters), len(s.BackupStorageLocations), len(s.BackupSchedules), len(s.Backups),
					len(s.PGClusters), len(s.PGBackups), len(s.VaultAuths), len(s.VaultStaticSecrets), len(s.Certificates),
					len(s.Deployments), len(s.StatefulSets), len(s.Pods))
			}
			if (len(s.CiliumLBPools) > 0) != c.cilium || (len(s.IPAddressPools) > 0) == c.cilium || len(s.LoadBalancers) != c.loadBalancers {
				t.Errorf("%d Cilium pools, %d MetalLB pools, %d LoadBalancers", len(s.CiliumLBPools), len(s.IPAddressPools), len(s.LoadBalancers))
			}
			for _, svc := range s.LoadBalancers {
				if len(svc.Status.LoadBalancer.Ingress) == 0 || svc.Status.LoadBalancer.Ingress[0].IP == "" {
					t.Errorf("LoadBalancer %s/%s has no address", svc.Namespace, svc.Name)
				}
			}
			for _, u := range s.PGClusters {
				if health.Str(u, "status", "phase") != "Cluster in healthy state" || !conditionTrue(u, "ContinuousArchiving") {
					t.Errorf("CNPG Cluster %s: %v", u.GetName(), u.Object["status"])
				}
			}
			for _, u := range s.CephClusters {
				if health.Str(u, "status", "phase") != "Connected" {
					t.Errorf("CephCluster %s phase %q", u.GetName(), health.Str(u, "status", "phase"))
				}
			}
			for _, u := range s.Backups {
				if u.GetLabels()["velero.io/schedule-name"] == "" {
					t.Errorf("Backup %s has no schedule label", u.GetName())
				}
			}

			if len(s.GatewayAPICRDs) != c.gatewayAPICRDs {
				t.Errorf("%d Gateway API CRDs read, want %d", len(s.GatewayAPICRDs), c.gatewayAPICRDs)
			}
			ingressOfFleet(t, s.Report, c.cilium)

			b, ok := s.Report.Layer(health.LayerBackups)
			if !ok || b.Status != c.backupsLayer {
				t.Fatalf("backups layer %v, want %v: %+v", b.Status, c.backupsLayer, b.Findings)
			}
			for _, fd := range b.Findings {
				if want := c.down != "" && strings.HasPrefix(fd.Object, c.down); (fd.Status == health.Down) != want {
					t.Errorf("backups: %s %v (%s)", fd.Object, fd.Status, fd.Reason)
				}
			}
			// Vault and vault-config-operator's objects are sound (vault-secrets-operator's are judged by
			// rules of their own: the stale secret is theirs).
			secrets, _ := s.Report.Layer(health.LayerSecrets)
			judged := 0
			for _, fd := range secrets.Findings {
				for _, kind := range []string{"Vault/", "Policy/", "KubernetesAuthEngineRole/", "SecretEngineMount/"} {
					if strings.HasPrefix(fd.Object, kind) {
						judged++
						if fd.Status != health.OK {
							t.Errorf("secrets: %s %v (%s)", fd.Object, fd.Status, fd.Reason)
						}
					}
				}
			}
			if judged < 2 {
				t.Errorf("secrets: %d findings on Vault and its configuration: %+v", judged, secrets.Findings)
			}
			if len(s.Vault) != 1 || s.Vault[0].Err != nil || s.Vault[0].Health == nil ||
				!s.Vault[0].Health.Initialized || s.Vault[0].Health.Sealed {
				t.Fatalf("Vault: %+v", s.Vault)
			}
			seal, err := tg.Vault[0].Vault.SealStatus(ctx, 5*time.Second)
			if err != nil || seal.Type != "gcpckms" || !seal.RecoverySeal || seal.Sealed || seal.ClusterID == "" {
				t.Fatalf("seal status %+v %v", seal, err)
			}
			if seal.ClusterID != s.Vault[0].Health.ClusterID {
				t.Errorf("seal-status cluster_id %s, health's %s", seal.ClusterID, s.Vault[0].Health.ClusterID)
			}
			ids[seal.ClusterID] = c.name
		})
	}
	if len(ids) != 3 {
		t.Errorf("the clusters' Vaults share cluster ids: %v", ids)
	}
}

// ingressOfFleet checks a fleet cluster's ingress layer: the sandbox's (Cilium) Down on its Gateway API
// CRDs, newer than its Cilium supports, and on the GatewayClass they leave never accepted, whose hint
// points at the CRDs; nothing of the Gateway API on Contour's clusters.
func ingressOfFleet(t *testing.T, r health.Report, cilium bool) {
	t.Helper()
	ing, ok := r.Layer(health.LayerIngress)
	if !ok {
		t.Fatal("no ingress layer")
	}
	crd := "CustomResourceDefinition/" + health.ResourceGatewayClasses
	got := map[string]health.Finding{}
	for _, fd := range ing.Findings {
		got[fd.Object] = fd
	}
	if !cilium {
		if fd, has := got[crd]; has {
			t.Errorf("ingress of a Contour cluster judges the Gateway API CRDs: %+v", fd)
		}
		return
	}
	cause, class := got[crd], got["GatewayClass/"+ciliumGatewayClass]
	if ing.Status != health.Down || cause.Status != health.Down ||
		!strings.Contains(cause.Reason, "Gateway API CRDs v1.6.0 (experimental) are newer than Cilium 1.17 supports (v1.2)") ||
		!strings.Contains(cause.Reason, "GatewayClass cilium is never accepted") {
		t.Errorf("ingress %v; CRD finding %+v", ing.Status, cause)
	}
	if class.Status != health.Down || !strings.Contains(class.Reason, "never accepted") || !strings.HasPrefix(class.Hint, "see "+crd+": ") {
		t.Errorf("GatewayClass finding %+v, want Down pointing at %s", class, crd)
	}
	if len(ing.Findings) != 2 {
		t.Errorf("ingress findings %+v, want the CRDs' and the GatewayClass's (no Gateway)", ing.Findings)
	}
}

// conditionTrue tells whether the object's condition of that type is True.
func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			return m["status"] == "True"
		}
	}
	return false
}

// TestFleetFaultObjects: the faults the rules still to come judge are in the objects: the production
// CephCluster's warning with its details, the sandbox's stale VaultStaticSecret, the Applications of the
// spoke whose token is rejected, the ApplicationSet without a selector; and the hub registers every
// cluster as ArgoCD does.
func TestFleetFaultObjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := startFleet(t)
	list := func(cluster string, k platform.Kind, ns string) []unstructured.Unstructured {
		t.Helper()
		tg, err := f.Targets(ctx, cluster)
		if err != nil {
			t.Fatal(err)
		}
		l, err := tg.Kube.Dynamic.Resource(k.GVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}

	for _, c := range []struct{ cluster, health string }{{FleetHub, "HEALTH_OK"}, {FleetProduction, "HEALTH_WARN"}, {FleetSandbox, "HEALTH_OK"}} {
		ceph := list(c.cluster, platform.CephCluster, fleetCephNamespace)
		if len(ceph) != 1 || health.Str(&ceph[0], "status", "ceph", "health") != c.health {
			t.Errorf("%s CephCluster: %v", c.cluster, ceph)
			continue
		}
		details, _, _ := unstructured.NestedMap(ceph[0].Object, "status", "ceph", "details")
		if (len(details) > 0) != (c.health != "HEALTH_OK") || (c.health != "HEALTH_OK" && details["MON_DOWN"] == nil) {
			t.Errorf("%s CephCluster details: %v", c.cluster, details)
		}
	}

	for _, c := range []string{FleetHub, FleetProduction, FleetSandbox} {
		for _, u := range list(c, platform.VSOStaticSecret, "") {
			stale := c == FleetSandbox && u.GetName() == staleSecret
			_, refresh, _ := unstructured.NestedString(u.Object, "spec", "refreshAfter")
			if !conditionTrue(&u, "SecretSynced") || refresh == stale {
				t.Errorf("%s VaultStaticSecret %s: synced %v, refreshAfter set %v", c, u.GetName(), conditionTrue(&u, "SecretSynced"), refresh)
			}
		}
		for _, u := range list(c, platform.VSOVaultAuth, "") {
			if valid, _, _ := unstructured.NestedBool(u.Object, "status", "valid"); !valid {
				t.Errorf("%s VaultAuth %s not valid", c, u.GetName())
			}
		}
	}

	sandbox := FleetServer(FleetSandbox)
	rejected := 0
	for _, a := range list(FleetHub, platform.ArgoApplication, argoNamespace) {
		dest := health.Str(&a, "spec", "destination", "server")
		conds, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
		sync := health.Str(&a, "status", "sync", "status")
		if dest != sandbox {
			if sync != "Synced" || len(conds) != 0 {
				t.Errorf("Application %s (to %s): %s %v", a.GetName(), dest, sync, conds)
			}
			continue
		}
		rejected++
		msg := ""
		if len(conds) == 1 {
			msg, _ = conds[0].(map[string]any)["message"].(string)
		}
		if sync != "Unknown" || len(conds) != 1 || conds[0].(map[string]any)["type"] != "ComparisonError" ||
			!(strings.Contains(msg, "the server has asked for the client to provide credentials") || strings.Contains(msg, "token is unverifiable")) {
			t.Errorf("Application %s to the sandbox: %s %v", a.GetName(), sync, conds)
		}
	}
	if rejected < 3 {
		t.Errorf("%d Applications to the sandbox, want its stack's and its apps'", rejected)
	}

	unselected := 0
	for _, s := range list(FleetHub, platform.ArgoApplicationSet, argoNamespace) {
		gens, _, _ := unstructured.NestedSlice(s.Object, "spec", "generators")
		if len(gens) != 1 {
			t.Fatalf("ApplicationSet %s generators %v", s.GetName(), gens)
		}
		_, hasSelector, _ := unstructured.NestedMap(gens[0].(map[string]any), "clusters", "selector")
		if !hasSelector {
			unselected++
			if s.GetName() != unselectedAppSet {
				t.Errorf("ApplicationSet %s has no selector", s.GetName())
			}
		}
	}
	if unselected != 1 {
		t.Errorf("%d ApplicationSets without a selector, want 1", unselected)
	}

	tg, err := f.Targets(ctx, FleetHub)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := tg.Kube.Typed.CoreV1().Secrets(argoNamespace).List(ctx, metav1.ListOptions{LabelSelector: argoSecretType + "=cluster"})
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]string{}
	for _, s := range secrets.Items {
		registered[string(s.Data["name"])] = string(s.Data["server"])
		if s.Labels[labelStack] == "" || s.Labels[labelExternalNet] != "true" || len(s.Data["config"]) == 0 {
			t.Errorf("cluster Secret %s: labels %v, config set %v", s.Name, s.Labels, len(s.Data["config"]) > 0)
		}
	}
	for _, c := range f.Clusters() {
		if registered[c] != FleetServer(c) {
			t.Errorf("cluster %s registered at %q, want %q", c, registered[c], FleetServer(c))
		}
	}
	if want := "https://cedille.kubernetes.omni.siderolabs.io?cluster=" + FleetProduction; FleetServer(FleetProduction) != want {
		t.Errorf("FleetServer(%s) = %s, want %s", FleetProduction, FleetServer(FleetProduction), want)
	}
}

// TestFleetUnknownCluster: a cluster the fleet does not have is an error naming those it has.
func TestFleetUnknownCluster(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	_, err := f.Targets(context.Background(), "k8s-poc")
	if err == nil {
		t.Fatal("targets of k8s-poc: no error")
	}
	for _, want := range []string{"k8s-poc", FleetHub, FleetProduction, FleetSandbox} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// TestFleetFaults: each fault is named once, on a cluster of the fleet, in one line.
func TestFleetFaults(t *testing.T) {
	seen := map[string]bool{}
	clusters := map[string]bool{FleetHub: true, FleetProduction: true, FleetSandbox: true}
	for _, f := range FleetFaults() {
		if seen[f.Name] || !clusters[f.Cluster] || f.What == "" || strings.Contains(f.What, "\n") {
			t.Errorf("fault %+v", f)
		}
		seen[f.Name] = true
	}
	for _, name := range []string{FaultCephHealthWarn, FaultBackupFailed, FaultStaleStaticSecret, FaultSpokeTokenRejected,
		FaultAppSetNoSelector, FaultMachineDisconnected, FaultGatewayAPITooNew} {
		if !seen[name] {
			t.Errorf("fault %s not listed", name)
		}
	}
}

// TestFleetCloseReleases: after Close, no goroutine of the fleet is left (the simulated Omni's server
// and its client stopped), and its Omni answers no more. Not parallel: it counts the process's goroutines.
func TestFleetCloseReleases(t *testing.T) {
	ctx := context.Background()
	// A first fleet starts what a process keeps once gRPC has been used.
	first, err := StartFleet(ctx, FleetOptions{Now: fleetNow})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	before := runtime.NumGoroutine()
	f, err := StartFleet(ctx, FleetOptions{Now: fleetNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Clusters() {
		tg, err := f.Targets(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		watch.Collect(ctx, tg, time.Minute, fleetNow())
	}
	if _, err := safe.StateListAll[*omni.ClusterStatus](ctx, f.Omni().State()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := safe.StateListAll[*omni.ClusterStatus](ctx, f.Omni().State()); err == nil {
		t.Error("the fleet's Omni still answers after Close")
	}
	waitFor(t, "the fleet's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
