//go:build e2e

package runbooks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/hack/lab/labtest"
	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// TestMultiAttachOnTheLabsAPIServer runs `multi-attach` through the engine against the lab's real
// kube-apiserver, writing as impersonated console users with the deployed operator role. No kubelet and
// no controller runs: the test plays them. A Vault server's pod, shop/vault-0 on lab-c, waits on a
// Multi-Attach error: VolumeAttachment csi-vault holds its volume pv-vault on lab-b.
//   - lab-b Ready: the precheck refuses — the volume is in use there, not a stale attachment;
//   - lab-b's kubelet stops: the precheck names csi-vault on lab-b, not Ready; the manual step asks to
//     confirm lab-b is off; the action lists exactly csi-vault;
//   - csi-vault changed since its preview: refused; lab-b Ready again between the preview and the write:
//     refused by the action's guard rail; lab-b off again, previewed again, its name typed: deleted;
//   - the postcheck waits: the pod Running but not Ready sends the person to vault-sealed, then Ready;
//   - the trail holds the refusals and the delete, done by olive, on csi-vault.
func TestMultiAttachOnTheLabsAPIServer(t *testing.T) {
	l := labtest.Start(t, lab.KubeAPIServer)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	mountsNamespace(ctx, t, kc, "lab-b", "lab-c")
	mountsVolume(ctx, t, kc, "data-vault-0", "pv-vault", "csi.lab.example")
	pv := "pv-vault"
	va, err := kc.StorageV1().VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-vault"},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.lab.example", NodeName: "lab-b", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	va.Status.Attached = true
	if _, err := kc.StorageV1().VolumeAttachments().UpdateStatus(ctx, va, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	coldPod(ctx, t, kc, "vault-0", "data-vault-0", coldCreating, metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "vault", UID: "sts-vault", Controller: &yes})
	if _, err := kc.CoreV1().Pods("shop").Patch(ctx, "vault-0", types.MergePatchType, []byte(`{"metadata":{"labels":{"app.kubernetes.io/name":"vault"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	coldEvent(ctx, t, kc, "vault-0", "FailedAttachVolume", `Multi-Attach error for volume "pv-vault" Volume is already exclusively attached to one node and can't be attached to another`)
	lostBindDeployedRoles(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	world := runbook.World{Kube: kc, Dynamic: dc}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	waitAllowed(ctx, t, bed.clients, olive, "delete", "storage.k8s.io", "volumeattachments")
	target := runbook.Target{Kind: "Pod", Namespace: "shop", Name: "vault-0"}
	staleVA := actions.Target{Kind: actions.KindVolumeAttachment, Name: "csi-vault"}

	// lab-b is Ready: the volume may really be in use there.
	s, err := bed.start(bed.engine(), MultiAttach(), target, olive, world)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Check(ctx); err != nil || v.Applies || !strings.Contains(v.Why, "the volume is in use on node lab-b, which is Ready: this is not a stale attachment") {
		t.Fatalf("precheck with lab-b Ready: %+v %v", v, err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Get(ctx, "csi-vault", metav1.GetOptions{}); err != nil {
		t.Fatalf("csi-vault after the refusal: %v", err)
	}

	// lab-b's machine is lost.
	lostKubeletStops(ctx, t, kc, "lab-b")
	if s, err = bed.start(bed.engine(), MultiAttach(), target, olive, world); err != nil {
		t.Fatal(err)
	}
	v, err := s.Check(ctx)
	if err != nil || !v.Applies || v.Why != "shop/vault-0 waits on a Multi-Attach error: VolumeAttachment csi-vault holds volume pv-vault on node lab-b (not Ready)" {
		t.Fatalf("precheck: %+v %v", v, err)
	}
	if !strings.Contains(strings.Join(v.Details, "\n"), `shop/vault-0 on node lab-c: FailedAttachVolume: Multi-Attach error for volume "pv-vault"`) {
		t.Errorf("details %q", v.Details)
	}
	st, ok := s.Current()
	if !ok || st.Kind != runbook.Manual {
		t.Fatalf("at %+v, want the manual step", st)
	}
	if ins := st.Instructions(target, func(id string) runbook.StepState { return s.Run().Steps[0] }); !strings.HasPrefix(ins[0], "Confirm node lab-b is off: in Omni") {
		t.Fatalf("instructions %q", ins)
	}
	if err := s.Tick("VM of lab-b stopped in Proxmox"); err != nil {
		t.Fatal(err)
	}
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 1 || objs[0].Object != staleVA.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}

	// Changed since its preview: refused.
	p := staleRefused(ctx, t, s, staleVA, func() {
		if _, err := kc.StorageV1().VolumeAttachments().Patch(ctx, "csi-vault", types.MergePatchType, []byte(`{"metadata":{"labels":{"touched":"yes"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(strings.Join(p.Notes, "\n"), "holds PersistentVolume pv-vault attached to node lab-b") {
		t.Fatalf("preview %+v", p)
	}
	// lab-b back between the preview and the write: refused by the action's guard rail.
	if p, err = s.Preview(ctx, staleVA); err != nil {
		t.Fatal(err)
	}
	lostKubeletPosts(ctx, t, kc, "lab-b")
	if _, err := s.Act(ctx, staleVA, actions.Confirmation{Typed: "csi-vault", Expect: p.Expect}); !errors.Is(err, actions.ErrAttachmentInUse) {
		t.Fatalf("a delete while lab-b is Ready: %v", err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Get(ctx, "csi-vault", metav1.GetOptions{}); err != nil {
		t.Fatalf("csi-vault after the refusals: %v", err)
	}
	lostKubeletStops(ctx, t, kc, "lab-b")
	if p, err = s.Preview(ctx, staleVA); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Act(ctx, staleVA, actions.Confirmation{Typed: "csi-vault", Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
		t.Fatalf("delete csi-vault: %+v %v", res, err)
	}
	if _, err := kc.StorageV1().VolumeAttachments().Get(ctx, "csi-vault", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("csi-vault after its delete: %v", err)
	}

	// The attach-detach controller and the kubelet: the volume attached on lab-c, the server Running but
	// sealed (not Ready), then unsealed.
	var lines []string
	sealed := false
	if err := s.Wait(ctx, func(pr runbook.Progress) {
		lines = append(lines, pr.Line)
		switch {
		case strings.Contains(pr.Line, "runbook vault-sealed"):
			mountsPodReady(ctx, t, kc, "vault-0", true)
		case !sealed:
			sealed = true
			mountsPodReady(ctx, t, kc, "vault-0", false)
		}
	}); err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.Contains(l, "shop/vault-0 is Running, its volume mounted, but not Ready: a sealed Vault server is not Ready — unseal it: runbook vault-sealed")
	}) || lines[len(lines)-1] != "shop/vault-0 is Running and Ready on node lab-c" {
		t.Fatalf("postcheck read %q", lines)
	}
	refusalsRecorded(t, bed.doneBy(s, "delete-volumeattachment", staleVA, "olive"), "was modified", "node lab-b is Ready")
}

// TestMountFailedOnTheLabsAPIServer runs `mount-failed`, aimed at no pod, against the lab's real
// kube-apiserver serving era 2's CRDs, writing as impersonated console users with the deployed operator
// role; the test plays Rook, the DaemonSet controller and the kubelets. Pod shop/db-0 (a CNPG
// Cluster's) on lab-c waits on "failed to stat" for its Ceph volume pv-db.
//   - the CephCluster Connecting: the precheck refuses, naming it; nothing deleted;
//   - Connected, but the CSI node plugin on lab-c started before: refused, naming csi-plugins-stale;
//   - the plugin restarted: the precheck names db-0; the CephCluster disconnects before the action step:
//     the step is refused, saying why; connected again, db-0 is the one object;
//   - db-0 deleted, its name typed; the postcheck waits for it back Running and Ready;
//   - the trail holds the delete, done by olive, on db-0.
func TestMountFailedOnTheLabsAPIServer(t *testing.T) {
	l := labtest.StartWith(t, lab.Options{Components: []string{lab.KubeAPIServer}, Era2: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, dc := adminClients(t, l.RESTConfig())
	ds := csiSetUp(ctx, t, kc) // rook-ceph, nodes lab-a and lab-b, csi-rbdplugin on each
	mountsNamespace(ctx, t, kc, "lab-c")
	csiPluginPod(ctx, t, kc, ds, csiDSName+"-lab-c", "lab-c")
	ceph := dc.Resource(actions.CephClustersResource()).Namespace(csiNS)
	if _, err := ceph.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "external", "namespace": csiNS},
		"spec":     map[string]any{"external": map[string]any{"enable": true}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	csiCephStatus(ctx, t, ceph, "Connecting", time.Time{})
	mountsVolume(ctx, t, kc, "db", "pv-db", "rook-ceph.rbd.csi.ceph.com")
	yes := true
	coldPod(ctx, t, kc, "db-0", "db", coldCreating, metav1.OwnerReference{APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "db", UID: "cnpg-db", Controller: &yes})
	coldEvent(ctx, t, kc, "db-0", "FailedMount", `MountVolume.MountDevice failed for volume "pv-db" : rpc error: code = Internal desc = failed to stat /var/lib/kubelet/plugins/kubernetes.io/csi/rook-ceph.rbd.csi.ceph.com/globalmount`)
	lostBindDeployedRoles(ctx, t, kc)

	bed := newTestbed(t, l.RESTConfig())
	world := runbook.World{Kube: kc, Dynamic: dc}
	olive := actions.Actor{Name: "olive", Role: access.Operator, Session: "s-olive"}
	waitAllowedIn(ctx, t, bed.clients, olive, "delete", "", "pods", "shop")
	db0 := actions.Target{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"}
	check := func(wantApplies bool, want string) *runbook.Session {
		t.Helper()
		s, err := bed.start(bed.engine(), MountFailed(), runbook.Target{}, olive, world)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.Check(ctx)
		if err != nil || v.Applies != wantApplies || !strings.Contains(v.Why, want) {
			t.Fatalf("precheck: %+v %v, want applies %v and %q", v, err, wantApplies, want)
		}
		if got, err := kc.CoreV1().Pods("shop").Get(ctx, "db-0", metav1.GetOptions{}); err != nil || got.DeletionTimestamp != nil {
			t.Fatalf("db-0 after the precheck: %v", err)
		}
		return s
	}

	check(false, "the storage of shop/db-0 is not back: volume pv-db is Ceph's, and CephClusters are not connected: rook-ceph/external (phase Connecting)")
	connected := csiServerTimeAfter(ctx, t, kc, newestPod(ctx, t, kc))
	csiCephStatus(ctx, t, ceph, "Connected", connected)
	check(false, "the Ceph CSI node plugin on node lab-c (DaemonSet rook-ceph/csi-rbdplugin) started before its CephCluster connected: its config is stale — runbook csi-plugins-stale first")

	// The plugin on lab-c restarted (csi-plugins-stale's part): db-0's storage is back.
	zero := int64(0)
	if err := kc.CoreV1().Pods(csiNS).Delete(ctx, csiDSName+"-lab-c", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	csiPluginPod(ctx, t, kc, ds, csiDSName+"-new-lab-c", "lab-c")
	s := check(true, "1 pod stuck on a failed mount, their storage back: shop/db-0")

	// Ceph disconnects before the action step: refused, saying why; nothing deleted.
	csiCephStatus(ctx, t, ceph, "Connecting", time.Time{})
	if _, err := s.Objects(ctx); err == nil || !strings.Contains(err.Error(), "shop/db-0: its storage is not back: volume pv-db is Ceph's, and CephClusters are not connected") {
		t.Fatalf("objects while Ceph is not connected: %v", err)
	}
	csiCephStatus(ctx, t, ceph, "Connected", connected)
	objs, err := s.Objects(ctx)
	if err != nil || len(objs) != 1 || objs[0].Object != db0.String() {
		t.Fatalf("objects %+v %v", objs, err)
	}
	p, err := s.Preview(ctx, db0)
	if err != nil || !strings.Contains(strings.Join(p.Notes, "\n"), "owned by Cluster db") {
		t.Fatalf("preview %+v %v", p, err)
	}
	if res, err := s.Act(ctx, db0, actions.Confirmation{Typed: "db-0", Expect: p.Expect}); err != nil || res.As != "cedille:olive" {
		t.Fatalf("delete db-0: %+v %v", res, err)
	}

	// The kubelet and CNPG make it again once the postcheck has seen it terminating.
	var lines []string
	if err := s.Wait(ctx, func(pr runbook.Progress) {
		lines = append(lines, pr.Line)
		if strings.Contains(pr.Line, "shop/db-0 (terminating)") {
			coldPodRestarted(ctx, t, kc, "db-0")
		}
	}); err != nil {
		t.Fatalf("postcheck: %v (read %q)", err, lines)
	}
	if lines[0] != "0 of 1 pod back, Running and Ready; still failing: shop/db-0 (terminating)" || lines[len(lines)-1] != "1 of 1 pod back, Running and Ready" {
		t.Fatalf("postcheck read %q", lines)
	}
	bed.doneBy(s, "delete-pod", db0, "olive")
}

// mountsNamespace makes namespace shop and its default ServiceAccount (no controller manager makes it),
// and nodes, each Ready.
func mountsNamespace(ctx context.Context, t *testing.T, kc kubernetes.Interface, nodes ...string) {
	t.Helper()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range nodes {
		if _, err := kc.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		lostKubeletPosts(ctx, t, kc, name)
	}
}

// mountsVolume makes PersistentVolume pv of driver, Bound to claim shop/claim, and the claim.
func mountsVolume(ctx context.Context, t *testing.T, kc kubernetes.Interface, claim, pv, driver string) {
	t.Helper()
	v, err := kc.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pv},
		Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: pv}},
			ClaimRef:               &corev1.ObjectReference{Namespace: "shop", Name: claim}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v.Status.Phase = corev1.VolumeBound
	if _, err := kc.CoreV1().PersistentVolumes().UpdateStatus(ctx, v, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	coldClaim(ctx, t, kc, claim, pv)
}

// mountsPodReady is the kubelet reporting pod shop/name's container running, Ready or not.
func mountsPodReady(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string, ready bool) {
	t.Helper()
	p, err := kc.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	coldPodState(ctx, t, kc, p, coldRunning)
	if ready {
		return
	}
	if p, err = kc.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	p.Status.ContainerStatuses[0].Ready = false
	if _, err := kc.CoreV1().Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
