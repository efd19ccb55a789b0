package runbooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// NodeLost is `node-lost`: a node whose kubelet stopped posting status (Ready Unknown). The precheck
// tells a machine Omni lost too (off, or cut off) from a machine Omni still reaches (only its kubelet or
// its link to the API server is down). Then, as upstream's non-graceful node shutdown prescribes: cordon
// it, evict its pods within their PodDisruptionBudgets, have a person confirm the machine is really off,
// and only then taint it out of service, so that its pods are deleted and its volumes detach to attach
// elsewhere; wait for both, then for their controllers' pods to be Ready on other nodes. Its return is
// NodeReturned.
func NodeLost() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookNodeLost, Title: "A node lost: its kubelet stopped posting status",
		Summary: "cordon it, drain it within the disruption budgets, confirm the machine is off, taint it out of service, wait for its pods and volumes to leave and its workloads to be Ready elsewhere",
		Kinds:   []string{"Node"},
		Steps: []runbook.Step{
			{ID: "lost", Kind: runbook.Precheck, Title: "Read the node and its machine: lost, or only its kubelet?", Check: nodeLost},
			{ID: "cordon", Kind: runbook.Action, Title: "Cordon it: nothing new is scheduled there", Do: "cordon"},
			{ID: "drain", Kind: runbook.Action, Title: "Evict its pods within their PodDisruptionBudgets (DaemonSet and mirror pods stay)",
				Do: "evict-pod", Objects: evictablePods},
			{ID: "powered-off", Kind: runbook.Manual, Title: "Make sure the machine is powered off", Instructions: poweredOff},
			{ID: "out-of-service", Kind: runbook.Action, Title: "Taint it out of service: its pods are deleted, its volumes detach",
				Do: "taint-out-of-service"},
			{ID: "pods-gone", Kind: runbook.Postcheck, Title: "Wait for its pods to leave it", Wait: podsGone,
				Every: 3 * time.Second, Timeout: 10 * time.Minute},
			{ID: "volumes-detached", Kind: runbook.Postcheck, Title: "Wait for its volumes to detach", Wait: volumesDetached,
				Every: 3 * time.Second, Timeout: 10 * time.Minute},
			{ID: "rescheduled", Kind: runbook.Postcheck, Title: "Wait for their controllers' pods to be Ready elsewhere", Wait: rescheduled,
				Every: 3 * time.Second, Timeout: 15 * time.Minute},
		}}
}

// nodeState is what the prechecks read of a node and its machine.
type nodeState struct {
	node *corev1.Node // nil: no such node
	from string       // where the node was read: "the health snapshot", "the API server"
	// omni: Omni is watched (the snapshot says so); machine is then its finding about the machine of the
	// same name (nil: Omni knows none by that name).
	omni    bool
	machine *health.Finding
}

// readNode reads the node: from the health snapshot when there is one (with Omni's finding about its
// machine), else — or when the snapshot's nodes are unreadable, not synced, stale, or lack it — from the
// API server.
func readNode(ctx context.Context, w runbook.World, t runbook.Target) (nodeState, error) {
	var s nodeState
	var snapshotErr error // why the snapshot's nodes cannot be read
	if w.Snapshot != nil {
		snap := w.Snapshot()
		s.omni = snap.Source(platform.SourceOmni).Configured
		s.machine = findingAbout(snap.Report, "Machine/"+t.Name)
		switch err := snap.Missing(health.ResourceNodes); {
		case err != nil:
			snapshotErr = err
		case !snap.Source(platform.SourceKubernetes).Synced:
			snapshotErr = errors.New("the health snapshot has not read the cluster's nodes yet")
		case snap.Source(platform.SourceKubernetes).Stale():
			snapshotErr = fmt.Errorf("the health snapshot's Kubernetes data is stale since %s", snap.Source(platform.SourceKubernetes).StaleSince.UTC().Format(time.TimeOnly))
		default:
			s.from = "the health snapshot"
			if i := slices.IndexFunc(snap.Nodes, func(n *corev1.Node) bool { return n != nil && n.Name == t.Name }); i >= 0 {
				s.node = snap.Nodes[i]
				return s, nil
			}
			if w.Kube == nil {
				return s, nil
			}
		}
	}
	if w.Kube == nil {
		if snapshotErr != nil {
			return s, fmt.Errorf("no cluster to read %s from (%w)", t, snapshotErr)
		}
		return s, fmt.Errorf("no cluster to read %s from", t)
	}
	n, err := w.Kube.CoreV1().Nodes().Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		s.node = nil
	case err != nil:
		return s, fmt.Errorf("read %s: %w", t, err)
	default:
		s.node = n
	}
	s.from = "the API server"
	return s, nil
}

