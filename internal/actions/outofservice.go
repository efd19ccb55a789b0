package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clubcedille/cedille-tui/internal/access"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// OutOfService is the taint of Kubernetes' non-graceful node shutdown: on a node that is not Ready, the
// pods that do not tolerate it are deleted at once (the pod garbage collector force-deletes those left
// terminating) and the attach-detach controller detaches their volumes without waiting for the kubelet,
// so that they can attach elsewhere. Only for a machine that is really off: if it still runs, it may
// still write to volumes now attached elsewhere.
func OutOfService() corev1.Taint {
	return corev1.Taint{Key: corev1.TaintNodeOutOfService, Value: "nodeshutdown", Effect: corev1.TaintEffectNoExecute}
}

// ErrNodeReady is the out-of-service taint refused on a node whose kubelet reports it Ready: the machine
// runs.
var ErrNodeReady = errors.New("the out-of-service taint is only for a node that is shut down")

// TaintOutOfService adds the out-of-service taint (node.kubernetes.io/out-of-service=nodeshutdown:
// NoExecute) to a node that is not Ready, as `kubectl taint` would; refused on a Ready node
// (ErrNodeReady). The preview is the server's dry run of the node's taints.
func TaintOutOfService() Action {
	return outOfServiceAction("taint-out-of-service", true, func(t Target) string {
		return fmt.Sprintf("%s: its pods are deleted at once and their volumes detached without its kubelet, to run and attach elsewhere — if the machine is not completely shut down, filesystem corruption can occur", t)
	})
}

// UntaintOutOfService removes every out-of-service taint from a node (a node back, its machine on
// again); its other taints stay.
func UntaintOutOfService() Action {
	return outOfServiceAction("untaint-out-of-service", false, func(t Target) string {
		return fmt.Sprintf("%s: the out-of-service taint is removed; pods may run there again once it is uncordoned", t)
	})
}

// outOfServiceAction is the action that adds the out-of-service taint (add: destructive) or removes it.
func outOfServiceAction(name string, add bool, blast func(Target) string) Action {
	return Action{Name: name, Kind: KindNode, Role: access.Operator, Destructive: add, Blast: blast,
		Preview: func(ctx context.Context, c Client, t Target) (Preview, error) {
			return previewOutOfService(ctx, c, t, add)
		},
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, _, err := patchOutOfService(ctx, c, t, add, expect, nil)
			return err
		},
	}
}

// withOutOfService is taints with the out-of-service taint added (add) or every taint of its key removed,
// and whether that changes anything. The other taints stay as they are, in their order.
func withOutOfService(taints []corev1.Taint, add bool) ([]corev1.Taint, bool) {
	oos := OutOfService()
	if add {
		if slices.ContainsFunc(taints, func(t corev1.Taint) bool { return t.MatchTaint(&oos) }) {
			return taints, false
		}
		return append(slices.Clone(taints), oos), true
	}
	out := slices.DeleteFunc(slices.Clone(taints), func(t corev1.Taint) bool { return t.Key == oos.Key })
	return out, len(out) != len(taints)
}

// nodeReady is the node's Ready condition when its status is True; nil otherwise.
func nodeReady(n *corev1.Node) *corev1.NodeCondition {
	for i, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// patchOutOfService reads the node, refuses adding the taint to a Ready node, and patches its taints
// bound to expect (or, unbound, to what it read: a taint changed meanwhile is never overwritten). It
// returns the node as read and as patched (nil when nothing changes: nothing is sent); dryRun set makes it
// a dry run.
func patchOutOfService(ctx context.Context, c Client, t Target, add bool, expect Precondition, dryRun []string) (*corev1.Node, *corev1.Node, error) {
	n, err := c.Kube.CoreV1().Nodes().Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, changed(t, expect, err)
	}
	switch {
	case expect.UID != "" && expect.UID != n.UID:
		return nil, nil, &ChangedError{Target: t, Why: "deleted and made again"}
	case expect.ResourceVersion != "" && expect.ResourceVersion != n.ResourceVersion:
		return nil, nil, &ChangedError{Target: t, Why: "modified"}
	}
	if r := nodeReady(n); add && r != nil {
		return n, nil, fmt.Errorf("%s is Ready (its kubelet posted at %s): %w", t, r.LastHeartbeatTime.UTC().Format("15:04:05 UTC"), ErrNodeReady)
	}
	taints, change := withOutOfService(n.Spec.Taints, add)
	if !change {
		return n, nil, nil
	}
	bind := expect
	if bind.IsZero() {
		bind = Precondition{UID: n.UID, ResourceVersion: n.ResourceVersion}
	}
	var v any = taints // the whole list: a merge patch replaces it, bound to the version it was read from
	if len(taints) == 0 {
		v = nil
	}
	body, err := boundPatch(map[string]any{"spec": map[string]any{"taints": v}}, bind)
	if err != nil {
		return nil, nil, err
	}
	after, err := c.Kube.CoreV1().Nodes().Patch(ctx, t.Name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRun})
	return n, after, changed(t, bind, err)
}

// previewOutOfService dry-runs the taint's change and lists it (spec.taints, before and after), with the
// node's Ready condition as a note.
func previewOutOfService(ctx context.Context, c Client, t Target, add bool) (Preview, error) {
	before, after, err := patchOutOfService(ctx, c, t, add, Precondition{}, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Expect: Precondition{UID: before.UID, ResourceVersion: before.ResourceVersion}}
	if after != nil {
		if p.Changes, err = objectDiff(before, after); err != nil {
			return Preview{}, err
		}
	}
	for _, c := range before.Status.Conditions {
		if c.Type == corev1.NodeReady {
			p.Notes = append(p.Notes, fmt.Sprintf("Ready %s since %s (%s), last posted by its kubelet at %s", c.Status,
				c.LastTransitionTime.UTC().Format("15:04:05 UTC"), c.Reason, c.LastHeartbeatTime.UTC().Format("15:04:05 UTC")))
		}
	}
	if before.Spec.Unschedulable {
		p.Notes = append(p.Notes, "cordoned")
	}
	return p, nil
}
