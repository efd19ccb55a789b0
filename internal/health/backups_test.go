package health

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// velero is a velero.io/v1 object of kind in namespace velero, modelled on the club's era-2 manifests
// (k8s-base/velero, k8s-shared/backups), with the fields given at their paths ("spec.schedule").
func velero(kind, name string, created time.Time, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "velero.io/v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "velero", "creationTimestamp": created.UTC().Format(time.RFC3339)}}}
	for path, v := range fields {
		if err := unstructured.SetNestedField(u.Object, v, strings.Split(path, ".")...); err != nil {
			panic(err)
		}
	}
	return u
}

var backupsNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) string { return backupsNow.Add(-d).Format(time.RFC3339) }

func TestBackupStorageLocation(t *testing.T) {
	bucket := map[string]any{"spec.objectStorage.bucket": "k8s-cedille-production-v2-bucket", "spec.objectStorage.prefix": "velero"}
	with := func(more map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range bucket {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		fields map[string]any
		status Status
		reason string
	}{
		{"validated a minute ago", with(map[string]any{"status.phase": "Available", "status.lastValidationTime": ago(time.Minute)}), OK,
			"Available (bucket k8s-cedille-production-v2-bucket/velero), validated 1m ago"},
		{"not validated for an hour", with(map[string]any{"status.phase": "Available", "status.lastValidationTime": ago(time.Hour)}), Degraded,
			"Available, but last validated 1h ago (every 1m0s): Velero no longer checks it"},
		{"its own validation period", with(map[string]any{"status.phase": "Available", "status.lastValidationTime": ago(time.Hour), "spec.validationFrequency": "10m"}), OK,
			"Available (bucket k8s-cedille-production-v2-bucket/velero), validated 1h ago"},
		{"unavailable", with(map[string]any{"status.phase": "Unavailable", "status.message": "BackupStorageLocation \"default\" is unavailable: rpc error: code = Unknown desc = InvalidAccessKeyId"}), Down,
			"Unavailable (bucket k8s-cedille-production-v2-bucket/velero): BackupStorageLocation \"default\" is unavailable: rpc error: code = Unknown desc = InvalidAccessKeyId"},
		{"not validated yet", bucket, Unknown, "not validated yet (bucket k8s-cedille-production-v2-bucket/velero)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := BackupStorageLocation(velero("BackupStorageLocation", "default", backupsNow.Add(-time.Hour*24), tc.fields), backupsNow)
			if f.Object != "BackupStorageLocation/velero/default" || f.Status != tc.status || f.Reason != tc.reason {
				t.Fatalf("got %s %q\nwant %s %q", f.Status, f.Reason, tc.status, tc.reason)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	const daily = "35 6 * * *" // nextcloud's, in k8s-shared/backups
	for _, tc := range []struct {
		name    string
		created time.Duration // ago
		fields  map[string]any
		status  Status
		reason  string
	}{
		{"ran this morning", 30 * 24 * time.Hour, map[string]any{"spec.schedule": daily, "status.phase": "Enabled", "status.lastBackup": ago(5*time.Hour + 25*time.Minute)}, OK,
			"last backup 5h25m ago (35 6 * * *)"},
		{"today's due an hour ago, within the slack", 30 * 24 * time.Hour, map[string]any{"spec.schedule": "0 11 * * *", "status.phase": "Enabled", "status.lastBackup": ago(24*time.Hour + 55*time.Minute)}, OK,
			"last backup 1d ago (0 11 * * *)"},
		{"today's due three hours ago", 30 * 24 * time.Hour, map[string]any{"spec.schedule": "0 9 * * *", "status.phase": "Enabled", "status.lastBackup": ago(27*time.Hour - 5*time.Minute)}, Down,
			"last backup 1d2h ago; one was due 3h ago (0 9 * * *)"},
		{"missed since yesterday", 30 * 24 * time.Hour, map[string]any{"spec.schedule": daily, "status.phase": "Enabled", "status.lastBackup": ago(2*24*time.Hour + 5*time.Hour + 25*time.Minute)}, Down,
			"last backup 2d5h ago; one was due 1d5h ago (35 6 * * *)"},
		{"never ran though due", 3 * 24 * time.Hour, map[string]any{"spec.schedule": daily, "status.phase": "Enabled"}, Down,
			"never backed up; the first was due 2d5h ago (35 6 * * *)"},
		{"new, its first not due yet", time.Hour, map[string]any{"spec.schedule": daily, "status.phase": "Enabled"}, OK,
			"first backup due in 18h (35 6 * * *)"},
		{"paused", 30 * 24 * time.Hour, map[string]any{"spec.schedule": daily, "spec.paused": true}, Degraded, "paused: no backup is taken (35 6 * * *)"},
		{"failed validation", time.Hour, map[string]any{"spec.schedule": "61 * * * *", "status.phase": "FailedValidation",
			"status.validationErrors": []any{"invalid schedule: end of range (61) above maximum (59): 61"}}, Down,
			"FailedValidation: invalid schedule: end of range (61) above maximum (59): 61"},
		{"a cron that does not parse", time.Hour, map[string]any{"spec.schedule": "every day", "status.phase": "Enabled"}, Down,
			`its schedule "every day" does not parse: expected exactly 5 fields, found 2: [every day]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Schedule(velero("Schedule", "nextcloud-velero-schedule", backupsNow.Add(-tc.created), tc.fields), backupsNow)
			if f.Object != "Schedule/velero/nextcloud-velero-schedule" || f.Status != tc.status || f.Reason != tc.reason {
				t.Fatalf("got %s %q\nwant %s %q", f.Status, f.Reason, tc.status, tc.reason)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields map[string]any
		status Status
		reason string
	}{
		{"completed", map[string]any{"status.phase": "Completed"}, OK, "Completed"},
		{"completed with warnings", map[string]any{"status.phase": "Completed", "status.warnings": int64(3)}, OK, "Completed with 3 warnings"},
		{"partially failed", map[string]any{"status.phase": "PartiallyFailed", "status.errors": int64(2), "status.warnings": int64(1)}, Degraded,
			"PartiallyFailed: 2 errors, 1 warning"},
		{"failed", map[string]any{"status.phase": "Failed", "status.failureReason": "BackupStorageLocation \"default\" is unavailable"}, Down,
			"Failed: BackupStorageLocation \"default\" is unavailable"},
		{"running", map[string]any{"status.phase": "InProgress"}, OK, "running (InProgress)"},
		{"new", map[string]any{}, OK, "running (New)"},
		{"a phase Velero added later", map[string]any{"status.phase": "Queued"}, Unknown, "phase Queued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Backup(velero("Backup", "nextcloud-velero-schedule-20261207063500", backupsNow, tc.fields))
			if f.Status != tc.status || f.Reason != tc.reason {
				t.Fatalf("got %s %q\nwant %s %q", f.Status, f.Reason, tc.status, tc.reason)
			}
		})
	}
}
