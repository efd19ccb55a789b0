package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// The simulated platform answers repairs as the real one does (what each runbook's postchecks wait for):
//
//   - the node lifecycle: the pods of a node that stopped posting are marked not Ready, and a graceful
//     delete of one waits on its kubelet (Terminating); once the node carries the out-of-service taint its
//     pods are force-deleted and its VolumeAttachments removed; a node back confirms its pods' deletions;
//   - the ReplicaSet and StatefulSet controllers make a controller's missing pods again on a schedulable
//     node (Ready, not cordoned, not tainted), a StatefulSet's once the old pod is gone;
//   - the attach-detach controller attaches a pod's claimed volume to its node (a VolumeAttachment) unless
//     another node holds it (the pod waits on its mount, a Multi-Attach FailedMount event), and detaches
//     what no pod on a Ready node mounts;
//   - the disruption controller keeps each PodDisruptionBudget's status;
//   - Argo CD syncs an Application given an operation (Synced, Healthy) and refreshes one asked to;
//   - cert-manager re-issues a Certificate marked Issuing (a notAfter 90 days on);
//   - the namespace controller deletes a Terminating namespace's content, waits on what finalizers hold,
//     and lets the namespace go once it is empty;
//   - Mayastor rebuilds a pool whose disk was seen to (RebuildPool), with its progress in events.

// repairsPoll is how often the simulated controllers above catch up.
const repairsPoll = 250 * time.Millisecond

// Annotations the simulation keeps on the objects it manages.
const (
	// annManaged marks a Deployment or StatefulSet whose pods the simulation makes again (a chart's
	// controllers have no simulated pods, and are left alone).
	annManaged = "demo.cedille-tui/replicated"
	// annRebuild holds when a pool's rebuild started (RFC 3339), and how long it takes.
	annRebuild    = "demo.cedille-tui/rebuild-started"
	annRebuildFor = "demo.cedille-tui/rebuild-takes"
)

// mayastorDriver is the CSI driver of Mayastor's volumes.
const mayastorDriver = "io.openebs.csi-mayastor"

type repairsController struct{ p *Platform }

func (c repairsController) pass(ctx context.Context) {
	if !c.p.kube.up.Load() {
		return
	}
	c.nodeLifecycle(ctx)
	c.replicas(ctx)
	c.attachments(ctx)
	c.budgets(ctx)
	c.applications(ctx)
	c.certificates(ctx)
	c.namespaces(ctx)
	c.pools(ctx)
}

// nodeFacts are what the controllers read of the nodes.
type nodeFacts struct {
	down, outOfService, schedulable map[string]bool
	names                           []string
}

func (c repairsController) readNodes(ctx context.Context) (nodeFacts, error) {
	f := nodeFacts{down: map[string]bool{}, outOfService: map[string]bool{}, schedulable: map[string]bool{}}
	list, err := c.p.kube.typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, err
	}
	for _, n := range list.Items {
		f.names = append(f.names, n.Name)
		ready := false
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				ready = cond.Status == corev1.ConditionTrue
			}
		}
		f.down[n.Name] = !ready
		tainted := false
		for _, t := range n.Spec.Taints {
			if t.Key == corev1.TaintNodeOutOfService {
				f.outOfService[n.Name] = true
			}
			if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
				tainted = true
			}
		}
		f.schedulable[n.Name] = ready && !n.Spec.Unschedulable && !tainted
	}
	slices.Sort(f.names)
	return f, nil
}

func ownedByDaemonSet(p *corev1.Pod) bool {
	c := metav1.GetControllerOf(p)
	return c != nil && c.Kind == "DaemonSet"
}

