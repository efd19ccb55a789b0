//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/uitest"
	"github.com/clubcedille/cedille-tui/internal/watch"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func findFinding(r health.Report, layer health.Layer, object string) (health.Finding, bool) {
	l, ok := r.Layer(layer)
	if !ok {
		return health.Finding{}, false
	}
	for _, f := range l.Findings {
		if f.Object == object {
			return f, true
		}
	}
	return health.Finding{}, false
}

// TestStatusSeesKwokNodes: nodes created through the real kube-apiserver and made Ready by kwok show up
// in `status -o json`, in the documented shape, and the exit code follows the health.
func TestStatusSeesKwokNodes(t *testing.T) {
	c := kubeClient(t)
	names := []string{"e2e-status-a", "e2e-status-b"}
	for _, n := range names {
		createNode(t, c, n)
	}
	for _, n := range names {
		waitNodeReady(t, c, n)
	}

	r := runCLI(t, only("KUBECONFIG"), "status", "-o", "json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("status -o json is not JSON: %v\n%s", err, r.stdout)
	}
	if _, ok := raw["overall"].(string); !ok {
		t.Errorf("overall = %v", raw["overall"])
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// The lab is a bare cluster (no Mayastor StorageClass, no Mesh…): the exit code follows the overall
	// status, and the cluster layer, where every node is Ready, is OK.
	if r.code != rep.Overall.ExitCode() {
		t.Fatalf("exit %d but overall %v", r.code, rep.Overall)
	}
	if cl, ok := rep.Layer(health.LayerCluster); !ok || cl.Status != health.OK {
		t.Fatalf("cluster layer = %+v", cl)
	}
	for _, n := range names {
		f, ok := findFinding(rep, health.LayerCluster, "Node/"+n)
		if !ok || f.Status != health.OK || !strings.Contains(f.Reason, "Ready") {
			t.Errorf("finding for %s = %+v (found %v)", n, f, ok)
		}
	}

	// The same through YAML and the table.
	y := runCLI(t, only("KUBECONFIG"), "status", "-o", "yaml")
	var yrep health.Report
	if err := yaml.Unmarshal([]byte(y.stdout), &yrep); err != nil || yrep.Overall != rep.Overall {
		t.Fatalf("status -o yaml: %v %+v\n%s", err, yrep, y.stdout)
	}
	tb := runCLI(t, only("KUBECONFIG"), "status")
	if tb.code != r.code || !strings.Contains(tb.stdout, "Node/e2e-status-a") || !strings.Contains(tb.stdout, "✔ OK") {
		t.Fatalf("status table (exit %d):\n%s", tb.code, tb.stdout)
	}

	// A NotReady node makes it Down: kwok keeps heartbeating Ready, so mark one cordoned instead for
	// Degraded, which kwok leaves alone.
	n, err := c.CoreV1().Nodes().Get(context.Background(), names[0], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Unschedulable = true
	if _, err := c.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := runCLI(t, only("KUBECONFIG"), "status", "-o", "json")
	var drep health.Report
	if err := json.Unmarshal([]byte(d.stdout), &drep); err != nil {
		t.Fatal(err)
	}
	f, _ := findFinding(drep, health.LayerCluster, "Node/"+names[0])
	if cl, _ := drep.Layer(health.LayerCluster); cl.Status != health.Degraded || f.Status != health.Degraded || d.code == 0 {
		t.Fatalf("a cordoned node makes the cluster layer Degraded (exit ≥ 1), got %v / %+v, exit %d", cl.Status, f, d.code)
	}
}

// TestStatusWithVault: the lab's Vault is real and uninitialized, so the secrets layer is Down and the
// exit code is 2; the cluster layer is still reported.
func TestStatusWithVault(t *testing.T) {
	r := runCLI(t, only("KUBECONFIG", "VAULT_ADDR"), "status", "-o", "json")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 with an uninitialized Vault:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	l, ok := rep.Layer(health.LayerSecrets)
	if !ok || l.Status != health.Down || !strings.Contains(l.Worst().Reason, "not initialized") {
		t.Fatalf("secrets layer = %+v", l)
	}
	if _, ok := rep.Layer(health.LayerCluster); !ok {
		t.Fatal("the cluster layer must still be reported")
	}
}

// TestVaultSealStatus: the real vault client reads the lab Vault's seal status.
func TestVaultSealStatus(t *testing.T) {
	v, err := platform.ConnectVault(platform.VaultOptions{Addr: shared.lab.VaultAddr()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.SealStatus(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Initialized || !s.Sealed {
		t.Fatalf("seal status = initialized %v sealed %v, want an uninitialized, sealed Vault", s.Initialized, s.Sealed)
	}
	h, err := v.Health(context.Background(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if h.Initialized || !h.Sealed || h.Version == "" {
		t.Fatalf("health = %+v", h)
	}
}

// TestStatusAgainstStoppedAPIServer: with the API server gone, status exits 2 with one line on stderr that
// says what failed and what to check — no stack trace; and a console's hub goes stale, then recovers by
// itself when the server is back.
func TestStatusAgainstStoppedAPIServer(t *testing.T) {
	kube, err := platform.ConnectKube(platform.KubeOptions{Kubeconfig: shared.lab.KubeconfigPath()}, platform.MapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	src := watch.NewKubeSource(kube)
	src.ProbeEvery = 300 * time.Millisecond
	hub := watch.NewHub(watch.HubOptions{Platform: "lab", MinInterval: 50 * time.Millisecond}, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	ch, unsub := hub.Subscribe()
	defer unsub()
	waitSnap(t, ch, "a synced snapshot", func(s watch.Snapshot) bool { return s.Source(platform.SourceKubernetes).Synced })

	if err := shared.lab.Stop("kube-apiserver"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			if err := shared.lab.Start("kube-apiserver"); err != nil {
				t.Errorf("restart kube-apiserver: %v", err)
			}
		}
	}()

	r := runCLI(t, only("KUBECONFIG"), "status", "-o", "json", "--timeout", "3s")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	errLines := lines(r.stderr)
	if len(errLines) != 1 || !strings.Contains(errLines[0], "kubernetes:") || !strings.Contains(errLines[0], "unreachable") ||
		!strings.Contains(errLines[0], "KUBECONFIG") {
		t.Fatalf("stderr must be one line naming the failure and the fix, got:\n%s", r.stderr)
	}
	for _, bad := range []string{"goroutine", "panic", ".go:"} {
		if strings.Contains(r.stderr+r.stdout, bad) {
			t.Fatalf("output carries %q (a stack trace?):\n%s", bad, r.stderr)
		}
	}
	var rep health.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Overall != health.Down {
		t.Fatalf("json = %v %+v", err, rep)
	}

	// The console on the same hub shows the stale banner, then drops it once the server is back.
	drv := uitest.New(t, ui.NewConsole(ui.ConsoleOptions{Snapshots: ch, Color: false}), 100, 30)
	drv.Deadline = time.Minute // a live cluster: the guard is generous
	scr := drv.Shows("stale since", "unreachable")
	if !strings.Contains(scr, "API/kubernetes") {
		t.Errorf("the overview should name the outage as a finding:\n%s", scr)
	}

	if err := shared.lab.Start("kube-apiserver"); err != nil {
		t.Fatal(err)
	}
	restarted = true
	drv.Until("recovery without a restart", func(s string) bool {
		return !strings.Contains(s, "stale since") && !strings.Contains(s, "API/kubernetes")
	})
	if st := hub.Latest().Source(platform.SourceKubernetes); st.Err != nil || !st.Synced {
		t.Fatalf("source after recovery: %+v", st)
	}
}

func waitSnap(t *testing.T, ch <-chan watch.Snapshot, what string, ok func(watch.Snapshot) bool) watch.Snapshot {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case s := <-ch:
			if ok(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
