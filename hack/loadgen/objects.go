package main

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Label marks every object loadgen creates; --clean deletes exactly what carries it.
const (
	Label         = "cedille-tui/loadgen"
	LabelSelector = Label + "=true"
)

// Namespaces of the Applications and the DiskPools (as on the era-1 platform).
const (
	appsNamespace  = "argocd"
	poolsNamespace = "mayastor"
)

// Custom resources loadgen writes.
func gvrApplication() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
}

func gvrDiskPool() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "openebs.io", Version: "v1beta1", Resource: "diskpools"}
}

func gvrDPInsight() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "kuma.io", Version: "v1alpha1", Resource: "dataplaneinsights"}
}

// Sizes is how much loadgen puts in the cluster.
type Sizes struct {
	Nodes, Pods, Namespaces, Apps, Pools, Insights int
}

// DefaultSizes is the load: 100 nodes, 10 000 pods in 50 namespaces, 300 Applications, 60
// DiskPools, 1 000 DataplaneInsights.
func DefaultSizes() Sizes {
	return Sizes{Nodes: 100, Pods: 10000, Namespaces: 50, Apps: 300, Pools: 60, Insights: 1000}
}

// Validate rejects sizes the generators cannot honour.
func (s Sizes) Validate() error {
	switch {
	case s.Nodes < 1:
		return fmt.Errorf("--nodes must be at least 1")
	case s.Namespaces < 1:
		return fmt.Errorf("--namespaces must be at least 1")
	case s.Pods < 0 || s.Apps < 0 || s.Pools < 0 || s.Insights < 0:
		return fmt.Errorf("sizes must not be negative")
	case s.Insights > s.Pods:
		return fmt.Errorf("--insights (%d) cannot exceed --pods (%d): each insight belongs to a pod", s.Insights, s.Pods)
	}
	return nil
}

// epoch is when the generated platform was "installed" (era 1, autumn 2023): fixed, so objects are
// the same on every run.
func epoch() time.Time { return time.Date(2023, 10, 14, 18, 30, 0, 0, time.UTC) }

// systemNamespaces are the era-1 platform's own namespaces (argocd and mayastor first: the
// Applications and DiskPools live there).
func systemNamespaces() []string {
	return []string{appsNamespace, poolsNamespace, "vault", "cert-manager", "kuma-system", "gateway-system",
		"grafana", "opentelemetry-operator", "clickhouse-system", "kubevirt", "crossplane", "kubevious"}
}

// tenants are the clubs and projects hosted on the platform (one namespace each).
func tenants() []string {
	return []string{"calidum-rotae", "acets", "ets-demo", "cedille-wiki", "applets", "capra", "chinook",
		"conjure", "dronolab", "eclipse", "evolucia", "liquid", "pikes", "raconteurs", "sonia",
		"walking-machine", "ets-racing", "saveurs-ets", "radio-piranha", "club-cpu", "aeets", "baja-ets",
		"canoe-beton", "formule-ets", "game-dev", "hackets", "nordiq", "oronos", "poly-cube", "reseau-ets",
		"robotique-ets", "space-ets", "cyber-ets", "ai-ets", "photo-ets", "musique-ets", "vertigo",
		"alpha-ets", "omega-ets", "ets-sport"}
}

// components are the workloads a tenant runs.
func components() []string {
	return []string{"grav", "wordpress", "api", "frontend", "worker", "keycloak", "nextcloud", "redis"}
}

// systemComponents are the workloads of the platform's own namespaces.
func systemComponents() []string {
	return []string{"server", "controller", "webhook", "agent", "operator", "exporter", "redis", "api"}
}

