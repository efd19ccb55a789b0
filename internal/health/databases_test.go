package health

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pgCluster is a CloudNativePG Cluster in nextcloud modelled on the club's restore runbook
// (k8s-shared apps/nextcloud/restore-runbook: 3 instances on cephfs), created a month before era2Now,
// with the spec and status given as YAML flows.
func pgCluster(meta, spec, status string) *unstructured.Unstructured {
	if meta == "" {
		meta = `{name: postgresql-nextcloud, namespace: nextcloud, creationTimestamp: "2026-11-07T12:00:00Z"}`
	}
	if spec == "" {
		spec = `{instances: 3, imageName: "ghcr.io/cloudnative-pg/postgresql:16.9", storage: {size: 10Gi, storageClass: cephfs}}`
	}
	return crFromYAML(`apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: ` + meta + `
spec: ` + spec + `
status: ` + status)
}

func TestPGCluster(t *testing.T) {
	const young = `{name: postgresql-nextcloud, namespace: nextcloud, creationTimestamp: "2026-12-07T11:57:00Z"}`
	tests := []struct {
		name    string
		meta    string
		spec    string
		status  string
		want    Status
		reason  string
		hintHas string
	}{
		{"healthy", "", "", `{phase: Cluster in healthy state, instances: 3, readyInstances: 3, currentPrimary: postgresql-nextcloud-1, targetPrimary: postgresql-nextcloud-1,
			conditions: [{type: Ready, status: "True", reason: ClusterIsReady, message: Cluster is Ready}]}`,
			OK, "3/3 ready, primary postgresql-nextcloud-1", ""},
		{"one instance not ready", "", "", `{phase: Cluster in healthy state, instances: 3, readyInstances: 2, currentPrimary: postgresql-nextcloud-1}`,
			Degraded, "2/3 ready, primary postgresql-nextcloud-1", "kubectl cnpg status postgresql-nextcloud -n nextcloud"},
		{"none ready (the cold start of 2025-08-13)", "", "", `{phase: Waiting for the instances to become active, instances: 3, readyInstances: 0, currentPrimary: postgresql-nextcloud-1}`,
			Down, "Waiting for the instances to become active: 0/3 ready, primary postgresql-nextcloud-1", "runbook " + RunbookColdStart},
		{"readyInstances absent is none", "", "", `{phase: Cluster in healthy state, instances: 3}`,
			Down, "0/3 ready", "kubectl cnpg status"},
		{"a new cluster setting up", young, "", `{phase: Setting up primary, instances: 1}`,
			Unknown, "Setting up primary: 0/3 ready", "being set up"},
		{"setting up for too long", "", "", `{phase: Setting up primary, instances: 1}`,
			Down, "Setting up primary: 0/3 ready", "kubectl cnpg status"},
		{"spec.instances is what is wanted", "", "", `{phase: Cluster in healthy state, instances: 2, readyInstances: 2, currentPrimary: postgresql-nextcloud-1}`,
			Degraded, "2/3 ready", "kubectl cnpg status"},
		{"unrecoverable (old spelling)", "", "", `{phase: "Cluster is in an unrecoverable state, needs manual intervention", instances: 3, readyInstances: 2, currentPrimary: postgresql-nextcloud-1}`,
			Down, "Cluster is in an unrecoverable state, needs manual intervention: 2/3 ready, primary postgresql-nextcloud-1", "needs a person"},
		{"unrecoverable (new spelling) with its reason", "", "", `{phase: Cluster is unrecoverable and needs manual intervention, phaseReason: "Missing PVC for instance 2", instances: 3, readyInstances: 3}`,
			Down, "Cluster is unrecoverable and needs manual intervention (Missing PVC for instance 2): 3/3 ready", "needs a person"},
		{"unknown plugin", "", "", `{phase: Cluster cannot proceed to reconciliation due to an unknown plugin being required, instances: 3, readyInstances: 3}`,
			Down, "Cluster cannot proceed to reconciliation", "operator's logs in cnpg-system"},
		{"cannot create objects", "", "", `{phase: Unable to create required cluster objects, instances: 3, readyInstances: 3}`,
			Down, "Unable to create required cluster objects: 3/3 ready", "needs a person"},
		{"waiting for user action", "", "", `{phase: Waiting for user action, phaseReason: "pvc postgresql-nextcloud-2 is not in a correct state", instances: 3, readyInstances: 3}`,
			Degraded, "Waiting for user action (pvc postgresql-nextcloud-2 is not in a correct state): 3/3 ready", "says what it waits for"},
		{"failing over", "", "", `{phase: Failing over, instances: 3, readyInstances: 2, currentPrimary: postgresql-nextcloud-1, targetPrimary: postgresql-nextcloud-2}`,
			Degraded, "Failing over: 2/3 ready, primary postgresql-nextcloud-1 (moving to postgresql-nextcloud-2)", "kubectl cnpg status"},
		{"an upgrade with every instance ready", "", "", `{phase: Upgrading cluster, instances: 3, readyInstances: 3, currentPrimary: postgresql-nextcloud-1}`,
			OK, "Upgrading cluster: 3/3 ready, primary postgresql-nextcloud-1", ""},
		{"not Ready with its message", "", "", `{phase: Cluster in healthy state, instances: 3, readyInstances: 3,
			conditions: [{type: Ready, status: "False", reason: ClusterIsNotReady, message: Cluster Is Not Ready}]}`,
			Degraded, "3/3 ready; not Ready: Cluster Is Not Ready", "kubectl cnpg status"},
		{"no status", "", "", `{}`, Unknown, "no status yet", "cnpg-system"},
		{"hibernated", `{name: postgresql-nextcloud, namespace: nextcloud, annotations: {cnpg.io/hibernation: "on"}}`, "",
			`{phase: Cluster in healthy state, instances: 3, readyInstances: 0}`, OK, "hibernated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := PGCluster(pgCluster(tt.meta, tt.spec, tt.status), era2Now)
			if f.Object != "Cluster/nextcloud/postgresql-nextcloud" {
				t.Errorf("object %q", f.Object)
			}
			assertFinding(t, f, tt.want, tt.reason, tt.hintHas)
		})
	}
}

