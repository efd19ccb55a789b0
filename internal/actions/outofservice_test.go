package actions

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	unreachable = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	noSchedule  = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
)

func TestWithOutOfService(t *testing.T) {
	oos := OutOfService()
	other := corev1.Taint{Key: oos.Key, Value: "shutdown", Effect: corev1.TaintEffectNoExecute}
	for _, tc := range []struct {
		name   string
		taints []corev1.Taint
		add    bool
		want   []corev1.Taint
		change bool
	}{
		{"added after the others", []corev1.Taint{unreachable, noSchedule}, true, []corev1.Taint{unreachable, noSchedule, oos}, true},
		{"added to none", nil, true, []corev1.Taint{oos}, true},
		{"already there", []corev1.Taint{unreachable, oos}, true, []corev1.Taint{unreachable, oos}, false},
		{"there with another value", []corev1.Taint{other}, true, []corev1.Taint{other}, false},
		{"removed, the others stay in order", []corev1.Taint{unreachable, oos, noSchedule}, false, []corev1.Taint{unreachable, noSchedule}, true},
		{"every one of its key removed", []corev1.Taint{oos, other}, false, []corev1.Taint{}, true},
		{"nothing to remove", []corev1.Taint{unreachable}, false, []corev1.Taint{unreachable}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.taints)
			got, change := withOutOfService(tc.taints, tc.add)
			if !slices.EqualFunc(got, tc.want, func(a, b corev1.Taint) bool { return a.MatchTaint(&b) && a.Value == b.Value }) || change != tc.change {
				t.Fatalf("got %v (change %v), want %v (change %v)", got, change, tc.want, tc.change)
			}
			if !slices.EqualFunc(in, tc.taints, func(a, b corev1.Taint) bool { return a.MatchTaint(&b) }) {
				t.Fatal("the node's own list was modified")
			}
		})
	}
}

// lostNode is a node as the node lifecycle controller leaves one whose kubelet stopped posting.
func lostNode(ready corev1.ConditionStatus, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-3", UID: "n1", ResourceVersion: "40"},
		Spec:   corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "NodeStatusUnknown"}}}}
}

// sentPatch is the one patch a fake clientset received, decoded; nil when none was sent.
func sentPatch(t *testing.T, kc *fake.Clientset) map[string]any {
	t.Helper()
	var out map[string]any
	for _, a := range kc.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			if out != nil {
				t.Fatal("two patches sent")
			}
			if err := json.Unmarshal(p.GetPatch(), &out); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func TestPatchOutOfService(t *testing.T) {
	node := Target{Kind: KindNode, Name: "worker-3"}
	seen := Precondition{UID: "n1", ResourceVersion: "40"}
	for _, tc := range []struct {
		name      string
		node      *corev1.Node
		add       bool
		expect    Precondition
		wantErr   func(error) bool
		wantTaint []any // the taints patched (keys); nil: no patch sent
	}{
		{"added to a node whose kubelet stopped", lostNode(corev1.ConditionUnknown, unreachable), true, seen, nil,
			[]any{corev1.TaintNodeUnreachable, corev1.TaintNodeOutOfService}},
		{"unbound, bound to what it read", lostNode(corev1.ConditionUnknown), true, Precondition{}, nil,
			[]any{corev1.TaintNodeOutOfService}},
		{"refused on a Ready node", lostNode(corev1.ConditionTrue), true, seen,
			func(err error) bool { return errors.Is(err, ErrNodeReady) }, nil},
		{"refused on a node changed since the preview", lostNode(corev1.ConditionUnknown), true, Precondition{UID: "n1", ResourceVersion: "39"},
			func(err error) bool { return errors.Is(err, ErrChanged) }, nil},
		{"refused on a node made again", lostNode(corev1.ConditionUnknown), true, Precondition{UID: "n0", ResourceVersion: "40"},
			func(err error) bool { return errors.Is(err, ErrChanged) }, nil},
		{"already tainted: nothing sent", lostNode(corev1.ConditionUnknown, OutOfService()), true, seen, nil, nil},
		{"removed from a Ready node, the others stay", lostNode(corev1.ConditionTrue, noSchedule, OutOfService()), false, seen, nil,
			[]any{corev1.TaintNodeUnschedulable}},
		{"the last one removed", lostNode(corev1.ConditionTrue, OutOfService()), false, seen, nil, []any{}},
		{"nothing to remove: nothing sent", lostNode(corev1.ConditionTrue), false, seen, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := fake.NewClientset(tc.node)
			_, _, err := patchOutOfService(context.Background(), Client{Kube: kc}, node, tc.add, tc.expect, nil)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !tc.wantErr(err) {
				t.Fatalf("error %v", err)
			}
			patch := sentPatch(t, kc)
			if tc.wantTaint == nil {
				if patch != nil {
					t.Fatalf("sent %v", patch)
				}
				return
			}
			md, _ := patch["metadata"].(map[string]any)
			if md["uid"] != "n1" || md["resourceVersion"] != "40" {
				t.Fatalf("the patch is not bound to the node as read: %v", md)
			}
			taints, _ := patch["spec"].(map[string]any)["taints"].([]any)
			var keys []any
			for _, tn := range taints {
				keys = append(keys, tn.(map[string]any)["key"])
			}
			if len(tc.wantTaint) == 0 && patch["spec"].(map[string]any)["taints"] != nil {
				t.Fatalf("the last taint removed sends %v, want null", patch["spec"])
			}
			if len(tc.wantTaint) > 0 && !slices.Equal(keys, tc.wantTaint) {
				t.Fatalf("taints patched %v, want %v", keys, tc.wantTaint)
			}
		})
	}
}

func TestPreviewOutOfService(t *testing.T) {
	kc := fake.NewClientset(lostNode(corev1.ConditionUnknown, unreachable))
	p, err := TaintOutOfService().Preview(context.Background(), Client{Kube: kc}, Target{Kind: KindNode, Name: "worker-3"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (Precondition{UID: "n1", ResourceVersion: "40"}) || len(p.Changes) != 1 || p.Changes[0].Path != "spec.taints" {
		t.Fatalf("preview %+v", p)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "Ready Unknown since") || !strings.Contains(p.Notes[0], "NodeStatusUnknown") {
		t.Fatalf("notes %q", p.Notes)
	}
	for _, a := range kc.Actions() {
		if pa, ok := a.(k8stesting.PatchActionImpl); ok && !slices.Equal(pa.PatchOptions.DryRun, dryRunAll()) {
			t.Fatalf("the preview patched without a dry run: %+v", pa)
		}
	}
}