// findingAbout is the report's finding about object; nil when none.
func findingAbout(r health.Report, object string) *health.Finding {
	for _, l := range r.Layers {
		for i := range l.Findings {
			if l.Findings[i].Object == object {
				return &l.Findings[i]
			}
		}
	}
	return nil
}

// readyOf is the node's Ready condition; nil when it has none.
func readyOf(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// outOfService tells whether the node carries the out-of-service taint.
func outOfService(n *corev1.Node) bool {
	return slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeOutOfService })
}

// now is the world's clock (the engine sets it; a dry run may not).
func now(w runbook.World) time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// at is a time as the prechecks say it: "10:01:07 UTC, 4m ago".
func at(t, now time.Time) string {
	s := t.UTC().Format("15:04:05 UTC")
	if d := now.Sub(t).Round(time.Second); d > 0 {
		s += ", " + d.String() + " ago"
	}
	return s
}

// judgeLost is the node-lost precheck's verdict on what was read: it applies to a node whose kubelet
// stopped posting (Ready Unknown), and says whether Omni lost its machine too.
func judgeLost(s nodeState, name string, now time.Time) runbook.Verdict {
	n := s.node
	if n == nil {
		return runbook.Verdict{Why: fmt.Sprintf("there is no node %s (read from %s): nothing to recover — deleted, or named otherwise", name, s.from)}
	}
	v := runbook.Verdict{Details: []string{"read from " + s.from}}
	ready := readyOf(n)
	var machine string
	if s.machine != nil {
		machine = fmt.Sprintf("Omni: %s is %s: %s", s.machine.Object, s.machine.Status, s.machine.Reason)
	}
	switch {
	case ready == nil:
		v.Why = name + " has no Ready condition: its kubelet has not registered yet; nothing to recover"
		return v
	case ready.Status == corev1.ConditionTrue:
		v.Why = fmt.Sprintf("%s is Ready: its kubelet posted at %s; nothing to recover", name, at(ready.LastHeartbeatTime.Time, now))
		var left []string
		if outOfService(n) {
			left = append(left, "tainted out of service")
		}
		if n.Spec.Unschedulable {
			left = append(left, "cordoned")
		}
		if len(left) > 0 {
			v.Why += fmt.Sprintf(" — it is still %s: runbook %s", strings.Join(left, " and "), NodeReturnedName)
		}
		if s.machine != nil && s.machine.Status == health.Down {
			v.Details = append(v.Details, machine+" — the node is Ready all the same: Omni's link to the machine is what is down")
		}
		return v
	case ready.Status != corev1.ConditionUnknown:
		v.Why = fmt.Sprintf("%s is NotReady but its kubelet still posts (at %s: %s %s): the node is not lost — read its conditions and its kubelet's logs (talosctl -n %s logs kubelet)",
			name, at(ready.LastHeartbeatTime.Time, now), ready.Reason, ready.Message, name)
		return v
	}
	v.Applies = true
	stopped := fmt.Sprintf("%s's kubelet stopped posting status: last at %s", name, at(ready.LastHeartbeatTime.Time, now))
	switch {
	case !s.omni:
		v.Why = stopped + "; Omni is not watched here: whether the machine is off is for you to find out"
	case s.machine == nil:
		v.Why = stopped + "; Omni knows no machine named " + name + ": find it by its address"
	case s.machine.Status == health.Down:
		v.Why = stopped + "; Omni lost its machine too: it is off, or cut off from the network"
		v.Details = append(v.Details, machine)
	default:
		v.Why = stopped + "; Omni still reaches its machine: the machine runs — its kubelet, or its link to the API server, is down"
		v.Details = append(v.Details, machine,
			"a machine that runs must not be tainted out of service: restart its kubelet (talosctl -n "+name+" service kubelet restart), or shut it down first")
	}
	v.Details = append(v.Details, fmt.Sprintf("Ready %s since %s: %s %s", ready.Status, at(ready.LastTransitionTime.Time, now), ready.Reason, ready.Message))
	for _, tn := range n.Spec.Taints {
		v.Details = append(v.Details, "taint "+tn.ToString())
	}
	if n.Spec.Unschedulable {
		v.Details = append(v.Details, "already cordoned")
	}
	return v
}

