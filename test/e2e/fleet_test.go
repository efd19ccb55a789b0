//go:build e2e

package e2e

import (
	"context"

	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/clubcedille/cedille-tui/hack/lab"
	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/fleetview"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// The fleet of TestFleet: the hub, a spoke, and a cluster Omni has but cannot issue a kubeconfig for.
const (
	fleetHub   = "k8s-shared"
	fleetSpoke = "k8s-cedille-production-v2"
	fleetNew   = "k8s-poc"
	// spokeToken is the bearer token in the hub's cluster Secret for the spoke: it must never be shown.
	spokeToken = "e2e-bearer-7f3a9c-never-shown"
)

// TestFleet: two real kube-apiservers of the lab are two clusters of one fleet. The Omni simulator (the
// real omni client over gRPC) lists them and a third, and issues a service-account kubeconfig for each
// API server; the project's era-2 CRDs are served, with statuses written by the test. `status --fleet -o
// json` then shows every cluster: the hub's ApplicationSet without a selector, the spoke refusing
// ArgoCD's token (read from the hub's Applications), the spoke's failed Velero backup, the cluster with no
// kubeconfig yet as Unknown; `status --cluster` one cluster's report. With the spoke's API server
// stopped, its row is Unknown with the reason and the hub's is still judged.
func TestFleet(t *testing.T) {
	hub, spoke, srv, endpoint := twoLabFleet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, c := range []struct {
		name           string
		total, healthy uint32
	}{{fleetHub, 3, 3}, {fleetSpoke, 6, 5}, {fleetNew, 1, 1}} {
		writeCluster(ctx, t, srv.State(), c.name, c.total, c.healthy)
	}

	seedHub(ctx, t, hub)
	seedSpoke(ctx, t, spoke)

	env := map[string]string{"OMNI_ENDPOINT": endpoint}
	r := runCLI(t, env, "status", "--fleet", "-o", "json", "--timeout", "40s")
	if r.code != 2 {
		t.Fatalf("the fleet has Down clusters: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noToken(t, r)
	var rep fleet.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	rows := map[string]fleet.Row{}
	for _, row := range rep.Clusters {
		rows[row.Cluster] = row
	}
	if len(rows) != 3 {
		t.Fatalf("rows: %+v", rep.Clusters)
	}
	h, s, n := rows[fleetHub], rows[fleetSpoke], rows[fleetNew]
	if !h.Hub || h.Era != "era 2" || h.Stack != "k8s-base" {
		t.Errorf("hub row: %+v", h)
	}
	if f, ok := layerFinding(h.Layers, health.LayerGitOps, "ApplicationSet/argocd/vault"); !ok || f.Status != health.Down ||
		!strings.Contains(f.Reason, "without a selector") {
		t.Errorf("the unselected ApplicationSet: %+v (%v)", f, ok)
	}
	if s.Status != health.Down || s.ArgoCD.State != "Failed" || !strings.Contains(s.ArgoCD.Message, "token is unverifiable") ||
		!strings.Contains(s.Hint, "recover spoke-token --target Cluster/"+fleetSpoke) {
		t.Errorf("spoke row: %+v", s)
	}
	if s.Era != "era 2" || s.Stack != "k8s-foundation" || s.MachinesHealthy != 5 || s.Machines != 6 || s.Talos != "1.10.5" {
		t.Errorf("spoke's columns: %+v", s)
	}
	if f, ok := layerFinding(s.Layers, health.LayerBackups, "Backup/velero/nextcloud-20260720063500"); !ok || f.Status != health.Down ||
		!strings.Contains(f.Reason, "Failed") {
		t.Errorf("the spoke's failed backup: %+v (%v)", f, ok)
	}
	if f, ok := layerFinding(s.Layers, health.LayerBackups, "BackupStorageLocation/velero/default"); !ok || f.Status != health.OK {
		t.Errorf("the spoke's location: %+v (%v)", f, ok)
	}
	if n.Status != health.Unknown || !strings.Contains(n.Reason, "no kubeconfig for "+fleetNew+" yet") {
		t.Errorf("the cluster without a kubeconfig: %+v", n)
	}
	issued := map[string]omnisim.KubeconfigIssue{}
	for _, i := range srv.Issued() {
		issued[i.Cluster] = i
	}
	for _, c := range []string{fleetHub, fleetSpoke} {
		i, ok := issued[c]
		if !ok || i.User != fleet.DefaultUser || !slices.Equal(i.Groups, []string{fleet.DefaultGroup}) || i.TTL != fleet.DefaultTTL {
			t.Errorf("kubeconfig issued for %s: %+v (%v)", c, i, ok)
		}
	}

	one := runCLI(t, env, "status", "--cluster", fleetSpoke, "-o", "json")
	noToken(t, one)
	var cr health.Report
	if err := json.Unmarshal([]byte(one.stdout), &cr); err != nil {
		t.Fatalf("%v\n%s\n%s", err, one.stdout, one.stderr)
	}
	if f, ok := findFinding(cr, health.LayerBackups, "Backup/velero/nextcloud-20260720063500"); one.code != 2 || !ok || f.Status != health.Down {
		t.Errorf("status --cluster: exit %d, %+v (%v)", one.code, f, ok)
	}
	if _, ok := cr.Layer(health.LayerMesh); ok {
		t.Error("an era-2 cluster without Kuma shows a mesh layer")
	}
	unknown := runCLI(t, env, "status", "--cluster", "k8s-nowhere")
	if unknown.code != 2 || !strings.Contains(unknown.stderr, "Omni has no cluster k8s-nowhere") {
		t.Errorf("an unknown cluster: exit %d, %q", unknown.code, unknown.stderr)
	}

	// The console: the fleet view over the fleet watcher, reading the same two API servers live.
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := fleet.New(fleet.Options{Omni: om, Connect: fleet.OmniConnector{Omni: om}, All: true, RetryMax: 2 * time.Second})
	go w.Run(wctx)
	snaps, unsub := w.Subscribe()
	defer unsub()
	m := fleetview.New(fleetview.Options{Theme: theme.New(false, true), Fleet: snaps,
		Open: func(ctx context.Context, cluster string) (<-chan watch.Snapshot, func(), error) {
			hub, err := w.Open(ctx, cluster)
			if err != nil {
				return nil, nil, err
			}
			ch, unsub := hub.Subscribe()
			return ch, unsub, nil
		},
		Console: func(_ string, ch <-chan watch.Snapshot) tea.Model {
			return ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Leave: fleetview.LeaveTarget})
		}})
	drv := uitest.New(t, m, 120, 30)
	drv.Plain, drv.Deadline = true, time.Minute
	screen := drv.Until("the spoke refused and the hub's ApplicationSet", func(s string) bool {
		return strings.Contains(s, "REFUSED") && strings.Contains(s, fleetHub) && strings.Contains(s, "gitops") &&
			lineWith(s, fleetNew, "cannot be read")
	})
	if strings.Contains(screen, spokeToken) {
		t.Fatal("the token reached the screen")
	}
	drv.Key(":")
	drv.Type("find backup failed")
	drv.Key("enter")
	drv.Shows("find “backup failed”: 1", "Failed: error getting backup storage")
	drv.Key("enter")
	drv.Shows(fleetSpoke, "backups", "Backup/velero/nextcloud-20260720063500")
	drv.Key("esc")
	drv.Shows("fleet · 3 clusters")

	if err := spoke.Stop(lab.KubeAPIServer); err != nil {
		t.Fatal(err)
	}
	// The stopped spoke becomes a row that says why; the hub's row is still read live.
	drv.Key("esc")
	drv.Until("the stopped spoke said unreachable", func(s string) bool { return lineWith(s, "uction-v2", "no API") })
	if row, _ := w.Latest().Report.Row(fleetSpoke); row.Unreachable == "" {
		t.Errorf("the stopped spoke's row: %+v", row)
	}
	if row, ok := w.Latest().Report.Row(fleetHub); !ok || row.Layers == nil {
		t.Errorf("the hub is no longer read: %+v", row)
	}
	stop()

	r = runCLI(t, env, "status", "--fleet", "-o", "json", "--timeout", "8s")
	noToken(t, r)
	rep = fleet.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
	}
	s, _ = rep.Row(fleetSpoke)
	h, _ = rep.Row(fleetHub)
	if s.Unreachable == "" || (s.Status != health.Unknown && s.Status != health.Down) {
		t.Errorf("the stopped spoke: %+v", s)
	}
	if f, ok := layerFinding(h.Layers, health.LayerGitOps, "ApplicationSet/argocd/vault"); !ok || f.Status != health.Down {
		t.Errorf("the hub is still judged: %+v", h)
	}
}

