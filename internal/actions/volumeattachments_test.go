package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// staleAttachment is VolumeAttachment csi-db: PV pv-db (claim shop/data) attached to worker-3.
func staleAttachment() *storagev1.VolumeAttachment {
	pv := "pv-db"
	return &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-db", UID: "va1", ResourceVersion: "12"},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "rook-ceph.rbd.csi.ceph.com", NodeName: "worker-3",
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
		Status: storagev1.VolumeAttachmentStatus{Attached: true}}
}

func claimedVolume() *corev1.PersistentVolume {
	return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-db"},
		Spec: corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "shop", Name: "data"}}}
}

// claimPod is a pod on node that mounts claim shop/data, in phase.
func claimPod(name, node string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{{Name: "data",
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}},
		Status: corev1.PodStatus{Phase: phase}}
}

func TestDeleteAttachmentGuardRail(t *testing.T) {
	va := Target{Kind: KindVolumeAttachment, Name: "csi-db"}
	seen := Precondition{UID: "va1", ResourceVersion: "12"}
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		expect  Precondition
		refused string // the refusal's words; "" when it is deleted
		changed bool
	}{
		{"node off, nothing of it uses the volume", []runtime.Object{lostNode(corev1.ConditionUnknown), claimedVolume(), claimPod("db-0", "worker-1", corev1.PodPending)}, seen, "", false},
		{"node gone", []runtime.Object{claimedVolume()}, seen, "", false},
		{"volume gone", []runtime.Object{lostNode(corev1.ConditionUnknown)}, seen, "", false},
		{"unbound", nil, Precondition{}, "", false},
		{"node Ready", []runtime.Object{lostNode(corev1.ConditionTrue), claimedVolume()}, seen,
			"node worker-3 is Ready (its kubelet posted at", false},
		{"a pod there still mounts it", []runtime.Object{lostNode(corev1.ConditionUnknown), claimedVolume(), claimPod("db-old", "worker-3", corev1.PodRunning)}, seen,
			"pod shop/db-old (Running, on worker-3) mounts it as volume data of claim data — its machine may still write to the volume", false},
		{"the pod there has ended", []runtime.Object{lostNode(corev1.ConditionUnknown), claimedVolume(), claimPod("db-old", "worker-3", corev1.PodFailed)}, seen, "", false},
		{"a pod there, but the node is out of service", []runtime.Object{lostNode(corev1.ConditionUnknown, OutOfService()), claimedVolume(), claimPod("db-old", "worker-3", corev1.PodRunning)}, seen, "", false},
		{"changed since the preview", []runtime.Object{lostNode(corev1.ConditionUnknown)}, Precondition{UID: "va1", ResourceVersion: "11"}, "", true},
		{"made again since the preview", []runtime.Object{lostNode(corev1.ConditionUnknown)}, Precondition{UID: "va0", ResourceVersion: "12"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := fake.NewClientset(append(tc.objects, staleAttachment())...)
			c := Client{Kube: kc}
			_, err := deleteAttachment(context.Background(), c, va, tc.expect, nil)
			_, getErr := kc.StorageV1().VolumeAttachments().Get(context.Background(), "csi-db", metav1.GetOptions{})
			switch {
			case tc.changed:
				if !errors.Is(err, ErrChanged) || getErr != nil {
					t.Fatalf("got %v (still there: %v), want it refused as changed", err, getErr == nil)
				}
			case tc.refused != "":
				if !errors.Is(err, ErrAttachmentInUse) || !strings.Contains(err.Error(), tc.refused) || getErr != nil {
					t.Fatalf("got %v (still there: %v), want a refusal saying %q", err, getErr == nil, tc.refused)
				}
				if !guardRail(err) {
					t.Fatal("the dispatcher would count the refusal as a failure")
				}
			default:
				if err != nil || !apierrors.IsNotFound(getErr) {
					t.Fatalf("got %v (get after: %v), want it deleted", err, getErr)
				}
			}
		})
	}
}

func TestPreviewAttachmentDelete(t *testing.T) {
	kc := fake.NewClientset(lostNode(corev1.ConditionUnknown), claimedVolume(), staleAttachment())
	va := Target{Kind: KindVolumeAttachment, Name: "csi-db"}
	p, err := previewAttachmentDelete(context.Background(), Client{Kube: kc}, va)
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (Precondition{UID: "va1", ResourceVersion: "12"}) || len(p.Changes) != 1 || p.Changes[0].After != "deleted" ||
		!strings.Contains(strings.Join(p.Notes, "\n"), "holds PersistentVolume pv-db attached to node worker-3 (attacher rook-ceph.rbd.csi.ceph.com)") {
		t.Fatalf("preview %+v", p)
	}
	for _, a := range kc.Actions() { // the fake does not honour dry runs: the request must ask for one
		if d, ok := a.(k8stesting.DeleteAction); ok {
			if o := d.GetDeleteOptions(); len(o.DryRun) != 1 || o.DryRun[0] != metav1.DryRunAll || o.Preconditions == nil || *o.Preconditions.UID != "va1" {
				t.Fatalf("the preview's delete: %+v", o)
			}
		}
	}
	if err := va.check(KindVolumeAttachment); err != nil {
		t.Fatalf("a volume attachment has no namespace: %v", err)
	}
}
