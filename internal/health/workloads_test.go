package health

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var wlNow = time.Date(2025, 8, 13, 12, 5, 0, 0, time.UTC)

// wlPod is a running, ready pod of Deployment web in namespace club, on worker-1, created an hour ago.
func wlPod(name string) *Pod {
	created := wlNow.Add(-time.Hour)
	return &Pod{Namespace: "club", Name: name, UID: "uid-" + name, OwnerKind: "Deployment", OwnerName: "web",
		Node: "worker-1", Phase: corev1.PodRunning, Created: created, Scheduled: created.Add(time.Second),
		Ready: true, ReadyChanged: created.Add(20 * time.Second),
		Containers: []Container{{Name: "app", Ready: true, Running: true}}}
}

// podWith applies changes to a pod.
func podWith(p *Pod, change func(p *Pod)) *Pod {
	change(p)
	return p
}

// creating is a pod scheduled ago, its container still ContainerCreating.
func creating(name string, ago time.Duration, claims ...string) *Pod {
	return podWith(wlPod(name), func(p *Pod) {
		p.Phase, p.Ready, p.ReadyChanged = corev1.PodPending, false, time.Time{}
		p.Created, p.Scheduled = wlNow.Add(-ago-time.Second), wlNow.Add(-ago)
		p.Containers = []Container{{Name: "app", Waiting: "ContainerCreating"}}
		p.Claims = claims
	})
}

func wlNodes(notReady ...string) []*corev1.Node {
	var out []*corev1.Node
	for _, n := range []string{"worker-1", "worker-2", "worker-3"} {
		st, reason := corev1.ConditionTrue, "KubeletReady"
		for _, nr := range notReady {
			if nr == n {
				st, reason = corev1.ConditionUnknown, "NodeStatusUnknown"
			}
		}
		out = append(out, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st, Reason: reason}}}})
	}
	return out
}

