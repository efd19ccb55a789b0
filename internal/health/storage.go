package health

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The o.Unavailable keys the storage layer depends on.
const (
	ResourceDiskPools      = "diskpools.openebs.io"
	ResourcePVCs           = "persistentvolumeclaims"
	ResourceStorageClasses = "storageclasses.storage.k8s.io"
)

// The platform's Mayastor StorageClass (PLATFORM.md §2.3) and what it must say.
const (
	mayastorClass       = "mayastor"
	mayastorProvisioner = "io.openebs.csi-mayastor"
	defaultClassAnn     = "storageclass.kubernetes.io/is-default-class"
	defaultClassAnnBeta = "storageclass.beta.kubernetes.io/is-default-class"
	selectedNodeAnn     = "volume.kubernetes.io/selected-node"
)

// Thresholds of the storage rules.
const (
	// poolFullPct makes a pool Degraded: Mayastor volumes are thick-provisioned, so a pool this full
	// cannot take another replica of a typical volume.
	poolFullPct = 90
	// poolWarnPct is noted in an OK pool's reason (with a hint) without changing its status.
	poolWarnPct = 80
	// storagePatience is how long a DiskPool may stay Creating, or a claim Pending, before it is
	// called stuck rather than in progress.
	storagePatience = 10 * time.Minute
)

// Storage builds the storage layer: one finding per Mayastor DiskPool, per PersistentVolumeClaim, and one
// for the `mayastor` StorageClass (PLATFORM.md §2.3). On an era-2 cluster that does not serve DiskPools
// the Mayastor findings (its CRD, its class) are left out: that era's storage is Rook's, one finding per
// CephCluster (CephCluster) and per Ceph CSI node plugin DaemonSet left stale by its connection
// (StaleCSIPlugins).
//
// Mapping:
//   - DiskPool: Faulted → Down; being deleted (deletionTimestamp or cr_state Terminating) → Degraded;
//     Degraded → Degraded (runbook pool-degraded); Creating → Unknown, Degraded once older than 10 minutes;
//     pool_status Unknown or absent → Unknown; Online → OK with "N% of X TiB used", Degraded "almost full"
//     from 90% used. From 80% the OK reason says so and a hint asks for capacity planning, but the status
//     stays OK: nothing is failing yet, and Degraded must mean "act now".
//   - PVC: Bound → OK; Lost → Down (in era 2 the hint restores its namespace with Velero); Pending →
//     Degraded whatever its age (it blocks one workload, which the workload's own finding reports; Down
//     is kept for lost data), the hint saying "stuck" after 10 minutes; Pending on a
//     WaitForFirstConsumer class (local-hostpath) with no selected node → OK, it waits for its pod; no
//     phase → Unknown; being deleted → at least Degraded.
//   - StorageClass mayastor: absent → Down when the DiskPool CRD is served (claims without a class rely on
//     it), Unknown when it is not (no Mayastor on this cluster; era 2 has no such finding); not default, or another class
//     default too → Degraded; provisioner other than io.openebs.csi-mayastor, repl absent, 1 or invalid →
//     Degraded; fewer nodes with an Online pool than repl → Degraded (replicas go to distinct nodes), none
//     at all → Down. Problems add up in one reason.
//
// A kind in o.Unavailable adds an Unknown finding (CRD/… or API/…); whatever objects of it the source
// still holds are judged all the same, but its absence proves nothing (no "absent" or count verdicts).
// The whole layer is O(n) in pools, claims and classes (thousands of claims on big clusters).
func Storage(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.DiskPools)+len(o.PVCs)+4)

	// An era-2 cluster without DiskPools has no Mayastor to miss: its storage is Rook's (ceph.go).
	mayastor := EraOf(o) != Era2 || o.Serves[ResourceDiskPools]
	poolsErr := o.Missing(ResourceDiskPools)
	if poolsErr != nil && mayastor {
		fs = append(fs, MissingFinding("CRD/"+ResourceDiskPools, poolsErr,
			"Mayastor's DiskPool CRD is absent or not readable: install Mayastor or grant list on diskpools.openebs.io"))
	}
	onlineNodes := map[string]bool{}
	for _, p := range o.DiskPools {
		if p == nil {
			continue
		}
		fs = append(fs, DiskPool(p, o.Now))
		if poolOnline(p) {
			node := Str(p, "spec", "node")
			if node == "" {
				node = "pool " + p.GetName()
			}
			onlineNodes[node] = true
		}
	}

	classesErr := o.Missing(ResourceStorageClasses)
	var classes map[string]*storagev1.StorageClass
	if classesErr != nil {
		fs = append(fs, MissingFinding("API/"+ResourceStorageClasses, classesErr,
			"grant list on storageclasses to the console's user"))
	} else {
		classes = make(map[string]*storagev1.StorageClass, len(o.StorageClasses))
		for _, sc := range o.StorageClasses {
			if sc != nil {
				classes[sc.Name] = sc
			}
		}
		pools := -1 // unknown
		if poolsErr == nil {
			pools = len(onlineNodes)
		}
		if mayastor {
			fs = append(fs, mayastorClassFinding(o.StorageClasses, pools, poolsErr != nil))
		}
	}

	fs = append(fs, unreadable(o, ResourceCephClusters, "Rook's CephClusters")...)
	for _, u := range o.CephClusters {
		if u != nil {
			fs = append(fs, CephCluster(u, o.Now))
		}
	}
	fs = append(fs, StaleCSIPlugins(o)...)

	if err := o.Missing(ResourcePVCs); err != nil {
		fs = append(fs, MissingFinding("API/"+ResourcePVCs, err,
			"grant list on persistentvolumeclaims to the console's user"))
	}
	def := defaultClassName(o.StorageClasses)
	for _, c := range o.PVCs {
		if c == nil {
			continue
		}
		f := PVC(c, classes, def, o.Now)
		if !mayastor && c.Status.Phase == corev1.ClaimLost {
			f.Hint = "the data is unreachable: restore its namespace from Velero (velero restore create --from-schedule SCHEDULE --include-namespaces " +
				c.Namespace + "), then recreate the claim"
		}
		fs = append(fs, f)
	}
	return NewLayer(LayerStorage, fs)
}

