package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/watch"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ColdStart is `cold-start`, the platform after a power loss, from the club's 2025-08-13 incident (2 h 07
// to repair, most of it finding which machines, mounts and pods had not come back). Its precheck reads
// everything that is not back — nodes not Ready, the control plane, DiskPools not Online and CephClusters
// not connected, pods stuck on a mount (a Multi-Attach among them), crash loops, Vault sealed,
// Applications not synced, certificates not Ready — or says the platform is back. A person powers on
// what is off (the BIOS's power-on after power loss, the VPN); the run waits for the nodes (a machine
// that stays off goes through node-lost: tainted out of service, it counts as handled) and the storage;
// then deletes each stale VolumeAttachment that holds a volume on a node off or gone, and, one at a
// time, each pod stuck on a mount whose volumes can attach now — as a pod, never its owner (an
// operator's, CNPG's, makes it again as it would any) — leaving, with why, those whose volume cannot
// attach yet; waits for those pods back, saying which still crash-loop; then Vault unsealed (vault-sealed
// while it is not) and the Applications and certificates.
func ColdStart() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookColdStart, Title: "Cold start after a power loss",
		Summary: "find what is not back, power it on, wait for the nodes and the storage, free the volumes held on machines off, restart the pods stuck on a mount one at a time, then Vault, the Applications and the certificates",
		Steps: []runbook.Step{
			{ID: "survey", Kind: runbook.Precheck, Title: "Read what is not back: nodes, control plane, storage, pods on mounts, crash loops, Vault, Applications, certificates",
				Check: coldSurvey},
			{ID: "power", Kind: runbook.Manual, Title: "Power on the machines that are not back (power, BIOS, network, VPN)", Instructions: powerInstructions},
			{ID: "nodes", Kind: runbook.Postcheck, Title: "Wait for every node Ready (or out of service) and the control plane healthy", Wait: nodesBack,
				Every: 5 * time.Second, Timeout: 30 * time.Minute},
			{ID: "storage", Kind: runbook.Postcheck, Title: "Wait for the storage: DiskPools Online, CephClusters connected", Wait: storageBack,
				Every: 5 * time.Second, Timeout: 30 * time.Minute},
			{ID: "stale-attachments", Kind: runbook.Action, Title: "Delete the stale VolumeAttachments that hold a volume on a node off or gone (Multi-Attach)",
				Do: "delete-volumeattachment", Objects: staleAttachments},
			{ID: "restart-pods", Kind: runbook.Action, Title: "Delete, one at a time, the pods stuck on a mount whose volumes can attach now (their controller makes them again)",
				Do: "delete-pod", Objects: restartablePods},
			{ID: "pods", Kind: runbook.Postcheck, Title: "Wait for those pods Running and Ready; re-check the crash loops", Wait: podsBack,
				Every: 5 * time.Second, Timeout: 15 * time.Minute},
			{ID: "vault", Kind: runbook.Postcheck, Title: "Wait for Vault unsealed (runbook vault-sealed)", Wait: vaultBack,
				Every: 5 * time.Second, Timeout: time.Hour},
			{ID: "synced", Kind: runbook.Postcheck, Title: "Wait for the Applications Synced and Healthy and the certificates Ready", Wait: platformSynced,
				Every: 5 * time.Second, Timeout: 30 * time.Minute},
		}}
}

// Facts the survey keeps for later steps (World.Earlier): names only, never a secret.
const (
	factNodesDown    = "nodes-not-ready"
	factStuckOnMount = "stuck-on-mount"
	factCrashLooping = "crash-looping"
)

// The workloads rules' words (health.WorkloadPod's why) for the pods cold-start acts on or re-checks.
const (
	whyWaitingOnVolumes = "waiting on volumes"
	whyCrashLoopBackOff = "CrashLoopBackOff"
	whyRunningReady     = "Running"
)

// Storage drivers whose volumes wait on what the storage postcheck reads.
const (
	mayastorDriver  = "io.openebs.csi-mayastor"
	cephRBDSuffix   = ".rbd.csi.ceph.com"
	cephFSSuffix    = ".cephfs.csi.ceph.com"
	controlPlaneSel = "tier=control-plane"
)

// cephClusters is Rook's CephCluster (ceph.rook.io/v1).
func cephClusters() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "ceph.rook.io", Version: "v1", Resource: "cephclusters"}
}

// ---- reading the platform ----

// judgedPod is a pod as the workloads rules judge it.
type judgedPod struct {
	pod *corev1.Pod
	f   health.Finding
	why string // the rules' words: "waiting on volumes", "CrashLoopBackOff", "Running"…
}

func (j judgedPod) key() string { return j.pod.Namespace + "/" + j.pod.Name }

// judgePods judges every pod with the workloads rules (health.WorkloadPod), with the nodes and the mount
// problems read, at now.
func judgePods(pods []corev1.Pod, nodes []corev1.Node, mounts map[string]health.MountProblem, now time.Time) []judgedPod {
	o := health.Objects{Now: now, MountProblems: mounts, Nodes: make([]*corev1.Node, len(nodes))}
	for i := range nodes {
		o.Nodes[i] = &nodes[i]
	}
	out := make([]judgedPod, 0, len(pods))
	for i := range pods {
		f, why := health.WorkloadPod(health.PodOf(&pods[i]), o)
		out = append(out, judgedPod{pod: &pods[i], f: f, why: why})
	}
	slices.SortFunc(out, func(a, b judgedPod) int { return strings.Compare(a.key(), b.key()) })
	return out
}

