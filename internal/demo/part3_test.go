package demo

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/watch"
)

// stepLog collects the steps' messages.
type stepLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *stepLog) report(u steps.Update) {
	if u.Event != nil && u.Event.Message != "" {
		l.mu.Lock()
		l.lines = append(l.lines, string(u.Step)+": "+u.Event.Message)
		l.mu.Unlock()
	}
}

func (l *stepLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestPart3OnBlankDemo runs the whole install on a Blank demo, as `cedille-tui demo` does: part 1 from
// the example answers, then the real gitops, storage, Vault, vclusters and hand-off steps against the
// demo's simulated Helm, ArgoCD, Mayastor and vclusters. Each step's Check holds after its Run; a rerun
// of gitops upgrades the release; the pools come up Online with their disks' capacity; Vault's
// Applications wait for the Vault steps; the vclusters are registered and checked; a corrupted
// registration fails the Check until a rerun repairs it; the console sees the installed platform.
func TestPart3OnBlankDemo(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	d := startBlank(t)
	configDir := t.TempDir()
	env := d.InstallEnv(configDir)
	env.Poll = 10 * time.Millisecond
	env.Keys = &steps.Keyring{}
	env.Ask = (&vaultOperator{}).ask
	env.Confirm = func(context.Context, steps.Confirmation) error { return nil }

	var log stepLog
	r := &steps.Runner{Steps: installSteps(), Env: env, Store: steps.NewStore(t.TempDir()), Report: log.report}
	sv := steps.Saved{Plan: exampleAnswers(t, t.TempDir())}
	if err := r.Run(ctx, &sv); err != nil {
		t.Fatalf("part 1: %v\n%s", err, log.String())
	}

	// The wizard's plan for the rest: Vault's defaults with the Dex client, the charts and the root.
	sv.Plan.Vault = plan.New().Vault
	sv.Plan.Vault.SSO.ArgoCD.ClientID = "demo-client"
	sv.Plan.GitOps = plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org/argo", Version: "7.7.3"},
		Domain: "argocd.example.org", GitHubOrg: "ExampleOrg",
		Root: plan.RootApp{RepoURL: "https://git.example.org/platform.git", Path: "apps/argo-apps"}}
	sv.Plan.VClusters = plan.VClusters{Chart: plan.Chart{Repo: "https://charts.example.org/vcluster", Version: "0.36.1"}}
	for _, m := range sv.Plan.Machines {
		for _, pd := range m.PoolDisks {
			if m.Hostname == "" || pd.ByID == "" {
				t.Fatalf("part 1 left machine %s without a hostname or pool disk %v without its by-id path", m.ID, pd)
			}
		}
	}

	run := func(s steps.Step) {
		t.Helper()
		if err := r.RunOne(ctx, &sv, s); err != nil {
			t.Fatalf("%s: %v\n%s", s.ID(), err, log.String())
		}
		if o, err := s.Check(ctx, env, sv.Plan); err != nil || !o.Holds {
			t.Fatalf("%s check after its run: %+v %v\n%s", s.ID(), o, err, log.String())
		}
	}

	// Before its pools exist, the fresh platform has none (the install makes them).
	if l, err := d.Kube.Dynamic.Resource(platform.DiskPool.GVR).List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Fatalf("a Blank demo's platform holds %d DiskPools before the storage step (%v)", len(l.Items), err)
	}

	// GitOps: ArgoCD installed with Dex, the root's children followed, Vault's deferred.
	run(steps.GitOpsStep{})
	if dep, err := d.Kube.Typed.AppsV1().Deployments("argocd").Get(ctx, "argocd-dex-server", metav1.GetOptions{}); err != nil ||
		dep.Status.ReadyReplicas != 1 {
		t.Errorf("Dex's Deployment with the Dex client in the plan: %v", err)
	}
	apps := d.Kube.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	root, err := apps.Get(ctx, gitops.RootName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, _, _ := unstructured.NestedSlice(root.Object, "status", "resources"); len(res) != len(eraOneApplications()) {
		t.Errorf("the root lists %d children, want the %d era-1 Applications", len(res), len(eraOneApplications()))
	}
	if h := appHealth(ctx, t, apps, "vault"); h != "Progressing" {
		t.Errorf("Application vault before the Vault steps is %s, want Progressing", h)
	}
	if !strings.Contains(log.String(), "but 2 that wait for the Vault steps") {
		t.Errorf("the gitops step did not say Vault's Applications wait:\n%s", log.String())
	}
	run(steps.GitOpsStep{})
	if !strings.Contains(log.String(), "ArgoCD upgraded to argo-cd 7.7.3, revision 2 (deployed)") {
		t.Errorf("a rerun of gitops did not upgrade to revision 2:\n%s", log.String())
	}

	// Storage: a pool per pool disk, Online with its disk's capacity; the console shows them.
	run(steps.StorageStep{})
	pools, _ := sv.Plan.DiskPools()
	if len(pools) != 6 {
		t.Fatalf("%d pools in the plan, want 6", len(pools))
	}
	for _, pl := range pools {
		u, err := d.Kube.Dynamic.Resource(platform.DiskPool.GVR).Namespace(pl.Namespace).Get(ctx, pl.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		for _, m := range DemoMachines() {
			for _, dk := range m.Disks {
				if pl.Disk == "/dev/disk/by-id/wwn-0x"+strings.TrimPrefix(dk.WWID, "naa.") {
					want = int64(dk.SizeBytes)
				}
			}
		}
		capacity, _, _ := unstructured.NestedInt64(u.Object, "status", "capacity")
		if health.Str(u, "status", "pool_status") != "Online" || want == 0 || capacity != want {
			t.Errorf("pool %s: %v", pl.Name, u.Object["status"])
		}
	}
	s := watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	if st, _ := s.Report.Layer(health.LayerStorage); st.Status != health.OK || len(s.DiskPools) != 6 {
		t.Errorf("the console after the storage step: storage %v (%v), %d pools", st.Status, st.Worst(), len(s.DiskPools))
	}

	// The pool fault degrades the install's pool on the era-1 fault's disk, and heals it.
	for _, f := range d.Faults() {
		if f.Key != "P" {
			continue
		}
		if f.Help != "pool worker-2-htp3 Degraded" {
			t.Errorf("the pool fault says %q", f.Help)
		}
		for _, want := range []string{"Degraded", "Online"} {
			if note, err := f.Run(ctx); err != nil || note != "demo: DiskPool worker-2-htp3 is "+want {
				t.Errorf("pool fault: %q %v", note, err)
			}
		}
	}

	// Vault, then its Applications are Healthy.
	for _, st := range []steps.Step{steps.VaultInitStep{}, steps.VaultUnsealStep{}, steps.VaultBootstrapStep{}} {
		run(st)
	}
	waitFor(t, "Application vault Healthy after the Vault steps", func() bool { return appHealth(ctx, t, apps, "vault") == "Healthy" })

	// vclusters: installed, registered, checked.
	run(steps.VClustersStep{})
	for _, name := range []string{"staging", "sandbox"} {
		sec, err := d.Kube.Typed.CoreV1().Secrets("argocd").Get(ctx, argocd.ClusterSecretName(name), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("vcluster %s not registered: %v", name, err)
		}
		if user, err := d.CheckRegistration(ctx, sec); err != nil || user != registeredUser {
			t.Errorf("vcluster %s registration check: %q %v", name, user, err)
		}
	}

	// A corrupted registration: another vcluster's client certificate. The check names the mismatch,
	// the step's Check fails, a rerun repairs it.
	staging, _ := d.Kube.Typed.CoreV1().Secrets("argocd").Get(ctx, "cluster-staging", metav1.GetOptions{})
	var cfg gitops.ClusterConfig
	if err := json.Unmarshal(staging.Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	_, cfg.TLSClientConfig.CertData, _ = vclusterCredentials("sandbox", "vcluster-sandbox")
	staging.Data["config"], _ = json.Marshal(cfg)
	if _, err := d.CheckRegistration(ctx, staging); err == nil || !strings.Contains(err.Error(), "client certificate is not the one vcluster vcluster-staging/staging issued") {
		t.Errorf("a registration with another vcluster's certificate: %v", err)
	}
	if _, err := d.Kube.Typed.CoreV1().Secrets("argocd").Update(ctx, staging, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if o, err := (steps.VClustersStep{}).Check(ctx, env, sv.Plan); err != nil || o.Holds || !strings.Contains(o.Detail, "staging") {
		t.Errorf("the vclusters check with a corrupted registration: %+v %v", o, err)
	}
	run(steps.VClustersStep{})
	if !strings.Contains(log.String(), "vcluster staging registered in ArgoCD as https://staging.vcluster-staging.svc (authenticated as demo-admin); registration repaired") {
		t.Errorf("the rerun did not repair staging's registration:\n%s", log.String())
	}

	// Hand-off: every Application Healthy, the summary written.
	run(steps.HandoffStep{})
	if b, err := os.ReadFile(filepath.Join(configDir, steps.HandoffFile)); err != nil || !strings.Contains(string(b), "vcluster sandbox") {
		t.Errorf("hand-off file: %v\n%s", err, b)
	}

	if testing.Verbose() {
		t.Logf("the steps said:\n%s", log.String())
	}

	// Every step holds; the console sees the installed platform.
	all := append(installSteps(), steps.GitOpsStep{}, steps.StorageStep{}, steps.VaultInitStep{}, steps.VaultUnsealStep{},
		steps.VaultBootstrapStep{}, steps.VClustersStep{}, steps.HandoffStep{})
	r.Steps = all
	for i, o := range r.CheckAll(ctx, sv) {
		if !o.Holds {
			t.Errorf("step %s does not hold at the end: %s", all[i].ID(), o.Detail)
		}
	}
	s = watch.Collect(ctx, d.Targets(), 5*time.Second, time.Now())
	for _, name := range []health.Layer{health.LayerStorage, health.LayerGitOps, health.LayerVClusters} {
		if l, _ := s.Report.Layer(name); l.Status != health.OK {
			t.Errorf("the console after the install: %s %v (%v)", name, l.Status, l.Worst())
		}
	}
}

func appHealth(ctx context.Context, t *testing.T, apps interface {
	Get(context.Context, string, metav1.GetOptions, ...string) (*unstructured.Unstructured, error)
}, name string) string {
	t.Helper()
	u, err := apps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return health.Str(u, "status", "health", "status")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a bound for a stuck test, not a timing assertion
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// faultsByKey are the demo's faults by their key.
func faultsByKey(d *Platform) map[string]Fault {
	out := map[string]Fault{}
	for _, f := range d.Faults() {
		out[f.Key] = f
	}
	return out
}

// TestCharts: the simulated Helm installs, then upgrades the one release; its workloads are ready as
// steps read them; an upgrade without Dex removes Dex's Deployment; a local chart's version is its file;
// an unknown chart is refused by name; a vcluster's Secret comes a moment later.
func TestCharts(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	d := startDemo(t, Options{})
	c := d.Charts()
	rel := helmops.Release{Name: "argocd", Namespace: "argocd"}
	dex := map[string]any{"configs": map[string]any{"cm": map[string]any{"dex.config": "connectors: []"}}}
	res, err := c.InstallOrUpgrade(ctx, d.Kube, rel, plan.ArgoCDChart, plan.Chart{Repo: "https://charts.example.org", Version: "7.7.3"}, dex)
	if err != nil || !res.Installed || res.Revision != 1 || res.Status != "deployed" || res.Chart != "argo-cd" || res.Version != "7.7.3" ||
		len(res.Workloads) != 7 {
		t.Fatalf("install: %+v %v", res, err)
	}
	res, err = c.InstallOrUpgrade(ctx, d.Kube, rel, plan.ArgoCDChart, plan.Chart{File: "/charts/argo-cd-7.8.0.tgz"}, map[string]any{})
	if err != nil || res.Installed || res.Revision != 2 || res.Version != "argo-cd-7.8.0.tgz" || len(res.Workloads) != 6 {
		t.Fatalf("upgrade: %+v %v", res, err)
	}
	if _, err := d.Kube.Typed.AppsV1().Deployments("argocd").Get(ctx, "argocd-dex-server", metav1.GetOptions{}); err == nil {
		t.Error("Dex's Deployment outlived an upgrade without Dex")
	}
	for _, w := range res.Workloads {
		var ready, gen, observed int64
		switch w.Kind {
		case "Deployment":
			dep, err := d.Kube.Typed.AppsV1().Deployments(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ready, gen, observed = int64(dep.Status.ReadyReplicas), dep.Generation, dep.Status.ObservedGeneration
		case "StatefulSet":
			sts, err := d.Kube.Typed.AppsV1().StatefulSets(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ready, gen, observed = int64(sts.Status.ReadyReplicas), sts.Generation, sts.Status.ObservedGeneration
		}
		if ready != 1 || gen == 0 || observed != gen {
			t.Errorf("%s %s: %d ready, generation %d observed %d", w.Kind, w.Name, ready, gen, observed)
		}
	}
	if _, err := c.InstallOrUpgrade(ctx, d.Kube, rel, "grafana", plan.Chart{}, nil); err == nil || !strings.Contains(err.Error(), `"grafana"`) {
		t.Errorf("an unknown chart: %v", err)
	}

	// A vcluster: its StatefulSet labelled for the console, then its Secret with the four keys.
	vc := helmops.Release{Name: "qa", Namespace: "vcluster-qa"}
	if _, err := c.InstallOrUpgrade(ctx, d.Kube, vc, plan.VClusterChart, plan.Chart{Version: "0.36.1"},
		map[string]any{"exportKubeConfig": map[string]any{"server": "https://qa.example.org"}}); err != nil {
		t.Fatal(err)
	}
	sts, err := d.Kube.Typed.AppsV1().StatefulSets("vcluster-qa").Get(ctx, "qa", metav1.GetOptions{})
	if err != nil || sts.Labels["app"] != "vcluster" {
		t.Fatalf("vcluster StatefulSet: %v %v", err, sts)
	}
	var sec *corev1.Secret
	waitFor(t, "Secret vc-qa", func() bool {
		sec, err = d.Kube.Typed.CoreV1().Secrets("vcluster-qa").Get(ctx, "vc-qa", metav1.GetOptions{})
		return err == nil
	})
	for _, k := range []string{gitops.KeyConfig, gitops.KeyCA, gitops.KeyCert, gitops.KeyKey} {
		if len(sec.Data[k]) == 0 {
			t.Errorf("vc-qa lacks %s", k)
		}
	}
	if !strings.Contains(string(sec.Data[gitops.KeyConfig]), "server: https://qa.example.org") ||
		!strings.HasPrefix(string(sec.Data[gitops.KeyCert]), "-----BEGIN CERTIFICATE-----") {
		t.Errorf("vc-qa:\n%s\n%s", sec.Data[gitops.KeyConfig], sec.Data[gitops.KeyCert])
	}
	// The console reads the Secret's metadata.
	waitFor(t, "vc-qa in the metadata the console reads", func() bool {
		l, err := d.Kube.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace("vcluster-qa").
			List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 1 && l.Items[0].Name == "vc-qa"
	})

	// Its registration checks out; one for a server no vcluster serves does not.
	r, err := gitops.FromVClusterSecret("qa", "vcluster-qa", "https://qa.example.org", sec)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := gitops.ClusterSecret("argocd", r)
	if user, err := d.CheckRegistration(ctx, reg); err != nil || user != registeredUser {
		t.Errorf("the registration: %q %v", user, err)
	}
	reg.Data["server"] = []byte("https://nowhere.example.org")
	if _, err := d.CheckRegistration(ctx, reg); err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Errorf("a registration for another server: %v", err)
	}
}

// TestCloseStopsTheSimulation: a Close right after a vcluster install stops its syncer before it writes.
func TestCloseStopsTheSimulation(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	d, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Charts().InstallOrUpgrade(ctx, d.Kube, helmops.Release{Name: "qa", Namespace: "vcluster-qa"},
		plan.VClusterChart, plan.Chart{Version: "0.36.1"}, nil); err != nil {
		t.Fatal(err)
	}
	d.Close()
	time.Sleep(2 * syncerDelay)
	if _, err := d.Kube.Typed.CoreV1().Secrets("vcluster-qa").Get(ctx, "vc-qa", metav1.GetOptions{}); err == nil {
		t.Error("the syncer wrote its Secret after Close")
	}
	if d.goBackground(func(context.Context) {}) {
		t.Error("a goroutine started after Close")
	}
}

// TestArgoCDKeepsFaults: once the root Application exists the simulated controller owns the children's
// status, yet the Application fault still works: a child OutOfSync before the root stays so, healing
// and injecting it again hold; Vault's Applications wait for a Vault that serves.
func TestArgoCDKeepsFaults(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	d := startDemo(t, Options{Installed: true})
	fault := faultsByKey(d)
	apps := d.Kube.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	syncOf := func(name string) string {
		u, err := apps.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return health.Str(u, "status", "sync", "status")
	}
	if _, err := fault["A"].Run(ctx); err != nil {
		t.Fatal(err)
	}
	root := gitops.RootApplication("argocd", "https://git.example.org/platform.git", "HEAD", "apps/argo-apps")
	if _, err := apps.Create(ctx, root, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the root reconciled", func() bool {
		u, err := apps.Get(ctx, gitops.RootName, metav1.GetOptions{})
		res, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
		return err == nil && len(res) == len(eraOneApplications()) && health.Str(u, "status", "health", "status") == "Healthy"
	})
	// Installed: Vault unsealed and bootstrapped, as the install leaves it; Vault's Applications are Healthy.
	if h := appHealth(ctx, t, apps, "vault-configs"); h != "Healthy" {
		t.Errorf("vault-configs with Vault bootstrapped: %s", h)
	}
	time.Sleep(3 * argoPoll)
	if s := syncOf(faultApp); s != "OutOfSync" {
		t.Errorf("the fault's Application is %s under the controller, want OutOfSync", s)
	}
	if _, err := fault["A"].Run(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * argoPoll)
	if s := syncOf(faultApp); s != "Synced" {
		t.Errorf("after healing: %s", s)
	}
	if _, err := fault["A"].Run(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * argoPoll)
	if s := syncOf(faultApp); s != "OutOfSync" {
		t.Errorf("injected again: %s", s)
	}
	// The root lists the child as it is.
	u, _ := apps.Get(ctx, gitops.RootName, metav1.GetOptions{})
	res, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
	for _, r := range res {
		if m := r.(map[string]any); m["name"] == faultApp && m["status"] != "OutOfSync" {
			t.Errorf("the root lists %s as %v", faultApp, m["status"])
		}
	}
}

// TestSecretMetadataMirrored: the Secrets written through the typed clientset (as the install writes
// them) reach the metadata the console reads — created, relabelled, deleted.
func TestSecretMetadataMirrored(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	d := startDemo(t, Options{})
	secrets := d.Kube.Typed.CoreV1().Secrets("argocd")
	md := d.Kube.Metadata.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace("argocd")
	labelOf := func() (string, error) {
		m, err := md.Get(ctx, "mirrored", metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return m.Labels["step"], nil
	}

	s, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "mirrored", Namespace: "argocd",
		Labels: map[string]string{"step": "one"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := labelOf(); err != nil || l != "one" {
		t.Errorf("after create: %q %v", l, err)
	}
	s.Labels["step"] = "two"
	if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if l, err := labelOf(); err != nil || l != "two" {
		t.Errorf("after update: %q %v", l, err)
	}
	if err := secrets.Delete(ctx, "mirrored", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := labelOf(); err == nil {
		t.Error("the metadata outlived the Secret's delete")
	}
}