func TestWorkloadPod(t *testing.T) {
	mounts := map[string]MountProblem{
		"club/db-0": {Reason: "FailedMount", LastSeen: wlNow.Add(-time.Minute),
			Message: "MountVolume.MountDevice failed for volume \"pvc-1\" : rpc error: failed to stat /var/lib/kubelet/plugins/…"},
		"club/db-1": {Reason: "FailedAttachVolume", LastSeen: wlNow.Add(-time.Minute),
			Message: "Multi-Attach error for volume \"pvc-2\" Volume is already exclusively attached to one node and can't be attached to another"},
		"club/csi": {Reason: "FailedMount", LastSeen: wlNow.Add(-time.Minute),
			Message: "MountVolume.SetUp failed for volume \"vault-secrets\" : … Code: 503. Errors: * Vault is sealed"},
		"club/old": {Reason: "FailedMount", LastSeen: wlNow.Add(-3 * time.Hour), Message: "from the pod of that name before"},
	}
	tests := []struct {
		name      string
		p         *Pod
		want      Status
		why       string
		reasonHas string
		hintHas   string
	}{
		{"running and ready", wlPod("web-1"), OK, whyRunning, "Running, Ready", ""},
		{"completed", podWith(wlPod("job-1"), func(p *Pod) { p.Phase, p.Ready = corev1.PodSucceeded, false }), OK, whyCompleted, "Completed", ""},
		{"crash loop with its last exit", podWith(wlPod("web-2"), func(p *Pod) {
			p.Ready = false
			p.Containers[0] = Container{Name: "app", Waiting: "CrashLoopBackOff", Restarts: 41, LastReason: "Error", LastExit: 1,
				LastFinished: wlNow.Add(-time.Minute)}
		}), Down, whyCrashLoop, "CrashLoopBackOff (app), 41 restarts, last exit: Error exit 1", "logs web-2 -c app --previous"},
		{"crash loop of a pod with volumes names the cold start", podWith(wlPod("cnpg-1"), func(p *Pod) {
			p.Claims = []string{"pgdata-cnpg-1"}
			p.Containers[0] = Container{Name: "postgres", Waiting: "CrashLoopBackOff", Restarts: 3}
		}), Down, whyCrashLoop, "CrashLoopBackOff (postgres), 3 restarts", "runbook: " + RunbookColdStart},
		{"init container crash loop", podWith(wlPod("grav-1"), func(p *Pod) {
			p.Phase, p.Ready = corev1.PodPending, false
			p.Containers = []Container{{Name: "vault-agent-init", Init: true, Waiting: "CrashLoopBackOff", Restarts: 512},
				{Name: "grav", Waiting: "PodInitializing"}}
		}), Down, whyWaitVault, "CrashLoopBackOff (init container vault-agent-init), 512 restarts", "-c vault-agent-init --previous; a vault-agent"},
		{"image pull", podWith(wlPod("web-3"), func(p *Pod) {
			p.Phase, p.Ready = corev1.PodPending, false
			p.Containers[0] = Container{Name: "app", Waiting: "ImagePullBackOff", WaitingMessage: "Back-off pulling image \"ghcr.io/x:v9\""}
		}), Down, whyImagePull, "ImagePullBackOff (app): Back-off pulling image", "cannot pull the image"},
		{"a missing secret", podWith(wlPod("web-4"), func(p *Pod) {
			p.Phase, p.Ready = corev1.PodPending, false
			p.Containers[0] = Container{Name: "app", Waiting: "CreateContainerConfigError", WaitingMessage: "secret \"db\" not found"}
		}), Down, whyConfig, "secret \"db\" not found", "Secret or ConfigMap"},
		{"creating within the grace period", creating("web-5", time.Minute), OK, whyStarting, "starting: ContainerCreating", ""},
		{"creating past it, a mount problem known", creating("db-0", 12*time.Minute, "data-db-0"), Down, whyMounts,
			"waiting on its volumes for 12m: FailedMount: MountVolume.MountDevice failed", "runbook: " + RunbookColdStart},
		{"Multi-Attach names the stale VolumeAttachment", creating("db-1", 5*time.Minute, "data-db-1"), Down, whyMounts,
			"FailedAttachVolume: Multi-Attach error", "delete the stale VolumeAttachment"},
		{"a secrets volume waits on a sealed Vault", creating("csi", 2*time.Hour), Down, whyWaitVault,
			"waiting on its volumes for 2h: FailedMount: MountVolume.SetUp failed", "runbook: " + RunbookVaultSealed},
		{"a mount problem older than the pod is not its own", creating("old", 10*time.Minute, "data-old"), Down, whyStuckStarting,
			"still ContainerCreating after 10m (volumes: data-old)", "runbook: " + RunbookColdStart},
		{"creating past it, nothing known, no volume", creating("web-6", 4*time.Minute), Down, whyStuckStarting,
			"still ContainerCreating after 4m", "describe pod web-6"},
		{"init container running too long", podWith(creating("web-7", 20*time.Minute), func(p *Pod) {
			p.Containers = []Container{{Name: "migrate", Init: true, Running: true}, {Name: "app", Waiting: "PodInitializing"}}
		}), Down, whyStuckStarting, "still init container migrate running after 20m", ""},
		{"a native sidecar running is not waited on", podWith(wlPod("web-8"), func(p *Pod) {
			p.Containers = []Container{{Name: "proxy", Init: true, Running: true, Ready: true}, {Name: "app", Running: true, Ready: true}}
		}), OK, whyRunning, "Running, Ready", ""},
		{"unschedulable past the grace period", podWith(wlPod("big-1"), func(p *Pod) {
			p.Node, p.Phase, p.Ready, p.Scheduled, p.Containers = "", corev1.PodPending, false, time.Time{}, nil
			p.Unschedulable = "0/3 nodes are available: 3 Insufficient memory."
		}), Down, whyUnschedulable, "unschedulable: 0/3 nodes are available: 3 Insufficient memory.", "free capacity"},
		{"unschedulable, just created", podWith(wlPod("big-2"), func(p *Pod) {
			p.Node, p.Phase, p.Ready, p.Scheduled, p.Containers = "", corev1.PodPending, false, time.Time{}, nil
			p.Created, p.Unschedulable = wlNow.Add(-10*time.Second), "0/3 nodes are available"
		}), OK, whyStarting, "not scheduled yet", ""},
		{"not scheduled, no reason", podWith(wlPod("lost-1"), func(p *Pod) {
			p.Node, p.Phase, p.Ready, p.Scheduled, p.Containers = "", corev1.PodPending, false, time.Time{}, nil
		}), Down, whyNotScheduled, "Pending 1h, not scheduled", "kube-scheduler"},
		{"running, not ready past the grace period", podWith(wlPod("web-9"), func(p *Pod) {
			p.Ready, p.ReadyChanged = false, wlNow.Add(-7*time.Minute)
			p.Containers[0].Ready, p.Containers[0].Restarts = false, 2
		}), Degraded, whyNotReady, "Running but not Ready for 7m (app not ready), 2 restarts", "readiness probe"},
		{"running, not ready yet", podWith(wlPod("web-10"), func(p *Pod) { p.Ready, p.ReadyChanged = false, wlNow.Add(-time.Minute) }),
			OK, whyStarting, "not Ready yet", ""},
		{"a sealed Vault server", podWith(wlPod("vault-0"), func(p *Pod) {
			p.Namespace, p.OwnerKind, p.OwnerName = "vault", "StatefulSet", "vault"
			p.Ready, p.ReadyChanged = false, wlNow.Add(-time.Hour)
		}), Degraded, whyVaultNotReady, "Running but not Ready for 1h", "runbook: " + RunbookVaultSealed},
		{"flapping", podWith(wlPod("web-11"), func(p *Pod) {
			p.Containers[0].Restarts, p.Containers[0].LastReason, p.Containers[0].LastExit = 9, "OOMKilled", 137
			p.Containers[0].LastFinished = wlNow.Add(-3 * time.Minute)
		}), Degraded, whyRestarting, "Ready but restarted 9 times, last 3m ago (OOMKilled exit 137)", "--previous"},
		{"an init container's restarts before the pod started are not flapping", podWith(wlPod("grav-2"), func(p *Pod) {
			p.Containers = []Container{{Name: "vault-agent-init", Init: true, Terminated: "Completed", Restarts: 512, LastReason: "Error",
				LastExit: 1, LastFinished: wlNow.Add(-2 * time.Minute)}, {Name: "grav", Running: true, Ready: true}}
		}), OK, whyRunning, "Running, Ready", ""},
		{"evicted", podWith(wlPod("web-12"), func(p *Pod) {
			p.Phase, p.Reason, p.Message = corev1.PodFailed, "Evicted", "The node was low on resource: ephemeral-storage."
		}), Degraded, whyEvicted, "Failed: Evicted (The node was low on resource: ephemeral-storage.)", "delete it"},
		{"failed with its exit", podWith(wlPod("job-2"), func(p *Pod) {
			p.Phase = corev1.PodFailed
			p.Containers[0] = Container{Name: "task", Terminated: "Error", ExitCode: 2}
		}), Degraded, whyFailed, "Failed: Error exit 2 (task)", ""},
		{"on a lost node", podWith(wlPod("web-13"), func(p *Pod) { p.Node = "worker-2" }), Down, whyNodeDown,
			"its node worker-2 is not Ready (NodeStatusUnknown)", "runbook: " + RunbookNodeLost},
		{"on a node that is gone", podWith(wlPod("web-14"), func(p *Pod) { p.Node = "worker-9" }), Down, whyNodeGone,
			"its node worker-9 is gone", "runbook: " + RunbookNodeLost},
		{"a completed pod on a lost node stays completed", podWith(wlPod("job-3"), func(p *Pod) { p.Node, p.Phase = "worker-2", corev1.PodSucceeded }),
			OK, whyCompleted, "Completed", ""},
		{"phase Unknown", podWith(wlPod("web-15"), func(p *Pod) { p.Phase = corev1.PodUnknown }), Unknown, whyUnknown,
			"node worker-1 does not report it", RunbookNodeLost},
		{"terminating within its grace", podWith(wlPod("web-16"), func(p *Pod) { p.Deleting = wlNow.Add(-time.Minute) }), OK, whyTerminating, "Terminating", ""},
		{"stuck terminating on a lost node", podWith(wlPod("db-2"), func(p *Pod) { p.Node, p.Deleting = "worker-2", wlNow.Add(-2*time.Hour) }),
			Down, whyStuckDeleting, "Terminating, its grace period over 2h ago (node worker-2 is not Ready", "out-of-service; runbook: " + RunbookNodeLost},
		{"stuck terminating on finalizers", podWith(wlPod("web-17"), func(p *Pod) {
			p.Deleting, p.Finalizers = wlNow.Add(-time.Hour), []string{"example.com/cleanup"}
		}), Down, whyStuckDeleting, "held by finalizers example.com/cleanup", "runbook: " + RunbookStuckTerminating},
		{"stuck terminating on its kubelet", podWith(wlPod("web-18"), func(p *Pod) { p.Deleting = wlNow.Add(-10 * time.Minute) }),
			Down, whyStuckDeleting, "over 10m ago", "does not finish it (a volume that will not unmount?): read its events; runbook: " + RunbookStuckTerminating},
	}
	o := Objects{Now: wlNow, Nodes: wlNodes("worker-2"), MountProblems: mounts}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, why := WorkloadPod(tt.p, o)
			if f.Status != tt.want || why != tt.why || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q (%s), want %v ~%q (%s)", f.Status, f.Reason, why, tt.want, tt.reasonHas, tt.why)
			}
			if !strings.Contains(f.Hint, tt.hintHas) || (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q, want ~%q (and a hint exactly when not OK)", f.Hint, tt.hintHas)
			}
			if f.Object != "Pod/"+tt.p.Namespace+"/"+tt.p.Name {
				t.Errorf("object %q", f.Object)
			}
			// An event explains, never judges: without the mount problems the status is the same.
			unexplained := o
			unexplained.MountProblems = nil
			if g, _ := WorkloadPod(tt.p, unexplained); g.Status != f.Status {
				t.Errorf("without the events %v, with them %v", g.Status, f.Status)
			}
		})
	}
}