// mountProblemsOf takes, from the events, the newest Warning about each pod's volumes (as the Kubernetes
// source does for the health model: watch.EventFrom, health.IsMountProblem).
func mountProblemsOf(events []corev1.Event) map[string]health.MountProblem {
	return newestWarnings(events, health.IsMountProblem)
}

// newestWarnings takes, from the events, the newest Warning about each pod among those whose reason
// keep accepts.
func newestWarnings(events []corev1.Event, keep func(reason string) bool) map[string]health.MountProblem {
	out := map[string]health.MountProblem{}
	for i := range events {
		e, ok := watch.EventFrom(&events[i])
		if !ok || e.Object.Kind != "Pod" || !keep(e.Reason) {
			continue
		}
		k := e.Object.Namespace + "/" + e.Object.Name
		if old, seen := out[k]; seen && !e.LastSeen.After(old.LastSeen) {
			continue
		}
		out[k] = health.MountProblem{Reason: e.Reason, Message: e.Message, LastSeen: e.LastSeen}
	}
	return out
}

func needKube(w runbook.World) error {
	if w.Kube == nil {
		return fmt.Errorf("no cluster to read: cold-start needs a Kubernetes connection")
	}
	return nil
}

func listNodes(ctx context.Context, w runbook.World) ([]corev1.Node, error) {
	if err := needKube(w); err != nil {
		return nil, err
	}
	l, err := w.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	slices.SortFunc(l.Items, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	return l.Items, nil
}

// readPods reads every pod and judges it, with the nodes and the mount problems of the Warning events.
func readPods(ctx context.Context, w runbook.World, nodes []corev1.Node) ([]judgedPod, map[string]health.MountProblem, error) {
	pods, err := w.Kube.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list pods: %w", err)
	}
	events, err := w.Kube.CoreV1().Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning})
	if err != nil {
		return nil, nil, fmt.Errorf("list events: %w", err)
	}
	mounts := mountProblemsOf(events.Items)
	return judgePods(pods.Items, nodes, mounts, now(w)), mounts, nil
}

// listCustom lists a custom resource in every namespace; served is false when the cluster does not
// serve it (its CRD absent) or there is no dynamic client.
func listCustom(ctx context.Context, w runbook.World, gvr schema.GroupVersionResource) (items []unstructured.Unstructured, served bool, err error) {
	if w.Dynamic == nil {
		return nil, false, nil
	}
	l, err := w.Dynamic.Resource(gvr).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, true, fmt.Errorf("list %s: %w", gvr.Resource, err)
	}
	slices.SortFunc(l.Items, func(a, b unstructured.Unstructured) int {
		return strings.Compare(a.GetNamespace()+"/"+a.GetName(), b.GetNamespace()+"/"+b.GetName())
	})
	return l.Items, true, nil
}

// servesCeph tells whether the cluster serves Rook's CephCluster (asked of discovery first: a client
// that does not know the kind is never asked to list it).
func servesCeph(w runbook.World) bool {
	if w.Kube == nil || w.Dynamic == nil {
		return false
	}
	rs, err := w.Kube.Discovery().ServerResourcesForGroupVersion(cephClusters().GroupVersion().String())
	if err != nil || rs == nil {
		return false
	}
	return slices.ContainsFunc(rs.APIResources, func(r metav1.APIResource) bool { return r.Name == cephClusters().Resource })
}

// storageState is what says whether a volume's storage is back: the pools and Ceph clusters not back.
type storageState struct {
	poolsServed, cephServed bool
	pools, cephs            int
	poolsDown, cephsDown    []string // "mayastor/pool-worker-3 (Offline)"
}

func readStorage(ctx context.Context, w runbook.World) (storageState, error) {
	var s storageState
	pools, served, err := listCustom(ctx, w, platform.DiskPool.GVR)
	if err != nil {
		return s, err
	}
	s.poolsServed, s.pools, s.poolsDown = served, len(pools), poolsDown(pools)
	if servesCeph(w) {
		cephs, served, err := listCustom(ctx, w, cephClusters())
		if err != nil {
			return s, err
		}
		s.cephServed, s.cephs, s.cephsDown = served, len(cephs), cephsDown(cephs)
	}
	return s, nil
}

// poolsDown names the DiskPools whose pool_status is not Online.
func poolsDown(pools []unstructured.Unstructured) []string {
	var out []string
	for i := range pools {
		st := health.Str(&pools[i], "status", "pool_status")
		if !strings.EqualFold(st, "Online") {
			out = append(out, fmt.Sprintf("%s (%s)", nsName(&pools[i]), orUnknown(st)))
		}
	}
	return out
}

// cephsDown names the CephClusters not connected: phase neither Connected (an external cluster) nor
// Ready, with their phase and Ceph's health.
func cephsDown(cephs []unstructured.Unstructured) []string {
	var out []string
	for i := range cephs {
		phase := health.Str(&cephs[i], "status", "phase")
		if phase == "Connected" || phase == "Ready" {
			continue
		}
		s := fmt.Sprintf("%s (phase %s", nsName(&cephs[i]), orUnknown(phase))
		if h := health.Str(&cephs[i], "status", "ceph", "health"); h != "" {
			s += ", " + h
		}
		out = append(out, s+")")
	}
	return out
}

