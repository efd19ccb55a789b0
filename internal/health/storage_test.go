package health

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// crFromYAML reads one YAML document as the API would return it (integers as int64).
func crFromYAML(src string) *unstructured.Unstructured {
	j, err := yaml.YAMLToJSON([]byte(src))
	if err != nil {
		panic(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		panic(fmt.Sprintf("%v in\n%s", err, src))
	}
	return u
}

// typedFromYAML reads one YAML document of a built-in kind into its typed form.
func typedFromYAML[T any](src string) *T {
	v := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(crFromYAML(src).Object, v); err != nil {
		panic(err)
	}
	return v
}

// loadLayerTestdata reads a multi-document file under testdata/ into the Objects the rules read.
func loadLayerTestdata(t testing.TB, path string, now time.Time) Objects {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := Objects{Now: now}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		u := crFromYAML(doc)
		switch u.GetKind() {
		case "DiskPool":
			o.DiskPools = append(o.DiskPools, u)
		case "StorageClass":
			o.StorageClasses = append(o.StorageClasses, typedFromYAML[storagev1.StorageClass](doc))
		case "PersistentVolumeClaim":
			o.PVCs = append(o.PVCs, typedFromYAML[corev1.PersistentVolumeClaim](doc))
		case "Mesh":
			o.Meshes = append(o.Meshes, u)
		case "DataplaneInsight":
			o.DataplaneInsights = append(o.DataplaneInsights, u)
		case "Deployment":
			o.Deployments = append(o.Deployments, typedFromYAML[appsv1.Deployment](doc))
		case "Certificate":
			o.Certificates = append(o.Certificates, u)
		case "CephCluster":
			o.CephClusters = append(o.CephClusters, u)
		case "DaemonSet":
			o.DaemonSets = append(o.DaemonSets, typedFromYAML[appsv1.DaemonSet](doc))
		case "Pod":
			o.Pods = append(o.Pods, PodOf(typedFromYAML[corev1.Pod](doc)))
		default:
			t.Fatalf("%s: kind %q not handled", path, u.GetKind())
		}
	}
	return o
}

// findingNamed returns the layer's finding for object.
func findingNamed(t testing.TB, l LayerReport, object string) Finding {
	t.Helper()
	for _, f := range l.Findings {
		if f.Object == object {
			return f
		}
	}
	t.Fatalf("no finding for %s in %+v", object, l.Findings)
	return Finding{}
}

// assertFinding compares a finding with the expected status and fragments of reason and hint.
func assertFinding(t testing.TB, f Finding, want Status, reasonHas, hintHas string) {
	t.Helper()
	if f.Status != want {
		t.Fatalf("%s: status %v, want %v (%s)", f.Object, f.Status, want, f.Reason)
	}
	if !strings.Contains(f.Reason, reasonHas) {
		t.Errorf("%s: reason %q lacks %q", f.Object, f.Reason, reasonHas)
	}
	if !strings.Contains(f.Hint, hintHas) {
		t.Errorf("%s: hint %q lacks %q", f.Object, f.Hint, hintHas)
	}
	if strings.Contains(f.Reason, "\n") {
		t.Errorf("%s: reason is not one line: %q", f.Object, f.Reason)
	}
	if f.Status != OK && f.Hint == "" {
		t.Errorf("%s: %v without a hint", f.Object, f.Status)
	}
}

// storageNow is when the storage tests evaluate: era 1, a day after the test data's last change.
func storageNow() time.Time { return time.Date(2023, 12, 1, 10, 0, 0, 0, time.UTC) }