// lineWith tells whether one line of the screen holds every string.
func lineWith(screen string, want ...string) bool {
	for _, line := range strings.Split(screen, "\n") {
		all := true
		for _, w := range want {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}

func noToken(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, spokeToken) {
		t.Fatal("the cluster Secret's bearer token was printed")
	}
}

func layerFinding(layers []health.LayerReport, layer health.Layer, object string) (health.Finding, bool) {
	return findFinding(health.Report{Layers: layers}, layer, object)
}

func writeCluster(ctx context.Context, t *testing.T, st state.State, name string, total, healthy uint32) {
	t.Helper()
	c := omni.NewCluster(name)
	c.TypedSpec().Value = &specs.ClusterSpec{TalosVersion: "1.10.5", KubernetesVersion: "1.33.2"}
	cs := omni.NewClusterStatus(name)
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{
		Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true, HasConnectedControlPlanes: true,
		Phase:        specs.ClusterStatusSpec_RUNNING,
		Machines:     &specs.Machines{Total: total, Healthy: healthy, Connected: total, Requested: total},
		TalosVersion: "1.10.5", KubernetesVersion: "1.33.2",
	}
	if err := st.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(ctx, cs); err != nil {
		t.Fatal(err)
	}
}

// seedHub writes the hub's ArgoCD: its own and the spoke's cluster Secrets, an ApplicationSet whose
// cluster generator selects nothing, and Applications destined to the spoke, refused.
func seedHub(ctx context.Context, t *testing.T, l *lab.Lab) {
	t.Helper()
	kc := kubernetes.NewForConfigOrDie(l.RESTConfig())
	dc := dynamic.NewForConfigOrDie(l.RESTConfig())
	ns(ctx, t, kc, "argocd")
	server := "https://omni.test?cluster=" + fleetSpoke
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "cluster-kubernetes.default.svc", Namespace: "argocd",
			Labels: map[string]string{fleet.ArgoSecretTypeKey: "cluster", "stack": "k8s-base"}},
			StringData: map[string]string{"name": fleetHub, "server": "https://kubernetes.default.svc"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cluster-omni.test-2827971969", Namespace: "argocd",
			Labels: map[string]string{fleet.ArgoSecretTypeKey: "cluster", "stack": "k8s-foundation", "etsmtl.club/external-network": "true"}},
			StringData: map[string]string{"name": fleetSpoke, "server": server,
				"config": `{"bearerToken":"` + spokeToken + `","tlsClientConfig":{"insecure":false}}`}},
	} {
		if _, err := kc.CoreV1().Secrets("argocd").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create(ctx, t, dc, "argoproj.io", "v1alpha1", "applicationsets", `
metadata: {name: vault, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - clusters: {}
  template: {metadata: {name: "{{.name}}-vault"}, spec: {project: default}}`, "")
	create(ctx, t, dc, "argoproj.io", "v1alpha1", "applications", `
metadata: {name: `+fleetSpoke+`-velero, namespace: argocd}
spec:
  project: default
  destination: {server: "`+server+`", namespace: velero}
  source: {repoURL: "https://github.com/ClubCedille/k8s-foundation", path: common/velero}
status:
  sync: {status: Unknown}
  health: {status: Healthy}
  conditions:
  - type: ComparisonError
    message: 'Failed to load live state: failed to get cluster info for "`+server+`": error synchronizing cache state : Unauthorized: token is unverifiable: error while executing keyfunc: key not found'`, "")
}