func nsName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetName()
	}
	return u.GetNamespace() + "/" + u.GetName()
}

// volumes is what says whether a pod's volumes can attach: claims, volumes, attachments, storage.
type volumes struct {
	claims      map[string]*corev1.PersistentVolumeClaim // namespace/name
	pvs         map[string]*corev1.PersistentVolume
	attachments []storagev1.VolumeAttachment
	storage     storageState
	// stalePlugins are, by node, the Ceph CSI node plugin DaemonSets whose pod there started before its
	// CephCluster connected ("rook-ceph/csi-rbdplugin"); nil when not read (cold-start does not).
	stalePlugins map[string][]string
}

func readVolumes(ctx context.Context, w runbook.World) (volumes, error) {
	v := volumes{claims: map[string]*corev1.PersistentVolumeClaim{}, pvs: map[string]*corev1.PersistentVolume{}}
	claims, err := w.Kube.CoreV1().PersistentVolumeClaims(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return v, fmt.Errorf("list persistent volume claims: %w", err)
	}
	for i := range claims.Items {
		c := &claims.Items[i]
		v.claims[c.Namespace+"/"+c.Name] = c
	}
	pvs, err := w.Kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return v, fmt.Errorf("list persistent volumes: %w", err)
	}
	for i := range pvs.Items {
		v.pvs[pvs.Items[i].Name] = &pvs.Items[i]
	}
	vas, err := w.Kube.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return v, fmt.Errorf("list volume attachments: %w", err)
	}
	v.attachments = vas.Items
	slices.SortFunc(v.attachments, func(a, b storagev1.VolumeAttachment) int { return strings.Compare(a.Name, b.Name) })
	v.storage, err = readStorage(ctx, w)
	return v, err
}

// claimsOf are the claims p's volumes name: its PersistentVolumeClaims and its generic ephemeral
// volumes' (named pod-volume).
func claimsOf(p *corev1.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			out = append(out, p.Name+"-"+v.Name)
		}
	}
	return out
}

// cannotAttach says why p's volumes cannot attach now ("" when they can): a claim missing or not
// Bound, its volume gone or Failed, a VolumeAttachment still holding it on another node, its storage not
// back (a Mayastor pool not Online, a CephCluster not connected, the Ceph CSI node plugin on its node
// stale when that was read).
func (v volumes) cannotAttach(p *corev1.Pod) string {
	var why []string
	for _, name := range claimsOf(p) {
		c := v.claims[p.Namespace+"/"+name]
		switch {
		case c == nil:
			why = append(why, "claim "+name+" does not exist")
			continue
		case c.Status.Phase != corev1.ClaimBound:
			why = append(why, fmt.Sprintf("claim %s is %s, not Bound", name, orUnknown(string(c.Status.Phase))))
			continue
		case c.Spec.VolumeName == "":
			why = append(why, fmt.Sprintf("claim %s names no volume", name))
			continue
		}
		pv := v.pvs[c.Spec.VolumeName]
		switch {
		case pv == nil:
			why = append(why, fmt.Sprintf("claim %s's volume %s is gone", name, c.Spec.VolumeName))
			continue
		case pv.Status.Phase == corev1.VolumeFailed:
			why = append(why, fmt.Sprintf("claim %s's volume %s Failed", name, pv.Name))
			continue
		}
		for _, va := range v.attachments {
			if pvn := va.Spec.Source.PersistentVolumeName; pvn != nil && *pvn == pv.Name && va.Spec.NodeName != p.Spec.NodeName {
				why = append(why, fmt.Sprintf("VolumeAttachment %s still holds volume %s on node %s", va.Name, pv.Name, va.Spec.NodeName))
			}
		}
		if pv.Spec.CSI == nil {
			continue
		}
		switch d := pv.Spec.CSI.Driver; {
		case d == mayastorDriver && len(v.storage.poolsDown) > 0:
			why = append(why, fmt.Sprintf("volume %s is Mayastor's, and DiskPools are not Online: %s", pv.Name, strings.Join(v.storage.poolsDown, ", ")))
		case (strings.HasSuffix(d, cephRBDSuffix) || strings.HasSuffix(d, cephFSSuffix)) && len(v.storage.cephsDown) > 0:
			why = append(why, fmt.Sprintf("volume %s is Ceph's, and CephClusters are not connected: %s", pv.Name, strings.Join(v.storage.cephsDown, ", ")))
		case (strings.HasSuffix(d, cephRBDSuffix) || strings.HasSuffix(d, cephFSSuffix)) && len(v.stalePlugins[p.Spec.NodeName]) > 0:
			why = append(why, fmt.Sprintf("volume %s is Ceph's, and the Ceph CSI node plugin on node %s (DaemonSet %s) started before its CephCluster connected: its config is stale — runbook %s first",
				pv.Name, p.Spec.NodeName, strings.Join(v.stalePlugins[p.Spec.NodeName], ", "), health.RunbookCSIPluginsStale))
		}
	}
	return strings.Join(why, "; ")
}

// ---- the nodes and the control plane ----

// nodeCount is what the nodes postcheck counts: Ready, out of service (a machine confirmed off, through
// node-lost), and not back.
type nodeCount struct {
	total        int
	ready        []string
	outOfService []string
	notBack      []string // "worker-3"
	details      []string // "worker-3: kubelet stopped posting status since 09:58:02"
}

