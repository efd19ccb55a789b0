package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/robfig/cron/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// A fleet cluster's Kubernetes objects (ANCHORS §4 for the status fields): its Nodes, the workloads of
// its stack and apps with their pods, Rook's external CephCluster, Velero's location, Schedules and
// Backups, a CloudNativePG database, vault-secrets-operator's VaultAuths and VaultStaticSecrets, its
// LoadBalancer pools and Services, and cert-manager's Certificates. Times are the demo's clock's.

// rfc3339 is a time as the API server writes it.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

const day = 24 * time.Hour

// fleetObjects are the cluster's objects: built-in (typed) and custom (unstructured), its faults on.
func fleetObjects(s fleetSpec, now time.Time) ([]runtime.Object, []*unstructured.Unstructured) {
	machines := s.machines()
	v := versions{talos: s.talos, kubernetes: s.kubernetes}
	var typed []runtime.Object
	var up []DemoMachine
	built := now.Add(-time.Duration(400-40*s.id) * day) // when the cluster was made from its template
	for i, m := range machines {
		typed = append(typed, fleetNode(s, m, i, v, built, now))
		if m.Hostname != s.down {
			up = append(up, m)
		}
	}
	workloads := fleetWorkloads(s)
	typed = append(typed, workloads...)
	typed = append(typed, demoPods(workloads, up, now.Add(-9*day), now, true)...)
	typed = append(typed, fleetDatabasePods(s, up, now.Add(-9*day))...)
	typed = append(typed, fleetLoadBalancers(s)...)

	var dyn []*unstructured.Unstructured
	dyn = append(dyn, fleetCeph(s, now))
	dyn = append(dyn, fleetVelero(s, now)...)
	dyn = append(dyn, fleetDatabase(s, now)...)
	dyn = append(dyn, fleetVaultSecrets(s, now)...)
	dyn = append(dyn, fleetVaultConfig(now)...)
	dyn = append(dyn, fleetPools(s, now)...)
	dyn = append(dyn, fleetCertificates(s, now)...)
	if s.cilium {
		dyn = append(dyn, fleetGateway(s, now)...)
	}
	return append(namespacesOf(typed, dyn), typed...), dyn
}

// fleetObject is a custom resource of kind k.
func fleetObject(k platform.Kind, ns, name string, spec, status map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": k.GVR.GroupVersion().String(), "kind": k.Kind,
		"metadata": md, "spec": spec}}
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

// condition is a metav1.Condition as unstructured.
func condition(typ, status, reason, message string, since time.Time) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message,
		"lastTransitionTime": rfc3339(since)}
}

// namespacesOf are the Namespaces the objects are in.
func namespacesOf(typed []runtime.Object, dyn []*unstructured.Unstructured) []runtime.Object {
	var names []string
	add := func(ns string) {
		if ns != "" && !slices.Contains(names, ns) {
			names = append(names, ns)
		}
	}
	for _, o := range typed {
		if m, ok := o.(metav1.Object); ok {
			add(m.GetNamespace())
		}
	}
	for _, u := range dyn {
		add(u.GetNamespace())
	}
	add("default")
	slices.Sort(names)
	out := make([]runtime.Object, 0, len(names))
	for _, n := range names {
		out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
	}
	return out
}

// fleetNode is a VM's Node, labelled as the club's machine patch does; the stopped VM's is NotReady, its
// kubelet silent for five hours.
func fleetNode(s fleetSpec, m DemoMachine, i int, v versions, built, now time.Time) *corev1.Node {
	n := demoNode(m, i, v, built, 3*time.Minute)
	delete(n.Labels, "openebs.io/engine")
	n.Labels["etsmtl.club/internal-network"] = "true"
	n.Labels["etsmtl.club/external-network"] = "true"
	n.Spec.PodCIDR = fmt.Sprintf("10.244.%d.0/24", i)
	if m.Hostname != s.down {
		return n
	}
	lost := metav1.NewTime(now.Add(-5 * time.Hour))
	for j := range n.Status.Conditions {
		c := &n.Status.Conditions[j]
		c.Status, c.Reason, c.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
		c.LastTransitionTime = lost
		c.LastHeartbeatTime = lost
	}
	n.Spec.Taints = append(n.Spec.Taints,
		corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoSchedule},
		corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute})
	return n
}