// TestWorkloadPodNodesUnknown: nodes that could not be read do not make every pod's node "gone".
func TestWorkloadPodNodesUnknown(t *testing.T) {
	for name, o := range map[string]Objects{
		"no nodes":        {Now: wlNow},
		"nodes forbidden": {Now: wlNow, Nodes: wlNodes(), Unavailable: map[string]error{ResourceNodes: errors.New("forbidden")}},
	} {
		if f, _ := WorkloadPod(podWith(wlPod("web-1"), func(p *Pod) { p.Node = "worker-9" }), o); f.Status != OK {
			t.Errorf("%s: %v %q", name, f.Status, f.Reason)
		}
	}
}

func TestPodOf(t *testing.T) {
	yes := true
	created := metav1.NewTime(wlNow.Add(-time.Hour))
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "club", Name: "web-7d9f8c6b5-x2x4q", UID: "u-1", CreationTimestamp: created,
			Labels:          map[string]string{"pod-template-hash": "7d9f8c6b5"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-7d9f8c6b5", Controller: &yes}},
			Finalizers:      []string{"x/y"}},
		Spec: corev1.PodSpec{NodeName: "worker-1", Volumes: []corev1.Volume{
			{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-web"}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Message: "line one\nline two",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(wlNow.Add(-time.Minute))}},
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 4,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1,
					FinishedAt: metav1.NewTime(wlNow.Add(-2 * time.Minute))}}}}},
	}
	got := PodOf(p)
	want := Pod{Namespace: "club", Name: "web-7d9f8c6b5-x2x4q", UID: "u-1", OwnerKind: "Deployment", OwnerName: "web",
		Node: "worker-1", Phase: corev1.PodRunning, Message: "line one …", Created: created.Time, Scheduled: created.Time,
		ReadyChanged: wlNow.Add(-time.Minute), Finalizers: []string{"x/y"}, Claims: []string{"data-web"},
		Containers: []Container{{Name: "init", Init: true, Terminated: "Completed"},
			{Name: "app", Waiting: "CrashLoopBackOff", WaitingMessage: "back-off", Restarts: 4, LastReason: "Error", LastExit: 1,
				LastFinished: wlNow.Add(-2 * time.Minute)}}}
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("PodOf =\n%+v\nwant\n%+v", *got, want)
	}

	// A ReplicaSet whose name the hash does not end stays a ReplicaSet; a pod that is not scheduled says why.
	p.Labels["pod-template-hash"] = "other"
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available"}}
	got = PodOf(p)
	if got.OwnerKind != "ReplicaSet" || got.OwnerName != "web-7d9f8c6b5" || got.Unschedulable != "0/3 nodes are available" || !got.Scheduled.IsZero() {
		t.Fatalf("got owner %s/%s, unschedulable %q, scheduled %v", got.OwnerKind, got.OwnerName, got.Unschedulable, got.Scheduled)
	}
}

