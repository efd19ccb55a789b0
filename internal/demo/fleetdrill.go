package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// The fleet's cold start (PLATFORM.md §6, 2025-08-13): the power lost across the fleet at 09:58, and
// found once it came back. Every cluster has only a third of its VMs back (a control plane and a worker;
// Omni has the others disconnected, their Nodes NotReady), its external CephCluster Connecting, Vault's
// pod made again on the worker left and waiting on its volume, which a stale VolumeAttachment still holds
// on a retired node (Multi-Attach), a CloudNativePG instance that cannot mount its volume (`failed to
// stat`, what the club's restart-pods.sh looks for) and another crash-looping. Powering a cluster back
// (the runbook's manual step, played by FleetPowerBack) starts its VMs; the CephCluster then connects,
// after which the Ceph CSI node plugins, started before, are stale. The simulated controllers answer the
// repairs: the era-1 demo's (nodes, StatefulSet pods, volume attachments, workloads' counts) and the
// fleet's own, which make again the pods of a DaemonSet or of CloudNativePG deleted (fresh, Running and
// Ready) and connect the CephCluster once every node is back.

// The objects of the cold start.
const (
	// coldCephClass and coldCephDriver are the storage class and CSI driver of Rook's external Ceph RBD.
	coldCephClass  = "ceph-rbd"
	coldCephDriver = fleetCephNamespace + ".rbd.csi.ceph.com"
	// coldRetiredWorker is the VM retired from each cluster before the incident whose attachment of
	// Vault's volume nobody detached.
	coldRetiredWorker = "worker-0"
	// coldPowerBackSince is how long ago the power came back when the drill begins.
	coldPowerBackSince = 12 * time.Minute
	// coldPowerLost is how long ago the power was lost.
	coldPowerLost = 40 * time.Minute
	// coldStuckBackoff is how long the kubelet waits before it tries a `failed to stat` mount again: past
	// the drill (only deleting the pod helps, as restart-pods.sh does).
	coldStuckBackoff = 24 * time.Hour
)

// coldSim is one cluster's simulation for the cold start: the era-1 Platform's primitives and
// controllers on the cluster's fakes, and the pods the fleet's controllers make again.
type coldSim struct {
	p *Platform
	// respawn are the pods made again when deleted (a DaemonSet's, CloudNativePG's), by namespace/name.
	mu      sync.Mutex
	respawn map[string]*corev1.Pod
	// connect: the power is back, the CephCluster connects once every node is Ready.
	connect bool
}

// simulation is the cluster's cold-start simulation, its controllers started on first use.
func (f *Fleet) simulation(c *fleetCluster) *coldSim {
	f.simMu.Lock()
	defer f.simMu.Unlock()
	if c.cold != nil {
		return c.cold
	}
	k := c.kube.kube()
	p := &Platform{Kube: k, kube: c.kube, vault: c.vault, omni: f.omniSrv, machines: c.spec.machines(),
		faults: map[string]bool{}, releases: map[string]*demoRelease{}, cluster: c.spec.name}
	s := &coldSim{p: p, respawn: map[string]*corev1.Pod{}}
	p.bgCtx, p.stopBg = context.WithCancel(context.Background())
	p.goBackground(func(ctx context.Context) { every(ctx, workloadsPoll, p.alone(workloadsController{p}.pass)) })
	p.goBackground(func(ctx context.Context) { every(ctx, repairsPoll, p.alone(repairsController{p}.pass)) })
	p.goBackground(func(ctx context.Context) { every(ctx, repairsPoll, p.alone(s.pass)) })
	c.cold = s
	return s
}

// cluster is the fleet's cluster of that name.
func (f *Fleet) cluster(name string) (*fleetCluster, error) {
	for _, c := range f.clusters {
		if c.spec.name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("demo fleet: no cluster %q", name)
}

// FleetPowerLoss is the fleet as the power's return found it on 2025-08-13 (see above), on every cluster.
// The hub's token for the sandbox was valid then: its Applications there are Synced again, so that the
// cold start's last postcheck reads the cold start only.
func (f *Fleet) FleetPowerLoss(ctx context.Context) error {
	var errs []error
	for _, c := range f.clusters {
		if err := f.powerLoss(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.spec.name, err))
		}
	}
	if err := f.mendSpokeToken(ctx); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", FleetHub, err))
	}
	return errors.Join(errs...)
}

