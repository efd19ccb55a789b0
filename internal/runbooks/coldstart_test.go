package runbooks

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

// coldNow is when the cold-start tests read the platform: ten minutes after the pods were scheduled.
var coldNow = t0.Add(10 * time.Minute)

// mountsClaim makes the pod mount claim name (as volume data).
func mountsClaim(name string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data",
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}})
	}
}

// creating is a pod scheduled at t0 whose container still waits in ContainerCreating.
func creating(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{
			Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}
}

// crashing is a pod whose container crash-loops.
func crashing(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "postgres", RestartCount: 7, State: corev1.ContainerState{
			Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}
}

// runningReady is a pod Running and Ready since t0.
func runningReady(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
}

// cnpg makes the pod a CloudNativePG Cluster's.
func cnpg(p *corev1.Pod) {
	yes := true
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "db", Controller: &yes}}
}

func warning(pod, reason, message string, at time.Time) corev1.Event {
	return corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: pod + "." + reason + at.Format("150405")},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: pod}, Type: corev1.EventTypeWarning,
		Reason: reason, Message: message, FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at)}
}

const failedToStat = "MountVolume.MountDevice failed for volume \"pv-data\" : rpc error: code = Internal desc = failed to stat /var/lib/kubelet/plugins/…: stale NFS file handle"

func TestMountProblemsOf(t *testing.T) {
	got := mountProblemsOf([]corev1.Event{
		warning("db-0", "FailedMount", "older", t0),
		warning("db-0", "FailedAttachVolume", "Multi-Attach error for volume \"pv-db\"", t0.Add(time.Minute)),
		warning("db-0", "FailedMount", "oldest", t0.Add(-time.Minute)),
		warning("web", "BackOff", "Back-off restarting failed container", t0),
		{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "api"}, Type: corev1.EventTypeNormal, Reason: "FailedMount"},
		{InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "worker-1"}, Type: corev1.EventTypeWarning, Reason: "FailedMount", LastTimestamp: metav1.NewTime(t0)},
	})
	if len(got) != 1 || !got["shop/db-0"].MultiAttach() || got["shop/db-0"].Reason != "FailedAttachVolume" {
		t.Fatalf("mount problems %+v: want only db-0's newest", got)
	}
}

// TestJudgePodsSpeaksTheRulesWords pins the words cold-start reads of health.WorkloadPod: a change of
// the rules' words fails here, not silently in a run.
func TestJudgePodsSpeaksTheRulesWords(t *testing.T) {
	nodes := []corev1.Node{*node("worker-1", corev1.ConditionTrue), *node("worker-3", corev1.ConditionUnknown)}
	mounts := map[string]health.MountProblem{"shop/db-0": {Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"waiting on a mount, with its event", pod("db-0", "worker-1", creating, mountsClaim("data")), whyWaitingOnVolumes},
		{"creating, no event about its volumes", pod("web", "worker-1", creating, mountsClaim("data")), "stuck starting"},
		{"crash-looping", pod("pg-1", "worker-1", crashing), whyCrashLoopBackOff},
		{"running and ready", pod("api", "worker-1", runningReady), whyRunningReady},
		{"on a node not back", pod("db-0", "worker-3", creating), "node not Ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := judgePods([]corev1.Pod{*tc.pod}, nodes, mounts, coldNow)
			if len(got) != 1 || got[0].why != tc.want {
				t.Fatalf("why %q (%+v), want %q", got[0].why, got[0].f, tc.want)
			}
		})
	}
}

func TestCountNodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []corev1.Node
		want  string
		back  bool
	}{
		{"all Ready", []corev1.Node{*node("cp-1", corev1.ConditionTrue), *node("worker-1", corev1.ConditionTrue)}, "2 of 2 nodes Ready", true},
		{"two not back", []corev1.Node{*node("cp-1", corev1.ConditionTrue), *node("worker-3", corev1.ConditionUnknown), *node("worker-5", corev1.ConditionFalse)},
			"1 of 3 nodes Ready; worker-3, worker-5 not", false},
		{"one off, confirmed", []corev1.Node{*node("cp-1", corev1.ConditionTrue), *node("worker-3", corev1.ConditionUnknown, taintedOutOfService)},
			"1 of 2 nodes Ready; worker-3 out of service (node-lost)", true},
		{"not registered", []corev1.Node{*node("worker-9", "")}, "0 of 1 node Ready; worker-9 not", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := countNodes(tc.nodes)
			if c.line() != tc.want || (len(c.notBack) == 0) != tc.back {
				t.Fatalf("%q (not back %v), want %q (back %v)", c.line(), c.notBack, tc.want, tc.back)
			}
		})
	}
}

// coldVolumes are claims shop/data (bound to pv-data, driver as given) and shop/files (Pending).
func coldVolumes(driver string, vas ...storagev1.VolumeAttachment) volumes {
	data := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-data"}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
	files := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "files"},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-data"}, Spec: corev1.PersistentVolumeSpec{
		PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: driver}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	return volumes{claims: map[string]*corev1.PersistentVolumeClaim{"shop/data": data, "shop/files": files},
		pvs: map[string]*corev1.PersistentVolume{"pv-data": pv}, attachments: vas}
}

