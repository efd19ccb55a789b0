package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// budgetRefusal is the 429 the API server sends when a PodDisruptionBudget allows no disruption.
func budgetRefusal(cause string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: cause})
	return err
}

func TestDisruptionRefusal(t *testing.T) {
	pod := Target{Kind: KindPod, Namespace: "shop", Name: "db-0"}
	for _, tc := range []struct {
		name       string
		err        error
		wantBudget string // "-" for no *DisruptionError
		wantText   string
	}{
		{"no budget left", budgetRefusal("The disruption budget db needs 1 healthy pods and has 0 currently"), "db",
			"pod/shop/db-0: eviction refused by PodDisruptionBudget shop/db: The disruption budget db needs 1 healthy pods and has 0 currently"},
		{"budget not yet observed", budgetRefusal("The disruption budget db is still being processed by the server."), "db",
			"PodDisruptionBudget shop/db: The disruption budget db is still being processed by the server —"},
		{"a cause without a name", budgetRefusal("budget exhausted"), "", "eviction refused by a PodDisruptionBudget: budget exhausted"},
		{"throttled, not a budget", apierrors.NewTooManyRequests("too many requests, please try again later", 1), "-", ""},
		{"a conflict", apierrors.NewConflict(schema.GroupResource{Resource: "pods"}, "db-0", errors.New("rv")), "-", ""},
		{"no error", nil, "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := disruptionRefusal(pod, tc.err)
			if tc.wantBudget == "-" {
				if d != nil {
					t.Fatalf("a refusal by a budget: %v", d)
				}
				return
			}
			if d == nil || d.Budget != tc.wantBudget || !strings.Contains(d.Error(), tc.wantText) {
				t.Fatalf("got %+v (%v), want budget %q saying %q", d, d, tc.wantBudget, tc.wantText)
			}
		})
	}
}

// evictions records the evictions sent to a fake clientset holding pod, answering each with answer.
func evictions(pod *corev1.Pod, answer error) (Client, *[]*policyv1.Eviction) {
	kc := fake.NewClientset(pod)
	var sent []*policyv1.Eviction
	kc.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		sent = append(sent, a.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction))
		return true, nil, answer
	})
	return Client{Kube: kc, User: "cedille:olive"}, &sent
}

func TestEvict(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "u1", ResourceVersion: "7"}}
	target := Target{Kind: KindPod, Namespace: "shop", Name: "web-1"}
	seen := Precondition{UID: "u1", ResourceVersion: "7"}
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "Pod"}, "web-1", errors.New("the ResourceVersion in the precondition (7) does not match"))
	for _, tc := range []struct {
		name    string
		expect  Precondition
		dryRun  []string
		answer  error
		wantErr func(error) bool
	}{
		{"bound and evicted", seen, nil, nil, func(err error) bool { return err == nil }},
		{"a dry run", seen, dryRunAll(), nil, func(err error) bool { return err == nil }},
		{"unbound", Precondition{}, nil, nil, func(err error) bool { return err == nil }},
		{"a budget refuses", seen, nil, budgetRefusal("The disruption budget web needs 2 healthy pods and has 2 currently"),
			func(err error) bool {
				var d *DisruptionError
				return errors.As(err, &d) && d.Budget == "web" && !errors.Is(err, ErrChanged)
			}},
		{"changed since the preview", seen, nil, conflict, func(err error) bool { return errors.Is(err, ErrChanged) }},
		{"gone since the preview", seen, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "web-1"),
			func(err error) bool { return errors.Is(err, ErrChanged) && strings.Contains(err.Error(), "deleted") }},
		{"unbound conflict stays itself", Precondition{}, nil, conflict,
			func(err error) bool { return apierrors.IsConflict(err) && !errors.Is(err, ErrChanged) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, sent := evictions(pod.DeepCopy(), tc.answer)
			err := evict(context.Background(), c, target, tc.expect, tc.dryRun)
			if !tc.wantErr(err) {
				t.Fatalf("error %v", err)
			}
			if len(*sent) != 1 {
				t.Fatalf("%d evictions sent", len(*sent))
			}
			e := (*sent)[0]
			if e.Name != "web-1" || e.Namespace != "shop" || !slices.Equal(e.DeleteOptions.DryRun, tc.dryRun) {
				t.Fatalf("eviction %+v", e)
			}
			pre := e.DeleteOptions.Preconditions
			switch {
			case tc.expect.IsZero() && pre != nil:
				t.Fatalf("an unbound eviction carries preconditions %+v", pre)
			case !tc.expect.IsZero() && (pre == nil || *pre.UID != "u1" || *pre.ResourceVersion != "7"):
				t.Fatalf("preconditions %+v, want uid u1 and resourceVersion 7", pre)
			}
		})
	}
}

func TestPreviewEvictionIsBoundAndRefusedByABudget(t *testing.T) {
	grace := int64(5)
	controller := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "u1", ResourceVersion: "7",
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-5d9", Controller: &controller}}},
		Spec: corev1.PodSpec{NodeName: "worker-3", TerminationGracePeriodSeconds: &grace,
			Volumes: []corev1.Volume{{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	target := Target{Kind: KindPod, Namespace: "shop", Name: "web-1"}
	c, sent := evictions(pod, nil)
	p, err := previewEviction(context.Background(), c, target)
	if err != nil {
		t.Fatal(err)
	}
	if p.Expect != (Precondition{UID: "u1", ResourceVersion: "7"}) || len(p.Changes) != 1 || p.Changes[0].After != "evicted" {
		t.Fatalf("preview %+v", p)
	}
	if got := strings.Join(p.Notes, "; "); got != "ReplicaSet web-5d9 makes a new one; on node worker-3; 5s to stop (its grace period); emptyDir volumes cache: their data goes with the pod" {
		t.Fatalf("notes %q", got)
	}
	if len(*sent) != 1 || !slices.Equal((*sent)[0].DeleteOptions.DryRun, dryRunAll()) {
		t.Fatalf("the preview sent %+v, want one dry run", *sent)
	}

	c, _ = evictions(pod, budgetRefusal("The disruption budget web needs 1 healthy pods and has 1 currently"))
	_, err = previewEviction(context.Background(), c, target)
	var d *DisruptionError
	if !errors.As(err, &d) || !strings.Contains(err.Error(), "refused by PodDisruptionBudget shop/web") {
		t.Fatalf("a preview the budget refuses: %v", err)
	}
}

func TestEvictionNotesOfABarePod(t *testing.T) {
	notes := evictionNotes(&corev1.Pod{})
	if want := []string{"a bare pod: nothing makes it again", "30s to stop (its grace period)"}; !slices.Equal(notes, want) {
		t.Fatalf("notes %q, want %q", notes, want)
	}
}