// workload kinds, for fleetWorkloads' table.
const (
	wDeploy = iota
	wStatefulSet
	wDaemonSet
)

// fleetWorkloads are the cluster's controllers: Kubernetes' own, its stack's, and its apps'.
func fleetWorkloads(s fleetSpec) []runtime.Object {
	type w struct {
		kind            int
		ns, name, image string
		replicas        int32
	}
	ws := []w{
		{wDeploy, "kube-system", "coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 2},
		{wDeploy, "rook-ceph-external", "rook-ceph-operator", "docker.io/rook/ceph:v1.20.1", 1},
		{wDeploy, "rook-ceph-external", "csi-rbdplugin-provisioner", "quay.io/cephcsi/cephcsi:v3.14.0", 2},
		{wDaemonSet, "rook-ceph-external", "csi-rbdplugin", "quay.io/cephcsi/cephcsi:v3.14.0", 0},
		{wDaemonSet, "rook-ceph-external", "csi-cephfsplugin", "quay.io/cephcsi/cephcsi:v3.14.0", 0},
		{wDeploy, "velero", "velero", "velero/velero:v1.18.1", 1},
		{wDaemonSet, "velero", "node-agent", "velero/velero:v1.18.1", 0},
		{wStatefulSet, "vault", "vault", "ghcr.io/clubcedille/vault:v0.1.2", 1},
		{wDeploy, "vault", "vault-secrets-operator-controller-manager", "hashicorp/vault-secrets-operator:0.10.0", 1},
		{wDeploy, "vault", "vault-config-operator-controller-manager", "quay.io/redhat-cop/vault-config-operator:v0.8.49", 1},
		{wDeploy, "cnpg-system", "cnpg-controller-manager", "ghcr.io/cloudnative-pg/cloudnative-pg:1.26.0", 1},
		{wDeploy, "cert-manager", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.18.1", 1},
		{wDeploy, "cert-manager", "cert-manager-cainjector", "quay.io/jetstack/cert-manager-cainjector:v1.18.1", 1},
		{wDeploy, "cert-manager", "cert-manager-webhook", "quay.io/jetstack/cert-manager-webhook:v1.18.1", 1},
	}
	if s.cilium {
		ws = append(ws,
			w{wDaemonSet, "kube-system", "cilium", "quay.io/cilium/cilium:v1.17.3", 0},
			w{wDeploy, "kube-system", "cilium-operator", "quay.io/cilium/operator-generic:v1.17.3", 2},
		)
	} else {
		ws = append(ws,
			w{wDaemonSet, "kube-system", "kube-flannel", "ghcr.io/siderolabs/flannel:v0.25.6", 0},
			w{wDaemonSet, "kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v" + s.kubernetes, 0},
			w{wDeploy, "metallb-system", "controller", "quay.io/metallb/controller:v0.14.8", 1},
			w{wDaemonSet, "metallb-system", "speaker", "quay.io/metallb/speaker:v0.14.8", 0},
			w{wDeploy, "contour-external", "contour-external-contour", "docker.io/bitnami/contour:1.30.3", 2},
			w{wDaemonSet, "contour-external", "contour-external-envoy", "docker.io/bitnami/envoy:1.33.2", 0},
			w{wDeploy, "contour-internal", "contour-internal-contour", "docker.io/bitnami/contour:1.30.3", 2},
			w{wDaemonSet, "contour-internal", "contour-internal-envoy", "docker.io/bitnami/envoy:1.33.2", 0},
		)
	}
	switch s.name {
	case FleetHub:
		ws = append(ws,
			w{wDeploy, "argocd", "argocd-server", "quay.io/argoproj/argocd:v3.1.5", 2},
			w{wDeploy, "argocd", "argocd-repo-server", "quay.io/argoproj/argocd:v3.1.5", 2},
			w{wDeploy, "argocd", "argocd-applicationset-controller", "quay.io/argoproj/argocd:v3.1.5", 1},
			w{wDeploy, "argocd", "argocd-dex-server", "ghcr.io/dexidp/dex:v2.43.1", 1},
			w{wDeploy, "argocd", "argocd-redis", "ecr-public.aws.com/docker/library/redis:7.2.8-alpine", 1},
			w{wStatefulSet, "argocd", "argocd-application-controller", "quay.io/argoproj/argocd:v3.1.5", 1},
			w{wDeploy, "nextcloud", "nextcloud", "docker.io/library/nextcloud:31.0.6-apache", 1},
		)
	case FleetProduction:
		ws = append(ws,
			w{wDeploy, "calidum-rotae", "calidum-rotae", "ghcr.io/clubcedille/calidum-rotae-service:2.0.2", 1},
			w{wDeploy, "calidum-rotae", "discord-provider", "ghcr.io/clubcedille/discord-provider:1.0.2", 2},
			w{wDeploy, "calidum-rotae", "email-provider", "ghcr.io/clubcedille/email-provider:1.0.2", 1},
			w{wDeploy, "raconteurs-grav", "raconteurs-grav", "ghcr.io/clubcedille/grav:latest", 1},
		)
	case FleetSandbox:
		ws = append(ws, w{wDeploy, "sandbox", "whoami", "docker.io/traefik/whoami:v1.10.4", 2})
	}
	out := make([]runtime.Object, 0, len(ws))
	for _, x := range ws {
		labels := map[string]string{"app.kubernetes.io/name": x.name}
		meta := metav1.ObjectMeta{Namespace: x.ns, Name: x.name, Labels: labels}
		sel := &metav1.LabelSelector{MatchLabels: labels}
		container := x.name
		if x.name == "cilium" {
			container = "cilium-agent" // the agent's container in Cilium's chart
		}
		tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: container, Image: x.image}}}}
		r := x.replicas
		switch x.kind {
		case wDeploy:
			out = append(out, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: &r, Selector: sel, Template: tmpl}})
		case wStatefulSet:
			out = append(out, &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: &r, Selector: sel, Template: tmpl,
				ServiceName: x.name + "-internal"}})
		case wDaemonSet:
			out = append(out, &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl}})
		}
	}
	return out
}

