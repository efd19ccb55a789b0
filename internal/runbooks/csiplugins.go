package runbooks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CSIPluginsStale is `csi-plugins-stale`: the pods of a Ceph CSI node plugin DaemonSet started before
// their CephCluster connected read the mons from a config written before the connection
// (/etc/ceph-csi-config/config.json) and fail every mount until restarted (PLATFORM.md §6). The
// precheck reads the DaemonSet, its pods and the CephClusters with the storage rule itself
// (health.StaleCSIPlugins); restart-csi-plugin deletes each stale pod, one at a time, each previewed and
// its name typed, refused while no CephCluster is Connected; the postcheck waits for every pod of the
// DaemonSet started after the connection and Ready.
func CSIPluginsStale() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookCSIPluginsStale, Title: "Ceph CSI node plugins started before their CephCluster connected",
		Summary: "check the CephCluster is Connected, delete the node plugin pods that predate it one at a time (the DaemonSet makes them again), wait for them all newer and Ready",
		Kinds:   []string{"DaemonSet"},
		Steps: []runbook.Step{
			{ID: "stale", Kind: runbook.Precheck, Title: "Read the CephClusters and the DaemonSet's pods: which started before the connection", Check: csiStale},
			{ID: "restart", Kind: runbook.Action, Title: "Delete, one at a time, each pod that predates the connection (only while the CephCluster is Connected)",
				Do: "restart-csi-plugin", Objects: stalePluginPods},
			{ID: "fresh", Kind: runbook.Postcheck, Title: "Wait for every pod of the DaemonSet started after the connection, and Ready", Wait: csiFresh,
				Every: 3 * time.Second, Timeout: 10 * time.Minute},
		}}
}

// csiFacts are what the steps read; judgeCSI and freshProgress make their answers of them.
type csiFacts struct {
	target   runbook.Target
	ds       *appsv1.DaemonSet // nil: absent
	pods     []*health.Pod     // the DaemonSet's, as the health model reads them
	clusters []*unstructured.Unstructured
	now      time.Time
}

// objects are the facts as the storage rule reads them.
func (f csiFacts) objects(pods []*health.Pod) health.Objects {
	return health.Objects{Now: f.now, CephClusters: f.clusters, DaemonSets: []*appsv1.DaemonSet{f.ds}, Pods: pods}
}

// stale are the DaemonSet's pods the rule finds stale, each judged on its own, by name.
func (f csiFacts) stale() []*health.Pod {
	var out []*health.Pod
	for _, p := range f.pods {
		if len(health.StaleCSIPlugins(f.objects([]*health.Pod{p}))) > 0 {
			out = append(out, p)
		}
	}
	return out
}

func readCSI(ctx context.Context, w runbook.World, t runbook.Target) (csiFacts, error) {
	f := csiFacts{target: t, now: time.Now()}
	if w.Now != nil {
		f.now = w.Now()
	}
	if w.Kube == nil || w.Dynamic == nil {
		return f, fmt.Errorf("no cluster to read %s from", t)
	}
	ds, err := w.Kube.AppsV1().DaemonSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return f, nil
	case err != nil:
		return f, fmt.Errorf("read DaemonSet %s/%s: %w", t.Namespace, t.Name, err)
	}
	f.ds = ds
	pods, err := w.Kube.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("list the pods of %s: %w", t.Namespace, err)
	}
	for i := range pods.Items {
		if pluginOf(&pods.Items[i], ds) {
			f.pods = append(f.pods, health.PodOf(&pods.Items[i]))
		}
	}
	sort.Slice(f.pods, func(i, j int) bool { return f.pods[i].Name < f.pods[j].Name })
	f.clusters, err = actions.ListCephClusters(ctx, w.Dynamic)
	return f, err
}

// pluginOf tells whether ds controls p.
func pluginOf(p *corev1.Pod, ds *appsv1.DaemonSet) bool {
	c := metav1.GetControllerOf(p)
	return c != nil && c.Kind == "DaemonSet" && c.Name == ds.Name && (c.UID == "" || c.UID == ds.UID)
}

// cephPhases are the CephClusters' phases, one "namespace/name phase" each, for the verdict's details.
func cephPhases(clusters []*unstructured.Unstructured) []string {
	out := make([]string, 0, len(clusters))
	for _, u := range clusters {
		out = append(out, fmt.Sprintf("CephCluster %s/%s: %s", u.GetNamespace(), u.GetName(), orUnknown(health.Str(u, "status", "phase"))))
	}
	return out
}