func countNodes(nodes []corev1.Node) nodeCount {
	c := nodeCount{total: len(nodes)}
	for i := range nodes {
		n := &nodes[i]
		f := health.Node(n)
		switch r := readyOf(n); {
		case r != nil && r.Status == corev1.ConditionTrue:
			c.ready = append(c.ready, n.Name)
		case outOfService(n):
			c.outOfService = append(c.outOfService, n.Name)
		default:
			c.notBack = append(c.notBack, n.Name)
			c.details = append(c.details, n.Name+": "+f.Reason)
		}
	}
	return c
}

// line is "5 of 7 nodes Ready; worker-3, worker-5 not; worker-6 out of service (node-lost)".
func (c nodeCount) line() string {
	s := fmt.Sprintf("%d of %s Ready", len(c.ready), count(c.total, "node"))
	if len(c.notBack) > 0 {
		s += "; " + firstFew(c.notBack) + " not"
	}
	if len(c.outOfService) > 0 {
		s += "; " + firstFew(c.outOfService) + " out of service (" + health.RunbookNodeLost + ")"
	}
	return s
}

// controlPlaneDown lists the control plane's pods (kube-system, tier=control-plane: the API server, the
// controller manager, the scheduler, etcd where it runs as a pod) the health rules do not find OK.
func controlPlaneDown(ctx context.Context, w runbook.World) ([]string, int, error) {
	l, err := w.Kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: controlPlaneSel})
	if err != nil {
		return nil, 0, fmt.Errorf("list the control plane's pods: %w", err)
	}
	var down []string
	n := 0
	for i := range l.Items {
		p := &l.Items[i]
		if p.Labels["tier"] != "control-plane" { // a client that ignores the selector (a fake)
			continue
		}
		n++
		if f := health.ControlPlanePod(p, now(w)); f.Status != health.OK {
			down = append(down, p.Name+": "+f.Reason)
		}
	}
	slices.Sort(down)
	return down, n, nil
}

// ---- the survey ----

// survey is everything the precheck read.
type survey struct {
	apiDown      error
	nodes        nodeCount
	controlPlane []string
	storage      storageState
	stuck        []judgedPod // waiting on a mount
	cannot       map[string]string
	multiAttach  []string // "shop/db-0: …"
	stale        []string // stale attachments
	crashing     []judgedPod
	vault        []string // servers not unsealed; nil when read and all unsealed
	vaultRead    string   // "", or why Vault was not read
	apps         []string // not Synced and Healthy
	certs        []string // not Ready
	podsTotal    int
	appsTotal    int
	certsTotal   int
	vaultServers int
}

func coldSurvey(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Verdict, error) {
	s, err := readSurvey(ctx, w)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeSurvey(s), nil
}

func readSurvey(ctx context.Context, w runbook.World) (survey, error) {
	var s survey
	nodes, err := listNodes(ctx, w)
	if err != nil {
		if w.Kube != nil && !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) {
			s.apiDown = err // the API server does not answer: the control plane is not back
			return s, nil
		}
		return s, err
	}
	s.nodes = countNodes(nodes)
	if s.controlPlane, _, err = controlPlaneDown(ctx, w); err != nil {
		return s, err
	}
	pods, mounts, err := readPods(ctx, w, nodes)
	if err != nil {
		return s, err
	}
	s.podsTotal = len(pods)
	vols, err := readVolumes(ctx, w)
	if err != nil {
		return s, err
	}
	s.storage = vols.storage
	s.cannot = map[string]string{}
	for _, j := range pods {
		switch j.why {
		case whyWaitingOnVolumes:
			s.stuck = append(s.stuck, j)
			s.cannot[j.key()] = vols.cannotAttach(j.pod)
			if mp := mounts[j.key()]; mp.MultiAttach() {
				s.multiAttach = append(s.multiAttach, j.key())
			}
		case whyCrashLoopBackOff:
			s.crashing = append(s.crashing, j)
		}
	}
	for _, va := range vols.staleAttachmentsOf(nodes, pods) {
		s.stale = append(s.stale, va.why)
	}
	s.vault, s.vaultServers, s.vaultRead = readVault(ctx, w)
	apps, _, err := listCustom(ctx, w, platform.ArgoApplication.GVR)
	if err != nil {
		return s, err
	}
	s.apps, s.appsTotal = appsNotSynced(apps), len(apps)
	certs, _, err := listCustom(ctx, w, platform.CertManagerCert.GVR)
	if err != nil {
		return s, err
	}
	s.certs, s.certsTotal = certsNotReady(certs), len(certs)
	return s, nil
}

// readVault reads each Vault server's seal: the servers not unsealed ("vault-1: sealed, 0 of 3
// shares"), how many were read, and why Vault was not read at all ("" when it was).
func readVault(ctx context.Context, w runbook.World) ([]string, int, string) {
	if w.Vault == nil {
		return nil, 0, "no Vault configured here: not checked"
	}
	seals, err := readSeals(ctx, w)
	if err != nil {
		return nil, 0, "Vault not read: " + oneLine(err.Error())
	}
	var out []string
	for _, s := range seals {
		if s.err != nil || !s.inited || s.p.Sealed {
			out = append(out, s.String())
		}
	}
	return out, len(seals), ""
}

