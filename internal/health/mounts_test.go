package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// readyNode is a node Ready since since, or not Ready when since is zero.
func readyNode(name string, since time.Time) *corev1.Node {
	c := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(since)}
	if since.IsZero() {
		c.Status, c.Reason = corev1.ConditionUnknown, "NodeStatusUnknown"
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{c}}}
}

// mountsSeen are n mount problems, each last seen ago.
func mountsSeen(n int, ago time.Duration) map[string]MountProblem {
	out := map[string]MountProblem{}
	for i := range n {
		out["club/p-"+string(rune('a'+i))] = MountProblem{Reason: "FailedMount", Message: "failed to stat", LastSeen: wlNow.Add(-ago)}
	}
	return out
}

func TestColdStartLike(t *testing.T) {
	long, recent := wlNow.Add(-48*time.Hour), wlNow.Add(-10*time.Minute)
	for _, tc := range []struct {
		name string
		o    Objects
		want bool
	}{
		{"every node Ready for long, one pod failing its mount", Objects{Nodes: []*corev1.Node{readyNode("a", long), readyNode("b", long), readyNode("c", long)},
			MountProblems: mountsSeen(1, time.Minute)}, false},
		{"one node lost (the Vault pod's Multi-Attach)", Objects{Nodes: []*corev1.Node{readyNode("a", long), readyNode("b", long), readyNode("c", time.Time{})},
			MountProblems: mountsSeen(2, time.Minute)}, false},
		{"two nodes not Ready", Objects{Nodes: []*corev1.Node{readyNode("a", long), readyNode("b", time.Time{}), readyNode("c", time.Time{})}}, true},
		{"two nodes back Ready lately", Objects{Nodes: []*corev1.Node{readyNode("a", long), readyNode("b", recent), readyNode("c", recent)}}, true},
		{"two nodes back Ready, but over the window ago", Objects{Nodes: []*corev1.Node{readyNode("a", long),
			readyNode("b", wlNow.Add(-ColdStartWindow-time.Minute)), readyNode("c", wlNow.Add(-ColdStartWindow-time.Minute))}}, false},
		{"one node back lately", Objects{Nodes: []*corev1.Node{readyNode("a", long), readyNode("b", long), readyNode("c", recent)},
			MountProblems: mountsSeen(2, time.Minute)}, false},
		{"many pods failing their mounts at once", Objects{Nodes: []*corev1.Node{readyNode("a", long)}, MountProblems: mountsSeen(ColdStartPods, 5*time.Minute)}, true},
		{"many mount problems, all old", Objects{Nodes: []*corev1.Node{readyNode("a", long)}, MountProblems: mountsSeen(5, 2*time.Hour)}, false},
		{"nodes not readable: their count does not count", Objects{Nodes: []*corev1.Node{readyNode("b", time.Time{}), readyNode("c", time.Time{})},
			Unavailable: map[string]error{ResourceNodes: errors.New("forbidden")}}, false},
		{"nothing read", Objects{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Now = wlNow
			if got := ColdStartLike(tc.o); got != tc.want {
				t.Fatalf("ColdStartLike = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMountHintNamesItsRunbook: a pod stuck on its volume names multi-attach or mount-failed on a
// cluster otherwise up, cold-start during a cold start.
func TestMountHintNamesItsRunbook(t *testing.T) {
	long := wlNow.Add(-48 * time.Hour)
	up := []*corev1.Node{readyNode("worker-1", long), readyNode("worker-2", long), readyNode("worker-3", time.Time{})}
	coldNodes := []*corev1.Node{readyNode("worker-1", long), readyNode("worker-2", time.Time{}), readyNode("worker-3", time.Time{})}
	multi := MountProblem{Reason: "FailedAttachVolume", LastSeen: wlNow.Add(-time.Minute),
		Message: `Multi-Attach error for volume "pvc-vault" Volume is already exclusively attached to one node and can't be attached to another`}
	stat := MountProblem{Reason: "FailedMount", LastSeen: wlNow.Add(-time.Minute),
		Message: `MountVolume.MountDevice failed for volume "pvc-db" : rpc error: code = Internal desc = failed to stat`}
	for _, tc := range []struct {
		name  string
		nodes []*corev1.Node
		mp    MountProblem
		want  string
	}{
		{"Multi-Attach, one node lost", up, multi, "delete the stale VolumeAttachment; runbook: " + RunbookMultiAttach},
		{"FailedMount, the nodes up", up, stat, "delete the pod once its volume can attach; runbook: " + RunbookMountFailed},
		{"Multi-Attach in a cold start", coldNodes, multi, "delete the stale VolumeAttachment; runbook: " + RunbookColdStart},
		{"FailedMount in a cold start", coldNodes, stat, "runbook: " + RunbookColdStart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := creating("vault-0", 10*time.Minute, "data-vault-0")
			o := Objects{Now: wlNow, Nodes: tc.nodes, MountProblems: map[string]MountProblem{p.Key(): tc.mp}}
			f, why := WorkloadPod(p, o)
			if why != whyMounts || f.Status != Down || !strings.HasSuffix(f.Hint, tc.want) {
				t.Fatalf("got %v %s, hint %q; want it to end %q", f.Status, why, f.Hint, tc.want)
			}
		})
	}
}
