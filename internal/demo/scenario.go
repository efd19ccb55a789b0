package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The primitives a drill (internal/drill) injects its faults and plays what only hands do with: each
// one breaks or mends the simulated platform as the real one breaks or is mended, leaving the rest to
// the simulated controllers (repairs.go).

// PowerOff cuts a machine's power: its node stops posting status (Ready Unknown), Omni loses the
// machine, Mayastor's pools there answer no more (Unknown). Its pods stay bound to it until someone acts.
func (p *Platform) PowerOff(ctx context.Context, node string) error {
	_, err := p.nodePower(ctx, node, false)
	return err
}

// PowerOn powers a machine back: its node Ready, Omni connected, its pools as they were.
func (p *Platform) PowerOn(ctx context.Context, node string) error {
	_, err := p.nodePower(ctx, node, true)
	if err == nil && node == faultNode {
		p.mu.Lock()
		p.faults["node"] = false
		p.mu.Unlock()
	}
	return err
}

// NodeReady tells whether the node's Ready condition is True.
func (p *Platform) NodeReady(ctx context.Context, node string) (bool, error) {
	n, err := p.Kube.Typed.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue, nil
		}
	}
	return false, nil
}

// Workers are the worker nodes' names, in order.
func (p *Platform) Workers() []string {
	var out []string
	for _, m := range p.machines {
		if m.Role != RoleControlPlane {
			out = append(out, m.Hostname)
		}
	}
	return out
}

// UnsealVault unseals every replica, as the custodians' shares do.
func (p *Platform) UnsealVault(ctx context.Context) error {
	p.mu.Lock()
	on := p.faults["vault"]
	p.mu.Unlock()
	if _, err := p.vaultSealed(ctx, false); err != nil {
		return err
	}
	if on {
		p.mu.Lock()
		p.faults["vault"] = false
		p.mu.Unlock()
	}
	return nil
}

// DegradePool puts the pool fault's pool in the Degraded state (its disk reports errors) and names it
// (namespace, name).
func (p *Platform) DegradePool(ctx context.Context) (string, string, error) {
	u, err := p.faultPoolObject(ctx)
	if err != nil {
		return "", "", err
	}
	if _, err := p.toggleOn(ctx, "pool", p.poolDegraded); err != nil {
		return "", "", err
	}
	return u.GetNamespace(), u.GetName(), nil
}

// toggleOn injects the named fault unless it is on already.
func (p *Platform) toggleOn(ctx context.Context, name string, set func(context.Context, bool) (string, error)) (string, error) {
	p.mu.Lock()
	on := p.faults[name]
	p.mu.Unlock()
	if on {
		return "", nil
	}
	return p.toggle(name, set)(ctx)
}

// RebuildPool has Mayastor rebuild the pool's replicas, which takes the time given (its progress in
// events), after which it is Online: what follows a disk seen to.
func (p *Platform) RebuildPool(ctx context.Context, ns, name string, takes time.Duration) error {
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{
		annRebuild: time.Now().UTC().Format(time.RFC3339Nano), annRebuildFor: takes.String()}}})
	if err != nil {
		return err
	}
	_, err = p.Kube.Dynamic.Resource(platform.DiskPool.GVR).Namespace(ns).Patch(ctx, name, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}

// DriftApplication has the Application drift OutOfSync (a change made by hand in the cluster, which
// still runs), its automated sync off so that it stays so.
func (p *Platform) DriftApplication(ctx context.Context, name string) error {
	b, err := json.Marshal(map[string]any{
		"spec":   map[string]any{"syncPolicy": map[string]any{"automated": nil}},
		"status": map[string]any{"sync": map[string]any{"status": "OutOfSync"}, "health": map[string]any{"status": "Healthy", "message": nil}},
	})
	if err != nil {
		return err
	}
	_, err = p.Kube.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd").Patch(ctx, name, types.MergePatchType, b, metav1.PatchOptions{})
	if err == nil && name == faultApp {
		p.mu.Lock()
		p.faults["app"] = true
		p.mu.Unlock()
	}
	return err
}

// ExpireCertificate leaves the Certificate's renewal undone: it expires in the time given, its renewal
// time long past (the ACME order that should have renewed it failed and was cleaned up).
func (p *Platform) ExpireCertificate(ctx context.Context, ns, name string, in time.Duration) error {
	now := time.Now().UTC()
	notAfter := now.Add(in)
	status := map[string]any{"notBefore": notAfter.Add(-certLifetime).Format(time.RFC3339), "notAfter": notAfter.Format(time.RFC3339),
		"renewalTime": notAfter.Add(-30 * 24 * time.Hour).Format(time.RFC3339),
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready",
			"message": "Certificate is up to date and has not expired", "lastTransitionTime": notAfter.Add(-certLifetime).Format(time.RFC3339)}}}
	return mergeStatus(ctx, p.Kube.Dynamic.Resource(platform.CertManagerCert.GVR).Namespace(ns), name, status)
}

