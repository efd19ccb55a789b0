package demo

import (
	"context"
	"errors"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

func testFakes(t *testing.T) (*kubeFakes, kubernetes.Interface) {
	t.Helper()
	f, err := newKubeFakes(eraOne())
	if err != nil {
		t.Fatal(err)
	}
	return f, f.kube().Typed
}

func mustCreatePod(t *testing.T, cs kubernetes.Interface, name string, lbl map[string]string, ready bool) *corev1.Pod {
	t.Helper()
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p, err := cs.CoreV1().Pods("shop").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: lbl},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every write with DryRun=All answers as the write would, and stores nothing.
func TestDryRunStoresNothing(t *testing.T) {
	ctx := context.Background()
	dry := []string{metav1.DryRunAll}
	cases := []struct {
		name  string
		write func(cs kubernetes.Interface, p *corev1.Pod) (*corev1.Pod, error)
		check func(t *testing.T, answer *corev1.Pod)
	}{
		{"patch", func(cs kubernetes.Interface, p *corev1.Pod) (*corev1.Pod, error) {
			return cs.CoreV1().Pods("shop").Patch(ctx, p.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"x":"y"}}}`), metav1.PatchOptions{DryRun: dry})
		}, func(t *testing.T, a *corev1.Pod) {
			if a.Labels["x"] != "y" {
				t.Errorf("the dry run's answer lacks the patch: %v", a.Labels)
			}
		}},
		{"update", func(cs kubernetes.Interface, p *corev1.Pod) (*corev1.Pod, error) {
			p = p.DeepCopy()
			p.Labels = map[string]string{"x": "y"}
			return cs.CoreV1().Pods("shop").Update(ctx, p, metav1.UpdateOptions{DryRun: dry})
		}, func(t *testing.T, a *corev1.Pod) {
			if a.Labels["x"] != "y" {
				t.Errorf("the dry run's answer lacks the update: %v", a.Labels)
			}
		}},
		{"delete", func(cs kubernetes.Interface, p *corev1.Pod) (*corev1.Pod, error) {
			return nil, cs.CoreV1().Pods("shop").Delete(ctx, p.Name, metav1.DeleteOptions{DryRun: dry})
		}, nil},
		{"evict", func(cs kubernetes.Interface, p *corev1.Pod) (*corev1.Pod, error) {
			return nil, cs.CoreV1().Pods("shop").EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: "shop"},
				DeleteOptions: &metav1.DeleteOptions{DryRun: dry}})
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, cs := testFakes(t)
			before := mustCreatePod(t, cs, "web-1", map[string]string{"app": "web"}, true)
			answer, err := c.write(cs, before)
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, answer)
			}
			after, err := cs.CoreV1().Pods("shop").Get(ctx, "web-1", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("the pod is gone after a dry run: %v", err)
			}
			if after.ResourceVersion != before.ResourceVersion || after.Labels["x"] != "" || after.DeletionTimestamp != nil {
				t.Errorf("a dry run changed the pod: %+v", after.ObjectMeta)
			}
		})
	}
	t.Run("create", func(t *testing.T) {
		_, cs := testFakes(t)
		_, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, "c", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("a dry-run create stored the object: %v", err)
		}
	})
	t.Run("dynamic patch", func(t *testing.T) {
		f, _ := testFakes(t)
		apps := f.dyn.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": "shop", "namespace": "argocd"}}}
		before, err := apps.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		answer, err := apps.Patch(ctx, "shop", types.MergePatchType, []byte(`{"operation":{"sync":{}}}`), metav1.PatchOptions{DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := answer.Object["operation"]; !ok {
			t.Errorf("the dry run's answer lacks the patch: %v", answer.Object)
		}
		after, _ := apps.Get(ctx, "shop", metav1.GetOptions{})
		if _, ok := after.Object["operation"]; ok || after.GetResourceVersion() != before.GetResourceVersion() {
			t.Errorf("a dry run changed the Application: %v", after.Object)
		}
	})
}

// A write bound to a resourceVersion or UID other than the stored one is a Conflict; one bound to the
// stored one goes through and gets a new resourceVersion.
func TestWritesBoundToWhatWasSeen(t *testing.T) {
	ctx := context.Background()
	_, cs := testFakes(t)
	p := mustCreatePod(t, cs, "web-1", nil, true)
	if p.UID == "" || p.ResourceVersion == "" {
		t.Fatalf("a created pod has no UID or resourceVersion: %+v", p.ObjectMeta)
	}
	stale := []byte(`{"metadata":{"resourceVersion":"1","labels":{"a":"b"}}}`)
	if _, err := cs.CoreV1().Pods("shop").Patch(ctx, "web-1", types.MergePatchType, stale, metav1.PatchOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("a stale patch: want a Conflict, got %v", err)
	}
	otherUID := types.UID("not-it")
	if err := cs.CoreV1().Pods("shop").Delete(ctx, "web-1", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &otherUID}}); !apierrors.IsConflict(err) {
		t.Errorf("a delete bound to another UID: want a Conflict, got %v", err)
	}
	fresh := []byte(`{"metadata":{"resourceVersion":"` + p.ResourceVersion + `","labels":{"a":"b"}}}`)
	q, err := cs.CoreV1().Pods("shop").Patch(ctx, "web-1", types.MergePatchType, fresh, metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q.ResourceVersion == p.ResourceVersion || q.UID != p.UID {
		t.Errorf("after a write: resourceVersion %s (was %s), UID %s (was %s)", q.ResourceVersion, p.ResourceVersion, q.UID, p.UID)
	}
}

// A delete of an object with finalizers marks it Terminating; removing its last finalizer deletes it.
func TestFinalizersHoldADeletion(t *testing.T) {
	ctx := context.Background()
	_, cs := testFakes(t)
	cms := cs.CoreV1().ConfigMaps("shop")
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Finalizers: []string{"example.org/hold"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "c", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := cms.Get(ctx, "c", metav1.GetOptions{})
	if err != nil || c.DeletionTimestamp == nil {
		t.Fatalf("a deleted object with a finalizer: want it Terminating, got %v, %v", c, err)
	}
	if _, err := cms.Patch(ctx, "c", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "c", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("its last finalizer removed: want it gone, got %v", err)
	}
}

// The eviction subresource honours the PodDisruptionBudgets: 429 with the budget's words when it allows
// no disruption, the pod deleted when it does.
func TestEvictionWithinBudgets(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name            string
		allowed         int32
		ready           bool
		current, desire int32
		refused         bool
	}{
		{"budget allows one", 1, true, 3, 2, false},
		{"budget allows none", 0, true, 2, 2, true},
		{"unhealthy pod while the budget holds", 0, false, 2, 2, false},
		{"unhealthy pod, budget broken", 0, false, 1, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, cs := testFakes(t)
			lbl := map[string]string{"app": "db"}
			mustCreatePod(t, cs, "db-0", lbl, c.ready)
			two := intstr.FromInt32(2)
			_, err := cs.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{
				ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
				Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: lbl}},
				Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: c.allowed, CurrentHealthy: c.current, DesiredHealthy: c.desire},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = cs.CoreV1().Pods("shop").EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "db-0", Namespace: "shop"}})
			_, gerr := cs.CoreV1().Pods("shop").Get(ctx, "db-0", metav1.GetOptions{})
			if !c.refused {
				if err != nil || !apierrors.IsNotFound(gerr) {
					t.Fatalf("want the pod evicted: %v, then %v", err, gerr)
				}
				return
			}
			var st apierrors.APIStatus
			if !apierrors.IsTooManyRequests(err) || !errors.As(err, &st) || len(st.Status().Details.Causes) != 1 ||
				st.Status().Details.Causes[0].Type != policyv1.DisruptionBudgetCause {
				t.Fatalf("want a 429 naming the budget, got %v", err)
			}
			if want := "The disruption budget db needs 2 healthy pods"; len(st.Status().Details.Causes[0].Message) < len(want) || st.Status().Details.Causes[0].Message[:len(want)] != want {
				t.Errorf("the cause: %q", st.Status().Details.Causes[0].Message)
			}
			if gerr != nil {
				t.Errorf("a refused eviction deleted the pod: %v", gerr)
			}
		})
	}
}

func TestBudgetStatus(t *testing.T) {
	lbl := map[string]string{"app": "db"}
	pod := func(ready bool) *corev1.Pod {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Labels: lbl},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}}}
	}
	one := intstr.FromInt32(1)
	cases := []struct {
		name             string
		spec             policyv1.PodDisruptionBudgetSpec
		pods             []*corev1.Pod
		healthy, allowed int32
	}{
		{"maxUnavailable 1, all ready", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one}, []*corev1.Pod{pod(true), pod(true), pod(true)}, 3, 1},
		{"maxUnavailable 1, one down", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one}, []*corev1.Pod{pod(true), pod(false), pod(true)}, 2, 0},
		{"minAvailable 1", policyv1.PodDisruptionBudgetSpec{MinAvailable: &one}, []*corev1.Pod{pod(true), pod(true)}, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Selector = &metav1.LabelSelector{MatchLabels: lbl}
			st := budgetStatus(&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "shop"}, Spec: c.spec}, c.pods)
			if st.CurrentHealthy != c.healthy || st.DisruptionsAllowed != c.allowed {
				t.Errorf("healthy %d allowed %d, want %d and %d", st.CurrentHealthy, st.DisruptionsAllowed, c.healthy, c.allowed)
			}
		})
	}
}
