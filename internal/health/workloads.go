package health

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Thresholds of the workloads rules. Grace periods count from the pod's own timestamps to Objects.Now.
const (
	// StartGrace is how long a pod may take to be scheduled and to create its containers (pull images,
	// mount volumes, run its init containers) before it counts as failing.
	StartGrace = 3 * time.Minute
	// ReadyGrace is how long a running pod may stay not Ready.
	ReadyGrace = 2 * time.Minute
	// TerminatingGrace is how long a Terminating pod may outlive its grace period before it is stuck.
	TerminatingGrace = 5 * time.Minute
	// MaxPodFindings bounds the failing pods listed one by one, worst first: the others are counted in
	// the Pods/all finding, so that a cold start with thousands of failing pods stays readable.
	MaxPodFindings = 100
)

// ResourceDaemonSets is the o.Unavailable key of DaemonSets.
const ResourceDaemonSets = "daemonsets.apps"

// PodsObject is the object of the workloads layer's census finding: every pod counted by verdict.
const PodsObject = "Pods/all"

// Why a pod is as it is, in a few words: the census and the controllers' findings count pods by these.
const (
	whyRunning       = "Running"
	whyCompleted     = "Completed"
	whyStarting      = "starting"
	whyTerminating   = "Terminating"
	whyStuckDeleting = "stuck Terminating"
	whyFailed        = "Failed"
	whyEvicted       = "Evicted"
	whyNodeDown      = "node not Ready"
	whyNodeGone      = "node gone"
	whyUnknown       = "phase Unknown"
	whyCrashLoop     = "CrashLoopBackOff"
	whyImagePull     = "ImagePullBackOff"
	whyConfig        = "CreateContainerConfigError"
	whyCannotCreate  = "cannot create containers"
	whyUnschedulable = "unschedulable"
	whyNotScheduled  = "not scheduled"
	whyMounts        = "waiting on volumes"
	whyStuckStarting = "stuck starting"
	whyNotReady      = "not Ready"
	whyRestarting    = "restarting"
	whyWaitVault     = "waiting on Vault"
	whyVaultNotReady = "Vault server not Ready"
)

// runbookOf is the runbook that repairs pods failing for why ("" when none does).
func runbookOf(why string) string {
	switch why {
	case whyMounts:
		return RunbookColdStart
	case whyNodeDown, whyNodeGone, whyUnknown:
		return RunbookNodeLost
	case whyStuckDeleting:
		return RunbookStuckTerminating
	case whyWaitVault, whyVaultNotReady:
		return RunbookVaultSealed
	}
	return ""
}

// podContext is what a pod's verdict reads besides the pod: its node's state and its volumes' latest
// Warning.
type podContext struct {
	now time.Time
	// nodes by name; nil when the nodes could not be read (a pod's node is then not judged).
	nodes  map[string]nodeState
	mounts map[string]MountProblem
	// nodesDown counts the nodes not Ready: an unschedulable pod may be waiting for them.
	nodesDown int
	// coldStart: the cluster looks like it is coming back from a power loss (ColdStartLike).
	coldStart bool
}

type nodeState struct {
	ready bool
	why   string
}

func newPodContext(o Objects) podContext {
	c := podContext{now: o.Now, mounts: o.MountProblems, coldStart: ColdStartLike(o)}
	if o.Missing(ResourceNodes) != nil || len(o.Nodes) == 0 {
		return c
	}
	c.nodes = make(map[string]nodeState, len(o.Nodes))
	for _, n := range o.Nodes {
		if n == nil {
			continue
		}
		st := nodeState{}
		if r := condition(n, corev1.NodeReady); r != nil {
			st.ready = r.Status == corev1.ConditionTrue
			st.why = r.Reason
		}
		if !st.ready {
			c.nodesDown++
		}
		c.nodes[n.Name] = st
	}
	return c
}

// WorkloadPod judges one pod as the workloads layer does (o gives the time, the nodes and the mount
// problems) and says why in a few words ("CrashLoopBackOff", "waiting on volumes", "Running").
//
// Mapping, first match wins: Terminating → OK within its grace period plus TerminatingGrace, then Down
// (stuck: on a lost node → node-lost, else stuck-terminating); Succeeded → OK; Failed → Degraded
// (Evicted or its exit); its node not Ready or gone → Down (node-lost); phase Unknown → Unknown; a
// container that cannot run (CrashLoopBackOff, ImagePullBackOff, a config error) → Down; Pending
// unschedulable past StartGrace → Down with the scheduler's message; still creating containers past
// StartGrace → Down, "waiting on its volumes" with the reason when a mount problem is known (cold-start
// during a cold start as ColdStartLike tells it, else multi-attach or mount-failed);
// Running but not Ready past ReadyGrace → Degraded; Ready but restarted often lately → Degraded;
// otherwise OK.
func WorkloadPod(p *Pod, o Objects) (Finding, string) {
	f, why := judgePod(p, newPodContext(o))
	f.Object = p.Object()
	return f, why
}