// EnsureClusterIssuer makes the ClusterIssuer the demo's Certificates name, Ready (an ACME account
// registered), unless it exists.
func (p *Platform) EnsureClusterIssuer(ctx context.Context, name string) error {
	gvr := certManagerChain()[0].GVR
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{"acme": map[string]any{"server": "https://acme-v02.api.letsencrypt.org/directory",
			"privateKeySecretRef": map[string]any{"name": name + "-account"}}},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "ACMEAccountRegistered",
			"message": "The ACME account was registered with the ACME server"}}}}}
	_, err := p.Kube.Dynamic.Resource(gvr).Create(ctx, u, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// StickNamespace makes namespace ns, with a ConfigMap held by finalizer (an operator that is gone would
// have removed it), and deletes it: the namespace stays Terminating on it.
func (p *Platform) StickNamespace(ctx context.Context, ns, configMap, finalizer string) error {
	core := p.Kube.Typed.CoreV1()
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if _, err := core.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: configMap, Finalizers: []string{finalizer}},
		Data: map[string]string{"site": "grav"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := core.Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		return err
	}
	// Deleted a while ago, as a stuck namespace is found: past the workloads layer's grace, so its
	// finding names stuck-terminating. Written to the store itself: the API keeps a deletion's time.
	if err := p.backdateDeletion(ns, stuckFor); err != nil {
		return err
	}
	repairsController{p}.namespaces(ctx) // the namespace controller starts on the deletion at once
	return nil
}

// stuckFor is how long ago a stuck namespace was deleted.
const stuckFor = 20 * time.Minute

// backdateDeletion moves namespace ns's deletion time back by ago.
func (p *Platform) backdateDeletion(ns string, ago time.Duration) error {
	tr := p.kube.typed.Tracker()
	gvr := corev1.SchemeGroupVersion.WithResource("namespaces")
	obj, err := tr.Get(gvr, "", ns)
	if err != nil {
		return err
	}
	n, ok := obj.(*corev1.Namespace)
	if !ok || n.DeletionTimestamp == nil {
		return fmt.Errorf("namespace %s is not being deleted", ns)
	}
	n = n.DeepCopy()
	at := metav1.NewTime(n.DeletionTimestamp.Add(-ago))
	n.DeletionTimestamp = &at
	return tr.Update(gvr, n, "")
}

// GiveVolumes gives the StatefulSet's pods a Mayastor volume each, as its volumeClaimTemplates would: a
// PersistentVolumeClaim data-<pod>, bound to its PersistentVolume, attached to the pod's node.
func (p *Platform) GiveVolumes(ctx context.Context, ns, statefulSet string) error {
	return p.giveVolumes(ctx, ns, statefulSet, "mayastor", mayastorDriver)
}

// giveVolumes is GiveVolumes with volumes of the storage class and CSI driver given.
func (p *Platform) giveVolumes(ctx context.Context, ns, statefulSet, class, driver string) error {
	core, apps, storage := p.Kube.Typed.CoreV1(), p.Kube.Typed.AppsV1(), p.Kube.Typed.StorageV1()
	s, err := apps.StatefulSets(ns).Get(ctx, statefulSet, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(s.Spec.VolumeClaimTemplates) == 0 {
		s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}}}}
		if s, err = apps.StatefulSets(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	pods, err := core.Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !ownedBy(pod, "StatefulSet", statefulSet) || len(claimsOfPod(pod)) > 0 {
			continue
		}
		claim := "data-" + pod.Name
		pv := "pvc-" + hashName(ns+"/"+claim, 8) + "-" + hashName(claim, 4)
		if _, err := core.PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pv},
			Spec: corev1.PersistentVolumeSpec{StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
				PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: driver, VolumeHandle: pv}},
				ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: claim}},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if _, err := core.PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: claim, Namespace: ns,
			Finalizers: []string{"kubernetes.io/pvc-protection"}},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: pv, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
		if _, err := core.Pods(ns).Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if pod.Spec.NodeName == "" {
			continue
		}
		if _, err := storage.VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: attachmentName(pv, pod.Spec.NodeName)},
			Spec: storagev1.VolumeAttachmentSpec{Attacher: driver, NodeName: pod.Spec.NodeName,
				Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
			Status: storagev1.VolumeAttachmentStatus{Attached: true}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// GuardWithBudget gives the pods the selector matches a PodDisruptionBudget (maxUnavailable as given),
// its status computed by the simulated disruption controller.
func (p *Platform) GuardWithBudget(ctx context.Context, ns, name string, match map[string]string, maxUnavailable int) error {
	mu := intstr.FromInt32(int32(maxUnavailable))
	_, err := p.Kube.Typed.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &mu, Selector: &metav1.LabelSelector{MatchLabels: match}},
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	repairsController{p}.budgets(ctx)
	return nil
}

// nodeMonitorGrace is how long the node controller waits for a heartbeat before it says Unknown.
const nodeMonitorGrace = 40 * time.Second