func (c repairsController) nodeLifecycle(ctx context.Context) {
	nodes, err := c.readNodes(ctx)
	if err != nil {
		return
	}
	pods := c.p.kube.typed.CoreV1()
	list, err := pods.Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now()
	zero := int64(0)
	for i := range list.Items {
		p := &list.Items[i]
		node := p.Spec.NodeName
		if node == "" {
			continue
		}
		down := nodes.down[node]
		switch {
		case down && nodes.outOfService[node] && !ownedByDaemonSet(p):
			_ = pods.Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		case down && p.Annotations[annNodeDown] != "true":
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[annNodeDown] = "true"
			setReady(p, false, now)
			_, _ = pods.Pods(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		case !down && p.DeletionTimestamp != nil && len(p.Finalizers) == 0:
			_ = pods.Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		case !down && p.Annotations[annNodeDown] == "true":
			delete(p.Annotations, annNodeDown)
			if p.Status.Phase == corev1.PodRunning && p.Annotations[annNeedsVault] != "true" && p.Annotations[annWaitsOnMount] == "" {
				setReady(p, true, now)
			}
			_, _ = pods.Pods(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		}
	}
	vas, err := c.p.kube.typed.StorageV1().VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, va := range vas.Items {
		if nodes.down[va.Spec.NodeName] && nodes.outOfService[va.Spec.NodeName] {
			_ = c.p.kube.typed.StorageV1().VolumeAttachments().Delete(ctx, va.Name, metav1.DeleteOptions{})
		}
	}
}

// markManaged marks a controller whose pods the simulation makes again; it tells whether it was not yet.
func markManaged(m *metav1.ObjectMeta) bool {
	if m.Annotations[annManaged] == "true" {
		return false
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[annManaged] = "true"
	return true
}

// templateHash is the pod-template-hash of a Deployment's pods (demoPods names them so).
func templateHash(d *appsv1.Deployment) string {
	if names, ok := podNames()[d.Namespace+"/"+d.Name]; ok {
		return names[0]
	}
	return hashName(d.Namespace+"/"+d.Name, 10)
}

// ownedBy tells whether p is owned by the controller kind/name.
func ownedBy(p *corev1.Pod, kind, name string) bool {
	c := metav1.GetControllerOf(p)
	return c != nil && c.Kind == kind && c.Name == name
}

// pickNode is the schedulable worker with the fewest of the given pods, by name on a tie; "" when none.
func pickNode(nodes nodeFacts, mine []*corev1.Pod) string {
	best, bestN := "", 0
	for _, n := range nodes.names {
		if !nodes.schedulable[n] {
			continue
		}
		k := 0
		for _, p := range mine {
			if p.Spec.NodeName == n {
				k++
			}
		}
		if best == "" || k < bestN {
			best, bestN = n, k
		}
	}
	return best
}

// replicas plays the ReplicaSet and StatefulSet controllers for the Deployments and StatefulSets the
// demo manages: each gets back as many pods as it wants, on a schedulable node.
func (c repairsController) replicas(ctx context.Context) {
	nodes, err := c.readNodes(ctx)
	if err != nil {
		return
	}
	list, err := c.p.kube.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now()
	apps := c.p.kube.typed.AppsV1()
	if ds, err := apps.Deployments("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range ds.Items {
			c.deploymentReplicas(ctx, &ds.Items[i], list.Items, nodes, now)
		}
	}
	if ss, err := apps.StatefulSets("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range ss.Items {
			c.statefulSetReplicas(ctx, &ss.Items[i], list.Items, nodes, now)
		}
	}
}

// ownedPods are the pods of ns that kind/name controls.
func ownedPods(pods []corev1.Pod, ns, kind, name string) []*corev1.Pod {
	var mine []*corev1.Pod
	for j := range pods {
		if p := &pods[j]; p.Namespace == ns && ownedBy(p, kind, name) {
			mine = append(mine, p)
		}
	}
	return mine
}

// managedReplicas tells whether the demo plays the controller of m (marked, or with pods of its own
// already), marking it the first time.
func managedReplicas(m *metav1.ObjectMeta, mine []*corev1.Pod, update func()) bool {
	if m.Annotations[annManaged] != "true" && len(mine) == 0 {
		return false
	}
	if markManaged(m) {
		update()
	}
	return true
}

// deploymentReplicas makes d's missing pods, as its current ReplicaSet's.
func (c repairsController) deploymentReplicas(ctx context.Context, d *appsv1.Deployment, pods []corev1.Pod, nodes nodeFacts, now time.Time) {
	core, apps := c.p.kube.typed.CoreV1(), c.p.kube.typed.AppsV1()
	rs := d.Name + "-" + templateHash(d)
	mine := ownedPods(pods, d.Namespace, "ReplicaSet", rs)
	if !managedReplicas(&d.ObjectMeta, mine, func() { _, _ = apps.Deployments(d.Namespace).Update(ctx, d, metav1.UpdateOptions{}) }) {
		return
	}
	active := int32(0)
	for _, p := range mine {
		if p.DeletionTimestamp == nil {
			active++
		}
	}
	for ; active < replicasOf(d.Spec.Replicas); active++ {
		node := pickNode(nodes, mine)
		if node == "" {
			return
		}
		p := c.newPod(d.Namespace, rs+"-"+hashName(string(uuid.NewUUID()), 5), d.Spec.Template, node, now)
		p.Labels["pod-template-hash"] = templateHash(d)
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs, Controller: &yes}}
		if created, err := core.Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err == nil {
			mine = append(mine, created)
		}
	}
}

