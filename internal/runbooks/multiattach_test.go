package runbooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const multiAttachMsg = `Multi-Attach error for volume "pv-data" Volume is already exclusively attached to one node and can't be attached to another`

// heldBy is VolumeAttachment name holding pv-data on node.
func heldBy(name, node string) storagev1.VolumeAttachment {
	a := *attachment(name, node, true)
	*a.Spec.Source.PersistentVolumeName = "pv-data"
	return a
}

// maScene is shop/db-0 on worker-1, waiting on its claim data, its newest mount warning mp, the volume
// held as vas say; worker-1 Ready, worker-2 Ready, worker-3 not Ready, worker-4 out of service.
func maScene(p *corev1.Pod, mp health.MountProblem, vas ...storagev1.VolumeAttachment) podScene {
	nodes := []corev1.Node{*node("worker-1", corev1.ConditionTrue), *node("worker-2", corev1.ConditionTrue),
		*node("worker-3", corev1.ConditionUnknown), *node("worker-4", corev1.ConditionUnknown, taintedOutOfService)}
	return podScene{target: runbook.Target{Kind: "Pod", Namespace: "shop", Name: "db-0"}, pod: p, mount: mp,
		nodes: nodeStates(nodes), vols: coldVolumes("csi.example", vas...), now: coldNow}
}

func TestJudgeMultiAttach(t *testing.T) {
	multi := health.MountProblem{Reason: "FailedAttachVolume", Message: multiAttachMsg, LastSeen: coldNow}
	stat := health.MountProblem{Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}
	waiting := pod("db-0", "worker-1", creating, mountsClaim("data"))
	older := pod("db-0", "worker-1", creating, mountsClaim("data"), func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(coldNow.Add(time.Minute)) })
	for _, tc := range []struct {
		name    string
		s       podScene
		applies bool
		why     string
		holders string
	}{
		{"held on a node not Ready", maScene(waiting, multi, heldBy("csi-old", "worker-3")), true,
			"shop/db-0 waits on a Multi-Attach error: VolumeAttachment csi-old holds volume pv-data on node worker-3 (not Ready)", "worker-3=not Ready"},
		{"held on a node out of service", maScene(waiting, multi, heldBy("csi-old", "worker-4")), true, "on node worker-4 (not Ready, out of service)",
			"worker-4=not Ready, out of service"},
		{"held on a node gone", maScene(waiting, multi, heldBy("csi-old", "worker-9")), true, "on node worker-9 (gone)", "worker-9=gone"},
		{"held on a Ready node", maScene(waiting, multi, heldBy("csi-old", "worker-2")), false,
			"the volume is in use on node worker-2, which is Ready: this is not a stale attachment", ""},
		{"attached to its own node only", maScene(waiting, multi, heldBy("csi-new", "worker-1")), false, "no VolumeAttachment holds its volumes on another node any more", ""},
		{"another mount failure", maScene(waiting, stat, heldBy("csi-old", "worker-3")), false, "fail otherwise (FailedMount: MountVolume.MountDevice failed", ""},
		{"a warning older than the pod", maScene(older, multi, heldBy("csi-old", "worker-3")), false, "no Warning about its volumes since it was made", ""},
		{"running", maScene(pod("db-0", "worker-1", runningReady, mountsClaim("data")), multi, heldBy("csi-old", "worker-3")), false, "is Running", ""},
		{"terminating", maScene(pod("db-0", "worker-1", creating, mountsClaim("data"), terminating), multi), false, "is not waiting to start", ""},
		{"no pod", maScene(nil, multi), false, "no pod shop/db-0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeMultiAttach(tc.s)
			if v.Applies != tc.applies || !strings.Contains(v.Why, tc.why) {
				t.Fatalf("verdict %v %q, want %v ~%q", v.Applies, v.Why, tc.applies, tc.why)
			}
			if v.Facts[factHolders] != tc.holders || (tc.applies && v.Facts[factAttachments] != "csi-old") {
				t.Errorf("facts %v", v.Facts)
			}
		})
	}
}