// seedSpoke writes the spoke's Velero: an Available location and the newest backup of a schedule, Failed.
func seedSpoke(ctx context.Context, t *testing.T, l *lab.Lab) {
	t.Helper()
	kc := kubernetes.NewForConfigOrDie(l.RESTConfig())
	dc := dynamic.NewForConfigOrDie(l.RESTConfig())
	ns(ctx, t, kc, "velero")
	validated := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	create(ctx, t, dc, "velero.io", "v1", "backupstoragelocations", `
metadata: {name: default, namespace: velero}
spec:
  provider: aws
  objectStorage: {bucket: cedille-velero, prefix: prod-v2}
  validationFrequency: 1m`, `
status: {phase: Available, lastValidationTime: "`+validated+`"}`)
	for _, b := range []struct{ name, phase string }{{"nextcloud-20260719063500", "Completed"}, {"nextcloud-20260720063500", "Failed"}} {
		create(ctx, t, dc, "velero.io", "v1", "backups", `
metadata: {name: `+b.name+`, namespace: velero, labels: {velero.io/schedule-name: nextcloud}}
spec: {includedNamespaces: [nextcloud]}`, `
status: {phase: `+b.phase+`, failureReason: "error getting backup storage location: timed out"}`)
	}
}

func ns(ctx context.Context, t *testing.T, kc kubernetes.Interface, name string) {
	t.Helper()
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// create makes an object from YAML, then writes its status through the status subresource when given
// (as the component's controller would).
func create(ctx context.Context, t *testing.T, dc dynamic.Interface, group, version, resource, doc, status string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
	u.SetAPIVersion(gvr.GroupVersion().String())
	kinds := map[string]string{"applicationsets": "ApplicationSet", "applications": "Application", "backups": "Backup",
		"backupstoragelocations": "BackupStorageLocation"}
	u.SetKind(kinds[resource])
	created, err := dc.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s %s: %v", resource, u.GetName(), err)
	}
	if status == "" {
		return
	}
	var st map[string]any
	if err := yaml.Unmarshal([]byte(status), &st); err != nil {
		t.Fatal(err)
	}
	created.Object["status"] = st["status"]
	if _, err := dc.Resource(gvr).Namespace(u.GetNamespace()).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("%s %s status: %v", resource, u.GetName(), err)
	}
}

// tokenConfig is the lab's bearer-token kubeconfig (lab.Lab.TokenKubeconfig).
func tokenConfig(t *testing.T, l *lab.Lab) []byte {
	t.Helper()
	b, err := l.TokenKubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