// fleetDatabasePods are the database's three instances (CloudNativePG's own pods, no StatefulSet), the
// first the primary, over the running workers.
func fleetDatabasePods(s fleetSpec, up []DemoMachine, created time.Time) []runtime.Object {
	ns, name := s.database[0], s.database[1]
	var workers []string
	for _, m := range up {
		if m.Role == RoleWorker {
			workers = append(workers, m.Hostname)
		}
	}
	yes := true
	var out []runtime.Object
	for i := range 3 {
		role := "replica"
		if i == 0 {
			role = "primary"
		}
		t := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"cnpg.io/cluster": name,
			"cnpg.io/instanceRole": role, "cnpg.io/podRole": "instance"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "ghcr.io/cloudnative-pg/postgresql:16.9"}}}}
		p := demoPod(ns, fmt.Sprintf("%s-%d", name, i+1), t, workers[i%len(workers)], created)
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: platform.PGCluster.GVR.GroupVersion().String(),
			Kind: platform.PGCluster.Kind, Name: name, Controller: &yes}}
		out = append(out, p)
	}
	return out
}

// fleetLoadBalancers are the cluster's LoadBalancer Services, each with its address: Contour's envoys
// (MetalLB), or Cilium's Gateway (LB-IPAM, which also says the request is satisfied) — none on the
// sandbox, which has no Gateway (FaultGatewayAPITooNew).
func fleetLoadBalancers(s fleetSpec) []runtime.Object {
	lb := func(ns, name, ip string, conds []metav1.Condition) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: fmt.Sprintf("10.96.%d.%d", 10+len(name)%40, 10+len(ns)),
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}, {Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}}},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: ip}}},
				Conditions: conds}}
	}
	if gatewayAPITooNew(s) {
		return nil
	}
	if s.cilium {
		ok := []metav1.Condition{{Type: "cilium.io/IPAMRequestSatisfied", Status: metav1.ConditionTrue, Reason: "satisfied",
			Message: ""}}
		return []runtime.Object{lb("gateway", "cilium-gateway-cilium-gateway", s.lbAddress, ok)}
	}
	return []runtime.Object{
		lb("contour-external", "contour-external-envoy", s.lbAddress, nil),
		lb("contour-internal", "contour-internal-envoy", internalAddress(s), nil),
	}
}