func TestCannotAttach(t *testing.T) {
	held := *attachment("csi-old", "worker-3", true)
	held.Spec.Source.PersistentVolumeName = new(string)
	*held.Spec.Source.PersistentVolumeName = "pv-data"
	here := held
	here.Spec.NodeName = "worker-1"
	mayastorDown := coldVolumes(mayastorDriver)
	mayastorDown.storage.poolsDown = []string{"mayastor/pool-worker-3 (Offline)"}
	cephDown := coldVolumes("rook-ceph.rbd.csi.ceph.com")
	cephDown.storage.cephsDown = []string{"rook-ceph/rook-ceph (phase Connecting)"}
	for _, tc := range []struct {
		name string
		vols volumes
		pod  *corev1.Pod
		want string
	}{
		{"bound, nothing holds it", coldVolumes("csi.example"), pod("db-0", "worker-1", mountsClaim("data")), ""},
		{"no volume at all", coldVolumes("csi.example"), pod("web", "worker-1"), ""},
		{"claim Pending", coldVolumes("csi.example"), pod("files-0", "worker-1", mountsClaim("files")), "claim files is Pending, not Bound"},
		{"claim missing", coldVolumes("csi.example"), pod("x", "worker-1", mountsClaim("gone")), "claim gone does not exist"},
		{"held on another node", coldVolumes("csi.example", held), pod("db-0", "worker-1", mountsClaim("data")),
			"VolumeAttachment csi-old still holds volume pv-data on node worker-3"},
		{"attached to its own node", coldVolumes("csi.example", here), pod("db-0", "worker-1", mountsClaim("data")), ""},
		{"Mayastor not back", mayastorDown, pod("db-0", "worker-1", mountsClaim("data")),
			"volume pv-data is Mayastor's, and DiskPools are not Online: mayastor/pool-worker-3 (Offline)"},
		{"Mayastor not back, a Ceph volume", func() volumes {
			v := coldVolumes("rook-ceph.rbd.csi.ceph.com")
			v.storage = mayastorDown.storage
			return v
		}(),
			pod("db-0", "worker-1", mountsClaim("data")), ""},
		{"Ceph not connected", cephDown, pod("db-0", "worker-1", mountsClaim("data")),
			"volume pv-data is Ceph's, and CephClusters are not connected: rook-ceph/rook-ceph (phase Connecting)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.vols.cannotAttach(tc.pod); got != tc.want {
				t.Fatalf("cannotAttach %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStaleAttachments(t *testing.T) {
	va := func(name, node string) storagev1.VolumeAttachment {
		a := *attachment(name, node, true)
		*a.Spec.Source.PersistentVolumeName = "pv-data"
		return a
	}
	nodes := []corev1.Node{*node("worker-1", corev1.ConditionTrue), *node("worker-3", corev1.ConditionUnknown),
		*node("worker-4", corev1.ConditionUnknown, taintedOutOfService)}
	waiting := func(node string) []judgedPod {
		return judgePods([]corev1.Pod{*pod("db-0", node, creating, mountsClaim("data"))}, nodes, nil, coldNow)
	}
	for _, tc := range []struct {
		name string
		va   storagev1.VolumeAttachment
		pods []judgedPod
		want string
	}{
		{"on a node not Ready, wanted elsewhere", va("csi-a", "worker-3"), waiting("worker-1"),
			"csi-a (volume pv-data on node worker-3, not Ready; wanted by shop/db-0 on worker-1)"},
		{"on a node out of service", va("csi-a", "worker-4"), waiting("worker-1"),
			"csi-a (volume pv-data on node worker-4, not Ready, out of service; wanted by shop/db-0 on worker-1)"},
		{"on a node gone", va("csi-a", "worker-9"), waiting("worker-1"), "csi-a (volume pv-data on node worker-9, gone; wanted by shop/db-0 on worker-1)"},
		{"on a Ready node", va("csi-a", "worker-1"), waiting("worker-3"), ""},
		{"wanted by nobody", va("csi-a", "worker-3"), nil, ""},
		{"wanted on its own node", va("csi-a", "worker-3"), waiting("worker-3"), ""},
		{"its pod elsewhere runs already", va("csi-a", "worker-3"),
			judgePods([]corev1.Pod{*pod("db-0", "worker-1", runningReady, mountsClaim("data"))}, nodes, nil, coldNow), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := coldVolumes("csi.example", tc.va)
			got := v.staleAttachmentsOf(nodes, tc.pods)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Fatalf("stale %+v, want none", got)
			case tc.want != "" && (len(got) != 1 || got[0].why != tc.want || got[0].name != "csi-a"):
				t.Fatalf("stale %+v, want %q", got, tc.want)
			}
		})
	}
}

func TestJudgeSurvey(t *testing.T) {
	stuck := judgePods([]corev1.Pod{*pod("db-0", "worker-1", creating, mountsClaim("data"), cnpg)}, []corev1.Node{*node("worker-1", corev1.ConditionTrue)},
		map[string]health.MountProblem{"shop/db-0": {Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}}, coldNow)
	back := survey{nodes: countNodes([]corev1.Node{*node("cp-1", corev1.ConditionTrue), *node("worker-1", corev1.ConditionTrue)}),
		podsTotal: 12, storage: storageState{poolsServed: true, pools: 2}, vaultServers: 3, appsTotal: 4, certsTotal: 1}
	for _, tc := range []struct {
		name    string
		edit    func(*survey)
		applies bool
		why     string
		details []string
		facts   map[string]string
	}{
		{"back", func(*survey) {}, false,
			"the platform is back: 2 nodes Ready, 12 pods, none stuck on a mount or crash-looping, 2 DiskPools Online, Vault unsealed (3 servers), 4 Applications Synced and Healthy, 1 certificate Ready", nil, nil},
		{"back, Vault not configured", func(s *survey) { s.vaultRead, s.vaultServers = "no Vault configured here: not checked", 0 }, false,
			"the platform is back: 2 nodes Ready, 12 pods, none stuck on a mount or crash-looping, 2 DiskPools Online, 4 Applications", []string{"no Vault configured here: not checked"}, nil},
		{"the API down", func(s *survey) { s.apiDown = context.DeadlineExceeded }, true,
			"the Kubernetes API does not answer: the control plane is not back", []string{"read: context deadline exceeded"}, nil},
		{"everything not back", func(s *survey) {
			s.nodes = countNodes([]corev1.Node{*node("cp-1", corev1.ConditionTrue), *node("worker-3", corev1.ConditionUnknown)})
			s.controlPlane = []string{"etcd-cp-1: CrashLoopBackOff"}
			s.storage.poolsDown = []string{"mayastor/pool-worker-3 (Offline)"}
			s.stuck, s.cannot = stuck, map[string]string{"shop/db-0": "claim data is Pending, not Bound"}
			s.multiAttach = []string{"shop/db-0"}
			s.stale = []string{"csi-a (volume pv-data on node worker-3, not Ready; wanted by shop/db-0 on worker-1)"}
			s.crashing = judgePods([]corev1.Pod{*pod("pg-1", "worker-1", crashing)}, nil, nil, coldNow)
			s.vault = []string{"vault-1: sealed, 0 of 3 shares (shamir)"}
			s.apps = []string{"argocd/shop (OutOfSync, Degraded)"}
			s.certs = []string{"shop/web-tls (Ready False: Issuing)"}
		}, true,
			"not back: 1 of 2 nodes not Ready (worker-3); the control plane not healthy; 1 DiskPool not Online; 1 pod stuck on a mount; 1 Multi-Attach error; 1 stale VolumeAttachment; 1 pod crash-looping; Vault not unsealed; 1 of 4 Applications not Synced and Healthy; 1 of 1 certificate not Ready",
			[]string{"worker-3: kubelet stopped posting status", "control plane: etcd-cp-1: CrashLoopBackOff", "DiskPool mayastor/pool-worker-3 (Offline)",
				"stuck on a mount: shop/db-0: waiting on its volumes for 10m", "owned by Cluster db (postgresql.cnpg.io): the pod is deleted, never its owner",
				"its volume cannot attach yet: claim data is Pending, not Bound", "Multi-Attach: shop/db-0", "stale: csi-a", "crash loop: shop/pg-1: CrashLoopBackOff",
				"Vault vault-1: sealed, 0 of 3 shares", "Application argocd/shop (OutOfSync, Degraded)", "Certificate shop/web-tls (Ready False: Issuing)"},
			map[string]string{factNodesDown: "worker-3", factStuckOnMount: "shop/db-0", factCrashLooping: "shop/pg-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := back
			tc.edit(&s)
			v := judgeSurvey(s)
			details := strings.Join(v.Details, "\n")
			if v.Applies != tc.applies || !strings.HasPrefix(v.Why, tc.why) {
				t.Fatalf("applies %v, why %q; want %v, %q", v.Applies, v.Why, tc.applies, tc.why)
			}
			for _, d := range tc.details {
				if !strings.Contains(details, d) {
					t.Errorf("the details lack %q:\n%s", d, details)
				}
			}
			for k, want := range tc.facts {
				if v.Facts[k] != want {
					t.Errorf("fact %s = %q, want %q", k, v.Facts[k], want)
				}
			}
		})
	}
}

func TestJudgePodsBack(t *testing.T) {
	nodes := []corev1.Node{*node("worker-1", corev1.ConditionTrue)}
	mounts := map[string]health.MountProblem{"shop/files-0": {Reason: "FailedMount", Message: failedToStat, LastSeen: coldNow}}
	judge := func(ps ...*corev1.Pod) []judgedPod {
		var l []corev1.Pod
		for _, p := range ps {
			l = append(l, *p)
		}
		return judgePods(l, nodes, mounts, coldNow)
	}
	stuckFiles := pod("files-0", "worker-1", creating, mountsClaim("files"))
	for _, tc := range []struct {
		name    string
		deleted []string
		pods    []judgedPod
		done    bool
		line    string
	}{
		{"nothing deleted", nil, judge(), true, "no pod was deleted; no pod crash-looping"},
		{"back", []string{"pod/shop/db-0"}, judge(pod("db-0", "worker-1", runningReady, mountsClaim("data"))), true,
			"1 of 1 pod back, Running and Ready; no pod crash-looping"},
		{"replaced under a new name", []string{"pod/shop/web-abc"}, judge(), true, "1 of 1 pod back"},
		{"still terminating", []string{"pod/shop/db-0"}, judge(pod("db-0", "worker-1", runningReady, terminating)), false,
			"0 of 1 pod back, Running and Ready; not yet: shop/db-0 (terminating)"},
		{"starting", []string{"pod/shop/db-0"}, judge(pod("db-0", "worker-1", creating, mountsClaim("data"))), false,
			"0 of 1 pod back, Running and Ready; not yet: shop/db-0 (still ContainerCreating after 10m"},
		{"one left that cannot attach, a crash loop", []string{"pod/shop/db-0"},
			judge(pod("db-0", "worker-1", runningReady, mountsClaim("data")), stuckFiles, pod("pg-1", "worker-1", crashing, cnpg)), true,
			"1 of 1 pod back, Running and Ready; left on a mount, their volume cannot attach: shop/files-0: claim files is Pending, not Bound; still crash-looping with the storage back: shop/pg-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := judgePodsBack(tc.deleted, tc.pods, coldVolumes("csi.example"))
			if p.Done != tc.done || !strings.HasPrefix(p.Line, tc.line) {
				t.Fatalf("done %v %q; want %v %q", p.Done, p.Line, tc.done, tc.line)
			}
		})
	}
}

