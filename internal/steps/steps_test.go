package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	appsv1 "k8s.io/api/apps/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8sfake "k8s.io/client-go/kubernetes/fake"
)

func TestResumeAt(t *testing.T) {
	ids := []ID{Preflight, ISO, Machines, Disks, Cluster}
	held := func(hs ...bool) []Outcome {
		out := make([]Outcome, len(hs))
		for i, h := range hs {
			out[i].Holds = h
		}
		return out
	}
	cases := []struct {
		name     string
		outcomes []Outcome
		only     map[ID]bool
		want     int
	}{
		{"fresh install starts at preflight", held(false, false, false, false, false), nil, 0},
		{"after the ISO, machines", held(true, true, false, false, false), nil, 2},
		{"a later step holding does not skip an earlier gap", held(true, false, true, true, true), nil, 1},
		{"everything holds", held(true, true, true, true, true), nil, 5},
		{"--only skips unselected gaps", held(false, false, false, false, false), map[ID]bool{Disks: true}, 3},
		{"--only of a step that holds", held(false, true, false, false, false), map[ID]bool{ISO: true}, 5},
		{"fewer outcomes than steps (a check failed)", held(true), nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ResumeAt(ids, c.outcomes, c.only); got != c.want {
				t.Errorf("ResumeAt = %d, want %d", got, c.want)
			}
		})
	}
}

func TestParseOnly(t *testing.T) {
	known := []ID{Preflight, ISO, Machines, Disks, Cluster}
	cases := []struct {
		in      string
		want    []ID
		wantErr string
	}{
		{"", nil, ""},
		{"iso", []ID{ISO}, ""},
		{" iso , disks", []ID{ISO, Disks}, ""},
		{"iso,vault", nil, `unknown step "vault" (steps: preflight, iso, machines, disks, cluster)`},
	}
	for _, c := range cases {
		got, err := ParseOnly(c.in, known)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: err = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
		for _, id := range c.want {
			if !got[id] {
				t.Errorf("%q: %s not selected", c.in, id)
			}
		}
	}
}

func machineStatus(id, host string, connected bool, disks ...*specs.MachineStatusSpec_HardwareStatus_BlockDevice) *omni.MachineStatus {
	m := omni.NewMachineStatus(id)
	m.TypedSpec().Value = &specs.MachineStatusSpec{Connected: connected, Maintenance: true,
		Network: &specs.MachineStatusSpec_NetworkStatus{Hostname: host, NetworkLinks: []*specs.MachineStatusSpec_NetworkStatus_NetworkLinkStatus{
			{LinuxName: "eno1", HardwareAddress: "d0:94:66:1a:3c:51", SpeedMbps: 1000, LinkUp: true},
			{LinuxName: "eno2", HardwareAddress: "d0:94:66:1a:3c:52"}}},
		Hardware: &specs.MachineStatusSpec_HardwareStatus{Arch: "amd64",
			Processors:    []*specs.MachineStatusSpec_HardwareStatus_Processor{{CoreCount: 4, Description: "Intel(R) Xeon(R) CPU E3-1230 v5"}},
			MemoryModules: []*specs.MachineStatusSpec_HardwareStatus_MemoryModule{{SizeMb: 8192}, {SizeMb: 8192}},
			Blockdevices:  disks}}
	return m
}

func talosVersion(v string, deprecated bool, ks ...string) *omni.TalosVersion {
	tv := omni.NewTalosVersion(v)
	tv.TypedSpec().Value = &specs.TalosVersionSpec{Version: v, CompatibleKubernetesVersions: ks, Deprecated: deprecated}
	return tv
}

