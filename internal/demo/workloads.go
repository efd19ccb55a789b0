package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ktypes "k8s.io/apimachinery/pkg/types"
)

// The simulated platform's pods: those of the scenario's Deployments and StatefulSets and of the
// DaemonSets every node runs (flannel, kube-proxy, Mayastor's io-engine on the workers), as the kubelets
// report them. workloadsController plays the kubelets' readiness and the controllers' ready counts:
// a Vault server pod is Ready while its replica is unsealed (the chart's readiness probe, `vault
// status`), the apps that read their secrets from Vault wait until it serves (calidum-rotae's secrets
// volume does not mount, acets-grav's vault-agent init container crash-loops — the scenario's events say
// so) and then run, and each controller's ready count follows its pods. A node that loses power (the N
// fault) leaves its pods as they were: the workloads rules see their node not Ready.

// workloadsPoll is how often the simulated kubelets and controllers catch up.
const workloadsPoll = 500 * time.Millisecond

// annNeedsVault marks a pod that cannot start until Vault serves.
const annNeedsVault = "demo.cedille-tui/needs-vault"

// demoDaemonSets are the DaemonSets of an era-1 cluster on these machines.
func demoDaemonSets(machines []DemoMachine) []*appsv1.DaemonSet {
	mk := func(ns, name, image string, workersOnly bool) *appsv1.DaemonSet {
		labels := map[string]string{"app.kubernetes.io/name": name}
		spec := corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}}
		if workersOnly {
			spec.NodeSelector = map[string]string{"openebs.io/engine": "mayastor"}
		}
		return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}
	}
	return []*appsv1.DaemonSet{
		mk("kube-system", "kube-flannel", "ghcr.io/siderolabs/flannel:v0.22.3", false),
		mk("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v"+EraOneKubernetesVersion, false),
		mk("mayastor", "mayastor-io-engine", "docker.io/openebs/mayastor-io-engine:v2.4.0", true),
	}
}

// demoCoreDNS is the cluster's DNS, two replicas.
func demoCoreDNS() *appsv1.Deployment {
	two := int32(2)
	labels := map[string]string{"k8s-app": "kube-dns"}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.10.1"}}}}}}
}

// hashName is a deterministic lowercase name part of n characters from s, in the alphabet Kubernetes
// uses for generated names.
func hashName(s string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	v := h.Sum64()
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[v%uint64(len(alphabet))]
		v /= uint64(len(alphabet))
		if v == 0 {
			v = h.Sum64() + uint64(i)
		}
	}
	return string(out)
}

// podNames are the names the scenario's events give some pods (their ReplicaSet hash and suffix).
func podNames() map[string][2]string {
	return map[string][2]string{
		"calidum-rotae/calidum-rotae": {"7c9d8f6b5", "xk2lp"},
		"acets/acets-grav":            {"5f7b9c6d48", "q8zvn"},
	}
}

// demoPods are the pods of the workloads: a controller's replicas over the workers in turn (a
// StatefulSet's pod i on worker i+1, as Vault's events say), a DaemonSet's on each node it selects, all
// Running and Ready since created, but Vault's (Ready only when installed: uninitialized, it is sealed)
// and those that need Vault (waiting, until it serves, when not installed).
func demoPods(objs []runtime.Object, machines []DemoMachine, created, now time.Time, installed bool) []runtime.Object {
	var workers, all []string
	for _, m := range machines {
		all = append(all, m.Hostname)
		if m.Role != RoleControlPlane {
			workers = append(workers, m.Hostname)
		}
	}
	if len(workers) == 0 {
		workers = all
	}
	var out []runtime.Object
	add := func(p *corev1.Pod) { out = append(out, p) }
	yes := true
	for _, o := range objs {
		switch w := o.(type) {
		case *appsv1.Deployment:
			markManaged(&w.ObjectMeta)
			n := replicasOf(w.Spec.Replicas)
			hash, suffix := hashName(w.Namespace+"/"+w.Name, 10), ""
			if names, ok := podNames()[w.Namespace+"/"+w.Name]; ok {
				hash, suffix = names[0], names[1]
			}
			for i := range n {
				sfx := suffix
				if sfx == "" || i > 0 {
					sfx = hashName(fmt.Sprintf("%s/%s/%d", w.Namespace, w.Name, i), 5)
				}
				p := demoPod(w.Namespace, w.Name+"-"+hash+"-"+sfx, w.Spec.Template, workers[int(i)%len(workers)], created)
				p.Labels["pod-template-hash"] = hash
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: w.Name + "-" + hash, Controller: &yes}}
				add(p)
			}
		case *appsv1.StatefulSet:
			markManaged(&w.ObjectMeta)
			for i := range replicasOf(w.Spec.Replicas) {
				p := demoPod(w.Namespace, fmt.Sprintf("%s-%d", w.Name, i), w.Spec.Template, workers[int(i)%len(workers)], created)
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: w.Name, Controller: &yes}}
				add(p)
			}
		case *appsv1.DaemonSet:
			nodes := all
			if len(w.Spec.Template.Spec.NodeSelector) > 0 {
				nodes = workers
			}
			for _, node := range nodes {
				p := demoPod(w.Namespace, w.Name+"-"+hashName(w.Name+"/"+node, 5), w.Spec.Template, node, created)
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: w.Name, Controller: &yes}}
				add(p)
			}
		}
	}
	for _, o := range out {
		p := o.(*corev1.Pod)
		switch {
		case isVaultServer(p) && !installed:
			// Restarted 2 hours ago (the scenario's readiness events begin then), sealed since.
			restartedAt(p, now.Add(-2*time.Hour))
			setReady(p, false, p.CreationTimestamp.Time)
		case p.Namespace == "calidum-rotae" && !installed:
			waitOnSecretsVolume(p, now)
		case p.Namespace == "acets" && !installed:
			crashLoopOnVaultAgent(p, now)
		}
	}
	return out
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// demoPod is a pod of the template on node, Running and Ready since a few seconds after created.
func demoPod(ns, name string, t corev1.PodTemplateSpec, node string, created time.Time) *corev1.Pod {
	labels := map[string]string{}
	for k, v := range t.Labels {
		labels[k] = v
	}
	at := metav1.NewTime(created)
	ready := metav1.NewTime(created.Add(12 * time.Second))
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, CreationTimestamp: at,
		UID: ktypes.UID("demo-" + hashName(ns+"/"+name, 8))},
		Spec: *t.Spec.DeepCopy()}
	p.Spec.NodeName = node
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &at, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: at},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ready},
	}}
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			Ready: true, Started: ptrTrue(), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ready}}})
	}
	return p
}

