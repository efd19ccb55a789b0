package health

import (
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	corev1 "k8s.io/api/core/v1"
)

// Thresholds of the control-plane pod rules.
const (
	// restartsMany makes a Ready control-plane pod Degraded when its containers restarted that often and
	// the last restart is recent: it flaps.
	restartsMany = 5
	// restartRecent is how recent the last restart must be for restartsMany to count. Older restarts are
	// only noted: a static pod keeps its count until its node reboots.
	restartRecent = time.Hour
)

// ControlPlanePod judges one kube-system pod of the control plane (kube-apiserver,
// kube-controller-manager, kube-scheduler: static pods on Talos, seen through their mirror pods).
//
// Mapping, first match wins: a container in CrashLoopBackOff, or waiting on an image or a config error
// → Down; phase Failed or Succeeded (a control-plane pod must not exit) → Down; phase Unknown or none →
// Unknown (its node stopped reporting: the Node finding says more); Pending → Degraded (starting);
// Running but not Ready → Degraded; Ready with 5 restarts or more, the last within the hour → Degraded
// (it flaps); Ready → OK, with its version and its restarts when there are some.
func ControlPlanePod(p *corev1.Pod, now time.Time) Finding {
	f := Finding{Object: ObjectName("Pod", p)}
	node := orNone(p.Spec.NodeName)
	restarts, last, lastWhy := podRestarts(p)
	if reason, container := stuckContainer(p); reason != "" {
		f.Status, f.Reason = Down, reason+" ("+container+")"+restartsText(restarts)
		f.Hint, f.demo = stuckHint(reason, p)
		return f
	}
	switch p.Status.Phase {
	case corev1.PodFailed, corev1.PodSucceeded:
		f.Status, f.Reason = Down, string(p.Status.Phase)+reasonText(p.Status.Reason, p.Status.Message)
		f.Hint = "a control-plane pod must keep running: read the kubelet's logs on " + node + " (talosctl -n " + node + " logs kubelet)"
		return f.inDemo(demoElsewhere)
	case corev1.PodUnknown, "":
		f.Status, f.Reason = Unknown, "phase unknown: node "+node+" does not report it"
		f.Hint = "read the finding of Node/" + node + "; runbook: " + RunbookNodeLost
		return f
	case corev1.PodPending:
		f.Status, f.Reason = Degraded, "Pending"+waitingText(p)
		f.Hint = "starting: wait; if it lasts, read the pod's events and the kubelet's logs on " + node
		return f
	}
	if c := podCondition(p, corev1.PodReady); c == nil || c.Status != corev1.ConditionTrue {
		f.Status, f.Reason = Degraded, "Running but not Ready"+restartsText(restarts)
		if c != nil {
			f.Reason += reasonText(c.Reason, c.Message)
		}
		f.Hint = "read its logs: kubectl -n " + p.Namespace + " logs " + p.Name
		return f.inDemo(demoElsewhere)
	}
	if restarts >= restartsMany && !last.IsZero() && now.Sub(last) < restartRecent {
		f.Status = Degraded
		f.Reason = fmt.Sprintf("Ready but restarted %d times, last %s ago", restarts, units.Duration(now.Sub(last)))
		if lastWhy != "" {
			f.Reason += " (" + lastWhy + ")"
		}
		f.Hint = "it flaps: read the previous container's logs (kubectl -n " + p.Namespace + " logs " + p.Name + " --previous)"
		return f.inDemo(demoElsewhere)
	}
	f.Status, f.Reason = OK, "Running, Ready"
	if v := podVersion(p); v != "" {
		f.Reason += ", " + v
	}
	f.Reason += restartsText(restarts)
	return f
}

// stuckContainer returns the waiting reason and the name of the first container that cannot run.
func stuckContainer(p *corev1.Pod) (reason, container string) {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && cannotRun(w.Reason) {
			return w.Reason, cs.Name
		}
	}
	return "", ""
}

// cannotRun tells the waiting reasons that mean the container cannot run, as opposed to ContainerCreating.
func cannotRun(reason string) bool {
	switch reason {
	case "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
		"CreateContainerConfigError", "CreateContainerError", "RunContainerError":
		return true
	}
	return false
}

// stuckHint is the hint for a container that cannot run, and what works in the demo instead when the hint
// names a tool.
func stuckHint(reason string, p *corev1.Pod) (hint, demo string) {
	switch reason {
	case "CrashLoopBackOff", "RunContainerError":
		return "read why it exits: kubectl -n " + p.Namespace + " logs " + p.Name + " --previous (or talosctl -n " +
			orNone(p.Spec.NodeName) + " logs -k); for kube-apiserver check etcd first", demoElsewhere
	case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
		return "node " + orNone(p.Spec.NodeName) + " cannot pull the image: check the image name in the machine config and the node's network", ""
	}
	return "the kubelet cannot create the container: read the pod's events and the machine config of node " + orNone(p.Spec.NodeName), ""
}

// podRestarts sums the containers' restarts and returns the latest termination with its reason.
func podRestarts(p *corev1.Pod) (restarts int32, last time.Time, why string) {
	for _, cs := range p.Status.ContainerStatuses {
		restarts += cs.RestartCount
		if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(last) {
			last, why = t.FinishedAt.Time, t.Reason
			if t.ExitCode != 0 {
				why = strings.TrimSpace(fmt.Sprintf("%s exit %d", t.Reason, t.ExitCode))
			}
		}
	}
	return restarts, last, why
}

func restartsText(n int32) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", 1 restart"
	}
	return fmt.Sprintf(", %d restarts", n)
}

// waitingText is ": ContainerCreating" for a starting pod, or "".
func waitingText(p *corev1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return ": " + w.Reason
		}
	}
	return ""
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// podVersion is the tag of the pod's first container image ("v1.27.3"), "" when it has none.
func podVersion(p *corev1.Pod) string {
	if len(p.Spec.Containers) == 0 {
		return ""
	}
	return imageTag(p.Spec.Containers[0].Image)
}

// imageTag is the tag of an image reference: "registry.k8s.io/kube-apiserver:v1.27.3@sha256:…" gives
// "v1.27.3"; "" when there is none (a digest only, or no tag). A registry port is not a tag.
func imageTag(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	name := image[strings.LastIndexByte(image, '/')+1:]
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return ""
}