// eraOneSystemApps are the era-1 platform's own Applications, with their destination namespace.
func eraOneSystemApps() [][2]string {
	return [][2]string{
		{"argocd", "argocd"}, {"vault", "vault"}, {"vault-configs", "vault"}, {"cert-manager", "cert-manager"},
		{"secret-store-csi", "kube-system"}, {"gateway-api", "gateway-system"}, {"kuma", "kuma-system"},
		{"merbridge", "kuma-system"}, {"grafana", "grafana"}, {"opentelemetry-operator", "opentelemetry-operator"},
		{"clickhouse-operator", "clickhouse-system"}, {"clickhouse-otel-monitoring", "clickhouse-system"},
		{"kubevirt", "kubevirt"}, {"crossplane-helm", "crossplane"}, {"kubevious", "kubevious"},
	}
}

// NamespaceNames are the n namespaces pods spread over: the platform's, then the tenants', then
// numbered ones past the list.
func NamespaceNames(n int) []string {
	all := append(systemNamespaces(), tenants()...)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if i < len(all) {
			out = append(out, all[i])
		} else {
			out = append(out, fmt.Sprintf("tenant-%03d", i-len(all)+1))
		}
	}
	return out
}

// NodeNames: controlplane-1..3 then worker-1..; a single node is a worker.
func NodeNames(n int) []string {
	out := make([]string, 0, n)
	cps := 0
	if n > 3 {
		cps = 3
	}
	for i := 1; i <= cps; i++ {
		out = append(out, "controlplane-"+strconv.Itoa(i))
	}
	for i := 1; len(out) < n; i++ {
		out = append(out, "worker-"+strconv.Itoa(i))
	}
	return out
}

// workerNames are the nodes that carry workloads and pools (all nodes when there are no control
// planes).
func workerNames(nodes []string) []string {
	var out []string
	for _, n := range nodes {
		if len(n) > 7 && n[:7] == "worker-" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nodes
	}
	return out
}

// rsAlphabet is the alphabet of generated Kubernetes name suffixes (no vowels, no 0/1/3).
const rsAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// suffix is a deterministic n-character name suffix for key.
func suffix(key string, n int) string {
	v := fnv64(key)
	b := make([]byte, n)
	for i := range b {
		if v < uint64(len(rsAlphabet)) {
			v = fnv64(key + "#" + strconv.Itoa(i))
		}
		b[i] = rsAlphabet[v%uint64(len(rsAlphabet))]
		v /= uint64(len(rsAlphabet))
	}
	return string(b)
}

// PodRef is one generated pod: its name, namespace, app and node.
type PodRef struct {
	Namespace, Name, App, Node string
}

// PodRefs lays out s.Pods pods: namespaces round-robin, a handful of apps per namespace with a
// ReplicaSet-like hash, nodes round-robin over the workers. The same sizes give the same pods.
func PodRefs(s Sizes) []PodRef {
	nss := NamespaceNames(s.Namespaces)
	workers := workerNames(NodeNames(s.Nodes))
	system := map[string]bool{}
	for _, ns := range systemNamespaces() {
		system[ns] = true
	}
	out := make([]PodRef, 0, s.Pods)
	for i := 0; i < s.Pods; i++ {
		ns := nss[i%len(nss)]
		k := i / len(nss) // index within the namespace
		comps := components()
		if system[ns] {
			comps = systemComponents()
		}
		app := ns + "-" + comps[k%len(comps)]
		rs := suffix(app, 10)
		out = append(out, PodRef{
			Namespace: ns, App: app, Node: workers[i%len(workers)],
			Name: app + "-" + rs + "-" + suffix(fmt.Sprintf("%s/%d", app, k), 5),
		})
	}
	return out
}

func labels(extra map[string]string) map[string]string {
	l := map[string]string{Label: "true"}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// Namespace builds a labelled namespace.
func Namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(nil)}}
}

