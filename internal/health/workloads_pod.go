package health

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pod is what the workloads rules read of one pod: a summary the pods watch keeps instead of the
// *corev1.Pod (internal/watch turns each pod into one as it arrives, PodOf), so that tens of thousands of
// pods cost a few megabytes. The JSON names are what a finding's detail shows.
type Pod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
	// OwnerKind and OwnerName name the pod's controller: "Deployment" for a ReplicaSet's pod whose
	// pod-template-hash names its Deployment, "ReplicaSet" when it does not, "StatefulSet", "DaemonSet",
	// "Job", "Node" for a static pod's mirror; empty for a bare pod.
	OwnerKind string `json:"ownerKind,omitempty"`
	OwnerName string `json:"ownerName,omitempty"`
	Node      string `json:"node,omitempty"`
	// Phase is status.phase; Reason and Message status.reason ("Evicted", "NodeLost") and status.message.
	Phase   corev1.PodPhase `json:"phase"`
	Reason  string          `json:"reason,omitempty"`
	Message string          `json:"message,omitempty"`
	Created time.Time       `json:"created"`
	// Scheduled is when PodScheduled became True (zero while it is not).
	Scheduled time.Time `json:"scheduled,omitzero"`
	// Unschedulable is the scheduler's message while PodScheduled is False with reason Unschedulable.
	Unschedulable string `json:"unschedulable,omitempty"`
	Ready         bool   `json:"ready"`
	// ReadyChanged is when the Ready condition last changed.
	ReadyChanged time.Time `json:"readyChanged,omitzero"`
	// Deleting is when the pod was due to be gone (its deletion timestamp, the grace period included):
	// zero unless it is Terminating.
	Deleting   time.Time   `json:"deleting,omitzero"`
	Finalizers []string    `json:"finalizers,omitempty"`
	Containers []Container `json:"containers,omitempty"`
	// Claims are the PersistentVolumeClaims its volumes name (what the storage runbooks follow).
	Claims []string `json:"claims,omitempty"`
}

// Container is one container's state, summarised.
type Container struct {
	Name  string `json:"name"`
	Init  bool   `json:"init,omitempty"`
	Ready bool   `json:"ready"`
	// Exactly one of Waiting (its reason), Running and Terminated (its reason) describes the state; none
	// when the kubelet has not reported it yet.
	Waiting        string `json:"waiting,omitempty"`
	WaitingMessage string `json:"waitingMessage,omitempty"`
	Running        bool   `json:"running,omitempty"`
	Terminated     string `json:"terminated,omitempty"`
	ExitCode       int32  `json:"exitCode,omitempty"`
	Restarts       int32  `json:"restarts,omitempty"`
	// LastReason, LastExit and LastFinished describe the previous termination (why it restarted).
	LastReason   string    `json:"lastReason,omitempty"`
	LastExit     int32     `json:"lastExit,omitempty"`
	LastFinished time.Time `json:"lastFinished,omitzero"`
}

// Key is "namespace/name", how Objects.MountProblems names the pod.
func (p *Pod) Key() string { return p.Namespace + "/" + p.Name }

// Object is the pod's finding object, "Pod/namespace/name".
func (p *Pod) Object() string { return "Pod/" + p.Namespace + "/" + p.Name }

// PodOf summarises a pod into what the workloads rules read.
func PodOf(p *corev1.Pod) *Pod {
	s := &Pod{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), Node: p.Spec.NodeName,
		Phase: p.Status.Phase, Reason: p.Status.Reason, Message: oneLine(p.Status.Message),
		Created: p.CreationTimestamp.Time, Finalizers: p.Finalizers}
	if p.DeletionTimestamp != nil {
		s.Deleting = p.DeletionTimestamp.Time
	}
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			s.OwnerKind, s.OwnerName = o.Kind, o.Name
		}
	}
	if s.OwnerKind == "ReplicaSet" {
		if h := p.Labels["pod-template-hash"]; h != "" {
			if d, ok := strings.CutSuffix(s.OwnerName, "-"+h); ok && d != "" {
				s.OwnerKind, s.OwnerName = "Deployment", d
			}
		}
	}
	for _, c := range p.Status.Conditions {
		switch c.Type {
		case corev1.PodScheduled:
			if c.Status == corev1.ConditionTrue {
				s.Scheduled = c.LastTransitionTime.Time
			} else if c.Reason == corev1.PodReasonUnschedulable {
				s.Unschedulable = oneLine(c.Message)
				if s.Unschedulable == "" {
					s.Unschedulable = c.Reason
				}
			}
		case corev1.PodReady:
			s.Ready = c.Status == corev1.ConditionTrue
			s.ReadyChanged = c.LastTransitionTime.Time
		}
	}
	n := len(p.Status.InitContainerStatuses) + len(p.Status.ContainerStatuses)
	if n > 0 {
		s.Containers = make([]Container, 0, n)
	}
	for _, cs := range p.Status.InitContainerStatuses {
		s.Containers = append(s.Containers, containerOf(cs, true))
	}
	for _, cs := range p.Status.ContainerStatuses {
		s.Containers = append(s.Containers, containerOf(cs, false))
	}
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			s.Claims = append(s.Claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return s
}

func containerOf(cs corev1.ContainerStatus, init bool) Container {
	c := Container{Name: cs.Name, Init: init, Ready: cs.Ready, Restarts: cs.RestartCount}
	switch st := cs.State; {
	case st.Waiting != nil:
		c.Waiting, c.WaitingMessage = st.Waiting.Reason, oneLine(st.Waiting.Message)
		if c.Waiting == "" {
			c.Waiting = "Waiting"
		}
	case st.Running != nil:
		c.Running = true
	case st.Terminated != nil:
		c.Terminated, c.ExitCode = st.Terminated.Reason, st.Terminated.ExitCode
		if c.Terminated == "" {
			c.Terminated = "Terminated"
		}
	}
	if t := cs.LastTerminationState.Terminated; t != nil {
		c.LastReason, c.LastExit, c.LastFinished = t.Reason, t.ExitCode, t.FinishedAt.Time
	}
	return c
}

// MountProblem is the newest Warning a pod's volumes got — FailedMount, FailedAttachVolume (a
// Multi-Attach error among them) — which the Kubernetes source takes from the Warning events it keeps.
// It only explains a pod the rules already judge waiting from its own status: no rule judges an event.
type MountProblem struct {
	Reason   string
	Message  string
	LastSeen time.Time
}

// MultiAttach tells a volume held attached to another node (a stale VolumeAttachment after a node was
// lost or a pod force-deleted).
func (m MountProblem) MultiAttach() bool { return strings.Contains(m.Message, "Multi-Attach error") }

// IsMountProblem tells the Warning reasons that are about a pod's volumes.
func IsMountProblem(reason string) bool {
	switch reason {
	case "FailedMount", "FailedAttachVolume", "FailedMapVolume":
		return true
	}
	return false
}