// judgeCSI says whether the runbook applies, and why: to a Ceph CSI node plugin DaemonSet with pods
// started before its CephCluster connected, while it is Connected; not to another DaemonSet, not while
// no CephCluster is Connected (a restart would read the same stale config), not when every pod is newer.
func judgeCSI(f csiFacts) runbook.Verdict {
	t := f.target
	ref := t.Namespace + "/" + t.Name
	switch {
	case f.ds == nil:
		return runbook.Verdict{Why: "no DaemonSet " + ref}
	case !health.IsCephCSINodePlugin(f.ds.Name):
		return runbook.Verdict{Why: ref + " is not a Ceph CSI node plugin (csi-rbdplugin, csi-cephfsplugin, <driver>-nodeplugin): this runbook is not for it"}
	}
	v := runbook.Verdict{Details: cephPhases(f.clusters)}
	if !actions.CephConnectedFor(f.ds, f.clusters) {
		v.Why = "no CephCluster is Connected: restarting the plugins now would read the same stale config — wait for the connection (its finding says why not), then run this again"
		return v
	}
	fs := health.StaleCSIPlugins(f.objects(f.pods))
	if len(fs) == 0 {
		v.Why = fmt.Sprintf("every pod of %s (%d) started after its CephCluster connected: nothing stale", ref, len(f.pods))
		return v
	}
	var names []string
	for _, p := range f.stale() {
		names = append(names, p.Name)
		v.Details = append(v.Details, fmt.Sprintf("stale: %s on %s, started %s", p.Name, orUnknown(p.Node), p.Created.UTC().Format(time.RFC3339)))
	}
	v.Facts = map[string]string{"stale": strings.Join(names, ",")}
	v.Applies, v.Why = true, ref+": "+fs[0].Reason
	return v
}

func csiStale(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	f, err := readCSI(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeCSI(f), nil
}

// stalePluginPods are what restart-csi-plugin acts on: the pods stale when the step starts.
func stalePluginPods(ctx context.Context, w runbook.World, t runbook.Target) ([]actions.Target, error) {
	f, err := readCSI(ctx, w, t)
	if err != nil || f.ds == nil {
		return nil, err
	}
	var out []actions.Target
	for _, p := range f.stale() {
		out = append(out, actions.Target{Kind: actions.KindPod, Namespace: p.Namespace, Name: p.Name})
	}
	return out, nil
}

func csiFresh(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	f, err := readCSI(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	return freshProgress(f), nil
}

// freshProgress is the postcheck's reading: done once a CephCluster is Connected and the DaemonSet has
// as many pods as it schedules (its desiredNumberScheduled), none being deleted, none stale, all Ready.
func freshProgress(f csiFacts) runbook.Progress {
	ref := f.target.Namespace + "/" + f.target.Name
	if f.ds == nil {
		return runbook.Progress{Line: "no DaemonSet " + ref}
	}
	if !actions.CephConnectedFor(f.ds, f.clusters) {
		return runbook.Progress{Line: "no CephCluster is Connected now: " + strings.Join(cephPhases(f.clusters), "; ")}
	}
	var live []*health.Pod
	deleting := 0
	for _, p := range f.pods {
		if !p.Deleting.IsZero() {
			deleting++
			continue
		}
		live = append(live, p)
	}
	want := int(f.ds.Status.DesiredNumberScheduled)
	if want == 0 {
		want = len(live)
	}
	stale := csiFacts{ds: f.ds, clusters: f.clusters, pods: live, now: f.now}.stale()
	ready := 0
	var notReady []string
	for _, p := range live {
		if p.Ready {
			ready++
		} else {
			notReady = append(notReady, p.Name)
		}
	}
	fresh := len(live) - len(stale)
	line := fmt.Sprintf("DaemonSet %s: %d of %d pods started after the connection, %d Ready", ref, fresh, want, ready)
	if deleting > 0 {
		line += fmt.Sprintf(", %d being deleted", deleting)
	}
	if len(stale) > 0 {
		var names []string
		for _, p := range stale {
			names = append(names, p.Name)
		}
		line += "; still stale: " + strings.Join(names, ", ")
	}
	if len(notReady) > 0 {
		line += "; not Ready: " + strings.Join(notReady, ", ")
	}
	done := len(stale) == 0 && deleting == 0 && fresh >= want && ready == len(live)
	return runbook.Progress{Done: done, Line: line}
}