// ColdStartOff are the machines of the cluster the power loss leaves off: all but its first control
// plane and its first worker.
func (f *Fleet) ColdStartOff(cluster string) ([]string, error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, err
	}
	return coldOff(c.spec), nil
}

func coldOff(s fleetSpec) []string {
	var out []string
	for _, m := range s.machines() {
		if m.Hostname != s.name+"-"+RoleControlPlane+"-1" && m.Hostname != s.name+"-"+RoleWorker+"-1" {
			out = append(out, m.Hostname)
		}
	}
	return out
}

func (f *Fleet) powerLoss(ctx context.Context, c *fleetCluster) error {
	s := f.simulation(c)
	p := s.p
	if err := p.giveVolumes(ctx, "vault", "vault", coldCephClass, coldCephDriver); err != nil {
		return err
	}
	if err := setCephPhase(ctx, p, "Connecting", time.Now()); err != nil {
		return err
	}
	for _, n := range coldOff(c.spec) {
		if err := p.PowerOff(ctx, n); err != nil {
			return err
		}
	}
	if err := p.StrandVolume(ctx, "vault", fleetVaultReplica, c.spec.name+"-"+coldRetiredWorker, coldPowerBackSince); err != nil {
		return err
	}
	if err := s.breakDatabase(ctx, c.spec); err != nil {
		return err
	}
	return s.remember(ctx)
}

// FleetPowerBack powers the cluster's machines back (the cold start's manual step): every VM started,
// the one stopped before the incident too; the CephCluster connects once its nodes are Ready.
func (f *Fleet) FleetPowerBack(ctx context.Context, cluster string) error {
	c, err := f.cluster(cluster)
	if err != nil {
		return err
	}
	s := f.simulation(c)
	off := coldOff(c.spec)
	if c.spec.down != "" {
		off = append(off, c.spec.down)
	}
	for _, n := range off {
		if err := s.p.PowerOn(ctx, n); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.connect = true
	s.mu.Unlock()
	return nil
}

// FleetClients are the cluster's clients for the actions' dispatcher, as the demo's person.
func (f *Fleet) FleetClients(cluster string) (actions.ClientSource, error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, err
	}
	return f.simulation(c).p.Clients(), nil
}

// FleetVaultReplicas are the cluster's Vault servers, for the runbooks (runbook.World.Vault).
func (f *Fleet) FleetVaultReplicas(cluster string) (func(context.Context) ([]*vaultops.Replica, error), error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, err
	}
	return f.simulation(c).p.VaultReplicas, nil
}

// FleetKube is the cluster's Kubernetes API (its fakes), for the runbooks.
func (f *Fleet) FleetKube(cluster string) (*platform.Kube, error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, err
	}
	return f.simulation(c).p.Kube, nil
}

// stopSimulations stops the clusters' cold-start controllers.
func (f *Fleet) stopSimulations() {
	f.simMu.Lock()
	defer f.simMu.Unlock()
	for _, c := range f.clusters {
		if c.cold != nil {
			c.cold.p.stopControllers()
		}
	}
}

// remember keeps the pods the fleet's controllers make again: the DaemonSets' and CloudNativePG's.
func (s *coldSim) remember(ctx context.Context) error {
	pods, err := s.p.Kube.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range pods.Items {
		po := &pods.Items[i]
		if c := metav1.GetControllerOf(po); c != nil && (c.Kind == "DaemonSet" || c.Kind == platform.PGCluster.Kind) {
			s.respawn[po.Namespace+"/"+po.Name] = po.DeepCopy()
		}
	}
	return nil
}

