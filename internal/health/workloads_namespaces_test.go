package health

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStuckNamespaces(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)
	ns := func(name string, deleting time.Duration, conds ...corev1.NamespaceCondition) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NamespaceStatus{Conditions: conds}}
		if deleting > 0 {
			ts := metav1.NewTime(now.Add(-deleting))
			n.DeletionTimestamp = &ts
			n.Status.Phase = corev1.NamespaceTerminating
		}
		return n
	}
	remaining := corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue,
		Message: "Some resources are remaining: configmaps. has 1 resource instances"}
	finalizers := corev1.NamespaceCondition{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue,
		Message: "Some content in the namespace has finalizers remaining: example.com/cleanup in 1 resource instances"}
	failed := corev1.NamespaceCondition{Type: corev1.NamespaceDeletionDiscoveryFailure, Status: corev1.ConditionTrue,
		Message: "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1"}
	cleared := corev1.NamespaceCondition{Type: corev1.NamespaceDeletionContentFailure, Status: corev1.ConditionFalse,
		Message: "All content successfully deleted"}
	for _, tc := range []struct {
		name   string
		ns     *corev1.Namespace
		status Status // 0: no finding
		reason string
	}{
		{"a live namespace makes no finding", ns("shop", 0), 0, ""},
		{"a deletion under way makes none yet", ns("shop", 4*time.Minute, remaining), 0, ""},
		{"held by a finalizer", ns("shop", 20*time.Minute, remaining, finalizers, cleared), Degraded,
			"Terminating for 20m0s: Some resources are remaining: configmaps. has 1 resource instances; Some content in the namespace has finalizers remaining: example.com/cleanup in 1 resource instances"},
		{"its deletion failed", ns("shop", time.Hour, failed), Down,
			"Terminating for 1h0m0s: Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1"},
		{"no condition yet", ns("shop", 6*time.Minute), Degraded, "Terminating for 6m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := stuckNamespaces(Objects{Now: now, Namespaces: []*corev1.Namespace{tc.ns}})
			if tc.status == 0 {
				if len(fs) != 0 {
					t.Fatalf("findings %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Object != "Namespace/shop" || fs[0].Status != tc.status || fs[0].Reason != tc.reason ||
				!strings.HasSuffix(fs[0].Hint, "runbook: "+RunbookStuckTerminating) {
				t.Fatalf("findings %+v", fs)
			}
		})
	}
}

// TestStuckNamespaceNamesItsRunbook: the finding reaches the workloads layer, and names the runbook the
// console's r opens, aimed at the namespace.
func TestStuckNamespaceNamesItsRunbook(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 12, 0, 0, time.UTC)
	ts := metav1.NewTime(now.Add(-time.Hour))
	l := Workloads(Objects{Now: now, Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "ets-demo", DeletionTimestamp: &ts}}}})
	for _, f := range l.Findings {
		if f.Object == "Namespace/ets-demo" && f.Status == Degraded && strings.Contains(f.Hint, "runbook: stuck-terminating") {
			return
		}
	}
	t.Fatalf("no stuck namespace among %+v", l.Findings)
}