// judgePod is WorkloadPod without the finding's object, which only a failing pod's finding needs.
func judgePod(p *Pod, c podContext) (Finding, string) {
	var f Finding
	node := orNone(p.Node)
	ns, known := nodeState{ready: true}, false
	if c.nodes != nil && p.Node != "" {
		ns, known = c.nodes[p.Node]
		if !known {
			ns = nodeState{}
		}
	}
	nodeLost := c.nodes != nil && p.Node != "" && !ns.ready

	if !p.Deleting.IsZero() {
		late := c.now.Sub(p.Deleting)
		if late <= TerminatingGrace {
			return ok(f, "Terminating"), whyTerminating
		}
		f.Status, f.Reason = Down, "Terminating, its grace period over "+units.Duration(late)+" ago"
		switch {
		case nodeLost:
			f.Reason += " (node " + node + " " + nodeText(ns, known) + ")"
			f.Hint = "its node is lost: the pod goes once the node is back, or once the machine is confirmed off and the node tainted out-of-service; runbook: " + RunbookNodeLost
			return f.inDemo(demoNodeBack), whyStuckDeleting
		case len(p.Finalizers) > 0:
			f.Reason += ", held by finalizers " + strings.Join(p.Finalizers, ", ")
			f.Hint = "check that nothing still uses it before a finalizer is removed; runbook: " + RunbookStuckTerminating
		default:
			f.Hint = "the kubelet on " + node + " does not finish it (a volume that will not unmount?): read its events; runbook: " + RunbookStuckTerminating
		}
		return f.inDemo(demoElsewhere), whyStuckDeleting
	}

	switch p.Phase {
	case corev1.PodSucceeded:
		return ok(f, "Completed"), whyCompleted
	case corev1.PodFailed:
		f.Status = Degraded
		why := whyFailed
		if p.Reason == "Evicted" {
			why = whyEvicted
		}
		f.Reason = "Failed" + reasonText(p.Reason, p.Message)
		if p.Reason == "" && p.Message == "" {
			f.Reason += lastExitText(p)
		}
		f.Hint = "read why (kubectl -n " + p.Namespace + " describe pod " + p.Name + "), then delete it: its controller, if any, has replaced it"
		return f.inDemo(demoElsewhere), why
	}

	if nodeLost {
		f.Status, f.Reason = Down, "its node "+node+" "+nodeText(ns, known)
		why := whyNodeDown
		if !known {
			why = whyNodeGone
		}
		f.Hint = "check the machine's power and network; runbook: " + RunbookNodeLost
		return f.inDemo(demoNodeBack), why
	}
	if p.Phase == corev1.PodUnknown {
		f.Status, f.Reason = Unknown, "phase Unknown: node "+node+" does not report it"
		f.Hint = "read the finding of Node/" + node + "; runbook: " + RunbookNodeLost
		return f, whyUnknown
	}

	if i := stuckContainerOf(p); i >= 0 {
		return cannotRunFinding(f, p, p.Containers[i])
	}

	if p.Node == "" {
		waited := c.now.Sub(p.Created)
		if waited <= StartGrace {
			return ok(f, "Pending, not scheduled yet"), whyStarting
		}
		if p.Unschedulable != "" {
			f.Status, f.Reason = Down, "Pending "+units.Duration(waited)+", unschedulable: "+p.Unschedulable
			f.Hint = "no node can take it: free capacity, or check its node selector, affinity and tolerations"
			if c.nodesDown > 0 {
				f.Hint += "; nodes are down (runbook: " + RunbookNodeLost + ")"
			}
			return f.inDemo(demoElsewhere), whyUnschedulable
		}
		f.Status, f.Reason = Down, "Pending "+units.Duration(waited)+", not scheduled"
		f.Hint = "no scheduler placed it: is kube-scheduler running? read its events (kubectl -n " + p.Namespace + " describe pod " + p.Name + ")"
		return f.inDemo(demoElsewhere), whyNotScheduled
	}

	if w, creating := creatingText(p); creating {
		since := firstOf(p.Scheduled, p.Created)
		waited := c.now.Sub(since)
		if waited <= StartGrace {
			return ok(f, "starting: "+w), whyStarting
		}
		if mp, ok := c.mounts[p.Key()]; ok && !mp.LastSeen.Before(p.Created) {
			f.Status = Down
			f.Reason = "waiting on its volumes for " + units.Duration(waited) + ": " + mp.Reason + ": " + oneLine(mp.Message)
			switch rb := mountRunbook(mp, c.coldStart); {
			case mp.MultiAttach():
				f.Hint = "a VolumeAttachment still holds its volume on another node (a lost node, a force-deleted pod): once that node is confirmed off, delete the stale VolumeAttachment; runbook: " + rb
			case strings.Contains(mp.Message, "Vault is sealed"):
				f.Hint = "its secrets volume logs in to Vault, which is sealed: unseal it and the pod starts; runbook: " + RunbookVaultSealed
				return f.inDemo(demoSealed), whyWaitVault
			default:
				f.Hint = "its volume does not mount (storage not back after a power loss, a stale mount): check the storage layer, then delete the pod once its volume can attach; runbook: " + rb
			}
			return f.inDemo(demoElsewhere), whyMounts
		}
		f.Status, f.Reason = Down, "still "+w+" after "+units.Duration(waited)
		f.Hint = "read its events (kubectl -n " + p.Namespace + " describe pod " + p.Name + ")"
		why := whyStuckStarting
		if len(p.Claims) > 0 {
			f.Reason += " (volumes: " + strings.Join(p.Claims, ", ") + ")"
			f.Hint += "; a volume that will not mount after a restart: runbook: " + RunbookColdStart
		}
		return f.inDemo(demoElsewhere), why
	}

	restarts, last, lastWhy := restartsOf(p)
	if !p.Ready {
		since := firstOf(p.ReadyChanged, p.Scheduled, p.Created)
		waited := c.now.Sub(since)
		if waited <= ReadyGrace {
			return ok(f, "starting: Running, not Ready yet"), whyStarting
		}
		f.Status, f.Reason = Degraded, "Running but not Ready for "+units.Duration(waited)+notReadyText(p)+restartsText(restarts)
		if isVault(p) {
			f.Hint = "a sealed Vault server is not Ready: read the secrets layer; runbook: " + RunbookVaultSealed
			return f.inDemo(demoSealed), whyVaultNotReady
		}
		f.Hint = "its readiness probe fails: read its events and logs (kubectl -n " + p.Namespace + " describe pod " + p.Name + ")"
		return f.inDemo(demoElsewhere), whyNotReady
	}
	if restarts >= restartsMany && !last.IsZero() && c.now.Sub(last) < restartRecent {
		f.Status = Degraded
		f.Reason = fmt.Sprintf("Ready but restarted %d times, last %s ago", restarts, units.Duration(c.now.Sub(last)))
		if lastWhy != "" {
			f.Reason += " (" + lastWhy + ")"
		}
		f.Hint = "it flaps: read the previous container's logs (kubectl -n " + p.Namespace + " logs " + p.Name + " --previous)"
		return f.inDemo(demoElsewhere), whyRestarting
	}
	return ok(f, "Running, Ready"+restartsText(restarts)), whyRunning
}