// nodePower powers the node's machine off (on false) or back on.
func (p *Platform) nodePower(ctx context.Context, node string, on bool) (string, error) {
	nodes := p.Kube.Typed.CoreV1().Nodes()
	n, err := nodes.Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	n = n.DeepCopy()
	now := metav1.NewTime(time.Now())
	for i := range n.Status.Conditions {
		c := &n.Status.Conditions[i]
		if !on {
			c.Status, c.Reason, c.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
			// Its last heartbeat: the node controller says Unknown 40 s (its grace period) after it.
			c.LastHeartbeatTime = metav1.NewTime(now.Add(-nodeMonitorGrace))
		} else {
			for _, rc := range readyConditions(now) {
				if rc.Type == c.Type {
					*c = rc
				}
			}
		}
		c.LastTransitionTime = now
	}
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	if !on {
		if err := nodeLostEvents(ctx, p.Kube.Typed, node, now.Time); err != nil {
			return "", err
		}
	}
	if err := setMachineConnected(ctx, p.omni.State(), p.machines, node, on); err != nil {
		return "", err
	}
	if err := p.poolsOfNodeLost(ctx, node, !on); err != nil {
		return "", err
	}
	// The node controller marks its pods at once (not Ready, or Ready again), and the controllers count them.
	repairsController{p}.nodeLifecycle(ctx)
	p.alone(workloadsController{p}.pass)(ctx)
	if !on {
		return fmt.Sprintf("demo: %s lost power", node), nil
	}
	return fmt.Sprintf("demo: %s is back", node), nil
}

// StrandVolume leaves the pod's volume held by a stale VolumeAttachment on goneNode (a node no longer in
// the cluster, whose detach nobody can confirm), the pod made again by its controller, ago, on a
// schedulable node, where it waits on its mount (Multi-Attach; the kubelet backing off) until the stale
// attachment is deleted and the pod is made again.
func (p *Platform) StrandVolume(ctx context.Context, ns, pod, goneNode string, ago time.Duration) error {
	p.simMu.Lock() // the pod deleted and made again as one change: its controller must not make it first
	defer p.simMu.Unlock()
	core, storage := p.Kube.Typed.CoreV1(), p.Kube.Typed.StorageV1()
	old, err := core.Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return err
	}
	claims := claimsOfPod(old)
	if len(claims) == 0 {
		return fmt.Errorf("demo: pod %s/%s mounts no volume to strand", ns, pod)
	}
	claim, err := core.PersistentVolumeClaims(ns).Get(ctx, claims[0], metav1.GetOptions{})
	if err != nil {
		return err
	}
	pv := claim.Spec.VolumeName
	vas, err := storage.VolumeAttachments().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, va := range vas.Items {
		if n := va.Spec.Source.PersistentVolumeName; n != nil && *n == pv {
			if err := storage.VolumeAttachments().Delete(ctx, va.Name, metav1.DeleteOptions{}); err != nil {
				return err
			}
		}
	}
	if _, err := storage.VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: attachmentName(pv, goneNode)},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: mayastorDriver, NodeName: goneNode,
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
		Status: storagev1.VolumeAttachmentStatus{Attached: true}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	zero := int64(0)
	if err := core.Pods(ns).Delete(ctx, pod, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		return err
	}
	nodes, err := repairsController{p}.readNodes(ctx)
	if err != nil {
		return err
	}
	node := pickNode(nodes, nil)
	if node == "" {
		return fmt.Errorf("demo: no schedulable node to make %s/%s again on", ns, pod)
	}
	now := time.Now()
	made := demoPod(ns, pod, corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: old.Labels}, Spec: old.Spec}, node, now.Add(-ago))
	made.UID, made.OwnerReferences = "", old.OwnerReferences
	why := multiAttach(pv, goneNode)
	waitOnMount(made, why)
	made.Annotations[annRetryMount] = now.Add(mountBackoff).UTC().Format(time.RFC3339)
	made, err = core.Pods(ns).Create(ctx, made, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	return recordWarning(ctx, p.Kube.Typed, corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: pod, UID: made.UID},
		"FailedMount", why, "kubelet", now)
}

// multiAttach is the kubelet's words for a volume held on another node.
func multiAttach(pv, node string) string {
	return fmt.Sprintf(`Multi-Attach error for volume "%s" Volume is already exclusively attached to one node (%s) and can't be attached to another`, pv, node)
}

// FailSecretsMount leaves the namespace's pods, made again ago, waiting on their secrets-store CSI volume
// (Vault does not serve their secrets: sealed), a FailedMount event each, until Vault serves again.
func (p *Platform) FailSecretsMount(ctx context.Context, ns string, ago time.Duration) error {
	core := p.Kube.Typed.CoreV1()
	pods, err := core.Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range pods.Items {
		po := &pods.Items[i]
		waitOnSecretsVolume(po, now)
		restartedAt(po, now.Add(-ago))
		if _, err := core.Pods(ns).Update(ctx, po, metav1.UpdateOptions{}); err != nil {
			return err
		}
		msg := fmt.Sprintf(`MountVolume.SetUp failed for volume "vault-secrets" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod %s/%s, err: rpc error: code = Unknown desc = error making mount request: failed to login: Error making API request. Code: 503. Errors: * Vault is sealed`, ns, po.Name)
		if err := recordWarning(ctx, p.Kube.Typed, corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: po.Name, UID: po.UID},
			"FailedMount", msg, "kubelet", now); err != nil {
			return err
		}
	}
	return nil
}