// Node builds a kwok node with kubelet-like status (kwok's node-initialize stage adds the Ready
// conditions and heartbeats it). Status is kept on create for nodes.
func Node(name string, i int) *corev1.Node {
	l := labels(map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"type": "kwok",
	})
	var taints []corev1.Taint
	if len(name) > 12 && name[:12] == "controlplane" {
		l["node-role.kubernetes.io/control-plane"] = ""
		taints = append(taints, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule})
	} else {
		l["openebs.io/engine"] = "mayastor"
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("16"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse("250"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
		Spec: corev1.NodeSpec{Taints: taints, PodCIDR: fmt.Sprintf("10.244.%d.0/24", i%256)},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", 10+i/250, 10+i%250)},
				{Type: corev1.NodeHostName, Address: name},
			},
			Capacity: capacity, Allocatable: capacity,
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.27.3", OSImage: "Talos (v1.5.5)", KernelVersion: "6.1.58-talos",
				ContainerRuntimeVersion: "containerd://1.6.23", Architecture: "amd64", OperatingSystem: "linux",
			},
		},
	}
}

// Pod builds a pod bound to its node (kwok makes it Running: there is no scheduler).
func Pod(r PodRef) *corev1.Pod {
	no := false
	grace := int64(30)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace,
			Labels: labels(map[string]string{"app.kubernetes.io/name": r.App, "app.kubernetes.io/part-of": r.Namespace})},
		Spec: corev1.PodSpec{
			NodeName:                      r.Node,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name: "app", Image: "clubcedille/" + r.App + ":1.4.2",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
				}},
			}},
			Tolerations: []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
}

// AppName is the i-th Application's name and destination namespace: the era-1 system Applications
// first, then tenant-component pairs (production, then -staging), numbered past the combinations.
func AppName(i int) (name, dest string) {
	sys := eraOneSystemApps()
	if i < len(sys) {
		return sys[i][0], sys[i][1]
	}
	i -= len(sys)
	ts, cs := tenants(), components()
	per := len(ts) * len(cs)
	env := i / per
	j := i % per
	t, c := ts[j/len(cs)], cs[j%len(cs)]
	switch env {
	case 0:
		return t + "-" + c, t
	case 1:
		return t + "-" + c + "-staging", t
	}
	return fmt.Sprintf("%s-%s-%d", t, c, env), t
}

// AppState is the i-th Application's sync and health status: about 3% are not Synced/Healthy
// (every 33rd, alternating OutOfSync and Degraded).
func AppState(i int) (sync, health string) {
	if i%33 == 32 {
		if (i/33)%2 == 0 {
			return "OutOfSync", "Healthy"
		}
		return "Synced", "Degraded"
	}
	return "Synced", "Healthy"
}

// Application builds the i-th ArgoCD Application with its status inside the object (the CRD has no
// status subresource, as upstream).
func Application(i int) *unstructured.Unstructured {
	name, dest := AppName(i)
	sync, health := AppState(i)
	rev := fmt.Sprintf("%x", fnv64(name))
	rev = (rev + rev + rev + rev + rev)[:40]
	status := map[string]any{
		"sync":   map[string]any{"status": sync, "revision": rev},
		"health": map[string]any{"status": health},
		"operationState": map[string]any{
			"phase": "Succeeded", "message": "successfully synced (all tasks run)",
			"startedAt": epoch().Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
		},
		"reconciledAt": epoch().Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
	}
	if health == "Degraded" {
		status["health"] = map[string]any{"status": health,
			"message": "Deployment " + name + " has 0/1 ready replicas (CrashLoopBackOff)"}
	}
	if sync == "OutOfSync" {
		status["operationState"] = map[string]any{"phase": "Failed",
			"message": "one or more objects failed to apply, reason: admission webhook denied the request"}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{
			"name": name, "namespace": appsNamespace,
			"labels":      toAny(labels(nil)),
			"annotations": map[string]any{"argocd.argoproj.io/sync-wave": strconv.Itoa(i % 3)},
		},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{"repoURL": "https://github.com/ClubCedille/Plateforme-Cedille",
				"path": "apps/" + dest + "/" + name, "targetRevision": "HEAD"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": dest},
			"syncPolicy": map[string]any{"automated": map[string]any{"selfHeal": true},
				"syncOptions": []any{"CreateNamespace=true"}},
		},
		"status": status,
	}}
}

