package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MountFailed is `mount-failed`: pods whose volumes failed to mount (FailedMount, FailedAttachVolume),
// restarted once their storage is back — the Incidents repository's restart-pods.sh done safely, outside
// a cold start (which cold-start covers whole). Aimed at one pod, or at none: every such pod. The
// precheck lists the pods whose newest Warning since they were made is about their volumes, and which
// volumes; it leaves, saying why, those whose storage is not back — a claim not Bound, a
// VolumeAttachment holding the volume elsewhere (multi-attach), a DiskPool not Online, a CephCluster not
// connected, the Ceph CSI node plugin on their node stale (csi-plugins-stale). delete-pod deletes the
// others, one at a time, each previewed and its name typed — the pod, never its owner; the postcheck
// waits for each back Running and Ready and names those that still fail.
func MountFailed() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookMountFailed, Title: "Pods whose volumes failed to mount, restarted once their storage is back",
		Summary: "list the pods stuck on a failed mount, leave those whose storage is not back (saying why), delete the others one at a time, wait for them Running and Ready",
		Kinds:   []string{"Pod"}, TargetOptional: true,
		Steps: []runbook.Step{
			{ID: "stuck", Kind: runbook.Precheck, Title: "Read the pods stuck on a failed mount, their volumes, and whether their storage is back",
				Check: mountFailedCheck},
			{ID: "restart-pods", Kind: runbook.Action, Title: "Delete, one at a time, each of those pods whose storage is back (its controller makes it again)",
				Do: "delete-pod", Objects: mountFailedPods},
			{ID: "back", Kind: runbook.Postcheck, Title: "Wait for those pods Running and Ready, naming those that still fail", Wait: mountFailedBack,
				Every: 5 * time.Second, Timeout: 15 * time.Minute},
		}}
}

// factRestart is mount-failed's precheck fact: the pods it found restartable, space-separated.
const factRestart = "restart"

// mountScene is what mount-failed reads: every pod judged with its newest Warning when that is about its
// volumes, the nodes, the volumes (the Ceph CSI node plugins' staleness with them).
type mountScene struct {
	target runbook.Target
	pods   []judgedPod
	mounts map[string]health.MountProblem
	nodes  []corev1.Node
	vols   volumes
	now    time.Time
}

func readMountScene(ctx context.Context, w runbook.World, t runbook.Target) (mountScene, error) {
	s := mountScene{target: t, now: now(w)}
	nodes, err := listNodes(ctx, w)
	if err != nil {
		return s, err
	}
	s.nodes = nodes
	pods, err := w.Kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return s, fmt.Errorf("list pods: %w", err)
	}
	events, err := w.Kube.CoreV1().Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning})
	if err != nil {
		return s, fmt.Errorf("list events: %w", err)
	}
	s.mounts = map[string]health.MountProblem{}
	for k, e := range newestWarnings(events.Items, func(string) bool { return true }) {
		if health.IsMountProblem(e.Reason) {
			s.mounts[k] = e
		}
	}
	s.pods = judgePods(pods.Items, nodes, s.mounts, s.now)
	if s.vols, err = readVolumes(ctx, w); err != nil {
		return s, err
	}
	if servesCeph(w) {
		clusters, err := actions.ListCephClusters(ctx, w.Dynamic)
		if err != nil {
			return s, err
		}
		dss, err := w.Kube.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			return s, fmt.Errorf("list daemonsets: %w", err)
		}
		s.vols.stalePlugins = stalePluginsOn(dss.Items, pods.Items, clusters, s.now)
	}
	return s, nil
}

// stalePluginsOn names, by node, the Ceph CSI node plugin DaemonSets whose pod there started before its
// CephCluster connected (health.StaleCSIPlugins, each pod judged on its own).
func stalePluginsOn(dss []appsv1.DaemonSet, pods []corev1.Pod, clusters []*unstructured.Unstructured, now time.Time) map[string][]string {
	out := map[string][]string{}
	for i := range dss {
		ds := &dss[i]
		if !health.IsCephCSINodePlugin(ds.Name) {
			continue
		}
		for j := range pods {
			p := &pods[j]
			if p.Namespace != ds.Namespace || !pluginOf(p, ds) || p.Spec.NodeName == "" {
				continue
			}
			o := health.Objects{Now: now, CephClusters: clusters, DaemonSets: []*appsv1.DaemonSet{ds}, Pods: []*health.Pod{health.PodOf(p)}}
			if len(health.StaleCSIPlugins(o)) > 0 {
				out[p.Spec.NodeName] = append(out[p.Spec.NodeName], ds.Namespace+"/"+ds.Name)
			}
		}
	}
	return out
}