// appsNotSynced names the Applications not Synced and Healthy: "argocd/shop (OutOfSync, Degraded)".
func appsNotSynced(apps []unstructured.Unstructured) []string {
	var out []string
	for i := range apps {
		sync, hl := health.Str(&apps[i], "status", "sync", "status"), health.Str(&apps[i], "status", "health", "status")
		if sync != "Synced" || hl != "Healthy" {
			out = append(out, fmt.Sprintf("%s (%s, %s)", nsName(&apps[i]), orUnknown(sync), orUnknown(hl)))
		}
	}
	return out
}

// certsNotReady names the Certificates whose Ready condition is not True: "web/web-tls (Ready False:
// Issuing)".
func certsNotReady(certs []unstructured.Unstructured) []string {
	var out []string
	for i := range certs {
		c, ok := health.FindCondition(health.Conditions(&certs[i], "status", "conditions"), "Ready")
		if ok && c.Status == "True" {
			continue
		}
		state := "no Ready condition"
		if ok {
			state = "Ready " + c.Status
			if c.Reason != "" {
				state += ": " + c.Reason
			}
		}
		out = append(out, fmt.Sprintf("%s (%s)", nsName(&certs[i]), state))
	}
	return out
}

// judgeSurvey is the precheck's verdict on what was read: it applies when anything is not back.
func judgeSurvey(s survey) runbook.Verdict {
	if s.apiDown != nil {
		return runbook.Verdict{Applies: true,
			Why:     "the Kubernetes API does not answer: the control plane is not back — start with the machines",
			Details: []string{"read: " + oneLine(s.apiDown.Error())}}
	}
	var v runbook.Verdict
	var not []string
	add := func(summary string, details ...string) {
		not = append(not, summary)
		v.Details = append(v.Details, details...)
	}
	if len(s.nodes.notBack) > 0 {
		add(fmt.Sprintf("%d of %s not Ready (%s)", len(s.nodes.notBack), count(s.nodes.total, "node"), firstFew(s.nodes.notBack)), s.nodes.details...)
	}
	if len(s.controlPlane) > 0 {
		add("the control plane not healthy", prefixed("control plane: ", s.controlPlane)...)
	}
	if len(s.storage.poolsDown) > 0 {
		add(count(len(s.storage.poolsDown), "DiskPool")+" not Online", prefixed("DiskPool ", s.storage.poolsDown)...)
	}
	if len(s.storage.cephsDown) > 0 {
		add(count(len(s.storage.cephsDown), "CephCluster")+" not connected", prefixed("CephCluster ", s.storage.cephsDown)...)
	}
	if len(s.stuck) > 0 {
		var lines []string
		for _, j := range s.stuck {
			l := "stuck on a mount: " + j.key() + ": " + j.f.Reason
			if o := operatorOwner(j.pod); o != "" {
				l += " — owned by " + o + ": the pod is deleted, never its owner"
			}
			if why := s.cannot[j.key()]; why != "" {
				l += " — its volume cannot attach yet: " + why
			}
			lines = append(lines, l)
		}
		add(count(len(s.stuck), "pod")+" stuck on a mount", lines...)
	}
	if len(s.multiAttach) > 0 {
		add(count(len(s.multiAttach), "Multi-Attach error"), prefixed("Multi-Attach: ", s.multiAttach)...)
	}
	if len(s.stale) > 0 {
		add(count(len(s.stale), "stale VolumeAttachment"), prefixed("stale: ", s.stale)...)
	}
	if len(s.crashing) > 0 {
		var lines []string
		for _, j := range s.crashing {
			lines = append(lines, "crash loop: "+j.key()+": "+j.f.Reason)
		}
		add(count(len(s.crashing), "pod")+" crash-looping", lines...)
	}
	if len(s.vault) > 0 {
		add("Vault not unsealed", prefixed("Vault ", s.vault)...)
	}
	if len(s.apps) > 0 {
		add(fmt.Sprintf("%d of %s not Synced and Healthy", len(s.apps), count(s.appsTotal, "Application")), prefixed("Application ", s.apps)...)
	}
	if len(s.certs) > 0 {
		add(fmt.Sprintf("%d of %s not Ready", len(s.certs), count(s.certsTotal, "certificate")), prefixed("Certificate ", s.certs)...)
	}
	if s.vaultRead != "" {
		v.Details = append(v.Details, s.vaultRead)
	}
	if len(not) == 0 {
		v.Why = "the platform is back: " + s.backLine()
		return v
	}
	v.Applies, v.Why, v.Systems = true, "not back: "+strings.Join(not, "; "), not
	v.Facts = map[string]string{}
	for k, names := range map[string][]string{factNodesDown: s.nodes.notBack, factStuckOnMount: keys(s.stuck), factCrashLooping: keys(s.crashing)} {
		if len(names) > 0 {
			v.Facts[k] = strings.Join(names, " ")
		}
	}
	return v
}