func TestPGArchiving(t *testing.T) {
	const store = `{instances: 3, backup: {retentionPolicy: 30d, barmanObjectStore: {destinationPath: "s3://k8s-shared-cnpg/nextcloud", endpointURL: "https://s3.ca-east-006.backblazeb2.com"}}}`
	archiving := func(status string) string {
		return `{type: ContinuousArchiving, status: "` + status + `", reason: ContinuousArchiving` + map[string]string{"True": "Success", "False": "Failing"}[status] +
			`, message: "unexpected failure invoking barman-cloud-wal-archive: exit status 4", lastTransitionTime: "2026-12-07T08:00:00Z"}`
	}
	tests := []struct {
		name    string
		spec    string
		status  string
		want    Status
		reason  string
		hintHas string
	}{
		{"archiving, backed up this night", store, `{lastSuccessfulBackup: "2026-12-07T03:00:12Z", conditions: [` + archiving("True") +
			`, {type: LastBackupSucceeded, status: "True", reason: LastBackupSucceeded}]}`,
			OK, "WAL archived; last successful backup 8h59m ago", ""},
		{"archiving failing", store, `{lastSuccessfulBackup: "2026-12-06T03:00:00Z", conditions: [` + archiving("False") + `]}`,
			Down, "WAL not archived, point-in-time recovery lost: unexpected failure invoking barman-cloud-wal-archive: exit status 4; last successful backup 1d9h ago",
			"credentials Secret"},
		{"last backup failed", store, `{conditions: [` + archiving("True") + `, {type: LastBackupSucceeded, status: "False", reason: LastBackupFailed, message: "can't execute backup: no such bucket"}]}`,
			Down, "WAL archived; last backup failed: can't execute backup: no such bucket", "describe backups.postgresql.cnpg.io"},
		{"archiving not reported yet", store, `{}`, Unknown, "WAL archiving not reported yet", "kubectl cnpg status postgresql-nextcloud -n nextcloud"},
		{"snapshots only: no WAL to judge", `{instances: 3, backup: {volumeSnapshot: {className: csi-rbdplugin-snapclass}}}`, `{}`,
			OK, "backups configured, none taken yet", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := PGArchiving(pgCluster("", tt.spec, tt.status), era2Now)
			if f.Reason != tt.reason {
				t.Errorf("reason %q\nwant   %q", f.Reason, tt.reason)
			}
			assertFinding(t, f, tt.want, tt.reason, tt.hintHas)
		})
	}
}