func TestStorageProgress(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    storageState
		done bool
		line string
	}{
		{"none served", storageState{}, true, "no Mayastor DiskPool and no Rook CephCluster in the cluster: storage not checked"},
		{"served, none made", storageState{poolsServed: true, cephServed: true}, true, "no Mayastor DiskPool and no Rook CephCluster in the cluster: storage not checked"},
		{"pools Online", storageState{poolsServed: true, pools: 3}, true, "3 of 3 DiskPools Online"},
		{"a pool not", storageState{poolsServed: true, pools: 3, poolsDown: []string{"mayastor/p3 (Offline)"}}, false, "2 of 3 DiskPools Online (mayastor/p3 (Offline) not)"},
		{"Ceph connecting", storageState{cephServed: true, cephs: 1, cephsDown: []string{"rook-ceph/ext (phase Connecting)"}}, false,
			"0 of 1 CephCluster connected (rook-ceph/ext (phase Connecting) not)"},
		{"both back", storageState{poolsServed: true, pools: 1, cephServed: true, cephs: 1}, true, "1 of 1 DiskPool Online; 1 of 1 CephCluster connected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := storageProgress(tc.s); p.Done != tc.done || p.Line != tc.line {
				t.Fatalf("%+v, want %v %q", p, tc.done, tc.line)
			}
		})
	}
}