// DiskPool judges one openebs.io/v1beta1 DiskPool from status.cr_state, status.pool_status and its
// capacity/used bytes (ints, floats or numeric strings). A pool being deleted is Degraded whatever its
// state, unless Faulted. The object name has no namespace when the object has none (the era-1 manifest
// gave only the first pool one).
func DiskPool(p *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("DiskPool", p)}
	crState, poolStatus := Str(p, "status", "cr_state"), Str(p, "status", "pool_status")
	where := poolLocation(p)
	switch {
	case strings.EqualFold(poolStatus, "Faulted"):
		f.Status, f.Reason = Down, "Faulted: the pool cannot serve its replicas"
		f.Hint = "the disk " + where + " failed or vanished: check it (talosctl disks) and the io-engine pod there; runbook: " + RunbookPoolDegraded
		f.demo = demoElsewhere
	case p.GetDeletionTimestamp() != nil || strings.EqualFold(crState, "Terminating"):
		f.Status, f.Reason = Degraded, "being deleted"+poolStatusNote(poolStatus)
		f.Hint = "the pool " + where + " is going away with its replicas: if unintended, check that its volumes have healthy replicas elsewhere; runbook: " + RunbookPoolDegraded
	case strings.EqualFold(poolStatus, "Degraded"):
		f.Status, f.Reason = Degraded, "Degraded"+poolUsage(p)
		f.Hint = "the disk " + where + " reports errors: check it before it faults; runbook: " + RunbookPoolDegraded
		f.demo = demoPoolBack
	case strings.EqualFold(crState, "Creating"):
		created := p.GetCreationTimestamp().Time
		if age := now.Sub(created); !created.IsZero() && age >= storagePatience {
			f.Status, f.Reason = Degraded, "still Creating after "+units.Duration(age)
			f.Hint = "the io-engine cannot import the disk " + where + ": check the disk path and the io-engine pod's logs"
		} else {
			f.Status, f.Reason = Unknown, "Creating: the pool is being imported"
			f.Hint = "wait for cr_state Created"
		}
	case poolStatus == "" || strings.EqualFold(poolStatus, "Unknown"):
		f.Status, f.Reason = Unknown, "pool state Unknown"
		if poolStatus == "" {
			f.Reason = "no pool status reported yet"
		}
		f.Hint = "the control plane cannot reach the io-engine " + where + ": check that node and its io-engine pod"
	case strings.EqualFold(poolStatus, "Online"):
		pct, ok := poolUsedPct(p)
		switch {
		case ok && pct >= poolFullPct:
			f.Status, f.Reason = Degraded, "Online but almost full"+poolUsage(p)
			f.Hint = "new replicas will not fit: free space, or add a disk as a new DiskPool; runbook: " + RunbookPoolDegraded
		default:
			f.Status, f.Reason = OK, "Online"+poolUsage(p)
			if ok && pct >= poolWarnPct {
				f.Reason += fmt.Sprintf(" (over %d%%)", poolWarnPct)
				f.Hint = "plan capacity: add a disk as a new DiskPool before it is full"
			}
		}
		if !strings.EqualFold(crState, "Created") && crState != "" {
			f.Reason += ", cr_state " + crState
		}
	default:
		f.Status, f.Reason = Unknown, "unrecognised pool status "+strconv.Quote(poolStatus)
		f.Hint = "read the pool with kubectl mayastor get pools"
		f.demo = demoElsewhere
	}
	return f
}