// breakDatabase leaves the cluster's database as the cold start found it: its second instance waiting on
// a Ceph volume that fails to mount (`failed to stat`), its first crash-looping.
func (s *coldSim) breakDatabase(ctx context.Context, spec fleetSpec) error {
	ns, name := spec.database[0], spec.database[1]
	core := s.p.Kube.Typed.CoreV1()
	now := time.Now()
	stuck, err := core.Pods(ns).Get(ctx, name+"-2", metav1.GetOptions{})
	if err != nil {
		return err
	}
	pv, err := s.giveCephClaim(ctx, stuck)
	if err != nil {
		return err
	}
	restartedAt(stuck, now.Add(-coldPowerBackSince))
	why := fmt.Sprintf(`MountVolume.MountDevice failed for volume "%s" : rpc error: code = Internal desc = failed to stat `+
		`/var/lib/kubelet/plugins/kubernetes.io/csi/%s/%s/globalmount: stat: transport endpoint is not connected`, pv, coldCephDriver, hashName(pv, 16))
	waitOnMount(stuck, why)
	stuck.Annotations[annRetryMount] = now.Add(coldStuckBackoff).UTC().Format(time.RFC3339)
	if stuck, err = core.Pods(ns).Update(ctx, stuck, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if err := recordWarning(ctx, s.p.Kube.Typed, corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: stuck.Name, UID: stuck.UID},
		"FailedMount", why, "kubelet", now); err != nil {
		return err
	}
	crashing, err := core.Pods(ns).Get(ctx, name+"-1", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if _, err := s.giveCephClaim(ctx, crashing); err != nil {
		return err
	}
	restartedAt(crashing, now.Add(-coldPowerBackSince))
	setReady(crashing, false, now.Add(-coldPowerBackSince))
	for i := range crashing.Status.ContainerStatuses {
		cs := &crashing.Status.ContainerStatuses[i]
		cs.Ready, cs.Started, cs.RestartCount = false, nil, 7
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: "back-off 5m0s restarting failed container=postgres pod=" + crashing.Name}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1,
			FinishedAt: metav1.NewTime(now.Add(-30 * time.Second))}}
	}
	_, err = core.Pods(ns).Update(ctx, crashing, metav1.UpdateOptions{})
	return err
}

// giveCephClaim gives a database instance its data volume, as CloudNativePG does: a claim of the pod's
// name bound to a Ceph RBD volume, mounted as pgdata (the pod is changed, not written). It returns the
// volume's name.
func (s *coldSim) giveCephClaim(ctx context.Context, po *corev1.Pod) (string, error) {
	claim, pv := po.Name, "pvc-"+hashName(po.Namespace+"/"+po.Name, 8)+"-"+hashName(po.Name, 4)
	if err := s.cephVolume(ctx, po.Namespace, claim, pv); err != nil {
		return "", err
	}
	po.Spec.Volumes = append(po.Spec.Volumes, corev1.Volume{Name: "pgdata", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	return pv, nil
}

// cephVolume makes a claim bound to a Ceph RBD volume.
func (s *coldSim) cephVolume(ctx context.Context, ns, claim, pv string) error {
	core := s.p.Kube.Typed.CoreV1()
	class := coldCephClass
	size := corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")}
	rwo := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	if _, err := core.PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pv},
		Spec: corev1.PersistentVolumeSpec{StorageClassName: class, AccessModes: rwo, Capacity: size,
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: coldCephDriver, VolumeHandle: pv}},
			ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: claim}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := core.PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: claim, Namespace: ns},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: pv, AccessModes: rwo,
			Resources: corev1.VolumeResourceRequirements{Requests: size}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}, metav1.CreateOptions{})
	return err
}

// pass plays the fleet's controllers: the CephCluster connects once the power is back and every node
// Ready; a remembered pod deleted is made again on its node, Running and Ready since now.
func (s *coldSim) pass(ctx context.Context) {
	if !s.p.kube.up.Load() {
		return
	}
	nodes, err := repairsController{s.p}.readNodes(ctx)
	if err != nil {
		return
	}
	s.mu.Lock()
	connect := s.connect
	s.mu.Unlock()
	allUp := true
	for _, n := range nodes.names {
		allUp = allUp && !nodes.down[n]
	}
	if connect && allUp {
		if err := setCephPhase(ctx, s.p, "Connected", time.Now()); err == nil {
			s.mu.Lock()
			s.connect = false
			s.mu.Unlock()
		}
	}
	s.respawnPods(ctx, nodes)
	s.databases(ctx)
}

