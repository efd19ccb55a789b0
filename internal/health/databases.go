package health

import (
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The era-2 database rules (CloudNativePG, postgresql.cnpg.io/v1): each judges one object, pure, from
// what the operator writes in its status (cloudnative-pg api/v1 cluster_types.go, backup_types.go).

// cnpgHealthy is the phase of a Cluster with nothing to do.
const cnpgHealthy = "Cluster in healthy state"

// cnpgHibernation is the annotation that stops every instance of a Cluster on purpose.
const cnpgHibernation = "cnpg.io/hibernation"

// cnpgStuckPhases are (lowercase fragments of) the phases in which CloudNativePG has given up until a
// person acts: unrecoverable (both spellings across versions), plugins, image catalog, architecture
// binary, objects it cannot create.
var cnpgStuckPhases = []string{"unrecoverable", "cannot proceed", "cannot execute", "unable to create", "invalid image catalog"}

// cnpgTroublePhases are the phases that are trouble without being the end: a person must act, or a
// primary was lost.
var cnpgTroublePhases = []string{"Waiting for user action", "Failing over"}

// Databases builds the databases layer (era 2): one finding per CloudNativePG Cluster (PGCluster). The
// Cluster kind served but not readable is an Unknown finding; not served, the layer is not shown.
func Databases(o Objects) LayerReport {
	fs := unreadable(o, ResourcePGClusters, "CloudNativePG's Clusters")
	for _, u := range o.PGClusters {
		if u != nil {
			fs = append(fs, PGCluster(u, o.Now))
		}
	}
	return NewLayer(LayerDatabases, fs)
}

// PGCluster judges a postgresql.cnpg.io/v1 Cluster: "Cluster in healthy state" with every instance ready
// is OK ("3/3 ready, primary pg-1"); fewer ready is Degraded, none Down (none for less than ten minutes
// since its creation is Unknown: it is being set up); a phase in which CloudNativePG gave up
// (unrecoverable, plugin or image catalog errors, objects it cannot create) is Down, "Waiting for user
// action" and "Failing over" at least Degraded, with the phase and its phaseReason; other phases
// (upgrades, new replicas, restarts) are judged by readiness alone. Ready=False adds its message and
// makes it at least Degraded. A hibernated Cluster (annotation cnpg.io/hibernation=on) is OK. The
// wanted instances are spec.instances (status.instances counts the PVC groups it has).
func PGCluster(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Cluster", u)}
	status := cnpgStatusHint(u)
	if u.GetAnnotations()[cnpgHibernation] == "on" {
		f.Status, f.Reason = OK, "hibernated ("+cnpgHibernation+"=on): no instance runs"
		return f
	}
	phase := Str(u, "status", "phase")
	if phase == "" {
		f.Status, f.Reason = Unknown, "no status yet: the CloudNativePG operator has not reconciled it"
		f.Hint = "check the operator's pod and logs in cnpg-system; " + status
		return f
	}
	want, ok := Num(u, "spec", "instances")
	if !ok {
		want, _ = Num(u, "status", "instances")
	}
	ready, _ := Num(u, "status", "readyInstances")
	counts := fmt.Sprintf("%d/%d ready", int(ready), int(want))
	if p := Str(u, "status", "currentPrimary"); p != "" {
		counts += ", primary " + p
		if t := Str(u, "status", "targetPrimary"); t != "" && t != p {
			counts += " (moving to " + t + ")"
		}
	}

	st := OK
	var hints []string
	switch {
	case ready <= 0:
		st = Down
		created := u.GetCreationTimestamp().Time
		if phase != cnpgHealthy && !created.IsZero() && now.Sub(created) < storagePatience {
			st = Unknown
		}
	case ready < want:
		st = Degraded
	}
	if st == Down || st == Degraded {
		hints = append(hints, status, "instances in CrashLoopBackOff after a power loss: runbook "+RunbookColdStart)
	}
	reason := counts
	if phase != cnpgHealthy {
		reason = phase
		if why := oneLine(Str(u, "status", "phaseReason")); why != "" && why != phase {
			reason += " (" + why + ")"
		}
		reason += ": " + counts
		lower := strings.ToLower(phase)
		switch {
		case containsAny(lower, cnpgStuckPhases):
			st = Down
			hints = append([]string{"CloudNativePG needs a person: " + status + ", then the operator's logs in cnpg-system"}, hints...)
		case containsAny(phase, cnpgTroublePhases):
			st = Worst(st, Degraded)
			hints = append([]string{status + " says what it waits for"}, hints...)
		case st == Unknown:
			hints = append(hints, "being set up: wait, or "+status)
		}
	}
	if c, ok := FindCondition(Conditions(u), "Ready"); ok && c.Status == "False" {
		st = Worst(st, Degraded)
		if msg := oneLine(c.Message); msg != "" && msg != phase {
			reason += "; not Ready: " + msg
		}
		hints = append(hints, status)
	}
	f.Status, f.Reason, f.Hint = st, reason, strings.Join(dedupe(hints), "; ")
	return f
}

// cnpgStatusHint is the cnpg kubectl plugin's report on a Cluster.
func cnpgStatusHint(u *unstructured.Unstructured) string {
	return "kubectl cnpg status " + u.GetName() + " -n " + u.GetNamespace()
}

// containsAny tells whether s contains one of the fragments.
func containsAny(s string, fragments []string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// PGBackupFindings are CloudNativePG's backups, for the backups layer: one finding per Cluster with
// backups configured (spec.backup, PGArchiving) and one for the newest Backup of each Cluster
// (PGBackup; older ones are history). Clusters or Backups served but not readable are Unknown findings.
func PGBackupFindings(o Objects) []Finding {
	fs := append(unreadable(o, ResourcePGClusters, "CloudNativePG's Clusters (their WAL archiving)"),
		unreadable(o, ResourcePGBackups, "CloudNativePG's Backups")...)
	for _, u := range o.PGClusters {
		if u == nil {
			continue
		}
		if b, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "backup"); ok && b != nil {
			fs = append(fs, PGArchiving(u, o.Now))
		}
	}
	for _, u := range LatestPGBackups(o.PGBackups) {
		fs = append(fs, PGBackup(u, o.Now))
	}
	return fs
}

// PGArchiving judges a CloudNativePG Cluster's backups from its conditions: ContinuousArchiving False
// is Down (WAL is not archived: the point-in-time recovery the club counts on is gone) with its
// message; LastBackupSucceeded False is Down with its message; ContinuousArchiving not reported yet on
// a Cluster that archives to an object store (spec.backup.barmanObjectStore) is Unknown. The age of
// status.lastSuccessfulBackup is said when there is one. No ScheduledBackup is read: a schedule's
// period is not judged here.
func PGArchiving(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Cluster", u)}
	cs := Conditions(u)
	st := OK
	var parts, hints []string
	archives, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "backup", "barmanObjectStore")
	switch c, ok := FindCondition(cs, "ContinuousArchiving"); {
	case ok && c.Status == "False":
		st = Down
		parts = append(parts, withMessage("WAL not archived, point-in-time recovery lost", c.Message))
		hints = append(hints, "check the object store of spec.backup (bucket, endpoint, credentials Secret) and "+cnpgStatusHint(u))
	case ok && c.Status == "True":
		parts = append(parts, "WAL archived")
	case archives != nil:
		st = Unknown
		parts = append(parts, "WAL archiving not reported yet")
		hints = append(hints, cnpgStatusHint(u))
	}
	if c, ok := FindCondition(cs, "LastBackupSucceeded"); ok && c.Status == "False" {
		st = Down
		parts = append(parts, withMessage("last backup failed", c.Message))
		hints = append(hints, "read the failed Backup (kubectl -n "+u.GetNamespace()+" describe backups.postgresql.cnpg.io) and "+cnpgStatusHint(u))
	}
	if t, ok := parseTime(Str(u, "status", "lastSuccessfulBackup")); ok {
		parts = append(parts, "last successful backup "+units.Duration(now.Sub(t))+" ago")
	} else if len(parts) == 0 {
		parts = append(parts, "backups configured, none taken yet")
	}
	f.Status, f.Reason, f.Hint = st, strings.Join(parts, "; "), strings.Join(dedupe(hints), "; ")
	return f
}