// internalAddress is the cluster's address on the club's internal VLAN (10.0.21.0/24).
func internalAddress(s fleetSpec) string { return fmt.Sprintf("10.0.21.%d", 200+s.id*2) }

// fleetCeph is Rook's external CephCluster: Connected to the Proxmox hosts' Ceph, HEALTH_OK — or, on
// production-v2, HEALTH_WARN with a monitor down and an OSD nearly full.
func fleetCeph(s fleetSpec, now time.Time) *unstructured.Unstructured {
	const tib = int64(1) << 40
	total, used := 24*tib, 13*tib
	health, previous, details := "HEALTH_OK", "HEALTH_OK", map[string]any{}
	changed := now.Add(-41 * day)
	if s.name == FleetProduction {
		health, changed = "HEALTH_WARN", now.Add(-3*time.Hour-12*time.Minute)
		used = 20 * tib
		details = map[string]any{
			"MON_DOWN":     map[string]any{"severity": "HEALTH_WARN", "message": "1/3 mons down, quorum pve03,pve04"},
			"OSD_NEARFULL": map[string]any{"severity": "HEALTH_WARN", "message": "1 nearfull osd(s)"},
		}
	}
	connected := now.Add(-9 * day)
	return fleetObject(platform.CephCluster, fleetCephNamespace, fleetCephName,
		map[string]any{"external": map[string]any{"enable": true}, "crashCollector": map[string]any{"disable": true},
			"healthCheck": map[string]any{"daemonHealth": map[string]any{"mon": map[string]any{"disabled": false, "interval": "45s"}}}},
		map[string]any{
			"phase": "Connected", "state": "Connected", "message": "Cluster connected successfully",
			"ceph": map[string]any{
				"health": health, "previousHealth": previous, "details": details,
				"lastChecked": rfc3339(now.Add(-40 * time.Second)), "lastChanged": rfc3339(changed),
				"fsid": "b5c6d8a2-3e1f-4a7b-9c0d-2f4e6a8b1c3d",
				"capacity": map[string]any{"bytesTotal": total, "bytesUsed": used, "bytesAvailable": total - used,
					"lastUpdated": rfc3339(now.Add(-40 * time.Second))},
			},
			"conditions": []any{map[string]any{"type": "Connected", "status": "True", "reason": "ClusterConnected",
				"message": "Cluster connected successfully", "lastHeartbeatTime": rfc3339(now.Add(-40 * time.Second)),
				"lastTransitionTime": rfc3339(connected)}},
			"version": map[string]any{"version": "19.2.2-0 squid", "image": "quay.io/ceph/ceph:v19.2.2"},
		})
}

// veleroSchedule is one Velero Schedule of a cluster: its name, cron and namespace.
type veleroSchedule struct{ name, cron, namespace string }

