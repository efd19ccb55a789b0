package runbooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// MultiAttach is `multi-attach`: a pod waits on a Multi-Attach error because a VolumeAttachment still
// holds its volume on another node — a node lost, a pod force-deleted (PLATFORM.md §6: the Vault pod
// after a node was lost). The precheck reads the pod's Multi-Attach warning, the VolumeAttachment holding
// its volume on another node and that node's state, and refuses while the node is Ready (the volume may
// really be in use there: not a stale attachment). A person confirms the node is off when it is there,
// not Ready and not out of service; delete-volumeattachment deletes exactly that VolumeAttachment, its
// name typed, bound to what was previewed (and refused by the action while a pod there still mounts the
// volume); the postcheck waits for the pod Running and Ready — a Vault pod that comes back sealed is
// sent to vault-sealed.
func MultiAttach() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookMultiAttach, Title: "A pod waits on a Multi-Attach error: a stale VolumeAttachment holds its volume",
		Summary: "find the VolumeAttachment that holds the pod's volume on another node, refuse while that node is Ready, confirm it is off, delete that VolumeAttachment, wait for the pod Running and Ready",
		Kinds:   []string{"Pod"},
		Steps: []runbook.Step{
			{ID: "holder", Kind: runbook.Precheck, Title: "Read the pod's Multi-Attach warning, the VolumeAttachment holding its volume and that node's state",
				Check: multiAttachCheck},
			{ID: "confirm-off", Kind: runbook.Manual, Title: "Confirm the node holding the volume is off (Omni / Proxmox)", Instructions: confirmOffInstructions},
			{ID: "free", Kind: runbook.Action, Title: "Delete the stale VolumeAttachment (only while its node is not Ready and nothing there mounts the volume)",
				Do: "delete-volumeattachment", Objects: heldAttachments},
			{ID: "running", Kind: runbook.Postcheck, Title: "Wait for the pod Running and Ready (a Vault pod sealed: runbook vault-sealed)", Wait: multiAttachRunning,
				Every: 5 * time.Second, Timeout: 15 * time.Minute},
		}}
}

// Facts multi-attach's precheck keeps for the later steps: names only.
const (
	factAttachments = "attachments" // the VolumeAttachments holding the pod's volumes, space-separated
	factHolders     = "holders"     // "node=state" for each, ";"-separated
)

// holder is a VolumeAttachment holding one of the pod's volumes on another node.
type holder struct {
	attachment, volume, node, state string
}

func (h holder) String() string {
	return fmt.Sprintf("VolumeAttachment %s holds volume %s on node %s (%s)", h.attachment, h.volume, h.node, h.state)
}

// podScene is what multi-attach and mount-failed read about one pod: it, its newest mount warning, the
// nodes and the volumes.
type podScene struct {
	target runbook.Target
	pod    *corev1.Pod // nil: no such pod
	mount  health.MountProblem
	nodes  nodeStateMap
	vols   volumes
	now    time.Time
}

// readPodScene reads t's pod, its newest Warning about its volumes, the nodes and the volumes.
func readPodScene(ctx context.Context, w runbook.World, t runbook.Target) (podScene, error) {
	s := podScene{target: t, now: now(w)}
	if err := needKube(w); err != nil {
		return s, err
	}
	p, err := w.Kube.CoreV1().Pods(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return s, nil
	case err != nil:
		return s, fmt.Errorf("read pod %s/%s: %w", t.Namespace, t.Name, err)
	}
	s.pod = p
	events, err := w.Kube.CoreV1().Events(t.Namespace).List(ctx, metav1.ListOptions{FieldSelector: fields.AndSelectors(
		fields.OneTermEqualSelector("type", corev1.EventTypeWarning), fields.OneTermEqualSelector("involvedObject.name", t.Name)).String()})
	if err != nil {
		return s, fmt.Errorf("list the events of pod %s/%s: %w", t.Namespace, t.Name, err)
	}
	s.mount = mountProblemsOf(events.Items)[t.Namespace+"/"+t.Name]
	nodes, err := listNodes(ctx, w)
	if err != nil {
		return s, err
	}
	s.nodes = nodeStates(nodes)
	s.vols, err = readVolumes(ctx, w)
	return s, err
}