// statefulSetReplicas makes s's missing pods by ordinal, each with its claims.
func (c repairsController) statefulSetReplicas(ctx context.Context, s *appsv1.StatefulSet, pods []corev1.Pod, nodes nodeFacts, now time.Time) {
	core, apps := c.p.kube.typed.CoreV1(), c.p.kube.typed.AppsV1()
	mine := ownedPods(pods, s.Namespace, "StatefulSet", s.Name)
	if !managedReplicas(&s.ObjectMeta, mine, func() { _, _ = apps.StatefulSets(s.Namespace).Update(ctx, s, metav1.UpdateOptions{}) }) {
		return
	}
	byName := map[string]bool{}
	for _, p := range mine {
		byName[p.Name] = true
	}
	for k := range replicasOf(s.Spec.Replicas) {
		name := fmt.Sprintf("%s-%d", s.Name, k)
		if byName[name] {
			continue
		}
		node := pickNode(nodes, mine)
		if node == "" {
			return
		}
		p := c.newPod(s.Namespace, name, s.Spec.Template, node, now)
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: s.Name, Controller: &yes}}
		for _, t := range s.Spec.VolumeClaimTemplates {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.Name + "-" + name}}})
		}
		if created, err := core.Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err == nil {
			mine = append(mine, created)
		}
	}
}

// newPod is a controller's new pod on node: Running and Ready at once, or — when it claims a volume —
// waiting on its mount until the attach-detach controller attaches it there; a Vault server's is Ready
// only once unsealed (workloadsController).
func (c repairsController) newPod(ns, name string, t corev1.PodTemplateSpec, node string, now time.Time) *corev1.Pod {
	p := demoPod(ns, name, t, node, now.Add(-12*time.Second))
	p.UID = ""
	restartedAt(p, now)
	if len(claimsOfPod(p)) > 0 {
		waitOnMount(p, "waiting for its volume to attach")
	}
	if isVaultServer(p) {
		setReady(p, false, now)
	}
	return p
}

// annRetryMount is when the kubelet tries a pod's failed mount again (RFC 3339): after a Multi-Attach it
// backs off for mountBackoff.
const annRetryMount = "demo.cedille-tui/retry-mount-after"

// mountBackoff is the kubelet's longest wait between two mount attempts (2m2s upstream).
const mountBackoff = 2*time.Minute + 2*time.Second

// annWaitsOnMount marks a pod whose volumes do not mount yet (why, in its value).
const annWaitsOnMount = "demo.cedille-tui/waits-on-mount"

// waitOnMount leaves a pod ContainerCreating while its volume does not mount.
func waitOnMount(p *corev1.Pod, why string) {
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[annWaitsOnMount] = why
	containerCreating(p)
}

// claimsOfPod are the PersistentVolumeClaims a pod mounts.
func claimsOfPod(p *corev1.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return out
}

// attachmentName is the name the CSI attacher gives the attachment of pv to node.
func attachmentName(pv, node string) string { return "csi-" + hashName(pv+"@"+node, 16) }

