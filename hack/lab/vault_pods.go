package lab

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The lab's Vault "replicas": what the HashiCorp chart makes on a real cluster, simulated by kwok.
// Every pod in VaultNamespace forwards its port VaultPodPort to the lab's single Vault (see the
// package documentation and renderKwokForwards).
const (
	VaultNamespace   = "vault"          // namespace of the StatefulSet and its pods
	VaultStatefulSet = "vault"          // the StatefulSet; its pods are vault-0, vault-1, ...
	VaultPodPort     = 8200             // the container port (named "http") pods/portforward serves
	VaultNodeName    = "lab-vault-node" // the kwok Node the vault pods run on
)

// VaultPodLabels are the labels of the vault pods (and the StatefulSet's selector), as the HashiCorp
// chart sets them for a release named vault.
func VaultPodLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "vault", "app.kubernetes.io/instance": "vault", "component": "server"}
}

// CreateVaultReplicas makes the lab look like a cluster running Vault as StatefulSet vault/vault with
// the given number of replicas, so that code reaching "Vault replicas" through the Kubernetes API's
// pods/portforward (k8s.io/client-go/tools/portforward, as kubectl port-forward) works here.
//
// It creates, where missing: namespace vault, ServiceAccount vault/vault, the kwok Node
// lab-vault-node (advertising 127.0.0.1 and kwok's port, where the apiserver sends pods/portforward),
// and StatefulSet vault/vault (replicas pods vault-0..replicas-1 on that node, labelled
// VaultPodLabels, container port 8200). kube-controller-manager creates the pods; without it in the
// lab they are created directly. An existing StatefulSet is scaled to replicas. It returns the pods,
// by ordinal, once kwok reports them Running and Ready (and, with kube-controller-manager, the
// StatefulSet reports them ready). Port 8200 of each pod forwards to the lab's one Vault, so every
// replica answers as the same server. It needs kube-apiserver, kwok and vault in the lab.
func (l *Lab) CreateVaultReplicas(ctx context.Context, replicas int) ([]corev1.Pod, error) {
	if replicas < 1 {
		return nil, fmt.Errorf("lab: CreateVaultReplicas: replicas = %d, want at least 1", replicas)
	}
	comps := l.Components()
	for _, c := range []string{KubeAPIServer, Kwok, Vault} {
		if !slices.Contains(comps, c) {
			return nil, fmt.Errorf("lab: CreateVaultReplicas needs %s in the lab (it has %v)", c, comps)
		}
	}
	l.mu.Lock()
	kwokPort := l.st.Ports[portKwok]
	l.mu.Unlock()
	cs, err := kubernetes.NewForConfig(l.RESTConfig())
	if err != nil {
		return nil, err
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: VaultNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("lab: create namespace %s: %w", VaultNamespace, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "vault", Namespace: VaultNamespace}}
	if _, err := cs.CoreV1().ServiceAccounts(VaultNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("lab: create service account %s/vault: %w", VaultNamespace, err)
	}
	if err := ensureVaultNode(ctx, cs, kwokPort); err != nil {
		return nil, err
	}

	withKCM := slices.Contains(comps, KubeControllerManager)
	sts := vaultStatefulSet(int32(replicas))
	switch cur, err := cs.AppsV1().StatefulSets(VaultNamespace).Get(ctx, VaultStatefulSet, metav1.GetOptions{}); {
	case apierrors.IsNotFound(err):
		if _, err := cs.AppsV1().StatefulSets(VaultNamespace).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("lab: create statefulset %s/%s: %w", VaultNamespace, VaultStatefulSet, err)
		}
	case err != nil:
		return nil, err
	case cur.Spec.Replicas == nil || *cur.Spec.Replicas != int32(replicas):
		cur.Spec.Replicas = sts.Spec.Replicas
		if _, err := cs.AppsV1().StatefulSets(VaultNamespace).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return nil, fmt.Errorf("lab: scale statefulset %s/%s: %w", VaultNamespace, VaultStatefulSet, err)
		}
	}
	if !withKCM {
		// No StatefulSet controller: make its pods the way it would.
		for i := range replicas {
			pod := vaultPod(sts, i)
			if _, err := cs.CoreV1().Pods(VaultNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("lab: create pod %s/%s: %w", VaultNamespace, pod.Name, err)
			}
		}
	}

	var pods []corev1.Pod
	var last error
	for {
		pods, last = vaultPodsReady(ctx, cs, replicas, withKCM)
		if last == nil {
			return pods, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lab: vault replicas not ready: %w (%v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ensureVaultNode creates VaultNodeName advertising InternalIP 127.0.0.1 and kwok's port as its
// kubelet port, or corrects those of an existing one (kwok's port may have changed since a previous
// Up; kwok's node-initialize stage sets them only while a node is not Ready).
func ensureVaultNode(ctx context.Context, cs kubernetes.Interface, kwokPort int) error {
	want := corev1.NodeStatus{
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
			{Type: corev1.NodeHostName, Address: VaultNodeName},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(kwokPort)}},
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: VaultNodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": VaultNodeName, "kubernetes.io/os": "linux", "type": "kwok",
			},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Status: want, // kept on create for Nodes
	}
	cur, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, err = cs.CoreV1().Nodes().Get(ctx, VaultNodeName, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("lab: node %s: %w", VaultNodeName, err)
	}
	ip := ""
	for _, a := range cur.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ip = a.Address
			break
		}
	}
	if ip == "127.0.0.1" && cur.Status.DaemonEndpoints.KubeletEndpoint.Port == int32(kwokPort) {
		return nil
	}
	cur.Status.Addresses = want.Addresses
	cur.Status.DaemonEndpoints = want.DaemonEndpoints
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("lab: update node %s status: %w", VaultNodeName, err)
	}
	return nil
}

