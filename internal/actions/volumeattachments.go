package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/access"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// KindVolumeAttachment is a storage.k8s.io/v1 VolumeAttachment: the attach-detach controller's record
// that a volume is attached to a node (cluster-scoped).
const KindVolumeAttachment Kind = "volumeattachment"

// ErrAttachmentInUse is matched (errors.Is) by every *AttachmentInUseError.
var ErrAttachmentInUse = errors.New("the volume may still be in use on its node")

// AttachmentInUseError refuses to delete a VolumeAttachment whose node may still use the volume: the
// node is Ready, or a pod there that has not ended mounts it.
type AttachmentInUseError struct {
	Target Target
	Why    string
}

func (e *AttachmentInUseError) Error() string {
	return fmt.Sprintf("%s stays: %s", e.Target, e.Why)
}

// Is makes errors.Is(err, ErrAttachmentInUse) true.
func (e *AttachmentInUseError) Is(target error) bool { return target == ErrAttachmentInUse }

// DeleteVolumeAttachment deletes a stale VolumeAttachment — the record that holds a volume on a node
// that is off or gone, so that a pod elsewhere waits on a Multi-Attach error — bound by
// DeleteOptions.Preconditions to the UID and resourceVersion of the preview. Refused
// (*AttachmentInUseError) while the node may still use the volume: when it is Ready (its kubelet and the
// attach-detach controller detach the volume themselves once no pod there uses it), or when a pod bound
// to it that has not ended mounts the volume's claim — unless the node is gone or tainted out of service
// (a person confirmed it off: node-lost). Checked at the preview and again right before the delete.
func DeleteVolumeAttachment() Action {
	return Action{Name: "delete-volumeattachment", Kind: KindVolumeAttachment, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: deleted, so Kubernetes counts its volume detached and attaches it elsewhere — if its node still runs and writes to it, filesystem corruption can occur", t)
		},
		Preview: previewAttachmentDelete,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, err := deleteAttachment(ctx, c, t, expect, nil)
			return err
		},
	}
}

// previewAttachmentDelete dry-runs the deletion bound to what it read, after the guard rail.
func previewAttachmentDelete(ctx context.Context, c Client, t Target) (Preview, error) {
	va, err := deleteAttachment(ctx, c, t, Precondition{}, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	pv := "an inline volume"
	if n := va.Spec.Source.PersistentVolumeName; n != nil {
		pv = "PersistentVolume " + *n
	}
	state := "detached"
	if va.Status.Attached {
		state = "attached"
	}
	notes := []string{fmt.Sprintf("holds %s %s to node %s (attacher %s)", pv, state, va.Spec.NodeName, va.Spec.Attacher)}
	if e := va.Status.DetachError; e != nil && e.Message != "" {
		notes = append(notes, "its last detach failed: "+e.Message)
	}
	return Preview{Changes: []Change{{Path: t.String(), Before: "exists", After: "deleted"}}, Notes: notes,
		Expect: Precondition{UID: va.UID, ResourceVersion: va.ResourceVersion}}, nil
}

// deleteAttachment reads the attachment, refuses one changed since expect or still in use on its node,
// and deletes it bound to expect (to what it read when expect is zero); dryRun set makes it a dry run. It
// returns the attachment as read.
func deleteAttachment(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string) (*storagev1.VolumeAttachment, error) {
	if err := t.check(KindVolumeAttachment); err != nil {
		return nil, err
	}
	va, err := c.Kube.StorageV1().VolumeAttachments().Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, changed(t, expect, err)
	}
	switch {
	case expect.UID != "" && expect.UID != va.UID:
		return nil, &ChangedError{Target: t, Why: "deleted and made again"}
	case expect.ResourceVersion != "" && expect.ResourceVersion != va.ResourceVersion:
		return nil, &ChangedError{Target: t, Why: "modified"}
	}
	if why, err := attachmentInUse(ctx, c, va); err != nil {
		return nil, fmt.Errorf("cannot check that node %s no longer uses the volume, so %s stays: %w", va.Spec.NodeName, t, err)
	} else if why != "" {
		return nil, &AttachmentInUseError{Target: t, Why: why}
	}
	if expect.IsZero() {
		expect = Precondition{UID: va.UID, ResourceVersion: va.ResourceVersion}
	}
	err = c.Kube.StorageV1().VolumeAttachments().Delete(ctx, t.Name, *expect.deleteOptions(dryRun))
	return va, changed(t, expect, err)
}

// attachmentInUse says why va's node may still use its volume ("" when it cannot): the node is Ready,
// or a pod bound to it that has not ended mounts the volume's claim (the node gone or out of service
// aside). An error when that cannot be read.
func attachmentInUse(ctx context.Context, c Client, va *storagev1.VolumeAttachment) (string, error) {
	node, err := c.Kube.CoreV1().Nodes().Get(ctx, va.Spec.NodeName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil // no such node: nothing runs there
	case err != nil:
		return "", err
	}
	if r := nodeReady(node); r != nil {
		return fmt.Sprintf("node %s is Ready (its kubelet posted at %s): its kubelet and the attach-detach controller detach the volume once no pod there uses it — find out why they do not",
			node.Name, r.LastHeartbeatTime.UTC().Format("15:04:05 UTC")), nil
	}
	if slices.ContainsFunc(node.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeOutOfService }) {
		return "", nil // confirmed off by a person (node-lost)
	}
	if va.Spec.Source.PersistentVolumeName == nil {
		return fmt.Sprintf("it holds an inline volume on node %s, which is not Ready but not out of service: which pod uses it cannot be told — confirm the machine is off (runbook node-lost) first", node.Name), nil
	}
	pv, err := c.Kube.CoreV1().PersistentVolumes().Get(ctx, *va.Spec.Source.PersistentVolumeName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil // no volume left to use
	case err != nil:
		return "", err
	}
	if pv.Spec.ClaimRef == nil {
		return "", nil
	}
	pods, err := c.Kube.CoreV1().Pods(pv.Spec.ClaimRef.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node.Name).String()})
	if err != nil {
		return "", err
	}
	var users []string
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Spec.NodeName != node.Name || ended(p) {
			continue
		}
		if how := podUsesClaim(p, pv.Spec.ClaimRef.Name); how != "" {
			users = append(users, fmt.Sprintf("%s %s of claim %s", podState(p), how, pv.Spec.ClaimRef.Name))
		}
	}
	if len(users) == 0 {
		return "", nil
	}
	return fmt.Sprintf("node %s is not Ready, but %s — its machine may still write to the volume: confirm it is off and taint it out of service (runbook node-lost) first",
		node.Name, strings.Join(users, "; ")), nil
}
