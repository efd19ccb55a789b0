package steps

import (
	"context"
	"fmt"

	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/platform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// workloadReady reads a Deployment's or StatefulSet's readiness: its controller saw the latest spec and
// every replica is ready (a Deployment's also updated). Other kinds are not waited for: ok.
func workloadReady(ctx context.Context, k *platform.Kube, w helmops.Workload) (ready, want int32, ok bool, err error) {
	switch w.Kind {
	case "Deployment":
		d, err := k.Typed.AppsV1().Deployments(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return 0, 0, false, err
		}
		ready, want = d.Status.ReadyReplicas, replicas(d.Spec.Replicas)
		return ready, want, d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas >= want && ready >= want, nil
	case "StatefulSet":
		s, err := k.Typed.AppsV1().StatefulSets(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return 0, 0, false, err
		}
		ready, want = s.Status.ReadyReplicas, replicas(s.Spec.Replicas)
		return ready, want, s.Status.ObservedGeneration >= s.Generation && ready >= want, nil
	}
	return 0, 0, true, nil
}

// replicas is a spec's replica count: unset means one, as the API server defaults it.
func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

// waitWorkloads lists the workloads with their ready replicas until all are ready.
func waitWorkloads(ctx context.Context, e *Env, k *platform.Kube, step ID, ws []helmops.Workload, emit func(Event)) error {
	n := 0
	return e.until(ctx, e.clusterWait(), func() (bool, error) {
		items := make([]Item, len(ws))
		n = 0
		for i, w := range ws {
			it := Item{Name: w.Kind + " " + w.Namespace + "/" + w.Name}
			ready, want, ok, err := workloadReady(ctx, k, w)
			switch {
			case err != nil:
				it.State, it.Failed = k.Classify(err).Error(), true
			case ok:
				it.State, it.OK = fmt.Sprintf("%d/%d ready", ready, want), true
				n++
			default:
				it.State = fmt.Sprintf("%d/%d ready", ready, want)
			}
			items[i] = it
		}
		emit(Event{Step: step, Items: items, Done: int64(n), Total: int64(len(ws)), Unit: "workloads"})
		if n < len(ws) {
			return false, nil
		}
		if len(ws) > 0 {
			emit(Event{Step: step, Message: fmt.Sprintf("%d workloads ready", n)})
		}
		return true, nil
	}, func() error {
		return fmt.Errorf("%d of %d workloads ready after %s: look at their pods (events, image pulls, resources)",
			n, len(ws), e.clusterWait())
	})
}
