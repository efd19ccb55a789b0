package helmops

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/helmops/helmtest"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-server}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: server}}
  template:
    metadata: {labels: {app: server}}
    spec: {containers: [{name: server, image: {{ .Values.image | quote }}}]}
`

// memClient is a client over Helm's in-memory release store and a printing kube client: the release
// bookkeeping without a cluster (the e2e tests install on a real API server).
func memClient() (*Client, *storage.Storage) {
	st := storage.Init(driver.NewMemory())
	ac := &action.Configuration{Releases: st, KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities, Log: func(string, ...any) {}}
	return newWith(ac, "argocd"), st
}

func TestInstallOrUpgrade(t *testing.T) {
	c, st := memClient()
	ch := helmtest.Chart("argo-cd", "7.7.3", "replicas: 1\nimage: server:1\n", map[string]string{"deployment.yaml": deployment})
	ctx := context.Background()
	r := Release{Name: "argocd"}
	res, err := c.InstallOrUpgrade(ctx, r, ch, map[string]any{"replicas": 2})
	if err != nil || !res.Installed || res.Revision != 1 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	if len(res.Workloads) != 1 || res.Workloads[0] != (Workload{Kind: "Deployment", Namespace: "argocd", Name: "argocd-server"}) ||
		res.Chart != "argo-cd" || res.Version != "7.7.3" {
		t.Errorf("what the release made: %+v", res)
	}
	res, err = c.InstallOrUpgrade(ctx, r, ch, nil)
	if err != nil || res.Installed || res.Revision != 2 {
		t.Fatalf("rerun must upgrade: %+v %v", res, err)
	}
	last, _ := st.Last("argocd")
	if last.Config["replicas"] != nil {
		t.Errorf("the rerun reused the previous values: %v", last.Config)
	}
	// An interrupted run leaves its revision pending; the next run recovers.
	last.SetStatus(release.StatusPendingUpgrade, "killed")
	if err := st.Update(last); err != nil {
		t.Fatal(err)
	}
	res, err = c.InstallOrUpgrade(ctx, r, ch, nil)
	if err != nil || !res.Recovered || res.Revision != 3 {
		t.Fatalf("after an interrupted run: %+v %v", res, err)
	}
	all, _ := st.History("argocd")
	deployed := 0
	for _, rel := range all {
		if rel.Info.Status == release.StatusDeployed {
			deployed++
		}
	}
	if deployed != 1 || len(all) != 3 {
		t.Errorf("%d revisions, %d deployed: want 3 and exactly one deployed", len(all), deployed)
	}
	if cur, err := c.Current("argocd"); err != nil || cur == nil || cur.Version != 3 {
		t.Errorf("current: %v %v", cur, err)
	}
	if cur, err := c.Current("nothing"); err != nil || cur != nil {
		t.Errorf("a release never installed: %v %v", cur, err)
	}
}

// TestInstallAfterUninstall: a release uninstalled with its history kept is not current; the next run
// installs it again as the next revision of the same release (Helm would refuse the name otherwise).
func TestInstallAfterUninstall(t *testing.T) {
	c, st := memClient()
	ch := helmtest.Chart("vcluster", "0.36.1", "replicas: 1\nimage: syncer:1\n", map[string]string{"deployment.yaml": deployment})
	ctx := context.Background()
	r := Release{Name: "staging"}
	if _, err := c.InstallOrUpgrade(ctx, r, ch, nil); err != nil {
		t.Fatal(err)
	}
	un := action.NewUninstall(c.cfg)
	un.KeepHistory = true
	if _, err := un.Run("staging"); err != nil {
		t.Fatal(err)
	}
	if cur, err := c.Current("staging"); err != nil || cur != nil {
		t.Errorf("an uninstalled release is not current: %v %v", cur, err)
	}
	res, err := c.InstallOrUpgrade(ctx, r, ch, nil)
	if err != nil || !res.Installed || res.Revision != 2 || res.Status != "deployed" {
		t.Fatalf("install after uninstall: %+v %v", res, err)
	}
	if all, _ := st.History("staging"); len(all) != 2 {
		t.Errorf("%d revisions, want the uninstalled one and the new one", len(all))
	}
	if cur, err := c.Current("staging"); err != nil || cur == nil || cur.Version != 2 {
		t.Errorf("current after the new install: %v %v", cur, err)
	}
}

func TestLoadFromRepo(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	url, dir := helmtest.Repo(t,
		helmtest.Chart("argo-cd", "7.7.3", "a: 1\n", nil), helmtest.Chart("argo-cd", "7.8.0", "a: 2\n", nil))
	ch, err := LoadFromRepo(url, "argo-cd", "7.7.3")
	if err != nil || ch.Metadata.Version != "7.7.3" || ch.Values["a"] != float64(1) {
		t.Fatalf("pinned version: %v %v", ch, err)
	}
	if _, err := LoadFromRepo(url, "argo-cd", "9.9.9"); err == nil || !strings.Contains(err.Error(), "is not in") {
		t.Errorf("a version the repository lacks: %v", err)
	}
	if _, err := LoadFromRepo(url, "vcluster", "0.36.1"); err == nil {
		t.Error("a chart the repository lacks")
	}
	// A tampered archive is refused by its digest.
	if err := os.WriteFile(filepath.Join(dir, "argo-cd-7.8.0.tgz"), []byte("not the chart"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFromRepo(url, "argo-cd", "7.8.0"); err == nil || !strings.Contains(err.Error(), "the index says") {
		t.Errorf("a tampered archive: %v", err)
	}
	if _, err := LoadFromRepo("http://127.0.0.1:1", "argo-cd", "7.7.3"); err == nil {
		t.Error("an unreachable repository")
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Errorf("loading from a repository wrote into $HOME: %v", ents)
	}
	// A local archive, for a server room without internet.
	if ch, err := LoadFile(filepath.Join(dir, "argo-cd-7.7.3.tgz")); err != nil || ch.Metadata.Name != "argo-cd" {
		t.Errorf("local archive: %v", err)
	}
}