func TestPoolsAndCephsDown(t *testing.T) {
	obj := func(kind, name string, status map[string]any) unstructured.Unstructured {
		return unstructured.Unstructured{Object: map[string]any{"kind": kind, "metadata": map[string]any{"name": name, "namespace": "ns"}, "status": status}}
	}
	pools := []unstructured.Unstructured{obj("DiskPool", "a", map[string]any{"pool_status": "Online"}), obj("DiskPool", "b", map[string]any{"pool_status": "Offline"}),
		obj("DiskPool", "c", nil)}
	if got := poolsDown(pools); !slices.Equal(got, []string{"ns/b (Offline)", "ns/c (Unknown)"}) {
		t.Fatalf("pools down %v", got)
	}
	cephs := []unstructured.Unstructured{obj("CephCluster", "ext", map[string]any{"phase": "Connected"}), obj("CephCluster", "int", map[string]any{"phase": "Ready"}),
		obj("CephCluster", "lost", map[string]any{"phase": "Connecting", "ceph": map[string]any{"health": "HEALTH_ERR"}})}
	if got := cephsDown(cephs); !slices.Equal(got, []string{"ns/lost (phase Connecting, HEALTH_ERR)"}) {
		t.Fatalf("cephs down %v", got)
	}
}

func TestSyncedProgress(t *testing.T) {
	app := func(name, sync, hl string) unstructured.Unstructured {
		a := argoApp(name, "shop", false, nil)
		_ = unstructured.SetNestedField(a.Object, sync, "status", "sync", "status")
		_ = unstructured.SetNestedField(a.Object, hl, "status", "health", "status")
		return a
	}
	ready, issuing := *certificate("True", coldNow.Add(60*24*time.Hour)), *certificate("False", coldNow)
	for _, tc := range []struct {
		name        string
		apps, certs []unstructured.Unstructured
		done        bool
		line        string
	}{
		{"all good", []unstructured.Unstructured{app("shop", "Synced", "Healthy")}, []unstructured.Unstructured{ready}, true,
			"1 of 1 Application Synced and Healthy; 1 of 1 certificate Ready"},
		{"one out of sync", []unstructured.Unstructured{app("shop", "OutOfSync", "Healthy"), app("web", "Synced", "Healthy")}, nil, false,
			"1 of 2 Applications Synced and Healthy; not: argocd/shop (OutOfSync, Healthy) (runbook app-sync); no cert-manager Certificate: not checked"},
		{"a certificate issuing", nil, []unstructured.Unstructured{issuing}, false,
			"no Argo CD Application: not checked; 0 of 1 certificate Ready; not: shop/web-tls (Ready False: Ready) (runbook cert-renewal)"},
		{"none", nil, nil, true, "no Argo CD Application: not checked; no cert-manager Certificate: not checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := syncedProgress(tc.apps, tc.certs); p.Done != tc.done || p.Line != tc.line {
				t.Fatalf("%v %q\nwant %v %q", p.Done, p.Line, tc.done, tc.line)
			}
		})
	}
}