// veleroRunTime is how long one of the demo's backups runs.
const veleroRunTime = 6 * time.Minute

// lastRuns are the starts of a cron's last n runs that had finished by now, oldest first.
func lastRuns(expr string, now time.Time, n int) []time.Time {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil
	}
	var runs []time.Time
	for t := sched.Next(now.Add(-time.Duration(n+2) * day)); !t.After(now.Add(-veleroRunTime)); t = sched.Next(t) {
		runs = append(runs, t)
	}
	if len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	return runs
}

// fleetVelero is the cluster's Velero: its BackupStorageLocation on Backblaze B2 (Available, validated
// a minute ago), its Schedules and the last three Backups of each, Completed — but production-v2's
// newest raconteurs-grav backup, Failed.
func fleetVelero(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	out := []*unstructured.Unstructured{fleetObject(platform.VeleroLocation, "velero", "default",
		map[string]any{"provider": "aws", "default": true,
			"objectStorage": map[string]any{"bucket": "cedille-velero", "prefix": s.name},
			"config":        map[string]any{"region": "ca-east-006", "s3Url": "https://s3.ca-east-006.backblazeb2.com"},
			"credential":    map[string]any{"name": "velero-b2-credentials", "key": "cloud"}},
		map[string]any{"phase": "Available", "lastValidationTime": rfc3339(now.Add(-50 * time.Second)),
			"lastSyncedTime": rfc3339(now.Add(-20 * time.Second))})}
	for _, sc := range s.schedules {
		runs := lastRuns(sc.cron, now, 3)
		status := map[string]any{"phase": "Enabled"}
		if len(runs) > 0 {
			status["lastBackup"] = rfc3339(runs[len(runs)-1])
		}
		u := fleetObject(platform.VeleroSchedule, "velero", sc.name,
			map[string]any{"schedule": sc.cron, "useOwnerReferencesInBackup": false,
				"template": map[string]any{"ttl": "168h0m0s", "includedNamespaces": []any{sc.namespace}, "snapshotVolumes": true,
					"storageLocation": "default"}}, status)
		u.SetCreationTimestamp(metav1.NewTime(now.Add(-200 * day)))
		out = append(out, u)
		for i, start := range runs {
			failed := s.name == FleetProduction && sc.name == failedSchedule && i == len(runs)-1
			out = append(out, veleroBackup(sc, start, failed))
		}
	}
	return out
}

// veleroBackup is one Backup a Schedule took at start: Completed, or Failed as when Velero's server
// restarts in the middle of it.
func veleroBackup(sc veleroSchedule, start time.Time, failed bool) *unstructured.Unstructured {
	status := map[string]any{"phase": "Completed", "version": int64(1), "formatVersion": "1.1.0",
		"startTimestamp": rfc3339(start), "completionTimestamp": rfc3339(start.Add(veleroRunTime)),
		"expiration": rfc3339(start.Add(168 * time.Hour)),
		"progress":   map[string]any{"totalItems": int64(214), "itemsBackedUp": int64(214)}}
	if failed {
		status["phase"] = "Failed"
		status["failureReason"] = `found a backup with status "InProgress" during the server starting, mark it as "Failed"`
		status["progress"] = map[string]any{"totalItems": int64(214), "itemsBackedUp": int64(87)}
		status["completionTimestamp"] = rfc3339(start.Add(veleroRunTime / 2))
	}
	u := fleetObject(platform.VeleroBackup, "velero", sc.name+"-"+start.UTC().Format("20060102150405"),
		map[string]any{"includedNamespaces": []any{sc.namespace}, "snapshotVolumes": true, "storageLocation": "default",
			"ttl": "168h0m0s"}, status)
	u.SetLabels(map[string]string{"velero.io/schedule-name": sc.name, "velero.io/storage-location": "default"})
	u.SetCreationTimestamp(metav1.NewTime(start))
	return u
}

