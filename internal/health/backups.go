package health

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The era-2 backups rules (Velero, velero.io/v1): each judges one object, pure, from what Velero writes
// in its status. Backups makes the layer of them and of CloudNativePG's backups (PGBackupFindings).

const (
	// bslDefaultValidation is Velero's default BackupStorageLocation validation frequency (the server's
	// --default-backup-storage-location-validation-frequency, 1 minute); a location not validated for
	// bslStaleAfter validations is judged on stale news.
	bslDefaultValidation = time.Minute
	bslStaleAfter        = 10
	// scheduleSlack is how late a Schedule's backup may start and finish before it counts as missed: a
	// backup of a few hundred GiB of volumes takes its time.
	scheduleSlack = 2 * time.Hour
)

// BackupStorageLocation judges a velero.io/v1 BackupStorageLocation: Available and validated lately
// is OK; Unavailable is Down with Velero's message (the bucket, its credentials, its endpoint); no
// phase is Unknown (Velero has not validated it yet); Available but not validated for ten of its
// validation periods is Degraded (Velero's server is not running, or no longer validates it).
func BackupStorageLocation(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("BackupStorageLocation", u)}
	where := strings.Trim(Str(u, "spec", "objectStorage", "bucket")+"/"+Str(u, "spec", "objectStorage", "prefix"), "/")
	msg := Str(u, "status", "message")
	switch phase := Str(u, "status", "phase"); phase {
	case "Available":
		every := bslDefaultValidation
		if d, err := time.ParseDuration(Str(u, "spec", "validationFrequency")); err == nil && d > 0 {
			every = d
		}
		validated, ok := parseTime(Str(u, "status", "lastValidationTime"))
		switch {
		case !ok:
			f.Status, f.Reason = OK, "Available (bucket "+where+")"
		case now.Sub(validated) > bslStaleAfter*every:
			f.Status = Degraded
			f.Reason = fmt.Sprintf("Available, but last validated %s ago (every %s): Velero no longer checks it", units.Duration(now.Sub(validated)), every)
			f.Hint = "check Velero's server pod in its namespace and its logs"
		default:
			f.Status, f.Reason = OK, fmt.Sprintf("Available (bucket %s), validated %s ago", where, units.Duration(now.Sub(validated)))
		}
	case "Unavailable":
		f.Status, f.Reason = Down, "Unavailable (bucket "+where+")"
		if msg != "" {
			f.Reason += ": " + msg
		}
		f.Hint = "no backup can be written or read: check the bucket, the endpoint and Velero's credentials Secret"
	case "":
		f.Status, f.Reason = Unknown, "not validated yet (bucket "+where+")"
	default:
		f.Status, f.Reason = Unknown, "phase "+phase
	}
	return f
}

// Schedule judges a velero.io/v1 Schedule: FailedValidation is Down with its errors; paused is
// Degraded (nothing is backed up); a backup not taken when its cron says it was due (its next run after
// the last backup, or after the Schedule's creation, plus two hours' slack) is Down — the "last backup
// age" the on-call reads; an Enabled schedule on time is OK, saying when it last ran.
func Schedule(u *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Schedule", u)}
	expr := Str(u, "spec", "schedule")
	if Str(u, "status", "phase") == "FailedValidation" {
		errs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "validationErrors")
		f.Status, f.Reason = Down, "FailedValidation"
		if len(errs) > 0 {
			f.Reason += ": " + strings.Join(errs, "; ")
		}
		f.Hint = "fix the Schedule's spec (its cron " + expr + ", its template): Velero takes no backup of it"
		return f
	}
	if paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused"); paused {
		f.Status, f.Reason = Degraded, "paused: no backup is taken ("+expr+")"
		f.Hint = "unpause it once the reason to pause is gone (spec.paused)"
		return f
	}
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		f.Status, f.Reason = Down, fmt.Sprintf("its schedule %q does not parse: %v", expr, err)
		return f
	}
	last, ran := parseTime(Str(u, "status", "lastBackup"))
	from := last
	if !ran {
		from = u.GetCreationTimestamp().Time
	}
	due := sched.Next(from)
	switch {
	case now.After(due.Add(scheduleSlack)) && ran:
		f.Status = Down
		f.Reason = fmt.Sprintf("last backup %s ago; one was due %s ago (%s)", units.Duration(now.Sub(last)), units.Duration(now.Sub(due)), expr)
		f.Hint = "read Velero's server logs and the schedule's latest Backup; is the BackupStorageLocation Available?"
	case now.After(due.Add(scheduleSlack)):
		f.Status = Down
		f.Reason = fmt.Sprintf("never backed up; the first was due %s ago (%s)", units.Duration(now.Sub(due)), expr)
		f.Hint = "read Velero's server logs; is the BackupStorageLocation Available?"
	case ran:
		f.Status, f.Reason = OK, fmt.Sprintf("last backup %s ago (%s)", units.Duration(now.Sub(last)), expr)
	default:
		f.Status, f.Reason = OK, "first backup due in "+units.Duration(due.Sub(now))+" ("+expr+")"
	}
	return f
}