func ptrTrue() *bool {
	t := true
	return &t
}

// isVaultServer tells Vault's server pods (StatefulSet vault in namespace vault).
func isVaultServer(p *corev1.Pod) bool {
	s := health.PodOf(p)
	return s.Namespace == "vault" && s.OwnerKind == "StatefulSet" && s.OwnerName == "vault"
}

// restartedAt makes the pod one created at t, its conditions changed then.
func restartedAt(p *corev1.Pod, t time.Time) {
	p.CreationTimestamp = metav1.NewTime(t)
	p.Status.StartTime = &p.CreationTimestamp
	for i := range p.Status.Conditions {
		p.Status.Conditions[i].LastTransitionTime = p.CreationTimestamp
	}
	for i := range p.Status.ContainerStatuses {
		if r := p.Status.ContainerStatuses[i].State.Running; r != nil {
			r.StartedAt = p.CreationTimestamp
		}
	}
}

// setReady sets a running pod's readiness (its Ready conditions and containers), changed at now when it
// changes; it reports whether it changed.
func setReady(p *corev1.Pod, ready bool, now time.Time) bool {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	changed := false
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if (c.Type == corev1.PodReady || c.Type == corev1.ContainersReady) && c.Status != st {
			c.Status, c.LastTransitionTime, changed = st, metav1.NewTime(now), true
			c.Reason = ""
			if !ready {
				c.Reason = "ContainersNotReady"
			}
		}
	}
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Ready != ready {
			p.Status.ContainerStatuses[i].Ready, changed = ready, true
		}
	}
	return changed
}

// waitOnSecretsVolume leaves a pod scheduled but still creating its containers, as the kubelet does while
// the secrets-store CSI volume does not mount (its FailedMount event says Vault is sealed).
func waitOnSecretsVolume(p *corev1.Pod, now time.Time) {
	p.Annotations = map[string]string{annNeedsVault: "true"}
	restartedAt(p, now.Add(-2*time.Hour))
	containerCreating(p)
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "vault-secrets", VolumeSource: corev1.VolumeSource{
		CSI: &corev1.CSIVolumeSource{Driver: "secrets-store.csi.k8s.io"}}})
}

// containerCreating leaves a scheduled pod Pending, its containers not created yet (ContainerCreating),
// not Ready since it was made.
func containerCreating(p *corev1.Pod) {
	p.Status.Phase = corev1.PodPending
	setReady(p, false, p.CreationTimestamp.Time)
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		cs.Started = nil
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	}
}

// crashLoopOnVaultAgent gives a pod a vault-agent init container that crash-loops (it cannot log in to a
// sealed Vault).
func crashLoopOnVaultAgent(p *corev1.Pod, now time.Time) {
	p.Annotations = map[string]string{annNeedsVault: "true"}
	restartedAt(p, now.Add(-2*time.Hour))
	p.Status.Phase = corev1.PodPending
	setReady(p, false, p.CreationTimestamp.Time)
	p.Spec.InitContainers = []corev1.Container{{Name: "vault-agent-init", Image: "hashicorp/vault:1.13.3"}}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "vault-agent-init", RestartCount: 512,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: "back-off 5m0s restarting failed container=vault-agent-init"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1,
			FinishedAt: metav1.NewTime(now.Add(-40 * time.Second))}}}}
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		cs.Started = nil
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
	}
}