func ok(f Finding, reason string) Finding {
	f.Status, f.Reason = OK, reason
	return f
}

// nodeText says what is wrong with a pod's node: "is not Ready (NodeStatusUnknown)", "is gone".
func nodeText(ns nodeState, known bool) string {
	if !known {
		return "is gone (no such Node)"
	}
	if ns.why != "" {
		return "is not Ready (" + ns.why + ")"
	}
	return "is not Ready"
}

// isVault tells a Vault server pod (the vault StatefulSet of namespace vault): a sealed Vault is not
// Ready by design.
func isVault(p *Pod) bool {
	return p.Namespace == "vault" && p.OwnerKind == "StatefulSet" && p.OwnerName == "vault"
}

// stuckContainerOf is the index of the first container that cannot run, init containers first; -1 when
// none.
func stuckContainerOf(p *Pod) int {
	for i, c := range p.Containers {
		if cannotRun(c.Waiting) {
			return i
		}
	}
	return -1
}

// cannotRunFinding is the Down finding of a pod whose container c cannot run.
func cannotRunFinding(f Finding, p *Pod, c Container) (Finding, string) {
	where := c.Name
	if c.Init {
		where = "init container " + c.Name
	}
	f.Status, f.Reason = Down, c.Waiting+" ("+where+")"+restartsText(c.Restarts)
	logs := "kubectl -n " + p.Namespace + " logs " + p.Name + " -c " + c.Name + " --previous"
	switch c.Waiting {
	case "CrashLoopBackOff", "RunContainerError":
		if c.LastReason != "" || c.LastExit != 0 {
			f.Reason += ", last exit: " + exitText(c.LastReason, c.LastExit)
		}
		f.Hint = "read why it exits: " + logs
		if strings.HasPrefix(c.Name, "vault-agent") {
			f.Hint += "; a vault-agent that cannot log in waits on Vault: is it sealed? (runbook: " + RunbookVaultSealed + ")"
			return f.inDemo(demoSealed), whyWaitVault
		}
		if len(p.Claims) > 0 {
			f.Hint += "; after a power loss, a crash loop on missing storage heals once its volumes are back (runbook: " + RunbookColdStart + ")"
		}
		return f.inDemo(demoElsewhere), whyCrashLoop
	case "ImagePullBackOff", "ErrImagePull", "InvalidImageName":
		if c.WaitingMessage != "" {
			f.Reason += ": " + c.WaitingMessage
		}
		f.Hint = "node " + orNone(p.Node) + " cannot pull the image: check its name and tag, the registry and the node's network"
		return f.inDemo(demoElsewhere), whyImagePull
	case "CreateContainerConfigError":
		if c.WaitingMessage != "" {
			f.Reason += ": " + c.WaitingMessage
		}
		f.Hint = "a Secret or ConfigMap it names is missing or lacks a key: create it (from Vault, if it is synced from there)"
		return f.inDemo(demoElsewhere), whyConfig
	}
	if c.WaitingMessage != "" {
		f.Reason += ": " + c.WaitingMessage
	}
	f.Hint = "the kubelet cannot create the container: read its events (kubectl -n " + p.Namespace + " describe pod " + p.Name + ")"
	return f.inDemo(demoElsewhere), whyCannotCreate
}