// stuckPod is a pod stuck on a failed mount, and why its storage is not back ("" when it is).
type stuckPod struct {
	judgedPod
	notBack string
}

// stuck are the pods the run is about (its target, or every pod) stuck on a failed mount — the rules
// judge them waiting on their volumes, their newest Warning since they were made about their volumes —
// each with why its storage is not back. A Multi-Attach error is multi-attach's.
func (s mountScene) stuck() []stuckPod {
	var out []stuckPod
	for _, j := range s.pods {
		if !s.aimsAt(j) || j.why != whyWaitingOnVolumes {
			continue
		}
		sp := stuckPod{judgedPod: j, notBack: s.vols.cannotAttach(j.pod)}
		if s.mounts[j.key()].MultiAttach() {
			sp.notBack = strings.TrimPrefix(sp.notBack+"; ", "; ") + "a Multi-Attach error: runbook " + health.RunbookMultiAttach
		}
		out = append(out, sp)
	}
	return out
}

func (s mountScene) aimsAt(j judgedPod) bool {
	return s.target.IsZero() || (j.pod.Namespace == s.target.Namespace && j.pod.Name == s.target.Name)
}

// find is the target's pod as judged.
func (s mountScene) find() (judgedPod, bool) {
	i := slices.IndexFunc(s.pods, func(j judgedPod) bool { return s.aimsAt(j) })
	if i < 0 {
		return judgedPod{}, false
	}
	return s.pods[i], true
}

// volumesOf names p's claims and their volumes: "data (pv-db)".
func (v volumes) volumesOf(p *corev1.Pod) string {
	var out []string
	for _, name := range claimsOf(p) {
		if c := v.claims[p.Namespace+"/"+name]; c != nil && c.Spec.VolumeName != "" {
			out = append(out, name+" ("+c.Spec.VolumeName+")")
			continue
		}
		out = append(out, name)
	}
	return strings.Join(out, ", ")
}

// judgeMountFailed is the precheck's verdict: it applies when a pod stuck on a failed mount has its
// storage back; those whose storage is not back are named, with why, and left.
func judgeMountFailed(s mountScene) runbook.Verdict {
	ref := s.target.Namespace + "/" + s.target.Name
	if !s.target.IsZero() {
		j, ok := s.find()
		switch {
		case !ok:
			return runbook.Verdict{Why: "no pod " + ref}
		case j.why != whyWaitingOnVolumes:
			return runbook.Verdict{Why: ref + " is not stuck on a failed mount: " + j.f.Reason}
		}
	}
	stuck := s.stuck()
	if len(stuck) == 0 {
		return runbook.Verdict{Why: "no pod is stuck on a failed mount: nothing to restart"}
	}
	var v runbook.Verdict
	var restart, left []string
	for _, sp := range stuck {
		line := fmt.Sprintf("%s on %s: %s (volumes: %s)", sp.key(), orUnknown(sp.pod.Spec.NodeName), sp.f.Reason, orUnknown(s.vols.volumesOf(sp.pod)))
		if o := operatorOwner(sp.pod); o != "" {
			line += " — owned by " + o + ": the pod is deleted, never its owner"
		}
		if sp.notBack != "" {
			left = append(left, sp.key())
			v.Details = append(v.Details, "left, its storage is not back: "+line+" — "+sp.notBack)
			continue
		}
		restart = append(restart, sp.key())
		v.Details = append(v.Details, "to restart: "+line)
	}
	if health.ColdStartLike(s.objects()) {
		v.Details = append(v.Details, "this looks like a cold start (nodes down or back lately, many pods on a mount): runbook "+health.RunbookColdStart+" reads the whole platform")
	}
	if len(restart) == 0 {
		if len(stuck) == 1 {
			v.Why = "the storage of " + stuck[0].key() + " is not back: " + stuck[0].notBack
		} else {
			v.Why = fmt.Sprintf("the storage of the %s stuck on a failed mount is not back (%s): restarting them now would only make pods that wait the same", count(len(stuck), "pod"), firstFew(left))
		}
		return v
	}
	v.Applies = true
	v.Why = fmt.Sprintf("%s stuck on a failed mount, their storage back: %s", count(len(restart), "pod"), firstFew(restart))
	if len(left) > 0 {
		v.Why += fmt.Sprintf("; %d left, their storage not back: %s", len(left), firstFew(left))
	}
	v.Facts = map[string]string{factRestart: strings.Join(restart, " ")}
	v.Systems = prefixed("pod stuck on a failed mount: ", restart)
	return v
}