func (c repairsController) attachments(ctx context.Context) {
	nodes, err := c.readNodes(ctx)
	if err != nil {
		return
	}
	core, storage := c.p.kube.typed.CoreV1(), c.p.kube.typed.StorageV1()
	pods, err := core.Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	claims, err := core.PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	vas, err := storage.VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	pvOf := map[string]string{}
	for _, cl := range claims.Items {
		pvOf[cl.Namespace+"/"+cl.Name] = cl.Spec.VolumeName
	}
	// Where each volume is attached, and which attachments a pod on a Ready node still uses.
	attached := map[string][]storagev1.VolumeAttachment{}
	for _, va := range vas.Items {
		if pv := va.Spec.Source.PersistentVolumeName; pv != nil {
			attached[*pv] = append(attached[*pv], va)
		}
	}
	used := map[string]bool{}
	now := time.Now()
	for i := range pods.Items {
		p := &pods.Items[i]
		node := p.Spec.NodeName
		if node == "" || p.DeletionTimestamp != nil || nodes.down[node] {
			continue
		}
		mounted, why := true, ""
		for _, claim := range claimsOfPod(p) {
			pv := pvOf[p.Namespace+"/"+claim]
			if pv == "" {
				mounted, why = false, "claim "+claim+" is not bound"
				continue
			}
			elsewhere := ""
			here := false
			for _, va := range attached[pv] {
				if va.Spec.NodeName == node {
					here = true
					used[va.Name] = true
				} else {
					elsewhere = va.Spec.NodeName
				}
			}
			switch {
			case elsewhere != "":
				mounted = false
				why = multiAttach(pv, elsewhere)
			case !here:
				va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: attachmentName(pv, node)},
					Spec: storagev1.VolumeAttachmentSpec{Attacher: mayastorDriver, NodeName: node,
						Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
					Status: storagev1.VolumeAttachmentStatus{Attached: true}}
				if _, err := storage.VolumeAttachments().Create(ctx, va, metav1.CreateOptions{}); err == nil || apierrors.IsAlreadyExists(err) {
					used[va.Name] = true
					attached[pv] = append(attached[pv], *va)
				}
			}
		}
		retry, _ := time.Parse(time.RFC3339, p.Annotations[annRetryMount])
		switch wait := p.Annotations[annWaitsOnMount]; {
		case wait != "" && mounted && now.Before(retry):
			// The kubelet backs off after a failed mount: it tries again later (deleting the pod is quicker).
		case wait != "" && mounted:
			delete(p.Annotations, annRetryMount)
			delete(p.Annotations, annWaitsOnMount)
			startWhenVaultServes(p, now)
			if isVaultServer(p) {
				setReady(p, c.p.vault.readiness()[p.Name], now)
			}
			_, _ = core.Pods(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		case !mounted && wait != why:
			waitOnMount(p, why)
			if strings.Contains(why, "Multi-Attach") {
				p.Annotations[annRetryMount] = now.Add(mountBackoff).UTC().Format(time.RFC3339)
			}
			_, _ = core.Pods(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
			_ = recordWarning(ctx, c.p.kube.typed, corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
				"FailedMount", why, "kubelet", now)
		}
	}
	for _, va := range vas.Items {
		down, known := nodes.down[va.Spec.NodeName]
		if !used[va.Name] && known && !down && va.Spec.Attacher == mayastorDriver {
			_ = storage.VolumeAttachments().Delete(ctx, va.Name, metav1.DeleteOptions{})
		}
	}
}

func (c repairsController) budgets(ctx context.Context) {
	policy := c.p.kube.typed.PolicyV1()
	bs, err := policy.PodDisruptionBudgets("").List(ctx, metav1.ListOptions{})
	if err != nil || len(bs.Items) == 0 {
		return
	}
	list, err := c.p.kube.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		pods = append(pods, &list.Items[i])
	}
	for i := range bs.Items {
		b := &bs.Items[i]
		st := budgetStatus(b, pods)
		if st.ExpectedPods == b.Status.ExpectedPods && st.CurrentHealthy == b.Status.CurrentHealthy &&
			st.DesiredHealthy == b.Status.DesiredHealthy && st.DisruptionsAllowed == b.Status.DisruptionsAllowed {
			continue
		}
		b.Status = st
		_, _ = policy.PodDisruptionBudgets(b.Namespace).UpdateStatus(ctx, b, metav1.UpdateOptions{})
	}
}

