package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The facts node-lost's precheck keeps of the pods it found on the node, for its last postcheck.
const (
	factControllers = "controllers" // the controllers that must put their pods back elsewhere
	factBarePods    = "bare-pods"   // pods no controller recreates
)

// controllerWant is a controller whose pods were on the lost node: how many Ready pods it should have
// once they are back elsewhere.
type controllerWant struct {
	Kind, Namespace, Name string
	UID                   types.UID
	Want                  int
}

func (c controllerWant) String() string { return c.Kind + " " + c.Namespace + "/" + c.Name }

// encodeControllers writes the controllers as a fact: "Kind/ns/name/uid/want" joined by ";" (names and
// UIDs hold no "/" or ";").
func encodeControllers(cs []controllerWant) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = strings.Join([]string{c.Kind, c.Namespace, c.Name, string(c.UID), strconv.Itoa(c.Want)}, "/")
	}
	return strings.Join(parts, ";")
}

// decodeControllers reads encodeControllers' fact back; an entry it cannot read is an error (a state file
// edited by hand).
func decodeControllers(s string) ([]controllerWant, error) {
	if s == "" {
		return nil, nil
	}
	var out []controllerWant
	for _, p := range strings.Split(s, ";") {
		f := strings.Split(p, "/")
		if len(f) != 5 {
			return nil, fmt.Errorf("the precheck's controllers fact %q: want Kind/namespace/name/uid/count", p)
		}
		n, err := strconv.Atoi(f[4])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("the precheck's controllers fact %q: the count %q", p, f[4])
		}
		out = append(out, controllerWant{Kind: f[0], Namespace: f[1], Name: f[2], UID: types.UID(f[3]), Want: n})
	}
	return out, nil
}

// controllersOf reads, for the pods the drain deals with on node (stays(p) == ""), the controllers that
// recreate them and how many Ready pods each wants — its spec.replicas for a ReplicaSet or a StatefulSet,
// else the pods it had across the cluster when read (a database operator's instances, a Job's) — and the
// pods no controller recreates.
func controllersOf(ctx context.Context, w runbook.World, node string, pods []corev1.Pod) ([]controllerWant, []string, error) {
	var out []controllerWant
	var bare []string
	seen := map[types.UID]bool{}
	for _, p := range pods {
		if stays(p) != "" {
			continue
		}
		c := metav1.GetControllerOf(&p)
		if c == nil {
			bare = append(bare, p.Namespace+"/"+p.Name)
			continue
		}
		if seen[c.UID] {
			continue
		}
		seen[c.UID] = true
		want, err := wantedReplicas(ctx, w, p.Namespace, c)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, controllerWant{Kind: c.Kind, Namespace: p.Namespace, Name: c.Name, UID: c.UID, Want: want})
	}
	slices.SortFunc(out, func(a, b controllerWant) int { return strings.Compare(a.String(), b.String()) })
	return out, bare, nil
}

// wantedReplicas is how many Ready pods the controller c of a pod in ns should have.
func wantedReplicas(ctx context.Context, w runbook.World, ns string, c *metav1.OwnerReference) (int, error) {
	var replicas *int32
	var err error
	switch {
	case c.Kind == "ReplicaSet" && strings.HasPrefix(c.APIVersion, "apps/"):
		rs, e := w.Kube.AppsV1().ReplicaSets(ns).Get(ctx, c.Name, metav1.GetOptions{})
		if err = e; e == nil {
			replicas = rs.Spec.Replicas
		}
	case c.Kind == "StatefulSet" && strings.HasPrefix(c.APIVersion, "apps/"):
		sts, e := w.Kube.AppsV1().StatefulSets(ns).Get(ctx, c.Name, metav1.GetOptions{})
		if err = e; e == nil {
			replicas = sts.Spec.Replicas
		}
	default:
		l, e := w.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if e != nil {
			return 0, fmt.Errorf("list the pods of %s %s/%s: %w", c.Kind, ns, c.Name, e)
		}
		n := 0
		for i := range l.Items {
			if o := metav1.GetControllerOf(&l.Items[i]); o != nil && o.UID == c.UID {
				n++
			}
		}
		return n, nil
	}
	switch {
	case apierrors.IsNotFound(err):
		return 0, nil // gone: nothing to wait for
	case err != nil:
		return 0, fmt.Errorf("read %s %s/%s: %w", c.Kind, ns, c.Name, err)
	case replicas == nil:
		return 1, nil
	}
	return int(*replicas), nil
}

// rescheduled is node-lost's last postcheck: each controller whose pods were on the node has its Ready
// pods again, elsewhere. Pods no controller recreates are named, not waited for.
func rescheduled(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	facts := w.Earlier("lost").Facts
	cs, err := decodeControllers(facts[factControllers])
	if err != nil {
		return runbook.Progress{}, err
	}
	var bare []string
	if b := facts[factBarePods]; b != "" {
		bare = strings.Split(b, ",")
	}
	pods := map[string][]corev1.Pod{} // by namespace, read once per postcheck
	var lines []string
	for _, c := range cs {
		if _, ok := pods[c.Namespace]; !ok {
			l, err := w.Kube.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return runbook.Progress{}, fmt.Errorf("list the pods of %s: %w", c.Namespace, err)
			}
			pods[c.Namespace] = l.Items
		}
		ready, pending := readyElsewhere(pods[c.Namespace], c.UID, t.Name)
		if ready >= c.Want {
			continue
		}
		line := fmt.Sprintf("%s %d of %d Ready elsewhere", c, ready, c.Want)
		if len(pending) > 0 {
			line += "; " + firstFew(pending)
		}
		lines = append(lines, line)
	}
	var tail string
	if len(bare) > 0 {
		tail = fmt.Sprintf("; not recreated by any controller (recreate from its manifest): %s", firstFew(bare))
	}
	if len(lines) == 0 {
		return runbook.Progress{Done: true, Line: fmt.Sprintf("%s Ready again elsewhere", countControllers(len(cs))) + tail}, nil
	}
	return runbook.Progress{Line: strings.Join(lines, "; ") + tail}, nil
}

// countControllers is "every controller's pods" for n controllers ("no controller had pods there" for none).
func countControllers(n int) string {
	if n == 0 {
		return "no controller had pods there: nothing to wait for;"
	}
	return fmt.Sprintf("the pods of %s are", count(n, "controller"))
}

// readyElsewhere counts the pods of the controller uid that are Ready and not on node, and says what the
// others wait on ("web-7f9c not scheduled: 0/3 nodes are available…"), read through the workloads
// layer's pod summary (health.PodOf).
func readyElsewhere(pods []corev1.Pod, uid types.UID, node string) (int, []string) {
	ready := 0
	var waiting []string
	for i := range pods {
		p := &pods[i]
		if c := metav1.GetControllerOf(p); c == nil || c.UID != uid || p.Spec.NodeName == node || p.DeletionTimestamp != nil {
			continue
		}
		s := health.PodOf(p)
		if s.Ready {
			ready++
			continue
		}
		state := string(s.Phase)
		if s.Node == "" {
			state = "not scheduled"
		}
		if s.Unschedulable != "" {
			state += ": " + s.Unschedulable
		}
		waiting = append(waiting, p.Name+" "+state)
	}
	slices.Sort(waiting)
	return ready, waiting
}