func TestInventoryFrom(t *testing.T) {
	usb := &specs.MachineStatusSpec_HardwareStatus_BlockDevice{LinuxName: "/dev/sda", Model: "SanDisk Cruzer Blade",
		Serial: "4C53", Size: 16e9, Type: "HDD", Transport: "usb"}
	ssd := &specs.MachineStatusSpec_HardwareStatus_BlockDevice{LinuxName: "/dev/sdb", Model: "Samsung SSD 860",
		Serial: "S3YH", Wwid: "naa.5002538e40a1c3f7", Size: 250e9, Type: "SSD", Transport: "sata"}
	inv := InventoryFrom(
		[]*omni.MachineStatus{machineStatus("m1", "controlplane-1", true, ssd, usb), machineStatus("m2", "", false)},
		[]*omni.TalosVersion{talosVersion("1.10.7", false, "1.33.5"), talosVersion("1.9.3", false, "1.32.0"),
			talosVersion("1.4.0", true), talosVersion("1.11.5", false, "1.34.1")})
	if got := strings.Join(inv.TalosVersions, " "); got != "1.9.3 1.10.7 1.11.5" {
		t.Errorf("versions = %q (sorted numerically, deprecated left out)", got)
	}
	if ks := inv.KubernetesVersions["v1.11.5"]; len(ks) != 1 || ks[0] != "1.34.1" {
		t.Errorf("kubernetes versions of v1.11.5 = %v", ks)
	}
	if _, ok := inv.Machines["m2"]; ok {
		t.Error("a disconnected machine is not a candidate")
	}
	m := inv.Machines["m1"]
	if m.Cores != 4 || m.MemoryMiB != 16384 || m.Name() != "controlplane-1" || len(m.NICs) != 2 ||
		m.NICs[0] != "eno1 d0:94:66:1a:3c:51 1000 Mb/s" || m.NICs[1] != "eno2 d0:94:66:1a:3c:52 down" {
		t.Errorf("machine facts = %+v", m)
	}
	if len(m.Disks) != 2 || m.Disks[0].LinuxName != "/dev/sda" || m.Disks[0].Transport != "usb" || m.Disks[1].WWID == "" {
		t.Errorf("disks = %+v (sorted by Linux name)", m.Disks)
	}
}

func TestResolveFillsIdentityAndPaths(t *testing.T) {
	inv := &plan.Inventory{Machines: map[string]plan.MachineFacts{"w1": {ID: "w1", Hostname: "worker-1", Disks: []plan.DiskFacts{
		{LinuxName: "/dev/sda", Serial: "SSD1", WWID: "naa.5002538e4b2c91d0", Model: "Samsung SSD 860", Size: 500e9, Transport: "sata"},
		{LinuxName: "/dev/sdb", Serial: "WD-WCC4N5DAHR67", WWID: "naa.50014ee2b6a1f3c2", Model: "WDC WD30EFRX-68E", Size: 3e12, Transport: "sata"},
	}}}}
	p := plan.Plan{Machines: []plan.Machine{{ID: "w1", Role: plan.RoleWorker, InstallDisk: plan.Disk{Serial: "SSD1"},
		PoolDisks: []plan.Disk{{Serial: "WD-WCC4N5DAHR67"}}}}}
	got, items := Resolve(p, inv)
	m := got.Machines[0]
	if m.InstallDisk.ByID != "/dev/disk/by-id/wwn-0x5002538e4b2c91d0" || m.InstallDisk.WWID == "" ||
		m.PoolDisks[0].ByID != "/dev/disk/by-id/wwn-0x50014ee2b6a1f3c2" {
		t.Errorf("resolved = %+v", m)
	}
	if p.Machines[0].InstallDisk.ByID != "" {
		t.Error("Resolve modified its input")
	}
	if len(items) != 2 || !strings.Contains(items[0].Detail, "/dev/sda") || items[1].State != "pool" {
		t.Errorf("items = %+v", items)
	}
}

func TestStageItems(t *testing.T) {
	cms := func(id, node string, stage specs.ClusterMachineStatusSpec_Stage, ready bool, cfgErr string) *omni.ClusterMachineStatus {
		c := omni.NewClusterMachineStatus(id)
		c.Metadata().Labels().Set(omni.ClusterMachineStatusLabelNodeName, node)
		c.TypedSpec().Value = &specs.ClusterMachineStatusSpec{Stage: stage, Ready: ready, LastConfigError: cfgErr}
		return c
	}
	// Before Talos runs, Omni knows no node name: the machine is named by the plan's hostname, not its UUID.
	const uuid = "4c4c4544-0048-3610-8059-c3c04f395a32"
	items, ready := stageItems([]*omni.ClusterMachineStatus{
		cms("b", "worker-1", specs.ClusterMachineStatusSpec_INSTALLING, false, ""),
		cms("a", "controlplane-1", specs.ClusterMachineStatusSpec_RUNNING, true, ""),
		cms("c", "worker-2", specs.ClusterMachineStatusSpec_CONFIGURING, false, "failed to apply: disk /dev/disk/by-id/x not found\nmore"),
		cms(uuid, "", specs.ClusterMachineStatusSpec_POWERING_ON, false, ""),
	}, map[string]string{uuid: "worker-3", "a": "controlplane-1"})
	if ready != 1 || len(items) != 4 {
		t.Fatalf("ready %d items %+v", ready, items)
	}
	if items[0].Name != "controlplane-1" || !items[0].OK || items[1].State != "installing" ||
		!items[2].Failed || items[2].Detail != "config error: failed to apply: disk /dev/disk/by-id/x not found" {
		t.Errorf("items = %+v", items)
	}
	if items[3].Name != "worker-3" || items[3].State != "powering on" {
		t.Errorf("the machine without a node name = %+v, want worker-3, powering on", items[3])
	}
}

func TestStoreSavesPrivatelyAndAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "cedille-tui")
	s := NewStore(dir)
	if _, found, err := s.Load(); found || err != nil {
		t.Fatalf("empty store: found=%v err=%v", found, err)
	}
	sv := Saved{Plan: plan.New()}
	sv.Mark(ISO, Done, time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC), "")
	if err := s.Save(sv); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v err %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", di.Mode())
	}
	back, found, err := s.Load()
	if err != nil || !found || back.Steps[ISO].State != Done || back.Plan.Cluster.Name != plan.DefaultClusterName {
		t.Fatalf("load: %+v %v %v", back, found, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := os.WriteFile(s.Path, []byte("plan: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("damaged state: %v", err)
	}
}

func TestDirsFrom(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	d := DirsFrom(env(map[string]string{"HOME": "/home/op"}))
	if d.State != "/home/op/.local/state/cedille-tui" || d.Config != "/home/op/.config/cedille-tui" {
		t.Errorf("defaults: %+v", d)
	}
	d = DirsFrom(env(map[string]string{"HOME": "/home/op", "XDG_STATE_HOME": "/var/st", "XDG_CONFIG_HOME": "relative"}))
	if d.State != "/var/st/cedille-tui" || d.Config != "/home/op/.config/cedille-tui" {
		t.Errorf("XDG (relative paths are ignored, as the spec says): %+v", d)
	}
}

func TestImageURLAndPaths(t *testing.T) {
	i := plan.ISO{TalosVersion: "1.8.0", Arch: "amd64", Preset: "cedille", Dir: "/isos"}
	u, err := imageURL("https://factory.example/", "376567988ad3", i)
	if err != nil || u != "https://factory.example/image/376567988ad3/v1.8.0/metal-amd64.iso" {
		t.Errorf("url = %q %v", u, err)
	}
	if _, err := imageURL("not a url", "x", i); err == nil {
		t.Error("a bad factory address was accepted")
	}
	if got := isoPath(i); got != "/isos/metal-amd64-omni-cedille-v1.8.0.iso" {
		t.Errorf("path = %q", got)
	}
}

func TestPinnedDigest(t *testing.T) {
	e := &Env{ConfigDir: t.TempDir()}
	iso := plan.ISO{TalosVersion: "1.8.0", Arch: "amd64", Preset: "cedille"}
	built := iso
	built.SchematicID, built.SHA256, built.Built = "abc", "ff00", iso.Choices()
	if err := savePreset(e, built); err != nil {
		t.Fatal(err)
	}
	other := iso
	other.Extensions = []string{"siderolabs/iscsi-tools"}
	cases := []struct {
		name      string
		i         plan.ISO
		schematic string
		want      string
	}{
		{"the plan's own digest", built, "abc", "ff00"},
		{"a fresh plan with the preset's choices", iso, "abc", "ff00"},
		{"the schematic changed (another Omni)", iso, "def", ""},
		{"other choices", other, "abc", ""},
		{"no preset of that name", plan.ISO{TalosVersion: "1.8.0", Arch: "amd64", Preset: "other"}, "abc", ""},
	}
	for _, c := range cases {
		if got := pinnedDigest(e, c.i, c.schematic); got != c.want {
			t.Errorf("%s: pinned %q, want %q", c.name, got, c.want)
		}
	}
}

// TestSelectedFields: a run of some steps judges the plan on the fields those steps read, and always on
// the schema version; a run of every step, on all of them.
func TestSelectedFields(t *testing.T) {
	ss := []Step{PreflightStep{}, ISOStep{}, MachinesStep{}, DisksStep{}, ClusterStep{}, VaultInitStep{}, VaultUnsealStep{}}
	p := plan.Plan{Version: plan.SchemaVersion} // no ISO, no cluster, no machines, no Vault split
	p.Vault.Shares, p.Vault.Threshold = 5, 3
	cases := []struct {
		only     map[ID]bool
		want     []string // problem paths kept (prefixes)
		wantNone []string
	}{
		{map[ID]bool{VaultInit: true, VaultUnseal: true}, nil, []string{"iso", "machines", "cluster"}},
		{map[ID]bool{ISO: true}, []string{"iso.talosVersion"}, []string{"machines", "cluster"}},
		{nil, []string{"iso.talosVersion", "cluster.kubernetesVersion", "machines"}, nil},
	}
	for _, c := range cases {
		ps := p.Validate(nil).Only(SelectedFields(ss, c.only)...)
		for _, w := range c.want {
			if !slices.ContainsFunc(ps, func(pr plan.Problem) bool { return strings.HasPrefix(pr.Path, w) }) {
				t.Errorf("only %v: %s is not judged: %v", c.only, w, ps)
			}
		}
		for _, w := range c.wantNone {
			if slices.ContainsFunc(ps, func(pr plan.Problem) bool { return strings.HasPrefix(pr.Path, w) }) {
				t.Errorf("only %v: %s is judged though no selected step reads it: %v", c.only, w, ps)
			}
		}
	}
	p.Version = 99
	if ps := p.Validate(nil).Only(SelectedFields(ss, map[ID]bool{VaultInit: true})...); len(ps) != 1 || ps[0].Path != "version" {
		t.Errorf("the schema version is always judged: %v", ps)
	}
}

// TestForeignVClusters: a vcluster's own StatefulSet is no problem; another vcluster's is, one problem
// each, naming the ArgoCD Application that tracks it when it carries one.
func TestForeignVClusters(t *testing.T) {
	sts := func(name, instance string) appsv1.StatefulSet {
		s := appsv1.StatefulSet{}
		s.Name, s.Labels = name, map[string]string{"app": "vcluster"}
		if instance != "" {
			s.Labels["app.kubernetes.io/instance"] = instance
		}
		return s
	}
	c := plan.VCluster{Name: "staging", Namespace: "vcluster-staging"}
	cases := []struct {
		name string
		sts  []appsv1.StatefulSet
		want []string
	}{
		{"none", nil, nil},
		{"its own", []appsv1.StatefulSet{sts("staging", "")}, nil},
		{"the platform's", []appsv1.StatefulSet{sts("staging", ""), sts("vcluster-staging", "vcluster-staging")},
			[]string{"namespace vcluster-staging already runs vcluster vcluster-staging", "ArgoCD Application vcluster-staging", "name this vcluster vcluster-staging"}},
		{"one without ArgoCD", []appsv1.StatefulSet{sts("old", "")}, []string{"runs vcluster old (StatefulSet old)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := foreignVClusters(2, c, tc.sts)
			if len(tc.want) == 0 {
				if len(ps) != 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Path != "vclusters.clusters[2].name" {
				t.Fatalf("problems: %v", ps)
			}
			for _, w := range tc.want {
				if !strings.Contains(ps[0].Message, w) {
					t.Errorf("%q lacks %q", ps[0].Message, w)
				}
			}
		})
	}
}

// TestArgoTracking: the Application deploying an object comes from ArgoCD's tracking annotation, or its
// default instance label when Helm's release annotation is absent (a Helm release's objects carry both
// the label, for some charts, and the annotation).
func TestArgoTracking(t *testing.T) {
	cases := []struct {
		name        string
		labels, ann map[string]string
		want        string
	}{
		{"nothing", nil, nil, ""},
		{"annotation tracking", nil, map[string]string{"argocd.argoproj.io/tracking-id": "vcluster-prod:apps/StatefulSet:vcluster-prod/vcluster-prod"}, "vcluster-prod"},
		{"label tracking", map[string]string{"app.kubernetes.io/instance": "vcluster-staging"}, nil, "vcluster-staging"},
		{"a Helm release", map[string]string{"app.kubernetes.io/instance": "staging"}, map[string]string{"meta.helm.sh/release-name": "staging"}, ""},
	}
	for _, c := range cases {
		if got := argoTracking(metav1.ObjectMeta{Labels: c.labels, Annotations: c.ann}); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// kubeOnly reaches a fake cluster; Vault is never reached.
type kubeOnly struct{ k *platform.Kube }

func (f kubeOnly) Kube(context.Context, plan.Plan) (*platform.Kube, error) { return f.k, nil }
func (kubeOnly) Replicas(context.Context, plan.Plan, *platform.Kube) ([]*vaultops.Replica, error) {
	return nil, errors.New("no Vault in this test")
}
func (kubeOnly) InCluster() bool        { return false }
func (kubeOnly) Token() vaultops.Secret { return vaultops.Secret{} }

func fakeKube(typed ...runtime.Object) *platform.Kube {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{platform.ArgoApplication.GVR: "ApplicationList"})
	return &platform.Kube{Typed: k8sfake.NewClientset(typed...), Dynamic: dyn, Host: "https://fake"}
}

// TestApplyObject: the object is created, kept while its spec is the same (ArgoCD's status aside), and
// its spec updated when the plan changes it.
func TestApplyObject(t *testing.T) {
	ctx := context.Background()
	k := fakeKube()
	root := gitops.RootApplication("argocd", "https://git.example.org/p.git", "HEAD", "apps")
	for _, want := range []string{"created", "kept"} {
		if did, err := applyObject(ctx, k, platform.ArgoApplication, root.DeepCopy()); err != nil || did != want {
			t.Fatalf("%s: got %q %v", want, did, err)
		}
	}
	moved := gitops.RootApplication("argocd", "https://git.example.org/p.git", "main", "apps")
	if did, err := applyObject(ctx, k, platform.ArgoApplication, moved); err != nil || did != "updated" {
		t.Fatalf("a new revision: %q %v", did, err)
	}
	cur, _ := k.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd").Get(ctx, gitops.RootName, metav1.GetOptions{})
	if !sameSource(cur, plan.RootApp{RepoURL: "https://git.example.org/p.git", Revision: "main", Path: "apps"}) {
		t.Errorf("the update did not reach the server: %v", cur.Object["spec"])
	}
}

// TestArgoAppsChecks: the GitOps step holds while a deferred child (Vault's) is not Healthy; the hand-off
// does not, for it judges every child; a root pointing elsewhere, or none, does not hold.
func TestArgoAppsChecks(t *testing.T) {
	ctx := context.Background()
	p := plan.New()
	p.GitOps = plan.GitOps{Chart: plan.Chart{Repo: "https://charts.example.org", Version: "7.7.3"}, Domain: "argocd.example.org",
		Root: plan.RootApp{RepoURL: "https://git.example.org/p.git", Path: "apps"}}
	k := fakeKube()
	e := &Env{Vault: kubeOnly{k}, ConfigDir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(e.ConfigDir, HandoffFile), []byte("# hand-off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, _ := (GitOpsStep{}).Check(ctx, e, p); o.Holds || !strings.HasPrefix(o.Detail, "root Application: ") {
		t.Fatalf("no root: %+v", o)
	}

	apps := k.Dynamic.Resource(platform.ArgoApplication.GVR).Namespace("argocd")
	app := func(u *unstructured.Unstructured, health string, children ...string) {
		st := map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": health}}
		var res []any
		for _, c := range children {
			res = append(res, map[string]any{"kind": "Application", "name": c})
		}
		st["resources"] = res
		u.Object["status"] = st
		if _, err := apps.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	child := func(name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": name, "namespace": "argocd"}}}
	}
	app(gitops.RootApplication("argocd", p.GitOps.Root.RepoURL, plan.DefaultRootRevision, p.GitOps.Root.Path), "Healthy", "kuma", "vault")
	app(child("kuma"), "Healthy")
	app(child("vault"), "Degraded")
	if o, _ := (GitOpsStep{}).Check(ctx, e, p); !o.Holds {
		t.Errorf("the GitOps step waits for Vault's child: %+v", o)
	}
	if o, _ := (HandoffStep{}).Check(ctx, e, p); o.Holds || o.Detail != "1 of 2 Applications Synced and Healthy" {
		t.Errorf("the hand-off must judge Vault's child too: %+v", o)
	}
	p.GitOps.Root.Path = "elsewhere"
	if o, _ := (GitOpsStep{}).Check(ctx, e, p); o.Holds || !strings.Contains(o.Detail, "points elsewhere") {
		t.Errorf("a root at another path: %+v", o)
	}
}

// TestEnsureClass: a class already there with the plan's parameters is made the default, once; another
// default is named; a class with other parameters is refused and left alone.
func TestEnsureClass(t *testing.T) {
	ctx := context.Background()
	s := plan.Storage{}.WithDefaults()
	class := func(name, repl string, isDefault bool) *storagev1.StorageClass {
		sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: plan.MayastorProvisioner,
			Parameters: s.ClassParameters()}
		sc.Parameters["repl"] = repl
		if isDefault {
			sc.Annotations = map[string]string{DefaultClassAnnotation: "true"}
		}
		return sc
	}
	repl := fmt.Sprint(s.Replicas)
	k := fakeKube(class(s.Class, repl, false), class("local-path", "1", true))
	var said []string
	say := func(f string, a ...any) { said = append(said, fmt.Sprintf(f, a...)) }
	if err := ensureClass(ctx, k, s, say); err != nil {
		t.Fatal(err)
	}
	sc, _ := k.Typed.StorageV1().StorageClasses().Get(ctx, s.Class, metav1.GetOptions{})
	if sc.Annotations[DefaultClassAnnotation] != "true" {
		t.Errorf("not made the default: %v", sc.Annotations)
	}
	if err := ensureClass(ctx, k, s, say); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(said, "\n")
	for _, want := range []string{"StorageClass " + s.Class + " made the default class", "StorageClass " + s.Class + " already there, the default class",
		"StorageClass local-path is marked default too"} {
		if !strings.Contains(joined, want) {
			t.Errorf("did not say %q:\n%s", want, joined)
		}
	}

	k = fakeKube(class(s.Class, "1", false))
	if err := ensureClass(ctx, k, s, say); err == nil || !strings.Contains(err.Error(), "a class cannot be changed") {
		t.Errorf("a class with other parameters: %v", err)
	}
	if sc, _ := k.Typed.StorageV1().StorageClasses().Get(ctx, s.Class, metav1.GetOptions{}); sc.Annotations != nil || sc.Parameters["repl"] != "1" {
		t.Errorf("the other class was changed: %+v", sc)
	}
}

// TestWorkloadReady: a Deployment is ready once its controller saw the latest spec and every replica
// (one when unset) is updated and ready; a StatefulSet once every replica is ready; other kinds are
// not waited for.
func TestWorkloadReady(t *testing.T) {
	three := int32(3)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "server", Namespace: "argocd", Generation: 2},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, UpdatedReplicas: 1, ReadyReplicas: 1}}
	stale := dep.DeepCopy()
	stale.Name, stale.Status.ObservedGeneration = "stale", 1
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "redis", Namespace: "argocd"}, Spec: appsv1.StatefulSetSpec{Replicas: &three},
		Status: appsv1.StatefulSetStatus{ReadyReplicas: 2}}
	k := fakeKube(dep, stale, sts)
	cases := []struct {
		w           helmops.Workload
		ready, want int32
		ok          bool
	}{
		{helmops.Workload{Kind: "Deployment", Namespace: "argocd", Name: "server"}, 1, 1, true},
		{helmops.Workload{Kind: "Deployment", Namespace: "argocd", Name: "stale"}, 1, 1, false},
		{helmops.Workload{Kind: "StatefulSet", Namespace: "argocd", Name: "redis"}, 2, 3, false},
		{helmops.Workload{Kind: "DaemonSet", Namespace: "argocd", Name: "agent"}, 0, 0, true},
	}
	for _, c := range cases {
		ready, want, ok, err := workloadReady(context.Background(), k, c.w)
		if err != nil || ready != c.ready || want != c.want || ok != c.ok {
			t.Errorf("%s %s: %d/%d ok %v err %v; want %d/%d ok %v", c.w.Kind, c.w.Name, ready, want, ok, err, c.ready, c.want, c.ok)
		}
	}
	if _, _, _, err := workloadReady(context.Background(), k, helmops.Workload{Kind: "Deployment", Namespace: "argocd", Name: "gone"}); err == nil {
		t.Error("a missing Deployment must be an error")
	}
}

// TestPoolItem: a pool's line says its states, its capacity once known, and fails when Mayastor says
// it is Faulted or Degraded.
func TestPoolItem(t *testing.T) {
	cases := []struct {
		s             poolState
		state, detail string
		ok, failed    bool
	}{
		{poolState{}, "waiting for Mayastor", "", false, false},
		{poolState{cr: "Created", pool: "Online", capacity: 1 << 40, used: 1 << 30}, "Created Online", "1.0 TiB, 1.0 GiB used", true, false},
		{poolState{cr: "Created", pool: "Faulted"}, "Created Faulted", "", false, true},
	}
	for _, c := range cases {
		it := c.s.item("p")
		if it.State != c.state || it.Detail != c.detail || it.OK != c.ok || it.Failed != c.failed {
			t.Errorf("%+v: %+v", c.s, it)
		}
	}
}