// pgBackup is a CloudNativePG Backup of cluster in nextcloud, as a ScheduledBackup names them, created at
// created with the status given.
func pgBackup(name, cluster, created, status string) *unstructured.Unstructured {
	return crFromYAML(`apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata: {name: ` + name + `, namespace: nextcloud, creationTimestamp: "` + created + `"}
spec: {cluster: {name: ` + cluster + `}, method: barmanObjectStore}
status: ` + status)
}

func TestPGBackup(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    Status
		reason  string
		hintHas string
	}{
		{"completed", `{phase: completed, startedAt: "2026-12-07T03:00:00Z", stoppedAt: "2026-12-07T03:04:30Z"}`, OK, "completed 8h55m ago", ""},
		{"failed", `{phase: failed, error: "can't execute backup: exit status 1"}`, Down,
			"failed (cluster postgresql-nextcloud): can't execute backup: exit status 1", "describe backups.postgresql.cnpg.io cnpg-backup-schedule-20261207030000"},
		{"wal archiving failing", `{phase: walArchivingFailing, error: "WAL archiving is not working"}`, Down,
			"WAL archiving failing (cluster postgresql-nextcloud): WAL archiving is not working", "object store"},
		{"running", `{phase: running}`, OK, "running (running)", ""},
		{"no phase yet", `{}`, OK, "running (New)", ""},
		{"something new", `{phase: exploded}`, Unknown, "phase exploded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := PGBackup(pgBackup("cnpg-backup-schedule-20261207030000", "postgresql-nextcloud", "2026-12-07T03:00:00Z", tt.status), era2Now)
			if f.Object != "Backup/nextcloud/cnpg-backup-schedule-20261207030000" || f.Reason != tt.reason {
				t.Errorf("got %s %q\nwant %q", f.Object, f.Reason, tt.reason)
			}
			if tt.want == Unknown {
				if f.Status != Unknown {
					t.Errorf("status %v", f.Status)
				}
				return
			}
			assertFinding(t, f, tt.want, tt.reason, tt.hintHas)
		})
	}
}