func vaultStatefulSet(replicas int32) *appsv1.StatefulSet {
	no := false
	grace := int64(0) // kwok would otherwise play each pod's termination first
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: VaultStatefulSet, Namespace: VaultNamespace, Labels: VaultPodLabels()},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            &replicas,
			ServiceName:         "vault-internal",
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: VaultPodLabels()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: VaultPodLabels()},
				Spec: corev1.PodSpec{
					// No scheduler in the lab: the pods are bound to the kwok node from the start.
					NodeName:                      VaultNodeName,
					ServiceAccountName:            "vault",
					AutomountServiceAccountToken:  &no,
					TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{
						Name: "vault", Image: "hashicorp/vault:1.21.0",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: VaultPodPort, Protocol: corev1.ProtocolTCP}},
					}},
					Tolerations: []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
				},
			},
		},
	}
}

// vaultPod is the i-th pod of sts as the StatefulSet controller would make it.
func vaultPod(sts *appsv1.StatefulSet, i int) *corev1.Pod {
	name := sts.Name + "-" + strconv.Itoa(i)
	labels := map[string]string{"statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": strconv.Itoa(i)}
	for k, v := range sts.Spec.Template.Labels {
		labels[k] = v
	}
	spec := *sts.Spec.Template.Spec.DeepCopy()
	spec.Hostname = name
	spec.Subdomain = sts.Spec.ServiceName
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sts.Namespace, Labels: labels}, Spec: spec}
}

// vaultPodsReady returns pods vault-0..replicas-1 when all are Running and Ready (and, withSTS, the
// StatefulSet counts them ready), else an error saying what is missing.
func vaultPodsReady(ctx context.Context, cs kubernetes.Interface, replicas int, withSTS bool) ([]corev1.Pod, error) {
	var out []corev1.Pod
	for i := range replicas {
		name := VaultStatefulSet + "-" + strconv.Itoa(i)
		p, err := cs.CoreV1().Pods(VaultNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if p.Status.Phase != corev1.PodRunning || !podReady(p) {
			return nil, fmt.Errorf("pod %s/%s is %s, not Running and Ready", VaultNamespace, name, p.Status.Phase)
		}
		out = append(out, *p)
	}
	if withSTS {
		sts, err := cs.AppsV1().StatefulSets(VaultNamespace).Get(ctx, VaultStatefulSet, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if sts.Status.ReadyReplicas != int32(replicas) {
			return nil, fmt.Errorf("statefulset %s/%s reports %d ready replicas, want %d",
				VaultNamespace, VaultStatefulSet, sts.Status.ReadyReplicas, replicas)
		}
	}
	return out, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