// poolCapacity is a 3 TB disk, as on the era-1 workers.
const poolCapacity = int64(3000588304384)

// PoolName is the i-th DiskPool's name and node.
func PoolName(i int, nodes []string) (name, node string) {
	w := workerNames(nodes)
	node = w[i%len(w)]
	return "hdd-" + node + "-" + suffix(fmt.Sprintf("pool/%d", i), 4), node
}

// PoolDegraded says whether the i-th pool reports Degraded (3 in 60).
func PoolDegraded(i int) bool { return i%20 == 7 }

// DiskPool builds the i-th DiskPool without status (it goes through the status subresource).
func DiskPool(i int, nodes []string) *unstructured.Unstructured {
	name, node := PoolName(i, nodes)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "openebs.io/v1beta1", "kind": "DiskPool",
		"metadata": map[string]any{"name": name, "namespace": poolsNamespace, "labels": toAny(labels(nil))},
		"spec": map[string]any{"node": node,
			"disks": []any{"/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N" + suffix(name, 4)}},
	}}
}

// DiskPoolStatus is the i-th pool's status: Created, Online (a few Degraded), 5–65% used.
func DiskPoolStatus(i int) map[string]any {
	used := poolCapacity / 100 * int64(5+(i*7)%61)
	st := "Online"
	if PoolDegraded(i) {
		st = "Degraded"
	}
	return map[string]any{"cr_state": "Created", "pool_status": st,
		"capacity": poolCapacity, "used": used, "available": poolCapacity - used}
}

// InsightRefs picks the pods that have a Kuma sidecar: s.Insights of them, spread over the namespaces.
func InsightRefs(s Sizes, pods []PodRef) []PodRef {
	if s.Insights == 0 || len(pods) == 0 {
		return nil
	}
	n := min(s.Insights, len(pods))
	var order []string
	byNS := map[string][]PodRef{}
	for _, p := range pods {
		if _, ok := byNS[p.Namespace]; !ok {
			order = append(order, p.Namespace)
		}
		byNS[p.Namespace] = append(byNS[p.Namespace], p)
	}
	// Round-robin over the namespaces: the k-th pod of each, then the next.
	out := make([]PodRef, 0, n)
	for k := 0; len(out) < n; k++ {
		for _, ns := range order {
			if l := byNS[ns]; k < len(l) && len(out) < n {
				out = append(out, l[k])
			}
		}
	}
	return out
}

// InsightOffline says whether the i-th dataplane's latest subscription is closed (1 in 200).
func InsightOffline(i int) bool { return i%200 == 199 }

// DataplaneInsight builds the i-th insight for pod r; its data is in the top-level status (Kuma 2.4
// keeps it there; the CRD has no status subresource).
func DataplaneInsight(i int, r PodRef) *unstructured.Unstructured {
	connect := epoch().Add(48*24*time.Hour + time.Duration(i)*time.Second)
	sub := map[string]any{
		"id":                     suffix(r.Name, 8),
		"controlPlaneInstanceId": "kuma-control-plane-7b9f6d-abcde",
		"connectTime":            connect.Format(time.RFC3339),
		"status": map[string]any{
			"lastUpdateTime": connect.Add(time.Second).Format(time.RFC3339),
			"total":          map[string]any{"responsesSent": "12", "responsesAcknowledged": "12"},
		},
		"version": map[string]any{"kumaDp": map[string]any{"version": "2.4.3"}, "envoy": map[string]any{"version": "1.27.2"}},
	}
	if InsightOffline(i) {
		sub["disconnectTime"] = connect.Add(6 * time.Hour).Format(time.RFC3339)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kuma.io/v1alpha1", "kind": "DataplaneInsight",
		"metadata": map[string]any{"name": r.Name, "namespace": r.Namespace, "labels": toAny(labels(nil))},
		"mesh":     "default",
		"status":   map[string]any{"subscriptions": []any{sub}},
	}}
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