// ownMountProblem is the pod's newest Warning about its volumes when it came since the pod was made
// (an older one was about a pod of that name before it), and the pod is still waiting to start.
func (s podScene) ownMountProblem() (health.MountProblem, bool) {
	p := s.pod
	if p == nil || s.mount.Reason == "" || s.mount.LastSeen.Before(p.CreationTimestamp.Time) {
		return health.MountProblem{}, false
	}
	return s.mount, p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodPending
}

// holders are the VolumeAttachments that hold one of the pod's volumes on a node other than its own.
func (s podScene) holders() []holder {
	var out []holder
	for _, claim := range claimsOf(s.pod) {
		c := s.vols.claims[s.pod.Namespace+"/"+claim]
		if c == nil || c.Spec.VolumeName == "" {
			continue
		}
		for _, va := range s.vols.attachments {
			if pv := va.Spec.Source.PersistentVolumeName; pv != nil && *pv == c.Spec.VolumeName && va.Spec.NodeName != s.pod.Spec.NodeName {
				out = append(out, holder{attachment: va.Name, volume: *pv, node: va.Spec.NodeName, state: s.nodes.of(va.Spec.NodeName)})
			}
		}
	}
	return out
}

// judgeMultiAttach is the precheck's verdict: it applies to a pod waiting on a Multi-Attach error since
// it was made whose volume a VolumeAttachment holds on another node that is not Ready (or gone, or out
// of service); not while that node is Ready — the volume may really be in use there.
func judgeMultiAttach(s podScene) runbook.Verdict {
	ref := s.target.Namespace + "/" + s.target.Name
	if s.pod == nil {
		return runbook.Verdict{Why: "no pod " + ref}
	}
	mp, waiting := s.ownMountProblem()
	switch {
	case !waiting && s.pod.Status.Phase == corev1.PodRunning:
		return runbook.Verdict{Why: ref + " is Running: its volumes are attached, nothing is held"}
	case mp.Reason == "":
		return runbook.Verdict{Why: ref + " has no Warning about its volumes since it was made: no Multi-Attach error to repair"}
	case !waiting:
		return runbook.Verdict{Why: ref + " is not waiting to start (" + orUnknown(string(s.pod.Status.Phase)) + "): no Multi-Attach error to repair"}
	case !mp.MultiAttach():
		return runbook.Verdict{Why: fmt.Sprintf("%s's volumes fail otherwise (%s: %s): runbook %s", ref, mp.Reason, oneLine(mp.Message), health.RunbookMountFailed)}
	}
	v := runbook.Verdict{Details: []string{fmt.Sprintf("%s on node %s: %s: %s", ref, orUnknown(s.pod.Spec.NodeName), mp.Reason, oneLine(mp.Message))}}
	hs := s.holders()
	if len(hs) == 0 {
		v.Why = ref + ": no VolumeAttachment holds its volumes on another node any more: the attach-detach controller attaches them now — wait, then read its events"
		return v
	}
	var names, nodes []string
	for _, h := range hs {
		v.Details = append(v.Details, h.String())
		if h.state == nodeReady {
			v.Why = fmt.Sprintf("the volume is in use on node %s, which is Ready: this is not a stale attachment (VolumeAttachment %s, volume %s) — find which pod there uses it, or why its kubelet does not detach it",
				h.node, h.attachment, h.volume)
			return v
		}
		names = append(names, h.attachment)
		nodes = append(nodes, h.node+"="+h.state)
	}
	v.Applies = true
	v.Why = fmt.Sprintf("%s waits on a Multi-Attach error: %s", ref, hs[0])
	if len(hs) > 1 {
		v.Why += fmt.Sprintf(" and %d more", len(hs)-1)
	}
	v.Facts = map[string]string{factAttachments: strings.Join(names, " "), factHolders: strings.Join(nodes, ";")}
	v.Systems = []string{"pod " + ref + ": Multi-Attach on " + strings.Join(names, ", ")}
	return v
}