// objects are the nodes and mount problems as the health rules read them.
func (s mountScene) objects() health.Objects {
	o := health.Objects{Now: s.now, MountProblems: s.mounts, Nodes: make([]*corev1.Node, len(s.nodes))}
	for i := range s.nodes {
		o.Nodes[i] = &s.nodes[i]
	}
	return o
}

func mountFailedCheck(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	s, err := readMountScene(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeMountFailed(s), nil
}

// restartNow are the pods to delete: among those the precheck named (then, space-separated; all when
// empty), those still stuck whose storage is back now, in name order.
func restartNow(s mountScene, then string) []actions.Target {
	named := strings.Fields(then)
	var out []actions.Target
	for _, sp := range s.stuck() {
		if sp.notBack != "" || (len(named) > 0 && !slices.Contains(named, sp.key())) {
			continue
		}
		out = append(out, actions.Target{Kind: actions.KindPod, Namespace: sp.pod.Namespace, Name: sp.pod.Name})
	}
	return out
}

// mountFailedPods are the restart-pods step's objects: read again when the step starts, so that a pod
// whose storage went since the precheck (a CephCluster disconnected) is not among them — and when none
// of the pods the precheck named may be deleted now, the step is refused, saying why, until their
// storage is back (or the run aborted).
func mountFailedPods(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	s, err := readMountScene(ctx, w, t)
	if err != nil {
		return nil, err
	}
	var then string
	if w.Earlier != nil {
		then = w.Earlier("stuck").Facts[factRestart]
	}
	out := restartNow(s, then)
	if len(out) == 0 && then != "" {
		return nil, fmt.Errorf("none of the pods the precheck named may be deleted now: %s", notBackNow(s, then))
	}
	return out, nil
}

// notBackNow says, for the pods named (space-separated), why each is not to be deleted now.
func notBackNow(s mountScene, named string) string {
	stuck := map[string]stuckPod{}
	for _, sp := range s.stuck() {
		stuck[sp.key()] = sp
	}
	var out []string
	for _, k := range strings.Fields(named) {
		switch sp, ok := stuck[k]; {
		case !ok:
			out = append(out, k+": no longer stuck on a failed mount")
		default:
			out = append(out, k+": its storage is not back: "+sp.notBack)
		}
	}
	return strings.Join(out, "; ")
}

func mountFailedBack(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	var deleted []string
	if w.Earlier != nil {
		for _, o := range w.Earlier("restart-pods").Objects {
			if o.Done {
				deleted = append(deleted, o.Object)
			}
		}
	}
	s, err := readMountScene(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	return mountBackProgress(deleted, s), nil
}

// mountBackProgress is the postcheck's reading: done once every pod deleted is back, Running and Ready
// (or replaced under a new name); the line names those that still fail, with why.
func mountBackProgress(deleted []string, s mountScene) runbook.Progress {
	if len(deleted) == 0 {
		return runbook.Progress{Done: true, Line: "no pod was deleted"}
	}
	back, waiting := deletedBack(deleted, s.pods)
	line := fmt.Sprintf("%d of %s back, Running and Ready", back, count(len(deleted), "pod"))
	if len(waiting) > 0 {
		line += "; still failing: " + firstFew(waiting)
	}
	return runbook.Progress{Done: len(waiting) == 0, Line: line}
}