// fleetDatabase is the cluster's CloudNativePG Cluster — healthy, 3/3 ready, archiving its WAL
// continuously, its last backup last night — and that backup.
func fleetDatabase(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	ns, name := s.database[0], s.database[1]
	last := now.Add(-7*time.Hour - 20*time.Minute)
	instances := []any{name + "-1", name + "-2", name + "-3"}
	pg := fleetObject(platform.PGCluster, ns, name,
		map[string]any{"instances": int64(3), "imageName": "ghcr.io/cloudnative-pg/postgresql:16.9",
			"storage": map[string]any{"size": "10Gi", "storageClass": "ceph-rbd"},
			"backup": map[string]any{"retentionPolicy": "30d", "barmanObjectStore": map[string]any{
				"destinationPath": "s3://cedille-cnpg/" + s.name + "/" + name, "endpointURL": "https://s3.ca-east-006.backblazeb2.com"}}},
		map[string]any{
			"phase": "Cluster in healthy state", "instances": int64(3), "readyInstances": int64(3),
			"currentPrimary": name + "-1", "targetPrimary": name + "-1", "instanceNames": instances,
			"instancesStatus":          map[string]any{"healthy": instances},
			"firstRecoverabilityPoint": rfc3339(now.Add(-30 * day)), "lastSuccessfulBackup": rfc3339(last),
			"lastArchivedWAL": "00000001000000A2000000F3", "lastArchivedWALTime": rfc3339(now.Add(-4 * time.Minute)),
			"conditions": []any{
				condition("Ready", "True", "ClusterIsReady", "Cluster is Ready", now.Add(-9*day)),
				condition("ContinuousArchiving", "True", "ContinuousArchivingSuccess", "Continuous archiving is working", now.Add(-9*day)),
				condition("LastBackupSucceeded", "True", "LastBackupSucceeded", "Backup was successful", last),
			},
		})
	backup := fleetObject(platform.PGBackup, ns, name+"-"+last.UTC().Format("20060102150405"),
		map[string]any{"cluster": map[string]any{"name": name}, "method": "barmanObjectStore"},
		map[string]any{"phase": "completed", "startedAt": rfc3339(last.Add(-3 * time.Minute)), "stoppedAt": rfc3339(last),
			"backupId": last.UTC().Format("20060102T150405"), "destinationPath": "s3://cedille-cnpg/" + s.name + "/" + name})
	backup.SetCreationTimestamp(metav1.NewTime(last.Add(-3 * time.Minute)))
	return []*unstructured.Unstructured{pg, backup}
}

// vaultSecret is one VaultStaticSecret of a cluster, the VaultAuth it logs in with being <namespace>-auth.
type vaultSecret struct{ namespace, name, path string }

// fleetVaultSecrets are vault-secrets-operator's objects: a valid VaultAuth per namespace (kubernetes
// auth, role secret-reader, audience vault) and the VaultStaticSecrets, synced lately and refreshed every
// hour — but sandbox's garagehq-credentials, with no refreshAfter, synced once months ago.
func fleetVaultSecrets(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	var auths []string
	for _, vs := range s.secrets {
		auth := vs.namespace + "-auth"
		if !slices.Contains(auths, auth) {
			auths = append(auths, auth)
			out = append(out, fleetObject(platform.VSOVaultAuth, vs.namespace, auth,
				map[string]any{"method": "kubernetes", "mount": "kubernetes",
					"kubernetes": map[string]any{"role": "secret-reader", "serviceAccount": "default", "audiences": []any{"vault"}}},
				map[string]any{"valid": true, "error": "", "specHash": hashName(s.name+"/"+auth, 16)}))
		}
		stale := s.name == FleetSandbox && vs.name == staleSecret
		spec := map[string]any{"vaultAuthRef": auth, "type": "kv-v2", "mount": "kv", "path": vs.path, "refreshAfter": "1h",
			"destination": map[string]any{"name": vs.name, "create": true}}
		synced := now.Add(-23 * time.Minute)
		if stale {
			delete(spec, "refreshAfter")
			spec["type"], spec["mount"] = "kv-v1", "kv-system"
			synced = now.Add(-staleSyncDays * day)
		}
		out = append(out, fleetObject(platform.VSOStaticSecret, vs.namespace, vs.name, spec, map[string]any{
			"lastGeneration": int64(1), "secretMAC": hashName(s.name+"/"+vs.name+"/mac", 43) + "=",
			"conditions": []any{
				condition("SecretSynced", "True", "SecretSynced", "Secret synced", synced),
				condition("Healthy", "True", "SecretSynced", "Secret synced", synced),
				condition("Ready", "True", "SecretSynced", "Secret synced", synced),
			}}))
	}
	return out
}