// respawnPods makes again, on its node once Ready, each remembered pod deleted: Running and Ready since
// now (a DaemonSet's pod reads its Ceph config anew).
func (s *coldSim) respawnPods(ctx context.Context, nodes nodeFacts) {
	core := s.p.Kube.Typed.CoreV1()
	s.mu.Lock()
	want := make([]*corev1.Pod, 0, len(s.respawn))
	for _, po := range s.respawn {
		want = append(want, po)
	}
	s.mu.Unlock()
	for _, old := range want {
		if _, err := core.Pods(old.Namespace).Get(ctx, old.Name, metav1.GetOptions{}); err == nil || nodes.down[old.Spec.NodeName] {
			continue
		}
		made := demoPod(old.Namespace, old.Name, corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: old.Labels}, Spec: old.Spec},
			old.Spec.NodeName, time.Now())
		made.UID, made.OwnerReferences = types.UID("demo-"+hashName(old.Namespace+"/"+old.Name+time.Now().String(), 8)), old.OwnerReferences
		_, _ = core.Pods(old.Namespace).Create(ctx, made, metav1.CreateOptions{})
	}
}

// databases plays CloudNativePG's status: each Cluster's ready instances are its pods Running and Ready;
// fewer than it wants, its phase says it waits for them and its Ready condition is False.
func (s *coldSim) databases(ctx context.Context) {
	pods, err := s.p.Kube.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	ready := map[string]int64{}
	for i := range pods.Items {
		po := &pods.Items[i]
		if c := metav1.GetControllerOf(po); c != nil && c.Kind == platform.PGCluster.Kind && po.DeletionTimestamp == nil && podReady(po) {
			ready[po.Namespace+"/"+c.Name]++
		}
	}
	ri := s.p.Kube.Dynamic.Resource(platform.PGCluster.GVR)
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, u := range list.Items {
		want, _, _ := unstructured.NestedInt64(u.Object, "spec", "instances")
		have, _, _ := unstructured.NestedInt64(u.Object, "status", "readyInstances")
		n := ready[u.GetNamespace()+"/"+u.GetName()]
		if n == have {
			continue
		}
		phase, cond, reason := "Cluster in healthy state", "True", "ClusterIsReady"
		if n < want {
			phase, cond, reason = "Waiting for the instances to become active", "False", "ClusterIsNotReady"
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		out := []any{condition("Ready", cond, reason, phase, time.Now())}
		for _, c := range conds {
			if m, ok := c.(map[string]any); !ok || m["type"] != "Ready" {
				out = append(out, c)
			}
		}
		_ = mergeStatus(ctx, ri.Namespace(u.GetNamespace()), u.GetName(), map[string]any{"readyInstances": n, "phase": phase, "conditions": out})
	}
}

// podReady tells whether the pod's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// setCephPhase sets the cluster's external CephCluster's phase; Connected also turns its Connected
// condition True since at (Connecting, False).
func setCephPhase(ctx context.Context, p *Platform, phase string, at time.Time) error {
	status, msg := "False", "Attempting to connect to an external Ceph cluster"
	if phase == "Connected" {
		status, msg = "True", "Cluster connected successfully"
	}
	return mergeStatus(ctx, p.Kube.Dynamic.Resource(platform.CephCluster.GVR).Namespace(fleetCephNamespace), fleetCephName, map[string]any{
		"phase": phase, "state": phase, "message": msg,
		"conditions": []any{map[string]any{"type": "Connected", "status": status, "reason": "Cluster" + phase, "message": msg,
			"lastHeartbeatTime": rfc3339(at), "lastTransitionTime": rfc3339(at)}},
	})
}

// mendSpokeToken makes the hub's Applications on the sandbox Synced and Healthy, as they were before
// the hub's token was rejected.
func (f *Fleet) mendSpokeToken(ctx context.Context) error {
	hub, err := f.cluster(FleetHub)
	if err != nil {
		return err
	}
	apps := hub.kube.dyn.Resource(platform.ArgoApplication.GVR).Namespace(argoNamespace)
	list, err := apps.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, a := range list.Items {
		if s, _, _ := unstructured.NestedString(a.Object, "status", "sync", "status"); s != "Unknown" {
			continue
		}
		if err := mergeStatus(ctx, apps, a.GetName(), map[string]any{
			"sync":   map[string]any{"status": "Synced", "revision": fleetRevision},
			"health": map[string]any{"status": "Healthy"}, "conditions": nil,
		}); err != nil {
			return err
		}
	}
	return nil
}