func multiAttachCheck(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	s, err := readPodScene(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeMultiAttach(s), nil
}

// confirmOffInstructions: the nodes the precheck found holding the volume, what to confirm for each.
func confirmOffInstructions(_ runbook.Target, earlier func(string) runbook.StepState) []string {
	var out []string
	for _, nodeState := range strings.Split(earlier("holder").Facts[factHolders], ";") {
		node, state, ok := strings.Cut(nodeState, "=")
		if !ok {
			continue
		}
		switch state {
		case nodeNotReady:
			out = append(out, "Confirm node "+node+" is off: in Omni, its machine disconnected (Machines); in Proxmox, its VM stopped (qm status <vmid>) — a machine still running may write to the volume, and deleting its attachment then corrupts the filesystem. If it is on, abort this run: once its kubelet is back it detaches the volume itself.")
		case nodeOutOfService:
			out = append(out, "Node "+node+" is tainted out of service: a person already confirmed it off (node-lost). Nothing to confirm.")
		case nodeGone:
			out = append(out, "Node "+node+" is gone (no such Node): nothing runs there. Nothing to confirm.")
		}
	}
	if len(out) == 0 {
		out = append(out, "The precheck named no node: read its verdict.")
	}
	return append(out, "Tick this once confirmed, saying how (\"VM 113 stopped in Proxmox\").")
}

// heldAttachments are the free step's objects: the VolumeAttachments the precheck named, read again —
// refused when the pod's state changed since (the verdict no longer applies, or names others).
func heldAttachments(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	s, err := readPodScene(ctx, w, t)
	if err != nil {
		return nil, err
	}
	v := judgeMultiAttach(s)
	if !v.Applies {
		return nil, fmt.Errorf("no longer applies: %s", v.Why)
	}
	var then string
	if w.Earlier != nil {
		then = w.Earlier("holder").Facts[factAttachments]
	}
	if now := v.Facts[factAttachments]; then != "" && now != then {
		return nil, fmt.Errorf("changed since the precheck: it named VolumeAttachment %s, it is %s now — run %s again", then, now, health.RunbookMultiAttach)
	}
	var out []actions.Target
	for _, name := range strings.Fields(v.Facts[factAttachments]) {
		out = append(out, actions.Target{Kind: actions.KindVolumeAttachment, Name: name})
	}
	return out, nil
}

func multiAttachRunning(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	s, err := readPodScene(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	return runningProgress(s), nil
}

// runningProgress is the postcheck's reading: done once the pod is Running and Ready; a Vault server
// Running but not Ready is sealed, and the line sends the person to vault-sealed.
func runningProgress(s podScene) runbook.Progress {
	ref := s.target.Namespace + "/" + s.target.Name
	p := s.pod
	switch {
	case p == nil:
		return runbook.Progress{Line: "no pod " + ref + " (its controller makes it again)"}
	case p.DeletionTimestamp != nil:
		return runbook.Progress{Line: ref + " is Terminating"}
	case p.Status.Phase == corev1.PodRunning && podReady(p):
		return runbook.Progress{Done: true, Line: ref + " is Running and Ready on node " + orUnknown(p.Spec.NodeName)}
	case p.Status.Phase == corev1.PodRunning && vaultServer(p):
		return runbook.Progress{Line: ref + " is Running, its volume mounted, but not Ready: a sealed Vault server is not Ready — unseal it: runbook " + health.RunbookVaultSealed}
	case p.Status.Phase == corev1.PodRunning:
		return runbook.Progress{Line: ref + " is Running, not Ready yet"}
	}
	line := ref + " is " + orUnknown(string(p.Status.Phase))
	if mp, ok := s.ownMountProblem(); ok {
		line += ": " + mp.Reason + ": " + oneLine(mp.Message)
	}
	return runbook.Progress{Line: line}
}

// podReady tells whether p's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// vaultServer tells a Vault server's pod: in namespace vault, or labelled app.kubernetes.io/name=vault.
func vaultServer(p *corev1.Pod) bool {
	return p.Namespace == "vault" || p.Labels["app.kubernetes.io/name"] == "vault"
}
