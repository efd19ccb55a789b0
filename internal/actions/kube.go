package actions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/access"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Builtin is every action the console offers: cordon and uncordon a node, delete or evict a pod, refresh
// and sync an Argo CD Application, and the out-of-service taint put on a node that is really off (and
// taken away when it is back).
func Builtin() []Action {
	return []Action{Cordon(), Uncordon(), DeletePod(), EvictPod(), TaintOutOfService(), UntaintOutOfService(),
		ArgoRefresh(), ArgoSync(), ArgoPauseSync(), ArgoRestoreSync(), RemoveFinalizers(),
		RenewCertificate(), RegisterVCluster(), DeleteVolumeAttachment(), ReissueSpokeToken(Spokes{}), RestartCSIPlugin()}
}

// dryRunAll is the DryRun option of a server-side dry run: admission and validation run, nothing is
// stored.
func dryRunAll() []string { return []string{metav1.DryRunAll} }

// Cordon marks a node unschedulable (spec.unschedulable: true), as kubectl cordon does.
func Cordon() Action {
	return nodeScheduling("cordon", true, func(t Target) string {
		return fmt.Sprintf("%s: no new pod is scheduled on %s; its running pods stay", t, t.Name)
	})
}

// Uncordon lets the scheduler place pods on a node again (spec.unschedulable removed).
func Uncordon() Action {
	return nodeScheduling("uncordon", false, func(t Target) string {
		return fmt.Sprintf("%s: the scheduler may place new pods on %s again", t, t.Name)
	})
}

// nodeScheduling is the action that cordons (true) or uncordons (false) a node.
func nodeScheduling(name string, cordon bool, blast func(Target) string) Action {
	return Action{Name: name, Kind: KindNode, Role: access.Operator, Blast: blast,
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			return previewNodePatch(ctx, c, t, cordon)
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, err := patchNode(ctx, c, t, cordon, expect, nil)
			return err
		},
	}
}

// unschedulablePatch is the merge patch that cordons (true) or uncordons (false), bound to expect's
// resourceVersion when given: the API server then refuses it with a Conflict if the node changed.
func unschedulablePatch(cordon bool, expect Precondition) ([]byte, error) {
	var v any // null removes the field, as kubectl uncordon leaves it
	if cordon {
		v = true
	}
	return boundPatch(map[string]any{"spec": map[string]any{"unschedulable": v}}, expect)
}

// boundPatch is patch as JSON, its metadata carrying what makes the write refused when the object
// changed: the resourceVersion (optimistic concurrency: 409 Conflict) and the UID (immutable). A zero
// expect binds nothing.
func boundPatch(patch map[string]any, expect Precondition) ([]byte, error) {
	if !expect.IsZero() {
		md, _ := patch["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
		}
		if expect.UID != "" {
			md["uid"] = string(expect.UID)
		}
		if expect.ResourceVersion != "" {
			md["resourceVersion"] = expect.ResourceVersion
		}
		patch["metadata"] = md
	}
	return json.Marshal(patch)
}

// patchNode sends the cordon/uncordon patch and returns the node as patched; dryRun set makes it a dry
// run. A conflict, or the node gone, is a *ChangedError when bound.
func patchNode(ctx context.Context, c Client, t Target, cordon bool, expect Precondition, dryRun []string) (*corev1.Node, error) {
	body, err := unschedulablePatch(cordon, expect)
	if err != nil {
		return nil, err
	}
	n, err := c.Kube.CoreV1().Nodes().Patch(ctx, t.Name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun})
	return n, changed(t, expect, err)
}

// previewNodePatch reads the node, dry-runs the patch bound to what it read, and lists the changes.
func previewNodePatch(ctx context.Context, c Client, t Target, cordon bool) (Preview, error) {
	n, err := c.Kube.CoreV1().Nodes().Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: n.UID, ResourceVersion: n.ResourceVersion}
	after, err := patchNode(ctx, c, t, cordon, expect, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	changes, err := objectDiff(n, after)
	if err != nil {
		return Preview{}, err
	}
	var notes []string
	for _, tn := range n.Spec.Taints {
		notes = append(notes, fmt.Sprintf("taint now: %s=%s:%s", tn.Key, tn.Value, tn.Effect))
	}
	return Preview{Changes: changes, Notes: notes, Expect: expect}, nil
}

// DeletePod deletes a pod (its grace period as set), bound by DeleteOptions.Preconditions to the UID
// and resourceVersion of the preview.
func DeletePod() Action {
	return Action{Name: "delete-pod", Kind: KindPod, Role: access.Operator, Destructive: true,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: deleted; a controller that owns it makes a new one, a bare pod is gone for good", t)
		},
		Preview: previewPodDelete,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			return deletePod(ctx, c, t, expect, nil)
		},
	}
}

// deletePod deletes the pod bound to expect.
func deletePod(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string) error {
	return changed(t, expect, c.Kube.CoreV1().Pods(t.Namespace).Delete(ctx, t.Name, *expect.deleteOptions(dryRun)))
}

// previewPodDelete reads the pod and dry-runs its deletion bound to what it read.
func previewPodDelete(ctx context.Context, c Client, t Target) (Preview, error) {
	p, err := c.Kube.CoreV1().Pods(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return Preview{}, err
	}
	expect := Precondition{UID: p.UID, ResourceVersion: p.ResourceVersion}
	if err := deletePod(ctx, c, t, expect, dryRunAll()); err != nil {
		return Preview{}, err
	}
	notes := []string{"a bare pod: nothing makes it again"}
	if len(p.OwnerReferences) > 0 {
		notes = notes[:0]
		for _, o := range p.OwnerReferences {
			notes = append(notes, fmt.Sprintf("owned by %s %s", o.Kind, o.Name))
		}
	}
	if p.Spec.NodeName != "" {
		notes = append(notes, "on node "+p.Spec.NodeName)
	}
	if len(p.Finalizers) > 0 {
		notes = append(notes, fmt.Sprintf("finalizers %v: it stays Terminating until they are done", p.Finalizers))
	}
	return Preview{Changes: []Change{{Path: t.String(), Before: "exists", After: "deleted"}}, Notes: notes, Expect: expect}, nil
}

// changed turns the API server's answer to a bound write into a *ChangedError when the object is not
// the one expected any more: a Conflict (resourceVersion differs, or a delete precondition failed) or
// NotFound (gone). Unbound writes keep their errors.
func changed(t Target, expect Precondition, err error) error {
	if err == nil || expect.IsZero() {
		return err
	}
	switch {
	case apierrors.IsConflict(err):
		return &ChangedError{Target: t, Why: "modified"}
	case apierrors.IsNotFound(err):
		return &ChangedError{Target: t, Why: "deleted"}
	}
	return err
}

// objectDiff lists the changes between two typed objects.
func objectDiff(before, after runtime.Object) ([]Change, error) {
	b, err := runtime.DefaultUnstructuredConverter.ToUnstructured(before)
	if err != nil {
		return nil, err
	}
	a, err := runtime.DefaultUnstructuredConverter.ToUnstructured(after)
	if err != nil {
		return nil, err
	}
	return diff(b, a), nil
}