// applications plays Argo CD's answer to an operation (a sync: the Application Synced and Healthy at
// its source's revision) and to a refresh annotation (cleared).
func (c repairsController) applications(ctx context.Context) {
	apps := c.p.kube.dyn.Resource(platform.ArgoApplication.GVR)
	list, err := apps.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now().UTC().Format(time.RFC3339)
	for i := range list.Items {
		u := &list.Items[i]
		patch := map[string]any{}
		if _, ok := u.GetAnnotations()["argocd.argoproj.io/refresh"]; ok {
			patch["metadata"] = map[string]any{"annotations": map[string]any{"argocd.argoproj.io/refresh": nil}}
		}
		if _, ok := u.Object["operation"]; ok {
			rev := health.Str(u, "status", "sync", "revision")
			patch["operation"] = nil
			patch["status"] = map[string]any{
				"sync":   map[string]any{"status": "Synced", "revision": rev},
				"health": map[string]any{"status": "Healthy", "message": nil},
				"operationState": map[string]any{"phase": "Succeeded", "message": "successfully synced (all tasks run)",
					"startedAt": now, "finishedAt": now, "syncResult": map[string]any{"revision": rev}},
			}
		}
		if len(patch) == 0 {
			continue
		}
		b, err := json.Marshal(patch)
		if err != nil {
			continue
		}
		_, synced := patch["operation"]
		if _, err := apps.Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.MergePatchType, b, metav1.PatchOptions{}); err == nil && synced && u.GetName() == faultApp {
			c.p.mu.Lock()
			c.p.faults["app"] = false
			c.p.mu.Unlock()
		}
	}
}

// certLifetime is how long a certificate the simulated cert-manager issues is valid (Let's Encrypt's).
const certLifetime = 90 * 24 * time.Hour

// certificates plays cert-manager's issuance of a Certificate marked Issuing: a new certificate, valid
// certLifetime from now, renewed 30 days before its end; Ready, the Issuing condition gone.
func (c repairsController) certificates(ctx context.Context) {
	certs := c.p.kube.dyn.Resource(platform.CertManagerCert.GVR)
	list, err := certs.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now().UTC()
	for i := range list.Items {
		u := &list.Items[i]
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		issuing := false
		var kept []any
		for _, cd := range conds {
			m, _ := cd.(map[string]any)
			switch m["type"] {
			case "Issuing":
				issuing = issuing || m["status"] == "True"
				continue
			case "Ready":
				continue
			}
			kept = append(kept, cd)
		}
		if !issuing {
			continue
		}
		at := now.Format(time.RFC3339)
		kept = append(kept, map[string]any{"type": "Ready", "status": "True", "reason": "Ready",
			"message": "Certificate is up to date and has not expired", "lastTransitionTime": at})
		revision, _, _ := unstructured.NestedInt64(u.Object, "status", "revision")
		status := map[string]any{"conditions": kept, "notBefore": at, "notAfter": now.Add(certLifetime).Format(time.RFC3339),
			"renewalTime": now.Add(certLifetime - 30*24*time.Hour).Format(time.RFC3339), "revision": revision + 1}
		_ = mergeStatus(ctx, certs.Namespace(u.GetNamespace()), u.GetName(), status)
	}
}

// namespaces plays the namespace controller: a Terminating namespace's content is deleted; what
// finalizers hold stays, said in the namespace's conditions; once nothing is left the namespace goes.
func (c repairsController) namespaces(ctx context.Context) {
	core := c.p.kube.typed.CoreV1()
	list, err := core.Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range list.Items {
		ns := &list.Items[i]
		if ns.DeletionTimestamp == nil {
			continue
		}
		left, held := c.emptyNamespace(ctx, ns.Name)
		now := metav1.NewTime(time.Now())
		if len(left) == 0 {
			ns.Spec.Finalizers = nil
			_, _ = core.Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
			continue
		}
		conds := []corev1.NamespaceCondition{
			{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue, Reason: "SomeResourcesRemain", LastTransitionTime: now,
				Message: "Some resources are remaining: " + strings.Join(left, ", ")},
			{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue, Reason: "SomeFinalizersRemain", LastTransitionTime: now,
				Message: "Some content in the namespace has finalizers remaining: " + strings.Join(held, ", ")},
		}
		if namespaceConditionsSame(ns.Status.Conditions, conds) {
			continue
		}
		ns.Status.Conditions = conds
		_, _ = core.Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
	}
}

func namespaceConditionsSame(a, b []corev1.NamespaceCondition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Status != b[i].Status || a[i].Message != b[i].Message {
			return false
		}
	}
	return true
}