// nodeLost is the node-lost precheck: the verdict, with the node's pods and volume attachments read
// directly when there is a cluster to read them from.
func nodeLost(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	s, err := readNode(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	v := judgeLost(s, t.Name, now(w))
	if !v.Applies || w.Kube == nil {
		return v, nil
	}
	pods, err := podsOn(ctx, w, t.Name)
	if err != nil {
		return v, err
	}
	v.Details = append(v.Details, podsSummary(t.Name, pods))
	cs, bare, err := controllersOf(ctx, w, t.Name, pods)
	if err != nil {
		return v, err
	}
	v.Facts = map[string]string{factControllers: encodeControllers(cs), factBarePods: strings.Join(bare, ",")}
	if len(bare) > 0 {
		v.Details = append(v.Details, "no controller recreates "+firstFew(bare)+": once removed, it must be recreated from its manifest")
	}
	vas, err := attachedTo(ctx, w, t.Name)
	if err != nil {
		return v, err
	}
	for _, va := range vas {
		v.Details = append(v.Details, "volume attachment "+va)
	}
	return v, nil
}

// podsOn lists the pods bound to node, by namespace and name.
func podsOn(ctx context.Context, w runbook.World, node string) ([]corev1.Pod, error) {
	if w.Kube == nil {
		return nil, fmt.Errorf("no cluster to list node %s's pods from", node)
	}
	l, err := w.Kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		return nil, fmt.Errorf("list node %s's pods: %w", node, err)
	}
	// The field selector is the API server's filter; tested again here for clients that ignore it (fakes).
	pods := slices.DeleteFunc(l.Items, func(p corev1.Pod) bool { return p.Spec.NodeName != node })
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return pods, nil
}

// Why a pod of the node is not evicted by the drain.
const (
	stayDaemonSet   = "DaemonSet"
	stayMirror      = "mirror"
	stayTerminating = "already terminating"
)

// stays says why the drain leaves p alone, as kubectl drain does: a DaemonSet's pod (its controller
// would put it back, and tolerates the cordon), a mirror pod (the kubelet's static pod: the API cannot
// evict it), a pod already being deleted; "" for a pod to evict.
func stays(p corev1.Pod) string {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return stayMirror
	}
	if c := metav1.GetControllerOf(&p); c != nil && c.Kind == "DaemonSet" {
		return stayDaemonSet
	}
	if p.DeletionTimestamp != nil {
		return stayTerminating
	}
	return ""
}

// podsSummary says in one line what is on the node and what the drain will do with it.
func podsSummary(node string, pods []corev1.Pod) string {
	counts := map[string]int{}
	for _, p := range pods {
		counts[stays(p)]++
	}
	s := fmt.Sprintf("%s on %s: %d to evict", count(len(pods), "pod"), node, counts[""])
	for _, k := range []string{stayDaemonSet, stayMirror, stayTerminating} {
		if counts[k] > 0 {
			s += fmt.Sprintf(", %d %s left alone", counts[k], k)
		}
	}
	return s
}