// fleetVaultConfig are vault-config-operator's objects of the cluster's Vault (PLATFORM.md §3.2): the
// policies, the roles vault-secrets-operator logs in with (audience vault) and the KV mounts, each
// reconciled.
func fleetVaultConfig(now time.Time) []*unstructured.Unstructured {
	auth := map[string]any{"path": "kubernetes", "role": "config-admin"}
	ok := map[string]any{"conditions": []any{condition("ReconcileSuccessful", "True", "LastReconcileCycleSucceded", "", now.Add(-time.Hour))}}
	role := func(name, policy string) *unstructured.Unstructured {
		return fleetObject(platform.VaultAuthRole, "vault", name, map[string]any{"authentication": auth, "path": "kubernetes",
			"policies": []any{policy}, "audience": "vault", "targetServiceAccounts": []any{"*"},
			"targetNamespaces": map[string]any{"targetNamespaces": []any{"*"}}}, ok)
	}
	mount := func(name, typ string) *unstructured.Unstructured {
		return fleetObject(platform.VaultMount, "vault", name, map[string]any{"authentication": auth, "type": typ, "path": ""}, ok)
	}
	return []*unstructured.Unstructured{
		fleetObject(platform.VaultPolicy, "vault", "secret-reader", map[string]any{"authentication": auth,
			"policy": `path "kv/data/*" { capabilities = ["read"] }`}, ok),
		role("secret-reader", "secret-reader"), role("secret-writer", "secret-writer"),
		mount("kv", "kv-v2"), mount("kv-system", "kv"),
	}
}

// fleetPools are the cluster's LoadBalancer address pools: MetalLB 0.14's (no status), or Cilium
// LB-IPAM's with their counts in the conditions' messages.
func fleetPools(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	if !s.cilium {
		return []*unstructured.Unstructured{
			fleetObject(platform.MetalLBPool, "metallb-system", "external-ip",
				map[string]any{"addresses": []any{s.lbAddress + "/32"}, "autoAssign": false}, nil),
			fleetObject(platform.MetalLBPool, "metallb-system", "internal-ip",
				map[string]any{"addresses": []any{internalAddress(s) + "/32"}, "autoAssign": false}, nil),
		}
	}
	pool := func(name string, blocks []any, total, used int) *unstructured.Unstructured {
		since := now.Add(-9 * day)
		count := func(typ string, n int) map[string]any {
			return condition(typ, "Unknown", "noreason", fmt.Sprint(n), since)
		}
		return fleetObject(platform.CiliumLBPool, "", name, map[string]any{"blocks": blocks},
			map[string]any{"conditions": []any{
				condition("cilium.io/PoolConflict", "False", "resolved", "", since),
				count("cilium.io/IPsTotal", total), count("cilium.io/IPsAvailable", total-used), count("cilium.io/IPsUsed", used),
			}})
	}
	used := 1 // the Gateway's Service
	if gatewayAPITooNew(s) {
		used = 0
	}
	return []*unstructured.Unstructured{
		pool("public-pool", []any{map[string]any{"cidr": s.lbAddress + "/32"}}, 1, used),
		pool("internal-pool", []any{map[string]any{"start": "10.0.21.230", "stop": "10.0.21.239"}}, 10, 0),
	}
}