// TestPGBackupFindings: one archiving finding per Cluster with backups configured, the newest Backup of
// each Cluster only (a failure followed by a success is history), unreadable kinds Unknown.
func TestPGBackupFindings(t *testing.T) {
	withBackup := pgCluster("", `{instances: 3, backup: {barmanObjectStore: {destinationPath: "s3://k8s-shared-cnpg/nextcloud"}}}`,
		`{phase: Cluster in healthy state, instances: 3, readyInstances: 3, conditions: [{type: ContinuousArchiving, status: "True"}]}`)
	without := pgCluster(`{name: pg-keycloak, namespace: nextcloud}`, "", `{phase: Cluster in healthy state, instances: 3, readyInstances: 3}`)
	o := Objects{Now: era2Now, PGClusters: []*unstructured.Unstructured{withBackup, without},
		PGBackups: []*unstructured.Unstructured{
			pgBackup("nc-20261206", "postgresql-nextcloud", "2026-12-06T03:00:00Z", `{phase: failed, error: boom}`),
			pgBackup("nc-20261207", "postgresql-nextcloud", "2026-12-07T03:00:00Z", `{phase: completed}`),
			pgBackup("kc-20261207", "pg-keycloak", "2026-12-07T03:00:00Z", `{phase: failed, error: boom}`),
			pgBackup("kc-20261205", "pg-keycloak", "2026-12-05T03:00:00Z", `{phase: completed}`),
		}}
	got := map[string]Status{}
	for _, f := range PGBackupFindings(o) {
		got[f.Object] = f.Status
	}
	want := map[string]Status{"Cluster/nextcloud/postgresql-nextcloud": OK, "Backup/nextcloud/nc-20261207": OK, "Backup/nextcloud/kc-20261207": Down}
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	for obj, st := range want {
		if s, ok := got[obj]; !ok || s != st {
			t.Errorf("%s: %v (present %v), want %v", obj, s, ok, st)
		}
	}

	forbidden := errors.New(`backups.postgresql.cnpg.io is forbidden: User "cedille-reader" cannot list resource "backups"`)
	o.Serves = map[string]bool{ResourcePGClusters: true, ResourcePGBackups: true}
	o.Unavailable = map[string]error{ResourcePGBackups: forbidden, ResourcePGClusters: errors.New("not installed")}
	o.Serves[ResourcePGClusters] = false
	var missing []string
	for _, f := range PGBackupFindings(o) {
		if strings.HasPrefix(f.Object, "CRD/") {
			missing = append(missing, f.Object)
			if f.Status != Unknown || f.Hint == "" {
				t.Errorf("%+v", f)
			}
		}
	}
	if strings.Join(missing, ",") != "CRD/"+ResourcePGBackups {
		t.Errorf("missing findings %v, want only the served Backups", missing)
	}
}

// TestDatabasesLayer: every Cluster is a finding, the worst decides; the Cluster kind served but
// forbidden is Unknown.
func TestDatabasesLayer(t *testing.T) {
	o := Objects{Now: era2Now, Serves: era2Serves(), PGClusters: []*unstructured.Unstructured{
		pgCluster("", "", `{phase: Cluster in healthy state, instances: 3, readyInstances: 3, currentPrimary: postgresql-nextcloud-1}`),
		pgCluster(`{name: pg-keycloak, namespace: keycloak}`, `{instances: 2}`, `{phase: Failing over, instances: 2, readyInstances: 1, currentPrimary: pg-keycloak-1, targetPrimary: pg-keycloak-2}`),
	}}
	l := Databases(o)
	if l.Name != LayerDatabases || l.Status != Degraded || len(l.Findings) != 2 || l.Worst().Object != "Cluster/keycloak/pg-keycloak" {
		t.Fatalf("layer %s %v, findings %+v", l.Name, l.Status, l.Findings)
	}
	o.Unavailable = map[string]error{ResourcePGClusters: errors.New(`clusters.postgresql.cnpg.io is forbidden`)}
	f := findingNamed(t, Databases(o), "CRD/"+ResourcePGClusters)
	if f.Status != Unknown || !strings.Contains(f.Hint, ResourcePGClusters) {
		t.Errorf("%+v", f)
	}
	o.Serves = map[string]bool{ResourcePGClusters: false}
	for _, f := range Databases(o).Findings {
		if strings.HasPrefix(f.Object, "CRD/") {
			t.Errorf("not served, yet %+v", f)
		}
	}
}

// TestPGClusterOnThePowerLossTimeline: the same Cluster read at its states of the 2025-08-13 cold
// start goes healthy → down → degraded → healthy.
func TestPGClusterOnThePowerLossTimeline(t *testing.T) {
	var got []Status
	for _, status := range []string{
		`{phase: Cluster in healthy state, instances: 3, readyInstances: 3}`,
		`{phase: Waiting for the instances to become active, instances: 3, readyInstances: 0}`,
		`{phase: Creating a new replica, instances: 3, readyInstances: 2}`,
		`{phase: Cluster in healthy state, instances: 3, readyInstances: 3}`,
	} {
		got = append(got, PGCluster(pgCluster("", "", status), era2Now).Status)
	}
	if want := []Status{OK, Down, Degraded, OK}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("%v, want %v", got, want)
	}
}
