package health

import (
	"errors"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What works in the demo, as the demo's hints say it (the demo console's fault keys, the demo command).
const (
	nBack     = "press N again (or H) to bring the machine back"
	pBack     = "press P again (or H) to bring the pool back Online"
	vUnseal   = "press V again (or H) to unseal the demo's Vault"
	aResync   = "press A again (or H) to sync it back"
	setUp     = "quit and run `cedille-tui demo --reset`: its install wizard sets Vault up"
	register  = "quit and run `cedille-tui demo --reset`: its install wizard registers the vclusters"
	elsewhere = "in the demo: H heals its injected faults, `cedille-tui demo --reset` starts it over"
)

// TestDemoHints: every finding whose hint names a command (cedille-tui, kubectl, talosctl, omnictl,
// argocd, kumactl, vault, vcluster), or whose problem one of the demo's faults makes, has its hint as a
// real platform reads it and, in the demo, what works there first, then the real way.
func TestDemoHints(t *testing.T) {
	now := time.Date(2025, 8, 13, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

	// cluster
	lost := node("worker-2", false, cond(corev1.NodeReady, corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."))
	notReady := node("worker-1", false, cond(corev1.NodeReady, corev1.ConditionFalse, "KubeletNotReady", "PLEG is not healthy"))
	offline := machine("m-2", "worker-2", &specs.MachineStatusSpec{Connected: false})
	running := machine("m-1", "worker-1", &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5"})
	cm := func(change func(*specs.ClusterMachineStatusSpec)) *specs.ClusterMachineStatusSpec {
		return with(runningMachine(), change)
	}
	removed := clusterMachine("m-9", "worker-9", "cedille-cluster", true, cm(func(s *specs.ClusterMachineStatusSpec) { s.IsRemoved = true }))
	cluster := func(change func(*specs.ClusterStatusSpec)) Finding {
		return OmniCluster(clusterStatus("cedille-cluster", with(healthyCluster(6), change)))
	}
	skew := TalosSkew([]*omni.MachineStatus{talosMachine("a", "controlplane-1", "cedille-cluster", "v1.5.5"),
		talosMachine("b", "worker-1", "cedille-cluster", "v1.5.4")}, nil)
	pending := TalosSkew([]*omni.MachineStatus{talosMachine("a", "controlplane-1", "cedille-cluster", "v1.5.4")},
		[]*omni.ClusterStatus{clusterStatus("cedille-cluster", healthyCluster(1))})

	// control-plane pods
	const api = "kube-apiserver-controlplane-1"
	evicted := cpPod("kube-scheduler-controlplane-2", "v1.27.3", corev1.PodFailed, false)
	flapping := restarted(cpPod(api, "v1.27.3", corev1.PodRunning, true), 7, now.Add(-10*time.Minute), "Error", 1)

	// certificates
	cert := func(status string) Finding {
		return Certificate(crFromYAML(`apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: argocd-server-tls, namespace: argocd}
spec: {secretName: argocd-server-tls, issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}}
status: `+status), now)
	}
	const ready = `[{type: Ready, status: "True"}]`
	const renew = "read its CertificateRequest, Order and Challenge (kubectl describe certificate); issuer ClusterIssuer/letsencrypt-prod; runbook: cert-renewal"

	// gitops
	app := func(status string) Finding {
		return Application(crFromYAML(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: calidum-rotae, namespace: argocd}
spec: {source: {repoURL: https://github.com/ClubCedille/plateforme-cedille, path: apps/calidum-rotae}}
status: ` + status))
	}

	// secrets
	sealed := &vault.HealthResponse{Initialized: true, Sealed: true, Version: "1.13.3"}
	uninitialized := &vault.HealthResponse{Initialized: false, Sealed: true, Version: "1.13.3"}
	standby := &vault.HealthResponse{Initialized: true, Standby: true, Version: "1.13.3", ClusterID: "c1"}
	haFinding := func(vs ...VaultStatus) Finding {
		for _, f := range Secrets(Objects{Vault: vs}).Findings {
			if f.Object == "VaultCluster/vault" || f.Object == "VaultCluster/c1" {
				return f
			}
		}
		t.Fatalf("no VaultCluster finding for %+v", vs)
		return Finding{}
	}
	badRole := VaultConfigCR(crFromYAML(`apiVersion: redhatcop.redhat.io/v1alpha1
kind: Policy
metadata: {name: config-admin, namespace: vault}
status: {conditions: [{type: ReconcileSuccessful, status: "False", message: 'invalid role name "config-admin"'}]}`))

	// storage
	pool := func(status string) Finding {
		return DiskPool(crFromYAML(`apiVersion: openebs.io/v1beta1
kind: DiskPool
metadata: {name: hdd-worker-htp3, namespace: mayastor}
spec: {node: worker-2, disks: [/dev/disk/by-id/ata-HTP3]}
status: `+status), now)
	}
	mayastor := "mayastor"
	stuck := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "grafana", CreationTimestamp: ago(time.Hour)},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &mayastor}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	classes := map[string]*storagev1.StorageClass{mayastor: {ObjectMeta: metav1.ObjectMeta{Name: mayastor}}}

	// vclusters
	vcluster := func(sts ...*metav1.PartialObjectMetadata) Finding {
		return VClusters(Objects{StatefulSets: []*appsv1.StatefulSet{vcSts("vcluster-sandbox", "sandbox", i32(0), 0)},
			Secrets: sts}).Findings[0]
	}
	kubeconfig := secretMeta("vcluster-sandbox", "vc-sandbox", nil)
	registered := clusterSecret("argocd", "cluster-sandbox", nil)
	unregistered := VClusters(Objects{StatefulSets: []*appsv1.StatefulSet{vcSts("vcluster-sandbox", "sandbox", i32(1), 1)},
		Secrets: []*metav1.PartialObjectMetadata{kubeconfig}}).Findings[0]

	tests := []struct {
		name    string
		f       Finding
		real    string
		demoWay string // "" when the real hint holds in the demo too
	}{
		// N: worker-2 loses power.
		{"node lost", Node(lost), "check the machine's power and network; runbook: node-lost", nBack},
		{"machine offline", Machine(offline), "check the machine's power and its SideroLink connection; runbook: node-lost", nBack},
		{"machine offline in its cluster", MachineInCluster(offline, clusterMachine("m-2", "worker-2", "cedille-cluster", false, runningMachine())),
			"check the machine's power and its SideroLink connection; runbook: node-lost", nBack},
		{"cluster with a machine offline", cluster(func(s *specs.ClusterStatusSpec) { s.Machines.Connected = 5 }),
			"read the Machine findings of the disconnected ones; runbook: node-lost", nBack},
		// P: a pool Degraded.
		{"pool degraded", pool(`{cr_state: Created, pool_status: Degraded}`),
			"the disk on worker-2 (/dev/disk/by-id/ata-HTP3) reports errors: check it before it faults; runbook: pool-degraded", pBack},
		// V: Vault sealed on every replica.
		{"vault sealed", VaultReplica("vault-0", sealed, nil),
			"unseal it with a threshold of the key shares: cedille-tui install --only vault-unseal; runbook: vault-sealed", vUnseal},
		{"no replica unsealed", haFinding(VaultStatus{Name: "vault-0", Health: sealed}, VaultStatus{Name: "vault-1", Health: sealed}),
			"unseal the servers (runbook: vault-sealed) or bring their pods back", vUnseal},
		// A: calidum-rotae OutOfSync.
		{"app out of sync", app(`{sync: {status: OutOfSync}, health: {status: Healthy}}`),
			"see what drifts (argocd app diff argocd/calidum-rotae) and sync it; runbook: app-sync", aResync},
		// --skip-install: Vault never set up, the vclusters never registered.
		{"vault not initialized", VaultReplica("vault-0", uninitialized, nil), "run `cedille-tui install` (step vault-init)", setUp},
		{"no replica initialized", haFinding(VaultStatus{Name: "vault-0", Health: uninitialized}, VaultStatus{Name: "vault-1", Health: uninitialized}),
			"initialize it: run `cedille-tui install` (step vault-init)", setUp},
		{"kubernetes auth not bootstrapped", badRole,
			"the Kubernetes auth bootstrap is missing (auth/kubernetes role config-admin): run `cedille-tui install` step vault-bootstrap", setUp},
		{"vcluster not registered", unregistered,
			"create ArgoCD cluster Secret cluster-sandbox (server https://sandbox.vcluster-sandbox.svc); runbook: vcluster-registration", register},
		// Tools that cannot reach the demo, for problems none of its faults makes.
		{"node NotReady", Node(notReady), "look at the node's conditions and kubelet logs (talosctl logs kubelet)", elsewhere},
		{"cluster being destroyed", cluster(func(s *specs.ClusterStatusSpec) { s.Phase = specs.ClusterStatusSpec_DESTROYING }),
			"expected after a cluster delete (omnictl cluster template delete); if not, nothing on it will survive: restore from the templates", elsewhere},
		{"cluster with no machine", OmniCluster(clusterStatus("new", &specs.ClusterStatusSpec{})),
			"allocate machines to it in Omni (omnictl cluster template sync), or wait for Omni to report them", elsewhere},
		{"kubernetes API not ready", cluster(func(s *specs.ClusterStatusSpec) { s.KubernetesAPIReady = false }),
			"check etcd and kube-apiserver on the control planes: talosctl -n <control plane> service etcd, then the kube-apiserver pod's logs", elsewhere},
		{"machine running, not ready", MachineInCluster(running, clusterMachine("m-1", "worker-1", "cedille-cluster", true,
			cm(func(s *specs.ClusterMachineStatusSpec) { s.Ready = false }))),
			"a Talos service is unhealthy: talosctl -n <node> services says which", elsewhere},
		{"machine installing", MachineInCluster(running, clusterMachine("m-1", "worker-1", "cedille-cluster", true,
			cm(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_INSTALLING }))),
			"in progress: wait; if it lasts, read the machine's logs in Omni (talosctl -n <node> dmesg)", elsewhere},
		{"machine upgrading", MachineInCluster(running, clusterMachine("m-1", "worker-1", "cedille-cluster", true,
			cm(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_UPGRADING }))),
			"a Talos upgrade is running: in progress: wait; if it lasts, read the machine's logs in Omni (talosctl -n <node> dmesg)", elsewhere},
		{"machine removed from Omni", ClusterMachine(removed),
			"take it out of its machine set in Omni (omnictl cluster template sync without it), or register the machine again", elsewhere},
		{"talos mid-upgrade", skew[0],
			"if Omni is upgrading Talos, let it finish (omnictl get talosupgradestatus cedille-cluster); otherwise upgrade the stragglers to the cluster's version", elsewhere},
		{"talos upgrade pending", pending[0], "read the cluster's upgrade status in Omni (omnictl get talosupgradestatus cedille-cluster)", elsewhere},
		{"pod crash-looping", ControlPlanePod(waiting(cpPod(api, "v1.27.3", corev1.PodRunning, false), "CrashLoopBackOff", "back-off"), now),
			"read why it exits: kubectl -n kube-system logs " + api + " --previous (or talosctl -n controlplane-1 logs -k); for kube-apiserver check etcd first", elsewhere},
		{"pod failed", ControlPlanePod(evicted, now),
			"a control-plane pod must keep running: read the kubelet's logs on controlplane-1 (talosctl -n controlplane-1 logs kubelet)", elsewhere},
		{"pod not ready", ControlPlanePod(cpPod(api, "v1.27.3", corev1.PodRunning, false), now), "read its logs: kubectl -n kube-system logs " + api, elsewhere},
		{"pod flapping", ControlPlanePod(flapping, now), "it flaps: read the previous container's logs (kubectl -n kube-system logs " + api + " --previous)", elsewhere},
		{"certificate not ready", cert(`{conditions: [{type: Ready, status: "False", reason: Failed}]}`), renew, elsewhere},
		{"certificate ready unknown", cert(`{conditions: [{type: Ready, status: Unknown}]}`), "wait for cert-manager to finish; if it lasts, " + renew, elsewhere},
		{"certificate expired", cert(`{conditions: ` + ready + `, notAfter: "2025-08-10T10:00:00Z"}`), "clients refuse it: " + renew, elsewhere},
		{"certificate renewal overdue", cert(`{conditions: ` + ready + `, notAfter: "2025-09-01T10:00:00Z", renewalTime: "2025-08-02T10:00:00Z"}`),
			"renewal is failing: " + renew, elsewhere},
		{"certificate expiring", cert(`{conditions: ` + ready + `, notAfter: "2025-08-20T10:00:00Z"}`), "renewal should have happened by now: " + renew, elsewhere},
		{"app progressing", app(`{sync: {status: Synced}, health: {status: Progressing}}`),
			"if it stays Progressing, find the resource that never becomes healthy (argocd app get argocd/calidum-rotae), e.g. an HTTPRoute with no status.parents", elsewhere},
		{"app degraded", app(`{sync: {status: Synced}, health: {status: Degraded}}`),
			"find the failing resources (argocd app get argocd/calidum-rotae) and fix them", elsewhere},
		{"app missing", app(`{sync: {status: OutOfSync}, health: {status: Missing}}`),
			"sync it (argocd app sync argocd/calidum-rotae); runbook: app-sync", elsewhere},
		{"app sync failed", app(`{sync: {status: Synced}, health: {status: Healthy}, operationState: {phase: Failed}}`),
			"read the sync result (argocd app get argocd/calidum-rotae) and fix the manifests; runbook: app-sync", elsewhere},
		{"app condition error", app(`{sync: {status: Synced}, health: {status: Healthy}, conditions: [{type: SyncError, message: boom}]}`),
			"read the condition (argocd app get argocd/calidum-rotae); runbook: app-sync", elsewhere},
		{"gateway refused", Gateway(crFromYAML(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: cedille, namespace: contour}
spec: {gatewayClassName: contour}
status: {conditions: [{type: Accepted, status: "False", reason: Invalid}, {type: Programmed, status: "False", reason: Invalid}]}`)),
			"read its conditions (kubectl describe gateway -n contour cedille): listeners, addresses, certificates", elsewhere},
		{"httpproxy invalid", HTTPProxy(crFromYAML(`apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: grafana, namespace: grafana}
status: {currentStatus: invalid, description: "Spec.VirtualHost.TLS Secret not found"}`)),
			"Contour serves nothing for it: fix what the reason says (kubectl describe httpproxy -n grafana grafana)", elsewhere},
		{"dataplane without connect time", Dataplane(crFromYAML(`apiVersion: kuma.io/v1alpha1
kind: DataplaneInsight
metadata: {name: web, namespace: calidum-rotae}
status: {subscriptions: [{id: a-1}]}`), now),
			"read it with kumactl inspect dataplanes, or in the Kuma GUI", elsewhere},
		{"vault without leader", haFinding(VaultStatus{Name: "vault-0", Health: standby}, VaultStatus{Name: "vault-1", Health: standby}),
			"no leader: check Raft quorum (vault operator raft list-peers) and the pods' logs", elsewhere},
		{"pool faulted", pool(`{cr_state: Created, pool_status: Faulted}`),
			"the disk on worker-2 (/dev/disk/by-id/ata-HTP3) failed or vanished: check it (talosctl disks) and the io-engine pod there; runbook: pool-degraded", elsewhere},
		{"pool status unrecognised", pool(`{cr_state: Created, pool_status: Resizing}`), "read the pool with kubectl mayastor get pools", elsewhere},
		{"claim stuck", PVC(stuck, classes, "", now),
			"provisioning is stuck: read the claim's events (kubectl describe pvc); for mayastor check the DiskPools' space and Online count", elsewhere},
		{"vcluster paused", vcluster(kubeconfig, registered), "resume it if the pause was not intended (vcluster resume sandbox -n vcluster-sandbox)", elsewhere},
		{"vcluster paused and not registered", vcluster(kubeconfig),
			"resume it if the pause was not intended (vcluster resume sandbox -n vcluster-sandbox); create ArgoCD cluster Secret cluster-sandbox (server https://sandbox.vcluster-sandbox.svc); runbook: vcluster-registration", elsewhere},
		// Hints that name no tool and no demo fault hold in the demo as they are.
		{"image pull", ControlPlanePod(waiting(cpPod(api, "v1.27.3", corev1.PodRunning, false), "ErrImagePull", "not found"), now),
			"node controlplane-1 cannot pull the image: check the image name in the machine config and the node's network", ""},
		{"unreachable vault", VaultReplica("vault-0", nil, errors.New("connection refused")), "check that the Vault pod runs and is reachable", ""},
		{"healthy", Node(node("worker-1", false, cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", ""))), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.Hint != tt.real {
				t.Errorf("real platform's hint:\n got %q\nwant %q", tt.f.Hint, tt.real)
			}
			want := tt.real
			if tt.demoWay != "" {
				want = tt.demoWay + " (a real platform: " + tt.real + ")"
			}
			if got := tt.f.ForDemo().Hint; got != want {
				t.Errorf("demo's hint:\n got %q\nwant %q", got, want)
			}
			if again := tt.f.ForDemo().ForDemo(); again.Hint != want {
				t.Errorf("ForDemo twice: %q", again.Hint)
			}
		})
	}
}

// TestReportForDemo: the demo's report is the real one with the demo's hints, statuses and order kept;
// the real report is left as it was.
func TestReportForDemo(t *testing.T) {
	real := NewReport(Secrets(Objects{Vault: []VaultStatus{{Name: "vault-0", Health: &vault.HealthResponse{Initialized: true, Sealed: true}}}}))
	demo := real.ForDemo()
	if demo.Overall != Down || len(demo.Layers) != 1 || demo.Layers[0].Status != Down || len(demo.Layers[0].Findings) != 1 {
		t.Fatalf("demo report %+v", demo)
	}
	want := "press V again (or H) to unseal the demo's Vault (a real platform: unseal it with a threshold of the key shares: " +
		"cedille-tui install --only vault-unseal; runbook: vault-sealed)"
	if got := demo.Layers[0].Findings[0].Hint; got != want {
		t.Errorf("demo hint %q, want %q", got, want)
	}
	if got := real.Layers[0].Findings[0].Hint; got == want {
		t.Errorf("the real report was changed: %q", got)
	}
}