// backLine says what was found back: "3 nodes Ready, 12 pods, 2 DiskPools Online, Vault unsealed…".
func (s survey) backLine() string {
	parts := []string{fmt.Sprintf("%s Ready", count(s.nodes.total, "node"))}
	if len(s.nodes.outOfService) > 0 {
		parts[0] = s.nodes.line()
	}
	parts = append(parts, count(s.podsTotal, "pod")+", none stuck on a mount or crash-looping")
	if s.storage.pools > 0 {
		parts = append(parts, count(s.storage.pools, "DiskPool")+" Online")
	}
	if s.storage.cephs > 0 {
		parts = append(parts, count(s.storage.cephs, "CephCluster")+" connected")
	}
	if s.vaultRead == "" {
		parts = append(parts, fmt.Sprintf("Vault unsealed (%s)", count(s.vaultServers, "server")))
	}
	if s.appsTotal > 0 {
		parts = append(parts, count(s.appsTotal, "Application")+" Synced and Healthy")
	}
	if s.certsTotal > 0 {
		parts = append(parts, count(s.certsTotal, "certificate")+" Ready")
	}
	return strings.Join(parts, ", ")
}

func keys(js []judgedPod) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.key()
	}
	return out
}

func prefixed(prefix string, items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = prefix + s
	}
	return out
}

// operatorOwner names p's controller when it is an operator's rather than a built-in workload's
// ("Cluster nextcloud-db (postgresql.cnpg.io)"), "" otherwise: the pod is what is deleted, never it.
func operatorOwner(p *corev1.Pod) string {
	c := metav1.GetControllerOf(p)
	if c == nil {
		return ""
	}
	group := schema.FromAPIVersionAndKind(c.APIVersion, c.Kind).Group
	if group == "" || group == "apps" || group == "batch" {
		return ""
	}
	return fmt.Sprintf("%s %s (%s)", c.Kind, c.Name, group)
}

// ---- the manual step ----

func powerInstructions(_ runbook.Target, earlier func(string) runbook.StepState) []string {
	first := "The next step names the nodes still not back as it waits."
	if down := earlier("survey").Facts[factNodesDown]; down != "" {
		first = "Not Ready when the run began: " + strings.Join(strings.Fields(down), ", ") + ". " + first
	}
	return []string{
		first,
		"Power: is the room powered, the UPS back, each host on? Start the Proxmox hosts first, then their VMs (qm start <vmid>); set each VM to start on boot (qm set <vmid> --onboot 1) — on 2025-08-13 only a third of the VMs came back by themselves.",
		"BIOS: set \"power on after power loss\" (Restore on AC power loss: Power On) on every host, the VPN's too — the VPN stayed down for an hour for want of it.",
		"Network: the switches, the router, the VPN; reach the machines another way if the VPN is down (a machine on site).",
		"Omni: every machine connected again (Machines); the control plane's etcd healthy (talosctl -n <cp> etcd status, talosctl -n <cp> service etcd).",
		"A machine that cannot come back now: confirm it is off, then run runbook " + health.RunbookNodeLost + " on its node — tainted out of service, it counts as handled here, and its volumes can attach elsewhere.",
		"Tick this once the machines are on, saying what you did (\"BIOS set on pve-2, VMs started\").",
	}
}

// ---- postchecks ----

// nodesBack: every node Ready or out of service, the control plane healthy.
func nodesBack(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	nodes, err := listNodes(ctx, w)
	if err != nil {
		return runbook.Progress{}, err
	}
	c := countNodes(nodes)
	down, n, err := controlPlaneDown(ctx, w)
	if err != nil {
		return runbook.Progress{}, err
	}
	line := c.line()
	switch {
	case len(down) > 0:
		line += "; control plane: " + firstFew(down)
	case n > 0:
		line += fmt.Sprintf("; control plane healthy (%s)", count(n, "pod"))
	default:
		line += "; control plane: the API server answers"
	}
	return runbook.Progress{Done: len(nodes) > 0 && len(c.notBack) == 0 && len(down) == 0, Line: line}, nil
}

// storageBack: every DiskPool Online, every CephCluster connected — of those the cluster serves.
func storageBack(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	s, err := readStorage(ctx, w)
	if err != nil {
		return runbook.Progress{}, err
	}
	return storageProgress(s), nil
}

func storageProgress(s storageState) runbook.Progress {
	if s.pools == 0 && s.cephs == 0 {
		return runbook.Progress{Done: true, Line: "no Mayastor DiskPool and no Rook CephCluster in the cluster: storage not checked"}
	}
	var parts []string
	if s.pools > 0 {
		p := fmt.Sprintf("%d of %s Online", s.pools-len(s.poolsDown), count(s.pools, "DiskPool"))
		if len(s.poolsDown) > 0 {
			p += " (" + firstFew(s.poolsDown) + " not)"
		}
		parts = append(parts, p)
	}
	if s.cephs > 0 {
		p := fmt.Sprintf("%d of %s connected", s.cephs-len(s.cephsDown), count(s.cephs, "CephCluster"))
		if len(s.cephsDown) > 0 {
			p += " (" + firstFew(s.cephsDown) + " not)"
		}
		parts = append(parts, p)
	}
	return runbook.Progress{Done: len(s.poolsDown) == 0 && len(s.cephsDown) == 0, Line: strings.Join(parts, "; ")}
}

// ---- the actions' objects ----

// staleAttachment is a VolumeAttachment that blocks a Multi-Attach, and why it is stale.
type staleAttachment struct {
	name, why string
}