// evictablePods are the drain's objects: the node's pods but those it leaves alone (stays).
func evictablePods(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	pods, err := podsOn(ctx, w, t.Name)
	if err != nil {
		return nil, err
	}
	var out []actions.Target
	for _, p := range pods {
		if stays(p) == "" {
			out = append(out, actions.Target{Kind: actions.KindPod, Namespace: p.Namespace, Name: p.Name})
		}
	}
	return out, nil
}

// poweredOff is what a person checks before the out-of-service taint.
func poweredOff(t runbook.Target, _ func(string) runbook.StepState) []string {
	return []string{
		fmt.Sprintf("Find the machine behind node %s: in Omni (Machines, hostname %s), in Proxmox (its VM), or on its BMC.", t.Name, t.Name),
		"See with your own eyes that it is powered off: Proxmox says the VM is stopped (qm status <vmid>), the BMC says power off, or Omni says POWERED_OFF — \"disconnected\" alone is not enough.",
		"If it is not completely shut down, do not proceed: filesystem corruption can occur. The next step lets its volumes attach elsewhere while it could still write to them.",
		"A machine that runs but cannot be reached: power it off (Proxmox: Stop; BMC: power off), then check again.",
		"Tick this only once you have seen it off, saying where (\"Proxmox: VM 104 stopped\").",
	}
}

// podsGone is the first postcheck: no pod left on the node (DaemonSet and mirror pods aside).
func podsGone(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	pods, err := podsOn(ctx, w, t.Name)
	if err != nil {
		return runbook.Progress{}, err
	}
	var left []string
	aside := 0
	for _, p := range pods {
		switch stays(p) {
		case stayDaemonSet, stayMirror:
			aside++
			continue
		}
		state := string(p.Status.Phase)
		if p.DeletionTimestamp != nil {
			state = "Terminating"
		}
		left = append(left, fmt.Sprintf("%s/%s (%s)", p.Namespace, p.Name, state))
	}
	if len(left) == 0 {
		line := "no pod left on " + t.Name
		if aside > 0 {
			line += fmt.Sprintf(" (%s aside)", count(aside, "DaemonSet or mirror pod"))
		}
		return runbook.Progress{Done: true, Line: line}, nil
	}
	return runbook.Progress{Line: fmt.Sprintf("%s still on %s: %s", count(len(left), "pod"), t.Name, firstFew(left))}, nil
}

// attachedTo lists the VolumeAttachments naming node.
func attachedTo(ctx context.Context, w runbook.World, node string) ([]string, error) {
	if w.Kube == nil {
		return nil, fmt.Errorf("no cluster to list node %s's volume attachments from", node)
	}
	l, err := w.Kube.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volume attachments: %w", err)
	}
	var out []string
	for _, va := range l.Items {
		if va.Spec.NodeName != node {
			continue
		}
		pv := "inline volume"
		if n := va.Spec.Source.PersistentVolumeName; n != nil {
			pv = "PV " + *n
		}
		state := "detached"
		if va.Status.Attached {
			state = "attached"
		}
		if va.DeletionTimestamp != nil {
			state += ", detaching"
		}
		out = append(out, fmt.Sprintf("%s (%s, %s, %s)", va.Name, pv, va.Spec.Attacher, state))
	}
	slices.Sort(out)
	return out, nil
}

// volumesDetached is the second postcheck: no VolumeAttachment names the node any more (the attach-detach
// controller deletes it once the volume is detached).
func volumesDetached(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	vas, err := attachedTo(ctx, w, t.Name)
	if err != nil {
		return runbook.Progress{}, err
	}
	if len(vas) == 0 {
		return runbook.Progress{Done: true, Line: "no volume attached to " + t.Name}, nil
	}
	return runbook.Progress{Line: fmt.Sprintf("%s still on %s: %s", count(len(vas), "volume attachment"), t.Name, firstFew(vas))}, nil
}

// firstFew joins the first three of items, saying how many more there are.
func firstFew(items []string) string {
	const few = 3
	if len(items) <= few {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:few], ", ") + fmt.Sprintf(" and %d more", len(items)-few)
}

// count is n things: "1 pod", "3 pods".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