func TestDiskPool(t *testing.T) {
	pool := func(meta, status string) *unstructured.Unstructured {
		return crFromYAML(`apiVersion: openebs.io/v1beta1
kind: DiskPool
metadata: ` + meta + `
spec: {node: worker-2, disks: ["/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N5DAHTP3"]}
` + status)
	}
	const htp3 = `{name: hdd-worker-htp3, namespace: mayastor}`
	tests := []struct {
		name       string
		pool       *unstructured.Unstructured
		want       Status
		wantObject string
		reasonHas  string
		hintHas    string
	}{
		{"online and created", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 3000588304384, used: 644245094400, available: 2356343209984}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "Online, 21% of 2.7 TiB used", ""},
		{"no namespace (the manifest quirk)", pool(`{name: hdds-worker-1-plj7}`, `status: {cr_state: Created, pool_status: Online, capacity: 3000588304384, used: 0}`),
			OK, "DiskPool/hdds-worker-1-plj7", "Online, 0% of 2.7 TiB used", ""},
		{"bytes as floats", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 3.000588304384e+12, used: 6.442450944e+11}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "21% of 2.7 TiB", ""},
		{"bytes as strings", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: "2000398934016", used: "53687091200"}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "2% of 1.8 TiB", ""},
		{"used from available", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 1099511627776, available: 824633720832}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "25% of 1.0 TiB", ""},
		{"capacity not reported", pool(htp3, `status: {cr_state: Created, pool_status: Online}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "capacity not reported", ""},
		{"over 80% is noted, still OK", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 3000588304384, used: 2576980377600}`),
			OK, "DiskPool/mayastor/hdd-worker-htp3", "85% of 2.7 TiB used (over 80%)", "plan capacity"},
		{"90% is almost full", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 1000, used: 900}`),
			Degraded, "DiskPool/mayastor/hdd-worker-htp3", "almost full, 90% of 1000 B used", RunbookPoolDegraded},
		{"94% is almost full", pool(htp3, `status: {cr_state: Created, pool_status: Online, capacity: 2000398934016, used: 1889785610240}`),
			Degraded, "DiskPool/mayastor/hdd-worker-htp3", "almost full, 94% of 1.8 TiB", RunbookPoolDegraded},
		{"pool degraded", pool(htp3, `status: {cr_state: Created, pool_status: Degraded, capacity: 3000588304384, used: 322122547200}`),
			Degraded, "DiskPool/mayastor/hdd-worker-htp3", "Degraded, 10% of 2.7 TiB used", "runbook: " + RunbookPoolDegraded},
		{"pool faulted", pool(htp3, `status: {cr_state: Created, pool_status: Faulted, capacity: 0, used: 0}`),
			Down, "DiskPool/mayastor/hdd-worker-htp3", "Faulted", "on worker-2 (/dev/disk/by-id/ata-WDC_WD30EFRX-68EUZN0_WD-WCC4N5DAHTP3)"},
		{"faulted while being deleted stays down", pool(`{name: hdd-worker-htp3, deletionTimestamp: "2023-11-30T02:11:09Z"}`, `status: {cr_state: Terminating, pool_status: Faulted}`),
			Down, "DiskPool/hdd-worker-htp3", "Faulted", RunbookPoolDegraded},
		{"cr_state Terminating", pool(htp3, `status: {cr_state: Terminating, pool_status: Unknown, capacity: 0}`),
			Degraded, "DiskPool/mayastor/hdd-worker-htp3", "being deleted", RunbookPoolDegraded},
		{"deletionTimestamp on an online pool", pool(`{name: hdd-worker-3-kxx4, namespace: mayastor, deletionTimestamp: "2023-11-30T02:11:09Z"}`, `status: {cr_state: Created, pool_status: Online, capacity: 1000, used: 10}`),
			Degraded, "DiskPool/mayastor/hdd-worker-3-kxx4", "being deleted (pool Online)", RunbookPoolDegraded},
		{"pool status Unknown", pool(htp3, `status: {cr_state: Created, pool_status: Unknown, capacity: 0, used: 0, available: 0}`),
			Unknown, "DiskPool/mayastor/hdd-worker-htp3", "pool state Unknown", "io-engine"},
		{"no status yet", pool(htp3, ``),
			Unknown, "DiskPool/mayastor/hdd-worker-htp3", "no pool status reported yet", "io-engine"},
		{"creating, young", pool(`{name: hdd-worker-htp3, namespace: mayastor, creationTimestamp: "2023-12-01T09:58:00Z"}`, `status: {cr_state: Creating, pool_status: Unknown}`),
			Unknown, "DiskPool/mayastor/hdd-worker-htp3", "Creating", "wait"},
		{"creating for too long", pool(`{name: hdd-worker-htp3, namespace: mayastor, creationTimestamp: "2023-12-01T09:00:00Z"}`, `status: {cr_state: Creating}`),
			Degraded, "DiskPool/mayastor/hdd-worker-htp3", "still Creating after 1h", "disk path"},
		{"unrecognised pool status", pool(htp3, `status: {cr_state: Created, pool_status: Exploded}`),
			Unknown, "DiskPool/mayastor/hdd-worker-htp3", `unrecognised pool status "Exploded"`, "get pools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := DiskPool(tt.pool, storageNow())
			assertFinding(t, f, tt.want, tt.reasonHas, tt.hintHas)
			if f.Object != tt.wantObject {
				t.Errorf("object %q, want %q", f.Object, tt.wantObject)
			}
		})
	}
}

func TestPVC(t *testing.T) {
	claim := func(meta, spec, status string) *corev1.PersistentVolumeClaim {
		return typedFromYAML[corev1.PersistentVolumeClaim]("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: " + meta +
			"\nspec: " + spec + "\nstatus: " + status)
	}
	wffc := storagev1.VolumeBindingWaitForFirstConsumer
	classes := map[string]*storagev1.StorageClass{
		"mayastor":       {ObjectMeta: metav1.ObjectMeta{Name: "mayastor"}, Provisioner: mayastorProvisioner},
		"local-hostpath": {ObjectMeta: metav1.ObjectMeta{Name: "local-hostpath"}, Provisioner: "openebs.io/local", VolumeBindingMode: &wffc},
	}
	const vault0 = `{name: data-vault-0, namespace: vault, creationTimestamp: "2023-12-01T09:58:00Z"}`
	tests := []struct {
		name      string
		pvc       *corev1.PersistentVolumeClaim
		classes   map[string]*storagev1.StorageClass
		def       string
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"bound", claim(`{name: data-clickhouse-otel-monitoring-0-0-0, namespace: clickhouse-system}`, `{storageClassName: mayastor}`, `{phase: Bound, capacity: {storage: 30Gi}}`),
			classes, "mayastor", OK, "Bound, 30Gi, class mayastor", ""},
		{"bound through the default class", claim(`{name: data-clickhouse-otel-monitoring-0-0-0, namespace: clickhouse-system}`, `{}`, `{phase: Bound}`),
			classes, "mayastor", OK, "Bound, class mayastor", ""},
		{"lost", claim(`{name: mongo-data, namespace: trema}`, `{storageClassName: mayastor, volumeName: pvc-0b6a1e93}`, `{phase: Lost}`),
			classes, "mayastor", Down, "Lost: its PersistentVolume pvc-0b6a1e93 is gone", "backup"},
		{"pending, provisioning", claim(vault0, `{storageClassName: mayastor}`, `{phase: Pending}`),
			classes, "mayastor", Degraded, "Pending for 2m, class mayastor", "in progress"},
		{"pending for an hour stays degraded", claim(`{name: data-vault-0, namespace: vault, creationTimestamp: "2023-12-01T09:00:00Z"}`, `{storageClassName: mayastor}`, `{phase: Pending}`),
			classes, "mayastor", Degraded, "Pending for 1h, class mayastor", "stuck"},
		{"pending for its first consumer", claim(vault0, `{storageClassName: local-hostpath}`, `{phase: Pending}`),
			classes, "mayastor", OK, "until a pod uses it", ""},
		{"first consumer scheduled, not provisioned", claim(`{name: data-vault-0, namespace: vault, creationTimestamp: "2023-12-01T09:00:00Z", annotations: {volume.kubernetes.io/selected-node: worker-1}}`,
			`{storageClassName: local-hostpath}`, `{phase: Pending}`),
			classes, "mayastor", Degraded, "Pending for 1h, class local-hostpath", "stuck"},
		{"pending on a class that does not exist", claim(vault0, `{storageClassName: ceph-rbd}`, `{phase: Pending}`),
			classes, "mayastor", Degraded, "class ceph-rbd", "does not exist"},
		{"pending without any class", claim(vault0, `{}`, `{phase: Pending}`),
			classes, "", Degraded, "Pending for 2m", "no default class"},
		{"classes unreadable: judged as immediate", claim(vault0, `{storageClassName: local-hostpath}`, `{phase: Pending}`),
			nil, "", Degraded, "Pending", "in progress"},
		{"no phase yet", claim(vault0, `{storageClassName: mayastor}`, `{}`),
			classes, "mayastor", Unknown, "no phase reported yet", "wait"},
		{"bound, being deleted", claim(`{name: grav-data, namespace: acets, deletionTimestamp: "2023-12-01T09:00:00Z", finalizers: [kubernetes.io/pvc-protection]}`,
			`{storageClassName: mayastor}`, `{phase: Bound, capacity: {storage: 1Gi}}`),
			classes, "mayastor", Degraded, "being deleted, held by kubernetes.io/pvc-protection", "a pod still uses it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := PVC(tt.pvc, tt.classes, tt.def, storageNow())
			assertFinding(t, f, tt.want, tt.reasonHas, tt.hintHas)
			if want := "PVC/" + tt.pvc.Namespace + "/" + tt.pvc.Name; f.Object != want {
				t.Errorf("object %q, want %q", f.Object, want)
			}
		})
	}
}

func storageClass(name string, isDefault bool, provisioner string, params map[string]string) *storagev1.StorageClass {
	sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: provisioner, Parameters: params}
	if isDefault {
		sc.Annotations = map[string]string{defaultClassAnn: "true"}
	}
	return sc
}

func onlinePool(name, node string) *unstructured.Unstructured {
	return crFromYAML(`apiVersion: openebs.io/v1beta1