// unreadable is the Unknown finding of a custom resource the cluster serves but the console cannot read,
// none otherwise (a kind not served has nothing to say); what names the kind in the hint.
func unreadable(o Objects, resource, what string) []Finding {
	if err := o.Missing(resource); err != nil && o.Serves[resource] {
		return []Finding{MissingFinding("CRD/"+resource, err, what+" cannot be read: grant list and watch on "+resource)}
	}
	return nil
}

// poolOnline says whether a pool can take new replicas: Online and not being deleted.
func poolOnline(p *unstructured.Unstructured) bool {
	return strings.EqualFold(Str(p, "status", "pool_status"), "Online") && p.GetDeletionTimestamp() == nil &&
		!strings.EqualFold(Str(p, "status", "cr_state"), "Terminating")
}

// PVC judges one PersistentVolumeClaim. A claim of a WaitForFirstConsumer class (local-hostpath) with no
// selected node is waiting for its pod, which is normal; any other Pending claim is Degraded however
// old it is (it blocks its workload, not the storage of others), with a hint that says when it is stuck.
// classes may be nil (StorageClasses unreadable); def is the default class name ("" if none).
func PVC(c *corev1.PersistentVolumeClaim, classes map[string]*storagev1.StorageClass, def string, now time.Time) Finding {
	f := Finding{Object: ObjectName("PVC", c)}
	class := def
	if c.Spec.StorageClassName != nil {
		class = *c.Spec.StorageClassName
	}
	switch c.Status.Phase {
	case corev1.ClaimLost:
		f.Status, f.Reason = Down, "Lost: its PersistentVolume "+orNone(c.Spec.VolumeName)+" is gone"
		f.Hint = "the data is unreachable: restore it from a backup (era 1 has no Mayastor backups), then recreate the claim"
	case corev1.ClaimPending:
		age := now.Sub(c.CreationTimestamp.Time)
		if sc := classes[class]; sc != nil && sc.VolumeBindingMode != nil &&
			*sc.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer && c.Annotations[selectedNodeAnn] == "" {
			f.Status, f.Reason = OK, "Pending until a pod uses it (class "+class+" binds on first consumer)"
			return f
		}
		f.Status, f.Reason = Degraded, "Pending"
		if !c.CreationTimestamp.IsZero() {
			f.Reason += " for " + units.Duration(age)
		}
		if class != "" {
			f.Reason += ", class " + class
		}
		switch {
		case class == "":
			f.Hint = "no class and no default class: set storageClassName, or bind a PersistentVolume by hand"
		case classes != nil && classes[class] == nil:
			f.Hint = "StorageClass " + class + " does not exist: fix storageClassName"
		case !c.CreationTimestamp.IsZero() && age >= storagePatience:
			f.Hint = "provisioning is stuck: read the claim's events (kubectl describe pvc); for mayastor check the DiskPools' space and Online count"
			f.demo = demoElsewhere
		default:
			f.Hint = "provisioning in progress; read the claim's events if it lasts"
		}
	case corev1.ClaimBound:
		f.Status, f.Reason = OK, "Bound"
		if q, ok := c.Status.Capacity[corev1.ResourceStorage]; ok {
			f.Reason += ", " + q.String()
		}
		if class != "" {
			f.Reason += ", class " + class
		}
	default:
		f.Status, f.Reason = Unknown, "no phase reported yet"
		f.Hint = "wait for the volume controller; if it lasts, check kube-controller-manager"
	}
	if c.DeletionTimestamp != nil && f.Status < Degraded {
		f.Status, f.Reason = Degraded, f.Reason+"; being deleted"
		if len(c.Finalizers) > 0 {
			f.Reason += ", held by " + strings.Join(c.Finalizers, ", ")
		}
		f.Hint = "a pod still uses it: delete or move that pod to let the deletion finish"
	}
	return f
}