func TestConfirmOffInstructions(t *testing.T) {
	for _, tc := range []struct{ holders, want string }{
		{"worker-3=not Ready", "Confirm node worker-3 is off: in Omni"},
		{"worker-4=not Ready, out of service", "Node worker-4 is tainted out of service"},
		{"worker-9=gone", "Node worker-9 is gone (no such Node)"},
		{"", "The precheck named no node"},
	} {
		got := confirmOffInstructions(runbook.Target{}, func(string) runbook.StepState {
			return runbook.StepState{Facts: map[string]string{factHolders: tc.holders}}
		})
		if !strings.HasPrefix(got[0], tc.want) || !strings.HasPrefix(got[len(got)-1], "Tick this") {
			t.Errorf("%q: %q", tc.holders, got)
		}
	}
}

func TestRunningProgress(t *testing.T) {
	vault := func(p *corev1.Pod) { p.Namespace = "vault" }
	notReady := func(p *corev1.Pod) { p.Status.Conditions[1].Status = corev1.ConditionFalse }
	multi := health.MountProblem{Reason: "FailedAttachVolume", Message: multiAttachMsg, LastSeen: coldNow}
	for _, tc := range []struct {
		name string
		s    podScene
		done bool
		line string
	}{
		{"running and ready", maScene(pod("db-0", "worker-1", runningReady), multi), true, "shop/db-0 is Running and Ready on node worker-1"},
		{"still waiting", maScene(pod("db-0", "worker-1", creating), multi), false, "shop/db-0 is Pending: FailedAttachVolume: Multi-Attach error"},
		{"a Vault server sealed", maScene(pod("db-0", "worker-1", runningReady, notReady, vault), multi), false, "a sealed Vault server is not Ready — unseal it: runbook vault-sealed"},
		{"running, not ready", maScene(pod("db-0", "worker-1", runningReady, notReady), multi), false, "shop/db-0 is Running, not Ready yet"},
		{"gone", maScene(nil, multi), false, "no pod shop/db-0"},
		{"terminating", maScene(pod("db-0", "worker-1", runningReady, terminating), multi), false, "shop/db-0 is Terminating"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := runningProgress(tc.s)
			if p.Done != tc.done || !strings.Contains(p.Line, tc.line) {
				t.Fatalf("%v %q, want %v ~%q", p.Done, p.Line, tc.done, tc.line)
			}
		})
	}
}

// TestMultiAttachOnFakeClients reads the pod, its event, the nodes and the attachments through fake
// clients: the precheck, the objects (exactly the attachment named), then the objects refused once
// another attachment holds the volume.
func TestMultiAttachOnFakeClients(t *testing.T) {
	ctx := context.Background()
	pvData := "pv-data"
	ev := warning("db-0", "FailedAttachVolume", multiAttachMsg, coldNow)
	objs := []runtime.Object{
		node("worker-1", corev1.ConditionTrue), node("worker-3", corev1.ConditionUnknown),
		pod("db-0", "worker-1", creating, mountsClaim("data")), &ev,
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pvData},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}},
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pvData}},
		&storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-old"}, Spec: storagev1.VolumeAttachmentSpec{NodeName: "worker-3",
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvData}}},
	}
	w := coldWorld(false, objs)
	target := runbook.Target{Kind: "Pod", Namespace: "shop", Name: "db-0"}
	v, err := multiAttachCheck(ctx, w, target)
	if err != nil || !v.Applies || v.Facts[factAttachments] != "csi-old" {
		t.Fatalf("precheck %+v %v", v, err)
	}
	w.Earlier = func(string) runbook.StepState { return runbook.StepState{Facts: v.Facts} }
	if got, err := heldAttachments(ctx, w, target); err != nil || len(got) != 1 || got[0].String() != "volumeattachment/csi-old" {
		t.Fatalf("objects %v %v", got, err)
	}
	// Another attachment holds it now (the old one deleted by hand, a new one made elsewhere): refused.
	if err := w.Kube.StorageV1().VolumeAttachments().Delete(ctx, "csi-old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Kube.StorageV1().VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-other"},
		Spec: storagev1.VolumeAttachmentSpec{NodeName: "worker-9", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvData}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := heldAttachments(ctx, w, target); err == nil || !strings.Contains(err.Error(), "it named VolumeAttachment csi-old, it is csi-other now") {
		t.Fatalf("objects after a change %v %v", got, err)
	}
	if p, err := multiAttachRunning(ctx, w, target); err != nil || p.Done {
		t.Fatalf("postcheck %+v %v", p, err)
	}
}