kind: DiskPool
metadata: {name: ` + name + `, namespace: mayastor}
spec: {node: ` + node + `}
status: {cr_state: Created, pool_status: Online, capacity: 3000588304384, used: 0}`)
}

func TestMayastorStorageClass(t *testing.T) {
	params := map[string]string{"ioTimeout": "30", "protocol": "nvmf", "repl": "2", "stsAffinityGroup": "true"}
	mayastor := storageClass("mayastor", true, mayastorProvisioner, params)
	localHostpath := storageClass("local-hostpath", false, "openebs.io/local", nil)
	pools := []*unstructured.Unstructured{onlinePool("hdds-worker-1-hr67", "worker-1"), onlinePool("hdd-worker-htp3", "worker-2"),
		onlinePool("hdd-worker-4qj6", "worker-3")}
	with := func(p map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range params {
			out[k] = v
		}
		for k, v := range p {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	betaDefault := storageClass("mayastor", false, mayastorProvisioner, params)
	betaDefault.Annotations = map[string]string{defaultClassAnnBeta: "true"}
	tests := []struct {
		name        string
		classes     []*storagev1.StorageClass
		pools       []*unstructured.Unstructured
		unavailable map[string]error
		want        Status
		reasonHas   string
		hintHas     string
	}{
		{"present, default, replicated", []*storagev1.StorageClass{mayastor, localHostpath}, pools, nil,
			OK, "default class, io.openebs.csi-mayastor, repl 2, nvmf, Online pools on 3 node(s)", ""},
		{"beta default annotation counts", []*storagev1.StorageClass{betaDefault}, pools, nil, OK, "default class", ""},
		{"present, not default", []*storagev1.StorageClass{storageClass("mayastor", false, mayastorProvisioner, params), localHostpath}, pools, nil,
			Degraded, "not the default class: claims without storageClassName stay Pending", defaultClassAnn},
		{"another class is the default", []*storagev1.StorageClass{storageClass("mayastor", false, mayastorProvisioner, params),
			storageClass("local-hostpath", true, "openebs.io/local", nil)}, pools, nil,
			Degraded, "not the default class (local-hostpath is)", "remove it from local-hostpath"},
		{"two default classes", []*storagev1.StorageClass{mayastor, storageClass("local-hostpath", true, "openebs.io/local", nil)}, pools, nil,
			Degraded, "two default classes (also local-hostpath)", "remove " + defaultClassAnn + " from local-hostpath"},
		{"wrong provisioner", []*storagev1.StorageClass{storageClass("mayastor", true, "openebs.io/local", params)}, pools, nil,
			Degraded, `provisioner "openebs.io/local", want io.openebs.csi-mayastor`, "recreate the class"},
		{"no repl parameter", []*storagev1.StorageClass{storageClass("mayastor", true, mayastorProvisioner, with(map[string]string{"repl": ""}))}, pools, nil,
			Degraded, "no repl parameter", `repl "2"`},
		{"repl 1", []*storagev1.StorageClass{storageClass("mayastor", true, mayastorProvisioner, with(map[string]string{"repl": "1"}))}, pools, nil,
			Degraded, "repl 1: one disk failure", `repl "2"`},
		{"repl not a number", []*storagev1.StorageClass{storageClass("mayastor", true, mayastorProvisioner, with(map[string]string{"repl": "two"}))}, pools, nil,
			Degraded, `invalid repl "two"`, `repl "2"`},
		{"problems add up", []*storagev1.StorageClass{storageClass("mayastor", false, "openebs.io/local", with(map[string]string{"repl": "1"}))}, pools, nil,
			Degraded, "provisioner \"openebs.io/local\", want io.openebs.csi-mayastor; repl 1: one disk failure loses a volume's data; not the default class", "recreate"},
		{"repl 2, Online pools on one node", []*storagev1.StorageClass{mayastor}, []*unstructured.Unstructured{
			onlinePool("hdds-worker-1-hr67", "worker-1"), onlinePool("hdds-worker-1-plj7", "worker-1")}, nil,
			Degraded, "repl 2 but only 1 node(s) with an Online pool", RunbookPoolDegraded},
		{"no Online pool", []*storagev1.StorageClass{mayastor}, nil, nil,
			Down, "no Online DiskPool: no volume can be placed", RunbookPoolDegraded},
		{"absent while Mayastor is installed", []*storagev1.StorageClass{localHostpath}, pools, nil,
			Down, "absent", "io.openebs.csi-mayastor"},
		{"absent, no Mayastor on this cluster (era 2)", []*storagev1.StorageClass{storageClass("ceph-rbd", true, "rook-ceph-external.rbd.csi.ceph.com", nil)}, nil,
			map[string]error{ResourceDiskPools: errors.New(`the server could not find the requested resource (get diskpools.openebs.io)`)},
			Unknown, "Mayastor does not seem installed", "era 1"},
		{"pools unreadable: no placement check", []*storagev1.StorageClass{mayastor}, nil,
			map[string]error{ResourceDiskPools: errors.New(`diskpools.openebs.io is forbidden`)},
			OK, "repl 2, nvmf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Storage(Objects{Now: storageNow(), StorageClasses: tt.classes, DiskPools: tt.pools, Unavailable: tt.unavailable})
			assertFinding(t, findingNamed(t, l, "StorageClass/mayastor"), tt.want, tt.reasonHas, tt.hintHas)
		})
	}
}

// wantFinding is one object's expected status and a fragment of its reason.
type wantFinding struct {
	object    string
	want      Status
	reasonHas string
}

// assertLayerFindings checks that the layer has exactly one finding per wanted object, as wanted.
func assertLayerFindings(t *testing.T, l LayerReport, wants []wantFinding) {
	t.Helper()
	for _, w := range wants {
		t.Run(w.object, func(t *testing.T) {
			f := findingNamed(t, l, w.object)
			if f.Status != w.want || !strings.Contains(f.Reason, w.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, w.want, w.reasonHas)
			}
		})
	}
	if len(l.Findings) != len(wants) {
		t.Errorf("%d findings, want one per object (%d): %+v", len(l.Findings), len(wants), l.Findings)
	}
}

// TestStorageLayer judges the era-1 test data: every pool, claim and the mayastor class is a finding.
func TestStorageLayer(t *testing.T) {
	o := loadLayerTestdata(t, "testdata/storage/era1.yaml", storageNow())
	l := Storage(o)
	tests := []wantFinding{
		{"DiskPool/mayastor/hdds-worker-1-hr67", OK, "Online, 21% of 2.7 TiB used"},
		{"DiskPool/hdds-worker-1-plj7", OK, "85% of 2.7 TiB used (over 80%)"},
		{"DiskPool/hdd-worker-htp3", Degraded, "Degraded, 10% of 2.7 TiB used"},
		{"DiskPool/hdd-worker-2-pkf7", Down, "Faulted"},
		{"DiskPool/hdd-worker-4qj6", Degraded, "almost full, 94% of 1.8 TiB used"},
		{"DiskPool/hdd-worker-3-kxx4", Degraded, "being deleted"},
		{"StorageClass/mayastor", OK, "repl 2, nvmf, Online pools on 2 node(s)"},
		{"PVC/clickhouse-system/data-clickhouse-otel-monitoring-0-0-0", OK, "Bound, 30Gi, class mayastor"},
		{"PVC/vault/data-vault-0", OK, "until a pod uses it"},
		{"PVC/default/iso-ubuntu-20-04", Degraded, "Pending for 1h"},
		{"PVC/trema/mongo-data", Down, "Lost"},
	}
	assertLayerFindings(t, l, tests)
	if l.Name != LayerStorage || l.Status != Down || l.Worst().Object != "DiskPool/hdd-worker-2-pkf7" {
		t.Errorf("layer %s %v, worst %s", l.Name, l.Status, l.Worst().Object)
	}
}

// TestStorageUnavailable: a kind that cannot be read is an Unknown finding; the rest, and whatever objects
// of that kind the source still holds, are still judged.
func TestStorageUnavailable(t *testing.T) {
	forbidden := errors.New("persistentvolumeclaims is forbidden: User \"cedille-reader\" cannot list resource \"persistentvolumeclaims\"\nat the cluster scope")
	tests := []struct {
		name     string
		resource string
		object   string
		judged   []string
	}{
		{"diskpools CRD absent", ResourceDiskPools, "CRD/diskpools.openebs.io",
			[]string{"StorageClass/mayastor", "PVC/trema/mongo-data", "DiskPool/hdd-worker-2-pkf7"}},
		{"claims forbidden", ResourcePVCs, "API/persistentvolumeclaims",
			[]string{"DiskPool/hdd-worker-2-pkf7", "StorageClass/mayastor", "PVC/trema/mongo-data"}},
		{"classes forbidden", ResourceStorageClasses, "API/storageclasses.storage.k8s.io",
			[]string{"DiskPool/hdd-worker-2-pkf7", "PVC/trema/mongo-data", "PVC/vault/data-vault-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := loadLayerTestdata(t, "testdata/storage/era1.yaml", storageNow())
			o.Unavailable = map[string]error{tt.resource: forbidden}
			l := Storage(o)
			f := findingNamed(t, l, tt.object)
			if f.Status != Unknown || strings.Contains(f.Reason, "\n") || f.Hint == "" {
				t.Fatalf("missing kind: %+v", f)
			}
			for _, obj := range tt.judged {
				if g := findingNamed(t, l, obj); g.Status == Unknown {
					t.Errorf("%s not judged: %+v", obj, g)
				}
			}
			if l.Status != Down {
				t.Errorf("layer %v: the Faulted pool or the Lost claim must still count", l.Status)
			}
		})
	}
}

// BenchmarkStorageLayer evaluates a big cluster's storage: 6 pools and 5000 claims.
func BenchmarkStorageLayer(b *testing.B) {
	o := loadLayerTestdata(b, "testdata/storage/era1.yaml", storageNow())
	mayastor := "mayastor"
	o.PVCs = make([]*corev1.PersistentVolumeClaim, 5000)
	for i := range o.PVCs {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("data-%04d", i), Namespace: "apps",
			CreationTimestamp: metav1.NewTime(storageNow().Add(-time.Hour))}}
		c.Spec.StorageClassName = &mayastor
		c.Status.Phase = corev1.ClaimBound
		if i%101 == 0 {
			c.Status.Phase = corev1.ClaimPending
		}
		c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}
		o.PVCs[i] = c
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if l := Storage(o); len(l.Findings) != 5000+7 {
			b.Fatal(len(l.Findings))
		}
	}
}

// era2Serves is what discovery finds on an era-2 cluster: Rook, Velero and CloudNativePG, no Mayastor.
func era2Serves() map[string]bool {
	return map[string]bool{ResourceDiskPools: false, ResourceMeshes: false, ResourceCephClusters: true,
		ResourceBackups: true, ResourcePGClusters: true}
}

// TestStorageLayerEra2 judges the era-2 test data: the CephCluster, the stale rbd node plugins and the
// claims; Mayastor, absent there, has no finding (its CRD's absence and class are era 1's concern).
func TestStorageLayerEra2(t *testing.T) {
	o := loadLayerTestdata(t, "testdata/storage/era2.yaml", era2Now)
	o.Serves = era2Serves()
	o.Unavailable = map[string]error{ResourceDiskPools: errors.New("not installed on this cluster (no diskpools.openebs.io CRD)")}
	l := Storage(o)
	tests := []wantFinding{
		{"CephCluster/rook-ceph-external/rook-ceph-external", Degraded,
			"Connected, HEALTH_WARN for 19m (MON_DOWN: 1/3 mons down, quorum pve-a,pve-b), 62% of 12.0 TiB used"},
		{"DaemonSet/rook-ceph-external/csi-rbdplugin", Degraded, "2 of 3 pods started before CephCluster rook-ceph-external connected 2h ago"},
		{"PVC/nextcloud/nextcloud-data", OK, "Bound, 100Gi, class cephfs"},
		{"PVC/vault/data-vault-0", Degraded, "Pending for 30m, class ceph-rbd"},
		{"PVC/storage-config/data-garage-0", Down, "Lost"},
	}
	assertLayerFindings(t, l, tests) // and no Mayastor finding
	if h := findingNamed(t, l, "PVC/storage-config/data-garage-0").Hint; !strings.Contains(h, "velero restore create --from-schedule SCHEDULE --include-namespaces storage-config") {
		t.Errorf("a lost claim of era 2 is restored with Velero: %q", h)
	}
	if l.Status != Down {
		t.Errorf("layer %v", l.Status)
	}
}

// TestStorageMayastorByEra: the Mayastor findings (its CRD absent, its class absent) show on era 1 and
// before discovery, never on era 2; the claims show in both.
func TestStorageMayastorByEra(t *testing.T) {
	absent := errors.New("not installed on this cluster (no diskpools.openebs.io CRD)")
	tests := []struct {
		name     string
		serves   map[string]bool
		mayastor bool
	}{
		{"before discovery", nil, true},
		{"era 1", map[string]bool{ResourceDiskPools: false, ResourceMeshes: true}, true},
		{"era 2", era2Serves(), false},
		{"Rook beside Kuma is era 1", map[string]bool{ResourceCephClusters: true, ResourceMeshes: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := loadLayerTestdata(t, "testdata/storage/era2.yaml", era2Now)
			o.Serves = tt.serves
			o.Unavailable = map[string]error{ResourceDiskPools: absent}
			l := Storage(o)
			var crd, class bool
			for _, f := range l.Findings {
				crd = crd || f.Object == "CRD/"+ResourceDiskPools
				class = class || f.Object == "StorageClass/mayastor"
			}
			if crd != tt.mayastor || class != tt.mayastor {
				t.Errorf("DiskPool CRD finding %v, mayastor class finding %v, want %v", crd, class, tt.mayastor)
			}
			findingNamed(t, l, "PVC/nextcloud/nextcloud-data")
			findingNamed(t, l, "CephCluster/rook-ceph-external/rook-ceph-external")
		})
	}
}

// TestStorageCephForbidden: CephClusters served but not readable are an Unknown finding; not served,
// nothing.
func TestStorageCephForbidden(t *testing.T) {
	forbidden := errors.New(`cephclusters.ceph.rook.io is forbidden: User "cedille-reader" cannot list resource "cephclusters"`)
	for _, served := range []bool{true, false} {
		o := loadLayerTestdata(t, "testdata/storage/era2.yaml", era2Now)
		o.CephClusters = nil
		o.Serves = era2Serves()
		o.Serves[ResourceCephClusters] = served
		o.Unavailable = map[string]error{ResourceCephClusters: forbidden}
		l := Storage(o)
		var got *Finding
		for i, f := range l.Findings {
			if f.Object == "CRD/"+ResourceCephClusters {
				got = &l.Findings[i]
			}
		}
		switch {
		case served && (got == nil || got.Status != Unknown || !strings.Contains(got.Hint, ResourceCephClusters)):
			t.Errorf("served but forbidden: %+v", got)
		case !served && got != nil:
			t.Errorf("not served: %+v", got)
		}
		for _, f := range l.Findings {
			if strings.HasPrefix(f.Object, "DaemonSet/") {
				t.Errorf("no CephCluster known, yet %+v", f)
			}
		}
	}
}