// mayastorClassFinding judges the `mayastor` StorageClass. onlineNodes is the number of nodes with an
// Online pool (-1 when DiskPools are unreadable); noMayastor says the DiskPool CRD is not served.
// Absence is Down when Mayastor is installed (the platform's claims rely on it as the default class),
// Unknown when the DiskPool CRD is absent too (this cluster does not run Mayastor, e.g. era 2).
func mayastorClassFinding(classes []*storagev1.StorageClass, onlineNodes int, noMayastor bool) Finding {
	f := Finding{Object: "StorageClass/" + mayastorClass}
	var sc *storagev1.StorageClass
	var otherDefaults []string
	for _, c := range classes {
		if c == nil {
			continue
		}
		if c.Name == mayastorClass {
			sc = c
		} else if isDefaultClass(c) {
			otherDefaults = append(otherDefaults, c.Name)
		}
	}
	if sc == nil {
		if noMayastor {
			f.Status, f.Reason = Unknown, "absent, and no DiskPool CRD: Mayastor does not seem installed"
			f.Hint = "expected on a Mayastor cluster (era 1); elsewhere ignore the storage layer's Mayastor findings"
			return f
		}
		f.Status, f.Reason = Down, "absent: claims without a class, or naming mayastor, cannot be provisioned"
		f.Hint = "re-apply it: provisioner " + mayastorProvisioner + `, repl "2", protocol nvmf, default class`
		return f
	}

	status := OK
	var problems, hints []string
	note := func(s Status, problem, hint string) {
		status = Worst(status, s)
		problems = append(problems, problem)
		if hint != "" {
			hints = append(hints, hint)
		}
	}
	if sc.Provisioner != mayastorProvisioner {
		note(Degraded, "provisioner "+strconv.Quote(sc.Provisioner)+", want "+mayastorProvisioner,
			"recreate the class with provisioner "+mayastorProvisioner+" (a class's provisioner cannot be changed)")
	}
	repl := 1 // Mayastor's default when the parameter is unset
	switch r, ok := sc.Parameters["repl"]; {
	case !ok:
		note(Degraded, "no repl parameter: volumes get one replica", `recreate the class with repl "2"`)
	default:
		n, err := strconv.Atoi(strings.TrimSpace(r))
		switch {
		case err != nil || n < 1:
			note(Degraded, "invalid repl "+strconv.Quote(r), `recreate the class with repl "2"`)
		case n == 1:
			note(Degraded, "repl 1: one disk failure loses a volume's data", `recreate the class with repl "2"`)
		default:
			repl = n
		}
	}
	switch {
	case !isDefaultClass(sc) && len(otherDefaults) > 0:
		note(Degraded, "not the default class ("+strings.Join(otherDefaults, ", ")+" is)",
			"move the default: annotate mayastor "+defaultClassAnn+`="true" and remove it from `+strings.Join(otherDefaults, ", "))
	case !isDefaultClass(sc):
		note(Degraded, "not the default class: claims without storageClassName stay Pending",
			"annotate it "+defaultClassAnn+`="true"`)
	case len(otherDefaults) > 0:
		note(Degraded, "two default classes (also "+strings.Join(otherDefaults, ", ")+"): new claims may land on either",
			"remove "+defaultClassAnn+" from "+strings.Join(otherDefaults, ", "))
	}
	switch {
	case onlineNodes == 0:
		note(Down, "no Online DiskPool: no volume can be placed", "bring the pools back Online; runbook: "+RunbookPoolDegraded)
	case onlineNodes > 0 && onlineNodes < repl:
		note(Degraded, fmt.Sprintf("repl %d but only %d node(s) with an Online pool: new volumes cannot be placed", repl, onlineNodes),
			"bring the pools back Online; runbook: "+RunbookPoolDegraded)
	}

	f.Status = status
	if status == OK {
		f.Reason = fmt.Sprintf("default class, %s, repl %d", mayastorProvisioner, repl)
		if p := sc.Parameters["protocol"]; p != "" {
			f.Reason += ", " + p
		}
		if onlineNodes > 0 {
			f.Reason += fmt.Sprintf(", Online pools on %d node(s)", onlineNodes)
		}
		return f
	}
	f.Reason = strings.Join(problems, "; ")
	f.Hint = strings.Join(hints, "; ")
	return f
}