// creatingText tells whether the pod is still creating its containers — none of its main containers
// has started — and what it waits on: "ContainerCreating", "init container migrate running", "Pending".
// An init container that keeps running beside the main ones (a native sidecar) is not waited on.
func creatingText(p *Pod) (string, bool) {
	for _, c := range p.Containers {
		if !c.Init && (c.Running || c.Terminated != "") {
			return "", false
		}
	}
	for _, c := range p.Containers {
		if c.Init && !doneOK(c) {
			if c.Running {
				return "init container " + c.Name + " running", true
			}
			if c.Waiting != "" {
				return c.Waiting + " (init container " + c.Name + ")", true
			}
		}
	}
	for _, c := range p.Containers {
		if !c.Init && c.Waiting != "" {
			return c.Waiting, true
		}
	}
	if p.Phase == corev1.PodPending {
		return "Pending", true
	}
	return "", false
}

// doneOK tells a container that ran to completion (exit 0): an init container that is done.
func doneOK(c Container) bool { return c.Terminated != "" && c.ExitCode == 0 }

// notReadyText names the containers not ready: ": app, sidecar not ready".
func notReadyText(p *Pod) string {
	var names []string
	for _, c := range p.Containers {
		if !c.Init && !c.Ready {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + " not ready)"
}

// restartsOf sums the running pod's containers' restarts and returns the latest termination with its
// reason. An init container's restarts happened before the pod started (waiting on Vault, say): only a
// native sidecar's, still running beside the others, count.
func restartsOf(p *Pod) (restarts int32, last time.Time, why string) {
	for _, c := range p.Containers {
		if c.Init && !c.Running {
			continue
		}
		restarts += c.Restarts
		if c.LastFinished.After(last) {
			last, why = c.LastFinished, exitText(c.LastReason, c.LastExit)
		}
	}
	return restarts, last, why
}

// lastExitText is ": Error exit 1 (app)" for a failed pod's first container that exited, or "".
func lastExitText(p *Pod) string {
	for _, c := range p.Containers {
		if c.Terminated != "" && (c.ExitCode != 0 || c.Terminated != "Completed") {
			return ": " + exitText(c.Terminated, c.ExitCode) + " (" + c.Name + ")"
		}
	}
	return ""
}

// exitText is "Error exit 1", "OOMKilled exit 137", "Completed".
func exitText(reason string, code int32) string {
	if code == 0 {
		return reason
	}
	return strings.TrimSpace(fmt.Sprintf("%s exit %d", reason, code))
}

func firstOf(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// ownerKey names a pod's controller.
type ownerKey struct{ namespace, kind, name string }

// podFailures tallies a controller's failing pods by why.
type podFailures struct {
	n     int
	worst Status
	why   map[string]int
}

func (t *podFailures) add(s Status, why string) {
	t.n++
	t.worst = Worst(t.worst, s)
	if t.why == nil {
		t.why = map[string]int{}
	}
	t.why[why]++
}

// text is "2 pods failing: 1 CrashLoopBackOff, 1 waiting on volumes" ("" when none).
func (t *podFailures) text() string {
	if t == nil || t.n == 0 {
		return ""
	}
	return units.Count(t.n, "pod") + " failing: " + tally(t.why)
}

// runbook is the runbook of the commonest failure that has one.
func (t *podFailures) runbook() string {
	if t == nil {
		return ""
	}
	for _, w := range byCount(t.why) {
		if rb := runbookOf(w); rb != "" {
			return rb
		}
	}
	return ""
}

// byCount orders the whys by count, most first, then by name.
func byCount(counts map[string]int) []string {
	ws := make([]string, 0, len(counts))
	for w := range counts {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		if counts[ws[i]] != counts[ws[j]] {
			return counts[ws[i]] > counts[ws[j]]
		}
		return ws[i] < ws[j]
	})
	return ws
}

// tally is "9 990 Running, 10 Completed": counts most first.
func tally(counts map[string]int) string {
	ws := byCount(counts)
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%d %s", counts[w], w)
	}
	return strings.Join(parts, ", ")
}

// replicaFinding judges a controller from its desired and ready counts and its failing pods: Down when
// none of a desired replica is ready, Degraded below the desired count or while some of its pods fail.
func replicaFinding(f Finding, desired, ready int32, pods *podFailures) Finding {
	f.Status = OK
	switch {
	case desired == 0:
		f.Reason = "scaled to 0"
	default:
		f.Reason = fmt.Sprintf("%d/%d ready", ready, desired)
		if ready == 0 {
			f.Status = Down
		} else if ready < desired {
			f.Status = Degraded
		}
	}
	if t := pods.text(); t != "" {
		f.Reason += "; " + t
		if f.Status == OK {
			f.Status = Degraded
		}
	}
	if f.Status != OK {
		f.Hint = "its failing pods are listed in this layer"
		if pods == nil || pods.n == 0 {
			f.Hint = "its pods are missing or starting: read its events"
		}
		if rb := pods.runbook(); rb != "" {
			f.Hint += "; runbook: " + rb
		}
	}
	return f
}

// deploymentFinding judges a Deployment: ready against desired replicas, a rollout stuck past its
// progress deadline, its failing pods.
func deploymentFinding(d *appsv1.Deployment, pods *podFailures) Finding {
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	f := replicaFinding(Finding{Object: ObjectName("Deployment", d)}, desired, d.Status.ReadyReplicas, pods)
	if d.Spec.Paused {
		f.Reason += ", paused"
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			f.Status = Worst(f.Status, Degraded)
			f.Reason += "; rollout stuck (ProgressDeadlineExceeded" + parenText(c.Message) + ")"
			f.Hint = "its new pods do not become available: read them in this layer; roll back: kubectl -n " + d.Namespace +
				" rollout undo deployment/" + d.Name
			return f.inDemo(demoElsewhere)
		}
	}
	return f
}