// fleetCertificates are cert-manager's Certificates of the cluster, Ready, renewed on time.
func fleetCertificates(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	type cert struct {
		ns, name, host string
		days           int
	}
	domain := strings.TrimPrefix(strings.TrimPrefix(s.name, "k8s-"), "cedille-")
	certs := []cert{{"vault", "vault-tls", "vault." + domain + ".etsmtl.club", 52}}
	switch s.name {
	case FleetHub:
		certs = []cert{{"vault", "vault-tls", "vault.etsmtl.club", 52}, {"argocd", "argocd-server-tls", "argocd.etsmtl.club", 67},
			{"nextcloud", "nextcloud-tls", "nextcloud.etsmtl.club", 38}}
	case FleetProduction:
		certs = append(certs, cert{"calidum-rotae", "calidum-rotae-tls", "calidum-rotae.prodv2.cedille.club", 44},
			cert{"raconteurs-grav", "raconteurs-grav-tls", "raconteurs.prodv2.cedille.club", 71})
	case FleetSandbox:
		certs = append(certs, cert{"sandbox", "whoami-tls", "whoami.sandbox.etsmtl.club", 80})
	}
	out := make([]*unstructured.Unstructured, 0, len(certs))
	for _, c := range certs {
		notAfter := now.Add(time.Duration(c.days) * day)
		out = append(out, fleetObject(platform.CertManagerCert, c.ns, c.name,
			map[string]any{"secretName": c.name, "dnsNames": []any{c.host},
				"issuerRef": map[string]any{"name": "letsencrypt-http", "kind": "ClusterIssuer"}},
			map[string]any{"notBefore": rfc3339(notAfter.Add(-90 * day)), "notAfter": rfc3339(notAfter),
				"renewalTime": rfc3339(notAfter.Add(-30 * day)),
				"conditions": []any{condition("Ready", "True", "Ready", "Certificate is up to date and has not expired",
					notAfter.Add(-90*day))}}))
	}
	return out
}

// fleetGateway is Cilium's Gateway API: its GatewayClass accepted and the Gateway programmed. On the
// sandbox (FaultGatewayAPITooNew, PLATFORM.md §6's KF case) Cilium 1.17 cannot write the status of
// Gateway API v1.6.0's GatewayClass: it keeps the CRD's default, Accepted=Unknown since 1970-01-01, and
// there is no Gateway.
func fleetGateway(s fleetSpec, now time.Time) []*unstructured.Unstructured {
	since := now.Add(-9 * day)
	spec := map[string]any{"controllerName": "io.cilium/gateway-controller"}
	if gatewayAPITooNew(s) {
		return []*unstructured.Unstructured{fleetObject(platform.GatewayClass, "", ciliumGatewayClass, spec,
			map[string]any{"conditions": []any{condition("Accepted", "Unknown", "Pending", "Waiting for controller", time.Unix(0, 0))}})}
	}
	return []*unstructured.Unstructured{
		fleetObject(platform.GatewayClass, "", ciliumGatewayClass, spec,
			map[string]any{"conditions": []any{condition("Accepted", "True", "Accepted", "Valid GatewayClass", since)}}),
		fleetObject(platform.Gateway, "gateway", "cilium-gateway",
			map[string]any{"gatewayClassName": ciliumGatewayClass,
				"listeners": []any{map[string]any{"name": "https", "port": int64(443), "protocol": "HTTPS", "hostname": "*.sandbox.etsmtl.club"}}},
			map[string]any{"conditions": []any{condition("Accepted", "True", "Accepted", "Gateway successfully scheduled", since),
				condition("Programmed", "True", "Programmed", "Gateway successfully reconciled", since)}}),
	}
}