// staleAttachmentsOf are the VolumeAttachments that block a Multi-Attach: on a node not Ready (or gone),
// holding a volume whose claim a pod on another node, not started yet, waits for — "csi-db (volume pv-db
// on node worker-3, not Ready; wanted by shop/db-0 on worker-1)". The delete-volumeattachment action
// checks again, at its preview and its write, that nothing on that node still uses the volume.
func (v volumes) staleAttachmentsOf(nodes []corev1.Node, pods []judgedPod) []staleAttachment {
	state := nodeStates(nodes)
	var out []staleAttachment
	for _, va := range v.attachments {
		pv := va.Spec.Source.PersistentVolumeName
		st := state.of(va.Spec.NodeName)
		if pv == nil || st == nodeReady {
			continue
		}
		var wanted []string
		for _, j := range pods {
			p := j.pod
			if p.Spec.NodeName == "" || p.Spec.NodeName == va.Spec.NodeName || p.Status.Phase != corev1.PodPending || p.DeletionTimestamp != nil {
				continue
			}
			if v.mountsVolume(p, *pv) {
				wanted = append(wanted, j.key()+" on "+p.Spec.NodeName)
			}
		}
		if len(wanted) > 0 {
			out = append(out, staleAttachment{name: va.Name,
				why: fmt.Sprintf("%s (volume %s on node %s, %s; wanted by %s)", va.Name, *pv, va.Spec.NodeName, st, strings.Join(wanted, ", "))})
		}
	}
	return out
}

// What a node holding a volume is, as staleAttachmentsOf and multi-attach say it.
const (
	nodeReady        = "Ready"
	nodeNotReady     = "not Ready"
	nodeOutOfService = "not Ready, out of service"
	nodeGone         = "gone"
)

// nodeStateMap is each node's state by name.
type nodeStateMap map[string]string

// nodeStates reads each node's state: Ready, not Ready, or not Ready and tainted out of service.
func nodeStates(nodes []corev1.Node) nodeStateMap {
	state := nodeStateMap{}
	for i := range nodes {
		n := &nodes[i]
		switch r := readyOf(n); {
		case r != nil && r.Status == corev1.ConditionTrue:
			state[n.Name] = nodeReady
		case outOfService(n):
			state[n.Name] = nodeOutOfService
		default:
			state[n.Name] = nodeNotReady
		}
	}
	return state
}

// of is the state of node name: gone when there is no such Node.
func (m nodeStateMap) of(name string) string {
	if st, ok := m[name]; ok {
		return st
	}
	return nodeGone
}

// mountsVolume tells whether one of p's claims is bound to volume pv.
func (v volumes) mountsVolume(p *corev1.Pod, pv string) bool {
	return slices.ContainsFunc(claimsOf(p), func(name string) bool {
		c := v.claims[p.Namespace+"/"+name]
		return c != nil && c.Spec.VolumeName == pv
	})
}

// readScene reads what the steps after the storage read: the nodes, every pod judged, the volumes.
func readScene(ctx context.Context, w runbook.World) ([]corev1.Node, []judgedPod, volumes, error) {
	nodes, err := listNodes(ctx, w)
	if err != nil {
		return nil, nil, volumes{}, err
	}
	pods, _, err := readPods(ctx, w, nodes)
	if err != nil {
		return nil, nil, volumes{}, err
	}
	vols, err := readVolumes(ctx, w)
	return nodes, pods, vols, err
}

// staleAttachments are the stale-attachments step's objects.
func staleAttachments(ctx context.Context, w runbook.World, _ runbook.Target) ([]actions.Target, error) {
	nodes, pods, vols, err := readScene(ctx, w)
	if err != nil {
		return nil, err
	}
	var out []actions.Target
	for _, va := range vols.staleAttachmentsOf(nodes, pods) {
		out = append(out, actions.Target{Kind: actions.KindVolumeAttachment, Name: va.name})
	}
	return out, nil
}

// restartable splits the pods stuck on a mount into those whose volumes can attach now (to delete, in
// name order) and those that cannot yet, with why ("shop/files-0: claim files is Pending, not Bound").
func restartable(pods []judgedPod, vols volumes) (ready []judgedPod, cannot []string) {
	for _, j := range pods {
		if j.why != whyWaitingOnVolumes {
			continue
		}
		if why := vols.cannotAttach(j.pod); why != "" {
			cannot = append(cannot, j.key()+": "+why)
			continue
		}
		ready = append(ready, j)
	}
	return ready, cannot
}

// restartablePods are the restart-pods step's objects: the pods stuck on a mount whose volumes can attach
// now. A pod whose volume cannot attach yet is never among them: deleting it would only make another
// that waits the same (the pods postcheck names it, with why).
func restartablePods(ctx context.Context, w runbook.World, _ runbook.Target) ([]actions.Target, error) {
	_, pods, vols, err := readScene(ctx, w)
	if err != nil {
		return nil, err
	}
	ready, _ := restartable(pods, vols)
	out := make([]actions.Target, 0, len(ready))
	for _, j := range ready {
		out = append(out, actions.Target{Kind: actions.KindPod, Namespace: j.pod.Namespace, Name: j.pod.Name})
	}
	return out, nil
}

// ---- the pods postcheck ----