func TestOperatorOwner(t *testing.T) {
	yes := true
	owned := func(apiVersion, kind string) *corev1.Pod {
		return pod("p", "n", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "x", Controller: &yes}}
		})
	}
	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{
		{owned("postgresql.cnpg.io/v1", "Cluster"), "Cluster x (postgresql.cnpg.io)"},
		{owned("apps/v1", "ReplicaSet"), ""},
		{owned("batch/v1", "Job"), ""},
		{owned("v1", "Node"), ""},
		{pod("bare", "n"), ""},
	} {
		if got := operatorOwner(tc.pod); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.pod.OwnerReferences, got, tc.want)
		}
	}
}

// coldWorld is a world of fake clients: objs in the typed client, custom resources in the dynamic one
// (DiskPools, Applications, Certificates, and CephClusters when ceph: discovery then serves them).
func coldWorld(ceph bool, objs []runtime.Object, custom ...runtime.Object) runbook.World {
	kc := fake.NewClientset(objs...)
	if ceph {
		kc.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{GroupVersion: "ceph.rook.io/v1",
			APIResources: []metav1.APIResource{{Name: "cephclusters", Kind: "CephCluster", Namespaced: true}}}}
	}
	kinds := map[schema.GroupVersionResource]string{platform.DiskPool.GVR: "DiskPoolList",
		platform.ArgoApplication.GVR: "ApplicationList", platform.CertManagerCert.GVR: "CertificateList"}
	if ceph {
		kinds[cephClusters()] = "CephClusterList"
	}
	return runbook.World{Kube: kc, Dynamic: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds, custom...),
		Now: func() time.Time { return coldNow }}
}