// emptyNamespace deletes what is in ns and says what is left ("configmaps has 1 resource instances")
// and which finalizers hold it ("example.org/backup in 1 resource instances").
func (c repairsController) emptyNamespace(ctx context.Context, ns string) (left, held []string) {
	finalizers := map[string]int{}
	for _, r := range []string{"pods", "configmaps", "persistentvolumeclaims", "serviceaccounts"} {
		res := c.p.kube.dyn.Resource(corev1.SchemeGroupVersion.WithResource(r)).Namespace(ns)
		list, err := res.List(ctx, metav1.ListOptions{})
		if err != nil {
			left = append(left, r+" (not listed)")
			continue
		}
		n := 0
		for _, o := range list.Items {
			if o.GetDeletionTimestamp() == nil {
				_ = res.Delete(ctx, o.GetName(), metav1.DeleteOptions{})
			}
			if len(o.GetFinalizers()) > 0 || o.GetDeletionTimestamp() == nil {
				n++
				for _, f := range o.GetFinalizers() {
					finalizers[f]++
				}
			}
		}
		if n > 0 {
			left = append(left, fmt.Sprintf("%s has %d resource instances", r, n))
		}
	}
	for f, n := range finalizers {
		held = append(held, fmt.Sprintf("%s in %d resource instances", f, n))
	}
	slices.Sort(held)
	return left, held
}

// pools plays Mayastor's rebuild of a pool whose disk was seen to (RebuildPool): its replicas rebuilt
// over the time annRebuildFor says, progress told in events, then Online.
func (c repairsController) pools(ctx context.Context) {
	pools := c.p.kube.dyn.Resource(platform.DiskPool.GVR)
	list, err := pools.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now()
	for i := range list.Items {
		u := &list.Items[i]
		started, err := time.Parse(time.RFC3339Nano, u.GetAnnotations()[annRebuild])
		if err != nil {
			continue
		}
		takes, _ := time.ParseDuration(u.GetAnnotations()[annRebuildFor])
		ref := corev1.ObjectReference{APIVersion: platform.DiskPool.GVR.GroupVersion().String(), Kind: platform.DiskPool.Kind,
			Namespace: u.GetNamespace(), Name: u.GetName(), UID: u.GetUID()}
		done := now.Sub(started)
		if done < takes {
			pct := int(100 * done / takes)
			_ = recordNormal(ctx, c.p, ref, "Rebuilding", "rebuilding the pool's replicas from their healthy copies: "+strconv.Itoa(pct/10*10)+"%", now)
			continue
		}
		ann := u.GetAnnotations()
		delete(ann, annRebuild)
		delete(ann, annRebuildFor)
		u.SetAnnotations(ann)
		if err := unstructured.SetNestedField(u.Object, "Online", "status", "pool_status"); err != nil {
			continue
		}
		if _, err := pools.Namespace(u.GetNamespace()).Update(ctx, u, metav1.UpdateOptions{}); err == nil {
			_ = recordNormal(ctx, c.p, ref, "Rebuilt", "every replica rebuilt: the pool is Online", now)
			c.p.mu.Lock()
			c.p.faults["pool"] = false
			c.p.mu.Unlock()
		}
	}
}

// recordNormal records a Normal event (a repeat replaces the message), as recordWarning does a Warning.
func recordNormal(ctx context.Context, p *Platform, about corev1.ObjectReference, reason, message string, now time.Time) error {
	ns := about.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	events := p.kube.typed.CoreV1().Events(ns)
	name := about.Name + "." + hashName(about.Kind+"/"+reason, 16)
	t := metav1.NewTime(now.UTC().Truncate(time.Second))
	ev, err := events.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = events.Create(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			InvolvedObject: about, Type: corev1.EventTypeNormal, Reason: reason, Message: message, Count: 1,
			FirstTimestamp: t, LastTimestamp: t, Source: corev1.EventSource{Component: "mayastor"}}, metav1.CreateOptions{})
		return err
	}
	if err != nil || ev.Message == message {
		return err
	}
	ev.Message, ev.LastTimestamp = message, t
	ev.Count++
	_, err = events.Update(ctx, ev, metav1.UpdateOptions{})
	return err
}