func replicas(n int32) *int32 { return &n }

func TestWorkloadControllers(t *testing.T) {
	dep := func(name string, desired, ready int32) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "club", Name: name},
			Spec: appsv1.DeploymentSpec{Replicas: replicas(desired)}, Status: appsv1.DeploymentStatus{ReadyReplicas: ready}}
	}
	stuck := dep("api", 2, 1)
	stuck.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
		Reason: "ProgressDeadlineExceeded", Message: "ReplicaSet \"api-5f\" has timed out progressing."}}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "club", Name: "db"},
		Spec: appsv1.StatefulSetSpec{Replicas: replicas(3)}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "mayastor", Name: "io-engine"},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, NumberReady: 2}}
	idle := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "gpu", Name: "driver"}}

	pods := []*Pod{
		wlPod("web-1"),
		podWith(wlPod("web-2"), func(p *Pod) { p.Containers[0] = Container{Name: "app", Waiting: "CrashLoopBackOff"}; p.Ready = false }),
		podWith(creating("db-0", 10*time.Minute, "data-db-0"), func(p *Pod) { p.OwnerKind, p.OwnerName = "StatefulSet", "db" }),
		podWith(wlPod("db-1"), func(p *Pod) { p.OwnerKind, p.OwnerName, p.Node = "StatefulSet", "db", "worker-2" }),
		podWith(wlPod("io-engine-a"), func(p *Pod) {
			p.Namespace, p.OwnerKind, p.OwnerName, p.Node = "mayastor", "DaemonSet", "io-engine", "worker-2"
		}),
	}
	o := Objects{Now: wlNow, Nodes: wlNodes("worker-2"), Pods: pods,
		MountProblems: map[string]MountProblem{"club/db-0": {Reason: "FailedMount", Message: "failed to stat", LastSeen: wlNow}},
		Deployments:   []*appsv1.Deployment{dep("web", 2, 1), dep("idle", 0, 0), dep("down", 1, 0), stuck},
		StatefulSets:  []*appsv1.StatefulSet{sts}, DaemonSets: []*appsv1.DaemonSet{ds, idle}}
	l := Workloads(o)
	want := map[string]struct {
		status             Status
		reasonHas, hintHas string
	}{
		"Deployment/club/web":  {Degraded, "1/2 ready; 1 pod failing: 1 CrashLoopBackOff", "listed in this layer"},
		"Deployment/club/idle": {OK, "scaled to 0", ""},
		"Deployment/club/down": {Down, "0/1 ready", "missing or starting"},
		"Deployment/club/api":  {Degraded, "1/2 ready; rollout stuck (ProgressDeadlineExceeded: ReplicaSet \"api-5f\" has timed out progressing.)", "rollout undo deployment/api"},
		// Its status still counts the pods ready (not yet updated): its pods say otherwise.
		"StatefulSet/club/db":          {Degraded, "3/3 ready; 2 pods failing: 1 node not Ready, 1 waiting on volumes", "runbook: " + RunbookNodeLost},
		"DaemonSet/mayastor/io-engine": {Degraded, "2/3 ready; 1 pod failing: 1 node not Ready", "runbook: " + RunbookNodeLost},
		"DaemonSet/gpu/driver":         {OK, "no node to run on", ""},
		PodsObject:                     {OK, "5 pods: 2 node not Ready, 1 CrashLoopBackOff, 1 Running, 1 waiting on volumes", ""},
		"Pod/club/web-2":               {Down, "CrashLoopBackOff", ""},
		"Pod/club/db-0":                {Down, "waiting on its volumes", ""},
		"Pod/club/db-1":                {Down, "worker-2", ""},
		"Pod/mayastor/io-engine-a":     {Down, "worker-2", ""},
	}
	if len(l.Findings) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(l.Findings), len(want), l.Findings)
	}
	for _, f := range l.Findings {
		w, ok := want[f.Object]
		if !ok {
			t.Errorf("unexpected finding %+v", f)
			continue
		}
		if f.Status != w.status || !strings.Contains(f.Reason, w.reasonHas) || !strings.Contains(f.Hint, w.hintHas) {
			t.Errorf("%s: got %v %q → %q, want %v ~%q → ~%q", f.Object, f.Status, f.Reason, f.Hint, w.status, w.reasonHas, w.hintHas)
		}
	}
	if l.Status != Down || l.Findings[0].Status != Down {
		t.Errorf("layer %v, first %+v: worst first", l.Status, l.Findings[0])
	}
	if f := statefulSetFinding(sts, nil); f.Status != OK || f.Reason != "3/3 ready" || f.Hint != "" {
		t.Errorf("a healthy StatefulSet: %+v", f)
	}
}