// startWhenVaultServes runs a pod that waited on Vault: its init containers done, its containers
// running and Ready since now.
func startWhenVaultServes(p *corev1.Pod, now time.Time) {
	delete(p.Annotations, annNeedsVault)
	at := metav1.NewTime(now)
	p.Status.Phase = corev1.PodRunning
	for i := range p.Status.InitContainerStatuses {
		cs := &p.Status.InitContainerStatuses[i]
		cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", FinishedAt: at}}
	}
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		cs.Started = ptrTrue()
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}}
	}
	setReady(p, true, now)
	for i := range p.Status.Conditions {
		p.Status.Conditions[i].LastTransitionTime = at
	}
}

// controllerOf names a pod's controller.
type controllerOf struct{ ns, kind, name string }

// podCounts counts pods, and the Ready ones, by controller.
type podCounts struct{ ready, total map[controllerOf]int32 }

func countPods(pods []*corev1.Pod) podCounts {
	c := podCounts{ready: map[controllerOf]int32{}, total: map[controllerOf]int32{}}
	for _, p := range pods {
		s := health.PodOf(p)
		k := controllerOf{s.Namespace, s.OwnerKind, s.OwnerName}
		c.total[k]++
		if s.Ready {
			c.ready[k]++
		}
	}
	return c
}

// apply sets a Deployment's, StatefulSet's or DaemonSet's ready counts from its pods and reports whether
// they changed; a controller without pods (a chart's: its release set its counts) is left as it is.
func (c podCounts) apply(obj runtime.Object) bool {
	switch w := obj.(type) {
	case *appsv1.Deployment:
		k := controllerOf{w.Namespace, "Deployment", w.Name}
		n, total := c.ready[k], c.total[k]
		if total == 0 || (w.Status.ReadyReplicas == n && w.Status.Replicas == total) {
			return false
		}
		w.Status.Replicas, w.Status.UpdatedReplicas, w.Status.ReadyReplicas, w.Status.AvailableReplicas = total, total, n, n
		w.Status.UnavailableReplicas, w.Status.ObservedGeneration = total-n, w.Generation
	case *appsv1.StatefulSet:
		k := controllerOf{w.Namespace, "StatefulSet", w.Name}
		n, total := c.ready[k], c.total[k]
		if total == 0 || (w.Status.ReadyReplicas == n && w.Status.Replicas == total) {
			return false
		}
		w.Status.Replicas, w.Status.CurrentReplicas, w.Status.UpdatedReplicas = total, total, total
		w.Status.ReadyReplicas, w.Status.AvailableReplicas, w.Status.ObservedGeneration = n, n, w.Generation
	case *appsv1.DaemonSet:
		k := controllerOf{w.Namespace, "DaemonSet", w.Name}
		n, total := c.ready[k], c.total[k]
		if total == 0 || (w.Status.NumberReady == n && w.Status.DesiredNumberScheduled == total) {
			return false
		}
		w.Status = appsv1.DaemonSetStatus{DesiredNumberScheduled: total, CurrentNumberScheduled: total,
			UpdatedNumberScheduled: total, NumberReady: n, NumberAvailable: n, NumberUnavailable: total - n,
			ObservedGeneration: w.Generation}
	default:
		return false
	}
	return true
}

// settleControllers gives the seeded controllers the ready counts of the seeded pods.
func settleControllers(objs []runtime.Object) {
	var pods []*corev1.Pod
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	c := countPods(pods)
	for _, o := range objs {
		c.apply(o)
	}
}

// workloadsController plays the kubelets' readiness and the controllers' ready counts (see above).
type workloadsController struct{ p *Platform }

func (c workloadsController) pass(ctx context.Context) {
	if !c.p.kube.up.Load() {
		return
	}
	core := c.p.kube.typed.CoreV1()
	list, err := core.Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	ready, serving := c.p.vault.readiness(), c.p.vault.serving()
	now := c.p.opts.now()
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		p := &list.Items[i]
		changed := false
		switch {
		case isVaultServer(p):
			changed = setReady(p, ready[p.Name], now)
		case p.Annotations[annNeedsVault] == "true" && serving:
			startWhenVaultServes(p, now)
			changed = true
		}
		if changed {
			if _, err := core.Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
				return
			}
		}
		pods = append(pods, p)
	}
	counts := countPods(pods)
	apps := c.p.kube.typed.AppsV1()
	if l, err := apps.Deployments("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			if d := &l.Items[i]; counts.apply(d) {
				_, _ = apps.Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
			}
		}
	}
	if l, err := apps.StatefulSets("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			if s := &l.Items[i]; counts.apply(s) {
				_, _ = apps.StatefulSets(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
			}
		}
	}
	if l, err := apps.DaemonSets("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			if d := &l.Items[i]; counts.apply(d) {
				_, _ = apps.DaemonSets(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
			}
		}
	}
}

// readiness is, by replica, whether its server pod is Ready: `vault status` exits 0 only unsealed.
func (c *vaultCluster) readiness() map[string]bool {
	out := map[string]bool{}
	if c.down.Load() {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.replicas {
		out[r.name] = c.initialized && !r.sealed
	}
	return out
}