// Backup judges a velero.io/v1 Backup by its phase: Completed is OK (with its warnings), PartiallyFailed
// Degraded with its error and warning counts (some items or volumes were not backed up), Failed and
// FailedValidation Down with Velero's reason, a backup still running OK with its phase.
func Backup(u *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("Backup", u)}
	errs, _ := Num(u, "status", "errors")
	warns, _ := Num(u, "status", "warnings")
	counts := fmt.Sprintf("%s, %s", units.Count(int(errs), "error"), units.Count(int(warns), "warning"))
	logs := "velero backup logs " + u.GetName() + " (or describe it --details)"
	switch phase := Str(u, "status", "phase"); phase {
	case "Completed":
		f.Status, f.Reason = OK, "Completed"
		if warns > 0 {
			f.Reason += " with " + units.Count(int(warns), "warning")
		}
	case "PartiallyFailed", "WaitingForPluginOperationsPartiallyFailed", "FinalizingPartiallyFailed":
		f.Status, f.Reason = Degraded, phase+": "+counts
		f.Hint = "some items or volumes are not in it: " + logs
	case "Failed":
		f.Status, f.Reason = Down, "Failed"
		if why := Str(u, "status", "failureReason"); why != "" {
			f.Reason += ": " + why
		}
		f.Hint = logs
	case "FailedValidation":
		verrs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "validationErrors")
		f.Status, f.Reason = Down, "FailedValidation"
		if len(verrs) > 0 {
			f.Reason += ": " + strings.Join(verrs, "; ")
		}
	case "", "New", "InProgress", "WaitingForPluginOperations", "Finalizing":
		f.Status, f.Reason = OK, "running ("+orNew(phase)+")"
	default:
		f.Status, f.Reason = Unknown, "phase "+phase
	}
	return f
}

// Backups builds the backups layer (era 2): every BackupStorageLocation and Schedule, the newest Backup
// of each Schedule and the newest one taken by hand (older ones are history: a failed backup followed
// by a completed one is no longer a problem), and CloudNativePG's archiving and backups. A kind the
// cluster serves but the console may not read is an Unknown finding; one it does not serve is left out.
func Backups(o Objects) LayerReport {
	var fs []Finding
	for _, k := range []struct{ resource, what string }{
		{ResourceBackupStorageLocations, "Velero's BackupStorageLocations"},
		{ResourceBackupSchedules, "Velero's Schedules"},
		{ResourceBackups, "Velero's Backups"},
	} {
		if err := o.Missing(k.resource); err != nil && o.Serves[k.resource] {
			fs = append(fs, MissingFinding("CRD/"+k.resource, err, k.what+" cannot be read: grant list and watch on "+k.resource))
		}
	}
	for _, u := range o.BackupStorageLocations {
		fs = append(fs, BackupStorageLocation(u, o.Now))
	}
	for _, u := range o.BackupSchedules {
		fs = append(fs, Schedule(u, o.Now))
	}
	for _, u := range LatestBackups(o.Backups) {
		fs = append(fs, Backup(u))
	}
	fs = append(fs, PGBackupFindings(o)...)
	return NewLayer(LayerBackups, fs)
}

// veleroScheduleLabel is the label Velero puts on a Backup its Schedule created.
const veleroScheduleLabel = "velero.io/schedule-name"

// LatestBackups is the newest Backup of each Schedule and the newest without one (by creation, then
// name), in that order of namespace/schedule.
func LatestBackups(all []*unstructured.Unstructured) []*unstructured.Unstructured {
	return newestPer(all, func(u *unstructured.Unstructured) string {
		return u.GetNamespace() + "/" + u.GetLabels()[veleroScheduleLabel]
	})
}

// newestPer keeps the newest object (newerObject) of each key, in the order of the keys.
func newestPer(all []*unstructured.Unstructured, key func(*unstructured.Unstructured) string) []*unstructured.Unstructured {
	newest := map[string]*unstructured.Unstructured{}
	for _, u := range all {
		if u == nil {
			continue
		}
		if cur, ok := newest[key(u)]; !ok || newerObject(u, cur) {
			newest[key(u)] = u
		}
	}
	out := make([]*unstructured.Unstructured, 0, len(newest))
	for _, k := range slices.Sorted(maps.Keys(newest)) {
		out = append(out, newest[k])
	}
	return out
}

// newerObject orders by creation time, then by name (a Schedule's backups are named by their time).
func newerObject(a, b *unstructured.Unstructured) bool {
	ta, tb := a.GetCreationTimestamp().Time, b.GetCreationTimestamp().Time
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetName() > b.GetName()
}

// LastBackupAge is how long ago the newest successful backup of a cluster finished (a Completed Velero
// Backup, a CloudNativePG Cluster's lastSuccessfulBackup), and whether there is one: the fleet overview's "last backup" column.
func LastBackupAge(o Objects) (time.Duration, bool) {
	var last time.Time
	for _, u := range o.Backups {
		if Str(u, "status", "phase") != "Completed" {
			continue
		}
		if t, ok := parseTime(Str(u, "status", "completionTimestamp")); ok && t.After(last) {
			last = t
		}
	}
	for _, u := range o.PGClusters {
		if t, ok := parseTime(Str(u, "status", "lastSuccessfulBackup")); ok && t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return 0, false
	}
	return o.Now.Sub(last), true
}

// parseTime reads an RFC 3339 time as the API server writes it.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func orNew(phase string) string {
	if phase == "" {
		return "New"
	}
	return phase
}