// TestColdStartOnFakeClients reads a platform after a power loss through fake clients (as the demo
// serves them): the survey, the stale attachment and the pods to delete, each postcheck's reading.
func TestColdStartOnFakeClients(t *testing.T) {
	ctx := context.Background()
	pvData := "pv-data"
	objs := []runtime.Object{
		node("worker-1", corev1.ConditionTrue), node("worker-3", corev1.ConditionUnknown),
		pod("db-0", "worker-1", creating, mountsClaim("data"), cnpg), pod("files-0", "worker-1", creating, mountsClaim("files")),
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pvData},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}},
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pvData}},
		&storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-old"}, Spec: storagev1.VolumeAttachmentSpec{NodeName: "worker-3",
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pvData}}},
	}
	for _, e := range []corev1.Event{warning("db-0", "FailedAttachVolume", "Multi-Attach error for volume \"pv-data\" Volume is already exclusively attached to one node", coldNow),
		warning("files-0", "FailedMount", failedToStat, coldNow)} {
		objs = append(objs, &e)
	}
	ceph := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster",
		"metadata": map[string]any{"name": "ext", "namespace": "rook-ceph"}, "status": map[string]any{"phase": "Connecting"}}}
	w := coldWorld(true, objs, ceph)

	v, err := coldSurvey(ctx, w, runbook.Target{})
	if err != nil || !v.Applies {
		t.Fatalf("survey %+v %v", v, err)
	}
	for _, want := range []string{"1 of 2 nodes not Ready (worker-3)", "1 CephCluster not connected", "2 pods stuck on a mount", "1 Multi-Attach error", "1 stale VolumeAttachment"} {
		if !strings.Contains(v.Why, want) {
			t.Errorf("the survey does not say %q: %s", want, v.Why)
		}
	}
	if p, err := storageBack(ctx, w, runbook.Target{}); err != nil || p.Done || p.Line != "0 of 1 CephCluster connected (rook-ceph/ext (phase Connecting) not)" {
		t.Fatalf("storage %+v %v", p, err)
	}
	if objs, err := staleAttachments(ctx, w, runbook.Target{}); err != nil || len(objs) != 1 || objs[0].String() != "volumeattachment/csi-old" {
		t.Fatalf("stale attachments %v %v", objs, err)
	}
	// db-0's volume is held on worker-3 and files-0's claim does not exist: neither is deleted.
	if objs, err := restartablePods(ctx, w, runbook.Target{}); err != nil || len(objs) != 0 {
		t.Fatalf("pods to delete %v %v", objs, err)
	}
	if err := w.Kube.StorageV1().VolumeAttachments().Delete(ctx, "csi-old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if objs, err := restartablePods(ctx, w, runbook.Target{}); err != nil || len(objs) != 1 || objs[0].String() != "pod/shop/db-0" {
		t.Fatalf("pods to delete once the attachment is gone %v %v", objs, err)
	}
	if p, err := nodesBack(ctx, w, runbook.Target{}); err != nil || p.Done || p.Line != "1 of 2 nodes Ready; worker-3 not; control plane: the API server answers" {
		t.Fatalf("nodes %+v %v", p, err)
	}
	if p, err := vaultBack(ctx, w, runbook.Target{}); err != nil || !p.Done || p.Line != "no Vault configured here: not checked" {
		t.Fatalf("vault %+v %v", p, err)
	}
	if p, err := platformSynced(ctx, w, runbook.Target{}); err != nil || !p.Done {
		t.Fatalf("synced %+v %v", p, err)
	}

	// Without Ceph served, nothing asks the dynamic client for CephClusters (a fake would panic).
	if p, err := storageBack(ctx, coldWorld(false, nil), runbook.Target{}); err != nil || !p.Done || p.Line != "no Mayastor DiskPool and no Rook CephCluster in the cluster: storage not checked" {
		t.Fatalf("storage without Ceph %+v %v", p, err)
	}
	// A healthy platform: it does not apply.
	if v, err := coldSurvey(ctx, coldWorld(false, []runtime.Object{node("worker-1", corev1.ConditionTrue), pod("api", "worker-1", runningReady)}), runbook.Target{}); err != nil || v.Applies ||
		v.Why != "the platform is back: 1 node Ready, 1 pod, none stuck on a mount or crash-looping" {
		t.Fatalf("a healthy platform: %+v %v", v, err)
	}
}