// TestWorkloadsBound: thousands of failing pods give MaxPodFindings pod findings, the worst first, and
// Pods/all says how many more and why, with the status of those left out.
func TestWorkloadsBound(t *testing.T) {
	var pods []*Pod
	for i := range 3000 {
		p := wlPod(fmt.Sprintf("web-%04d", i))
		switch {
		case i%3 == 0:
			p = creating(p.Name, 20*time.Minute, "data") // Down
		case i%3 == 1:
			p.Ready, p.ReadyChanged = false, wlNow.Add(-time.Hour) // Degraded
		}
		pods = append(pods, p)
	}
	l := Workloads(Objects{Now: wlNow, Nodes: wlNodes(), Pods: pods})
	podFindings, census := 0, Finding{}
	for _, f := range l.Findings {
		switch {
		case strings.HasPrefix(f.Object, "Pod/"):
			podFindings++
			if f.Status != Down {
				t.Errorf("listed %+v: the 1000 Down pods come before the Degraded ones", f)
			}
		case f.Object == PodsObject:
			census = f
		}
	}
	if podFindings != MaxPodFindings {
		t.Errorf("%d pod findings, want %d", podFindings, MaxPodFindings)
	}
	wantReason := "3000 pods: 1000 Running, 1000 not Ready, 1000 stuck starting; 1900 more failing pods not listed (the worst 100 are): 1000 not Ready, 900 stuck starting"
	if census.Status != Down || census.Reason != wantReason || !strings.Contains(census.Hint, "read the listed pods first") {
		t.Errorf("census %v %q → %q\nwant Down %q", census.Status, census.Reason, census.Hint, wantReason)
	}
	if l.Findings[0].Object != "Pod/club/web-0000" {
		t.Errorf("first finding %s, want the first Down pod by name", l.Findings[0].Object)
	}
}