// podsBack: every pod the restart-pods step deleted is back, Running and Ready (or replaced under a new
// name by its controller); its line also names the pods still stuck on a mount whose volume cannot attach
// (with why) and those still crash-looping now that the storage is back.
func podsBack(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	var deleted []string
	if w.Earlier != nil {
		for _, o := range w.Earlier("restart-pods").Objects {
			if o.Done {
				deleted = append(deleted, o.Object)
			}
		}
	}
	_, pods, vols, err := readScene(ctx, w)
	if err != nil {
		return runbook.Progress{}, err
	}
	return judgePodsBack(deleted, pods, vols), nil
}

// judgePodsBack is the pods postcheck's reading: deleted are the restart-pods step's objects done
// ("pod/shop/db-0").
func judgePodsBack(deleted []string, pods []judgedPod, vols volumes) runbook.Progress {
	back, waiting := deletedBack(deleted, pods)
	var parts []string
	if len(deleted) == 0 {
		parts = append(parts, "no pod was deleted")
	} else {
		p := fmt.Sprintf("%d of %s back, Running and Ready", back, count(len(deleted), "pod"))
		if len(waiting) > 0 {
			p += "; not yet: " + firstFew(waiting)
		}
		parts = append(parts, p)
	}
	ready, cannot := restartable(pods, vols)
	if len(cannot) > 0 {
		parts = append(parts, "left on a mount, their volume cannot attach: "+firstFew(cannot))
	}
	if len(ready) > 0 {
		parts = append(parts, "stuck on a mount since, their volume can attach: "+firstFew(keys(ready))+" (delete-pod from the console)")
	}
	var crashing []string
	for _, j := range pods {
		if j.why == whyCrashLoopBackOff {
			crashing = append(crashing, j.key())
		}
	}
	if len(crashing) > 0 {
		parts = append(parts, "still crash-looping with the storage back: "+firstFew(crashing)+" — read why (kubectl logs --previous); an operator's pod (CNPG) that stays so is restarted by deleting the pod")
	} else {
		parts = append(parts, "no pod crash-looping")
	}
	return runbook.Progress{Done: len(waiting) == 0, Line: strings.Join(parts, "; ")}
}

// deletedBack counts the pods deleted ("pod/shop/db-0") that are back, Running and Ready (or replaced
// under a new name by their controller), and names those not yet, with why ("shop/db-0 (terminating)").
func deletedBack(deleted []string, pods []judgedPod) (back int, waiting []string) {
	byKey := map[string]judgedPod{}
	for _, j := range pods {
		byKey[j.key()] = j
	}
	for _, o := range deleted {
		key := strings.TrimPrefix(o, string(actions.KindPod)+"/")
		j, ok := byKey[key]
		switch {
		case !ok:
			back++ // replaced under a new name: a new pod stuck would be read below
		case j.pod.DeletionTimestamp != nil:
			waiting = append(waiting, key+" (terminating)")
		case j.why == whyRunningReady:
			back++
		default:
			waiting = append(waiting, key+" ("+j.f.Reason+")")
		}
	}
	return back, waiting
}

// ---- Vault, the Applications, the certificates ----

// vaultBack: every Vault server unsealed; while one is not, the line sends the person to vault-sealed.
func vaultBack(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	not, n, unread := readVault(ctx, w)
	switch {
	case w.Vault == nil:
		return runbook.Progress{Done: true, Line: unread}, nil
	case unread != "":
		return runbook.Progress{Line: unread}, nil
	case n == 0:
		return runbook.Progress{Line: "no Vault server found yet"}, nil
	case len(not) > 0:
		return runbook.Progress{Line: fmt.Sprintf("%d of %s not unsealed: %s — unseal them: runbook %s (over SSH: :ceremony)",
			len(not), count(n, "Vault server"), strings.Join(not, "; "), health.RunbookVaultSealed)}, nil
	}
	return runbook.Progress{Done: true, Line: fmt.Sprintf("%s unsealed", count(n, "Vault server"))}, nil
}

// platformSynced: every Application Synced and Healthy, every certificate Ready.
func platformSynced(ctx context.Context, w runbook.World, _ runbook.Target) (runbook.Progress, error) {
	apps, _, err := listCustom(ctx, w, platform.ArgoApplication.GVR)
	if err != nil {
		return runbook.Progress{}, err
	}
	certs, _, err := listCustom(ctx, w, platform.CertManagerCert.GVR)
	if err != nil {
		return runbook.Progress{}, err
	}
	return syncedProgress(apps, certs), nil
}

func syncedProgress(apps, certs []unstructured.Unstructured) runbook.Progress {
	badApps, badCerts := appsNotSynced(apps), certsNotReady(certs)
	parts := []string{
		judgedLine(len(apps), badApps, "Application", "Synced and Healthy", "no Argo CD Application", health.RunbookAppSync),
		judgedLine(len(certs), badCerts, "certificate", "Ready", "no cert-manager Certificate", health.RunbookCertExpiring),
	}
	return runbook.Progress{Done: len(badApps) == 0 && len(badCerts) == 0, Line: strings.Join(parts, "; ")}
}

// judgedLine is "16 of 18 Applications Synced and Healthy; not: a, b (runbook app-sync)", or "none:
// not checked" when there is none of them.
func judgedLine(total int, bad []string, thing, good, none, rb string) string {
	if total == 0 {
		return none + ": not checked"
	}
	line := fmt.Sprintf("%d of %s %s", total-len(bad), count(total, thing), good)
	if len(bad) > 0 {
		line += "; not: " + firstFew(bad) + " (runbook " + rb + ")"
	}
	return line
}