// isDefaultClass reads the default-class annotation (GA or beta spelling, as Kubernetes does).
func isDefaultClass(sc *storagev1.StorageClass) bool {
	return sc.Annotations[defaultClassAnn] == "true" || sc.Annotations[defaultClassAnnBeta] == "true"
}

// defaultClassName is the class a claim without storageClassName gets; with several defaults Kubernetes
// picks the newest.
func defaultClassName(classes []*storagev1.StorageClass) string {
	var def *storagev1.StorageClass
	for _, c := range classes {
		if c != nil && isDefaultClass(c) && (def == nil || def.CreationTimestamp.Before(&c.CreationTimestamp)) {
			def = c
		}
	}
	if def == nil {
		return ""
	}
	return def.Name
}

// poolUsedPct is used/capacity in percent; used falls back to capacity-available.
func poolUsedPct(p *unstructured.Unstructured) (float64, bool) {
	capacity, ok := Num(p, "status", "capacity")
	if !ok || capacity <= 0 {
		return 0, false
	}
	used, ok := Num(p, "status", "used")
	if !ok {
		avail, ok := Num(p, "status", "available")
		if !ok {
			return 0, false
		}
		used = capacity - avail
	}
	return 100 * used / capacity, true
}

// poolUsage is ", 21% of 2.7 TiB used" (or "" when capacity is not reported).
func poolUsage(p *unstructured.Unstructured) string {
	pct, ok := poolUsedPct(p)
	if !ok {
		return ", capacity not reported"
	}
	capacity, _ := Num(p, "status", "capacity")
	return fmt.Sprintf(", %d%% of %s used", int(math.Floor(pct)), units.Binary(uint64(capacity)))
}

func poolStatusNote(s string) string {
	if s == "" || strings.EqualFold(s, "Unknown") {
		return ""
	}
	return " (pool " + s + ")"
}

// poolLocation is "on worker-2 (/dev/disk/by-id/…)" from spec.node and spec.disks.
func poolLocation(p *unstructured.Unstructured) string {
	where := "on " + orNone(Str(p, "spec", "node"))
	if disks, _, _ := unstructured.NestedStringSlice(p.Object, "spec", "disks"); len(disks) > 0 {
		where += " (" + strings.Join(disks, ", ") + ")"
	}
	return where
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