func statefulSetFinding(s *appsv1.StatefulSet, pods *podFailures) Finding {
	desired := int32(1)
	if s.Spec.Replicas != nil {
		desired = *s.Spec.Replicas
	}
	return replicaFinding(Finding{Object: ObjectName("StatefulSet", s)}, desired, s.Status.ReadyReplicas, pods)
}

func daemonSetFinding(d *appsv1.DaemonSet, pods *podFailures) Finding {
	f := Finding{Object: ObjectName("DaemonSet", d)}
	if d.Status.DesiredNumberScheduled == 0 && (pods == nil || pods.n == 0) {
		return ok(f, "no node to run on")
	}
	return replicaFinding(f, d.Status.DesiredNumberScheduled, d.Status.NumberReady, pods)
}

func parenText(s string) string {
	if s = oneLine(s); s != "" {
		return ": " + s
	}
	return ""
}

// failingPod is a pod's finding that is not OK, with why.
type failingPod struct {
	Finding
	why string
}

// Workloads builds the workloads layer: every pod judged (WorkloadPod); the failing ones listed one by
// one, the worst MaxPodFindings of them, worst first; Pods/all counting every pod by verdict, its status
// that of the failing pods not listed (OK when all are, or none fails); one finding per Deployment,
// StatefulSet and DaemonSet — ready against desired, a stuck rollout — naming how many of its pods fail
// and why, with the runbook of the commonest failure. Pods are tied to their controller through their
// owner (a ReplicaSet's pod to its Deployment by the pod-template-hash). Kinds in o.Unavailable add an
// Unknown finding. O(n) in pods and controllers, plus the sort of the failing pods.
func Workloads(o Objects) LayerReport {
	var fs []Finding
	for _, m := range []struct{ key, what string }{
		{ResourcePods, "pods"}, {ResourceDeployments, "deployments"}, {ResourceStatefulSets, "statefulsets"},
		{ResourceDaemonSets, "daemonsets"}, {ResourceNamespaces, "namespaces"},
	} {
		if err := o.Missing(m.key); err != nil {
			fs = append(fs, MissingFinding("API/"+m.key, err, "grant the console list and watch on "+m.what+" in every namespace"))
		}
	}
	c := newPodContext(o)
	counts := map[string]int{}
	owners := map[ownerKey]*podFailures{}
	var failing []failingPod
	for _, p := range o.Pods {
		if p == nil {
			continue
		}
		f, why := judgePod(p, c)
		counts[why]++
		if f.Status == OK {
			continue
		}
		f.Object = p.Object()
		failing = append(failing, failingPod{f, why})
		if p.OwnerKind != "" {
			k := ownerKey{p.Namespace, p.OwnerKind, p.OwnerName}
			t := owners[k]
			if t == nil {
				t = &podFailures{}
				owners[k] = t
			}
			t.add(f.Status, why)
		}
	}
	sort.Slice(failing, func(i, j int) bool {
		if failing[i].Status != failing[j].Status {
			return failing[i].Status > failing[j].Status
		}
		return failing[i].Object < failing[j].Object
	})
	listed := failing[:min(len(failing), MaxPodFindings)]
	fs = append(make([]Finding, 0, len(fs)+len(listed)+1+len(o.Deployments)+len(o.StatefulSets)+len(o.DaemonSets)), fs...)
	for _, f := range listed {
		fs = append(fs, f.Finding)
	}
	if o.Missing(ResourcePods) == nil || len(o.Pods) > 0 {
		fs = append(fs, podsCensus(len(o.Pods), counts, len(listed), failing[len(listed):]))
	}
	for _, d := range o.Deployments {
		if d != nil {
			fs = append(fs, deploymentFinding(d, owners[ownerKey{d.Namespace, "Deployment", d.Name}]))
		}
	}
	for _, s := range o.StatefulSets {
		if s != nil {
			fs = append(fs, statefulSetFinding(s, owners[ownerKey{s.Namespace, "StatefulSet", s.Name}]))
		}
	}
	for _, d := range o.DaemonSets {
		if d != nil {
			fs = append(fs, daemonSetFinding(d, owners[ownerKey{d.Namespace, "DaemonSet", d.Name}]))
		}
	}
	fs = append(fs, stuckNamespaces(o)...)
	return NewLayer(LayerWorkloads, fs)
}

// podsCensus is the Pods/all finding: every pod counted by why; its status is the worst of the failing
// pods not listed one by one (rest), OK when there are none.
func podsCensus(total int, counts map[string]int, listed int, rest []failingPod) Finding {
	f := Finding{Object: PodsObject, Status: OK, Reason: units.Count(total, "pod")}
	if total > 0 {
		f.Reason += ": " + tally(counts)
	}
	if len(rest) == 0 {
		return f
	}
	why := map[string]int{}
	for _, p := range rest {
		f.Status = Worst(f.Status, p.Status)
		why[p.why]++
	}
	f.Reason += fmt.Sprintf("; %d more failing pods not listed (the worst %d are): %s", len(rest), listed, tally(why))
	f.Hint = "read the listed pods first"
	for _, w := range byCount(why) {
		if rb := runbookOf(w); rb != "" {
			f.Hint += "; runbook: " + rb
			break
		}
	}
	return f
}