func TestWorkloadsCensusAndMissing(t *testing.T) {
	forbidden := errors.New("pods is forbidden")
	tests := []struct {
		name    string
		o       Objects
		want    Status
		objects []string
	}{
		{"no pod at all is seen, not feared", Objects{Now: wlNow}, OK, []string{PodsObject}},
		{"pods forbidden: unknown, no census", Objects{Now: wlNow, Unavailable: map[string]error{ResourcePods: forbidden}},
			Unknown, []string{"API/pods"}},
		{"daemonsets forbidden beside healthy pods", Objects{Now: wlNow, Pods: []*Pod{wlPod("web-1")},
			Unavailable: map[string]error{ResourceDaemonSets: errors.New("forbidden")}}, Unknown, []string{"API/daemonsets.apps", PodsObject}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Workloads(tt.o)
			var got []string
			for _, f := range l.Findings {
				got = append(got, f.Object)
			}
			if l.Status != tt.want || strings.Join(got, " ") != strings.Join(tt.objects, " ") {
				t.Fatalf("got %v %v, want %v %v", l.Status, got, tt.want, tt.objects)
			}
		})
	}
}

func TestWorkloadsForDemo(t *testing.T) {
	f, _ := WorkloadPod(podWith(wlPod("web-1"), func(p *Pod) { p.Node = "worker-2" }), Objects{Now: wlNow, Nodes: wlNodes("worker-2")})
	if got := f.ForDemo().Hint; !strings.HasPrefix(got, demoNodeBack) || !strings.Contains(got, RunbookNodeLost) {
		t.Errorf("demo hint %q", got)
	}
}