// withMessage is "what: message", or what alone when the message is empty.
func withMessage(what, message string) string {
	if m := oneLine(message); m != "" {
		return what + ": " + m
	}
	return what
}

// PGBackup judges a postgresql.cnpg.io/v1 Backup by its phase: completed is OK (with its age from
// stoppedAt), failed and walArchivingFailing Down with status.error, pending, started, running and
// finalizing OK as running; any other phase Unknown.
func PGBackup(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Backup", u)}
	cluster := Str(u, "spec", "cluster", "name")
	errText := Str(u, "status", "error")
	switch phase := Str(u, "status", "phase"); phase {
	case "completed":
		f.Status, f.Reason = OK, "completed"
		if t, ok := parseTime(Str(u, "status", "stoppedAt")); ok {
			f.Reason += " " + units.Duration(now.Sub(t)) + " ago"
		}
	case "failed":
		f.Status, f.Reason = Down, withMessage("failed (cluster "+cluster+")", errText)
		f.Hint = "kubectl -n " + u.GetNamespace() + " describe backups.postgresql.cnpg.io " + u.GetName() + "; kubectl cnpg status " + cluster + " -n " + u.GetNamespace()
	case "walArchivingFailing":
		f.Status, f.Reason = Down, withMessage("WAL archiving failing (cluster "+cluster+")", errText)
		f.Hint = "the backup cannot complete without its WAL: check the object store of the cluster's spec.backup and kubectl cnpg status " + cluster + " -n " + u.GetNamespace()
	case "", "pending", "started", "running", "finalizing":
		f.Status, f.Reason = OK, "running ("+orNew(phase)+")"
	default:
		f.Status, f.Reason = Unknown, "phase "+phase
	}
	return f
}

// LatestPGBackups is the newest CloudNativePG Backup of each Cluster (spec.cluster.name, by creation
// then name), in namespace/cluster order.
func LatestPGBackups(all []*unstructured.Unstructured) []*unstructured.Unstructured {
	return newestPer(all, func(u *unstructured.Unstructured) string {
		return u.GetNamespace() + "/" + Str(u, "spec", "cluster", "name")
	})
}
