//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// installLab is one install scenario on the shared lab's Omni state server: its own six machines (so
// scenarios never share a machine), a Talos version catalogue, an image factory served by the test on
// 127.0.0.1, and a stand-in for Omni's controllers that plays each machine's install once the template
// has put it in the cluster, the way kwok plays kubelets.
type installLab struct {
	t       *testing.T
	om      *platform.Omni
	cluster string
	ids     []string
	home    string
	isoDir  string
	iso     []byte
	// image is what the factory serves now: the handler of a download the client gave up on may still be
	// copying the previous bytes when a test changes them, so each response reads its own slice.
	image    atomic.Pointer[[]byte]
	isoGets  atomic.Int64
	ranges   atomic.Int64
	slow     atomic.Bool
	factory  *httptest.Server
	answers  string
	stopCtrl context.CancelFunc
	ctrlDone chan struct{}
}

const installTalos, installKube = "1.8.0", "1.31.1"

func newInstallLab(t *testing.T, cluster string, isoBytes int) *installLab {
	t.Helper()
	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: shared.lab.OmniEndpoint()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { om.Close() })
	l := &installLab{t: t, om: om, cluster: cluster, home: t.TempDir(), isoDir: t.TempDir(), iso: make([]byte, isoBytes)}
	rand.Read(l.iso)
	l.serve(l.iso)
	modified := time.Now()
	l.factory = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/image/") || !strings.HasSuffix(r.URL.Path, "/v"+installTalos+"/metal-amd64.iso") {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodGet {
			l.isoGets.Add(1)
			if r.Header.Get("Range") != "" {
				l.ranges.Add(1)
			}
		}
		w.Header().Set("ETag", `"iso-1"`)
		if l.slow.Load() {
			w = &slowWriter{ResponseWriter: w}
		}
		http.ServeContent(w, r, "metal-amd64.iso", modified, bytes.NewReader(*l.image.Load()))
	}))
	t.Cleanup(l.factory.Close)

	ctx := context.Background()
	fc := omni.NewFeaturesConfig(omni.FeaturesConfigID)
	if _, err := safe.StateUpdateWithConflicts(ctx, om.State(), fc.Metadata(), func(r *omni.FeaturesConfig) error {
		r.TypedSpec().Value.ImageFactoryBaseUrl = l.factory.URL
		return nil
	}); err != nil {
		fc.TypedSpec().Value.ImageFactoryBaseUrl = l.factory.URL
		if err := om.State().Create(ctx, fc); err != nil && !state.IsConflictError(err) {
			t.Fatalf("features config: %v", err)
		}
	}
	tv := omni.NewTalosVersion(installTalos)
	tv.TypedSpec().Value = &specs.TalosVersionSpec{Version: installTalos, CompatibleKubernetesVersions: []string{"1.30.0", installKube}}
	if err := om.State().Create(ctx, tv); err != nil && !state.IsConflictError(err) {
		t.Fatal(err)
	}
	l.writeMachines()
	l.writeAnswers()
	return l
}

// serve makes the factory serve these bytes from now on.
func (l *installLab) serve(b []byte) { l.image.Store(&b) }

// writeMachines writes six machines booted from the ISO: three control planes (the first still has the
// installer's USB key as /dev/sda) and three workers with two pool HDDs each.
func (l *installLab) writeMachines() {
	ctx := context.Background()
	for i := range 6 {
		id := fmt.Sprintf("%08x-0031-4d10-8035-%012x", i+1, hashOf(l.cluster))
		l.ids = append(l.ids, id)
		host := fmt.Sprintf("%s-cp-%d", l.cluster, i+1)
		disks := []*specs.MachineStatusSpec_HardwareStatus_BlockDevice{{
			LinuxName: "/dev/sda", Model: "Samsung SSD 860", Serial: fmt.Sprintf("S3YH%02d%s", i, l.cluster[len(l.cluster)-2:]),
			Wwid: fmt.Sprintf("naa.5002538e40a1%02x%02x", i, hashOf(l.cluster)&0xff), Size: 250e9, Type: "SSD", Transport: "sata"}}
		if i == 0 {
			disks[0].LinuxName = "/dev/sdb"
			disks = append(disks, &specs.MachineStatusSpec_HardwareStatus_BlockDevice{LinuxName: "/dev/sda",
				Model: "SanDisk Cruzer Blade", Serial: "4C53" + l.cluster, Size: 16e9, Type: "HDD", Transport: "usb"})
		}
		if i >= 3 {
			host = fmt.Sprintf("%s-w-%d", l.cluster, i-2)
			for j := range 2 {
				disks = append(disks, &specs.MachineStatusSpec_HardwareStatus_BlockDevice{
					LinuxName: fmt.Sprintf("/dev/sd%c", 'b'+j), Model: "WDC WD30EFRX-68E",
					Serial: fmt.Sprintf("WD-%d%d%s", i, j, l.cluster), Wwid: fmt.Sprintf("naa.50014ee2b6a2%02x%02x", i, j),
					Size: 3e12, Type: "HDD", Transport: "sata"})
			}
		}
		ms := omni.NewMachineStatus(id)
		ms.TypedSpec().Value = &specs.MachineStatusSpec{Connected: true, Maintenance: true,
			Network: &specs.MachineStatusSpec_NetworkStatus{Hostname: host},
			Hardware: &specs.MachineStatusSpec_HardwareStatus{Arch: "amd64", Blockdevices: disks,
				Processors:    []*specs.MachineStatusSpec_HardwareStatus_Processor{{CoreCount: 4}},
				MemoryModules: []*specs.MachineStatusSpec_HardwareStatus_MemoryModule{{SizeMb: 16384}}}}
		if err := l.om.State().Create(ctx, ms); err != nil && !state.IsConflictError(err) {
			l.t.Fatal(err)
		}
	}
}

func hashOf(s string) uint64 {
	h := sha256.Sum256([]byte(s))
	var n uint64
	for _, b := range h[:6] {
		n = n<<8 | uint64(b)
	}
	return n
}

func (l *installLab) writeAnswers() {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\niso:\n  talosVersion: %s\n  dir: %s\ncluster:\n  name: %s\n  kubernetesVersion: %s\nmachines:\n",
		installTalos, l.isoDir, l.cluster, installKube)
	for i, id := range l.ids {
		role := "controlplane"
		if i >= 3 {
			role = "worker"
		}
		fmt.Fprintf(&b, "  - id: %s\n    role: %s\n    installDisk: {serial: S3YH%02d%s}\n", id, role, i, l.cluster[len(l.cluster)-2:])
		if i >= 3 {
			fmt.Fprintf(&b, "    poolDisks:\n      - {serial: WD-%d0%s}\n      - {serial: WD-%d1%s}\n", i, l.cluster, i, l.cluster)
		}
	}
	l.answers = filepath.Join(l.t.TempDir(), "answers.yaml")
	if err := os.WriteFile(l.answers, []byte(b.String()), 0o600); err != nil {
		l.t.Fatal(err)
	}
}

// startControllers plays Omni's controllers for the cluster (omnisim's install simulator, writing
// through the real omni client over gRPC, as Omni's controllers would write its state): each machine the
// template put in the cluster installs and runs; once all run, the cluster is ready.
func (l *installLab) startControllers() {
	ctx, cancel := context.WithCancel(context.Background())
	l.stopCtrl, l.ctrlDone = cancel, make(chan struct{})
	l.t.Cleanup(l.stopControllers)
	sim := omnisim.NewInstallSim(l.om.State(), omnisim.InstallOptions{Poll: 100 * time.Millisecond, Settle: 300 * time.Millisecond})
	go func() {
		defer close(l.ctrlDone)
		_ = sim.Run(ctx)
	}()
}

func (l *installLab) stopControllers() {
	if l.stopCtrl != nil {
		l.stopCtrl()
		<-l.ctrlDone
		l.stopCtrl = nil
	}
}

func (l *installLab) env() map[string]string {
	return map[string]string{"OMNI_ENDPOINT": shared.lab.OmniEndpoint(), "HOME": l.home}
}

// part1 are the steps these tests cover: the Vault steps have their own tests (install_vault_test.go),
// which never touch the shared lab's Vault.
const part1 = "preflight,iso,machines,disks,cluster"

// install runs the unattended install; without --only, part 1's steps.
func (l *installLab) install(args ...string) result {
	if !slices.Contains(args, "--only") {
		args = append(args, "--only", part1)
	}
	return runCLI(l.t, l.env(), append([]string{"install", "--answers", l.answers}, args...)...)
}

// omniCounts counts what the cluster's template created in Omni, by resource type.
func (l *installLab) omniCounts() map[string]int {
	ctx := context.Background()
	q := state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, l.cluster))
	out := map[string]int{}
	nodes, err := safe.StateListAll[*omni.MachineSetNode](ctx, l.om.State(), q)
	if err != nil {
		l.t.Fatal(err)
	}
	out["MachineSetNode"] = nodes.Len()
	sets, _ := safe.StateListAll[*omni.MachineSet](ctx, l.om.State(), q)
	out["MachineSet"] = sets.Len()
	patches, _ := safe.StateListAll[*omni.ConfigPatch](ctx, l.om.State(), q)
	out["ConfigPatch"] = patches.Len()
	if _, err := safe.StateGetByID[*omni.Cluster](ctx, l.om.State(), l.cluster); err == nil {
		out["Cluster"] = 1
	}
	return out
}

// patchesText is every config patch of the cluster, concatenated.
func (l *installLab) patchesText() string {
	patches, err := safe.StateListAll[*omni.ConfigPatch](context.Background(), l.om.State(),
		state.WithLabelQuery(resource.LabelEqual(omni.LabelCluster, l.cluster)))
	if err != nil {
		l.t.Fatal(err)
	}
	var b strings.Builder
	patches.ForEach(func(p *omni.ConfigPatch) {
		data, _ := p.TypedSpec().Value.GetUncompressedData()
		b.Write(data.Data())
		data.Free()
		b.WriteString("\n---\n")
	})
	return b.String()
}

func wantCounts(t *testing.T, got map[string]int) {
	t.Helper()
	want := map[string]int{"Cluster": 1, "MachineSet": 2, "MachineSetNode": 6, "ConfigPatch": 9}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d in Omni, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// TestInstallFromAnswers runs part 1 unattended against the lab's Omni with the real omni client:
// template, patches by by-id path, ISO with its digest, kubeconfig, state file; then again, changing nothing.
func TestInstallFromAnswers(t *testing.T) {
	l := newInstallLab(t, "e2e-inst-a", 3<<20)
	l.startControllers()

	r := l.install("--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "# plan") || strings.Contains(r.stdout, "problem:") {
		t.Fatalf("dry run: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if c := l.omniCounts(); c["Cluster"] != 0 || l.isoGets.Load() != 0 {
		t.Fatalf("--dry-run touched something: %v, %d ISO downloads", c, l.isoGets.Load())
	}

	r = l.install()
	if r.code == 0 || !strings.Contains(r.stderr, "--confirm-wipe "+l.cluster) {
		t.Fatalf("without --confirm-wipe the cluster step must stop: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "/dev/disk/by-id/wwn-0x") || !strings.Contains(r.stdout, "Mayastor pool disk") {
		t.Errorf("the refusal must list the disks to be wiped by by-id path:\n%s", r.stdout)
	}
	if c := l.omniCounts(); c["Cluster"] != 0 {
		t.Fatalf("the cluster was created without confirmation: %v", c)
	}

	r = l.install("--confirm-wipe", l.cluster)
	if r.code != 0 {
		t.Fatalf("install: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantCounts(t, l.omniCounts())
	patches := l.patchesText()
	if strings.Count(patches, "disk: /dev/disk/by-id/wwn-0x5002538e40a1") != 6 || strings.Contains(patches, "/dev/sd") {
		t.Errorf("install-disk patches must name every disk by its WWN path, never /dev/sdX:\n%s", patches)
	}
	if strings.Count(patches, "nvme_tcp") != 3 || strings.Count(patches, "vm.nr_hugepages") != 3 {
		t.Errorf("the three pool workers need the Mayastor patch:\n%s", patches)
	}

	isos, _ := filepath.Glob(filepath.Join(l.isoDir, "*.iso"))
	if len(isos) != 1 {
		t.Fatalf("ISO files: %v", isos)
	}
	sum := sha256.Sum256(l.iso)
	if b, err := os.ReadFile(isos[0] + ".sha256"); err != nil || !strings.HasPrefix(string(b), hex.EncodeToString(sum[:])) {
		t.Errorf("sha256 file: %q %v", b, err)
	}
	kc := filepath.Join(l.home, ".config", "cedille-tui", l.cluster+".kubeconfig")
	if fi, err := os.Stat(kc); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig %s: %v %v", kc, fi, err)
	}
	want, _ := os.ReadFile(shared.lab.KubeconfigPath())
	if got, _ := os.ReadFile(kc); !bytes.Equal(got, want) {
		t.Errorf("the saved kubeconfig is not the one Omni served")
	}
	st := filepath.Join(l.home, ".local", "state", "cedille-tui", "install.yaml")
	if fi, err := os.Stat(st); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file %s: %v %v", st, fi, err)
	}
	if !strings.Contains(r.stdout, "open the console: cedille-tui --kubeconfig "+kc) {
		t.Errorf("no hand-over line:\n%s", r.stdout)
	}

	gets := l.isoGets.Load()
	r = l.install("--confirm-wipe", l.cluster)
	if r.code != 0 || strings.Contains(r.stdout, "creating") || !strings.Contains(r.stdout, "[cluster] done: cluster "+l.cluster+" ready") {
		t.Fatalf("a rerun must find every step done and change nothing: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	wantCounts(t, l.omniCounts())
	if l.isoGets.Load() != gets {
		t.Errorf("a rerun downloaded the ISO again")
	}

	// A later machine, from a state lost since: the saved preset pins the image's digest, so a factory
	// now serving other bytes for the same schematic is refused, and the partial file kept.
	if err := os.Remove(st); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(isos[0])
	_ = os.Remove(isos[0] + ".sha256")
	other := bytes.Clone(l.iso)
	other[0] ^= 0xff
	l.serve(other)
	r = l.install("--only", "preflight,iso")
	if r.code == 0 || !strings.Contains(r.stderr, "SHA-256 mismatch") || !strings.Contains(r.stderr, hex.EncodeToString(sum[:])) {
		t.Fatalf("the preset must pin the digest: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(isos[0] + ".part"); err != nil {
		t.Errorf("the partial file must be kept after a mismatch: %v", err)
	}
}

// TestInstallResumesAfterEachStep interrupts the install after each step (by running only up to it),
// then reruns it whole: it continues where it stopped, and Omni ends with the same resources, no more.
func TestInstallResumesAfterEachStep(t *testing.T) {
	order := []string{"preflight", "iso", "machines", "disks"}
	for i, stop := range order {
		t.Run("after "+stop, func(t *testing.T) {
			l := newInstallLab(t, fmt.Sprintf("e2e-resume-%d%d", i, i), 1<<20)
			l.startControllers()
			r := l.install("--only", strings.Join(order[:i+1], ","))
			if r.code != 0 {
				t.Fatalf("first part: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if c := l.omniCounts(); c["Cluster"] != 0 {
				t.Fatalf("the cluster exists before its step: %v", c)
			}
			r = l.install("--confirm-wipe", l.cluster)
			if r.code != 0 {
				t.Fatalf("resume: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			for _, done := range order[:i+1] {
				if !strings.Contains(r.stdout, "["+done+"] done") {
					t.Errorf("the resume did not find step %s done:\n%s", done, r.stdout)
				}
			}
			if i >= 1 && l.isoGets.Load() != 1 {
				t.Errorf("the ISO was downloaded %d times", l.isoGets.Load())
			}
			wantCounts(t, l.omniCounts())
		})
	}
}

// TestInstallDownloadResumesAfterKill kills the install in the middle of the ISO download; the rerun
// resumes the download with a Range request and completes with the right digest.
func TestInstallDownloadResumesAfterKill(t *testing.T) {
	l := newInstallLab(t, "e2e-inst-kill", 24<<20)
	l.slow.Store(true) // the download is under way when the process is killed
	cmd := exec.Command(shared.binary, "install", "--answers", l.answers, "--only", "preflight,iso")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + l.home, "OMNI_ENDPOINT=" + shared.lab.OmniEndpoint()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	part := ""
	eventually(t, 30*time.Second, "a partial download", func() bool {
		m, _ := filepath.Glob(filepath.Join(l.isoDir, "*.part"))
		if len(m) == 1 {
			if fi, err := os.Stat(m[0]); err == nil && fi.Size() > 1<<20 {
				part = m[0]
				return true
			}
		}
		return false
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	fi, _ := os.Stat(part)
	t.Logf("killed with %d of %d bytes", fi.Size(), len(l.iso))

	l.slow.Store(false)
	r := l.install("--only", "preflight,iso")
	if r.code != 0 {
		t.Fatalf("rerun: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if l.ranges.Load() == 0 {
		t.Error("the rerun did not resume with a Range request")
	}
	isos, _ := filepath.Glob(filepath.Join(l.isoDir, "*.iso"))
	sum := sha256.Sum256(l.iso)
	if len(isos) != 1 {
		t.Fatalf("ISO files: %v", isos)
	}
	if b, _ := os.ReadFile(isos[0]); !bytes.Equal(b, l.iso) {
		t.Error("the resumed ISO differs from the served one")
	}
	if b, _ := os.ReadFile(isos[0] + ".sha256"); !strings.HasPrefix(string(b), hex.EncodeToString(sum[:])) {
		t.Errorf("sha256 file: %q", b)
	}
}

// slowWriter writes in small, paced chunks.
type slowWriter struct{ http.ResponseWriter }

func (w *slowWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		c := min(len(b), 64<<10)
		m, err := w.ResponseWriter.Write(b[:c])
		n += m
		if err != nil {
			return n, err
		}
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		b = b[c:]
		time.Sleep(20 * time.Millisecond)
	}
	return n, nil
}

// TestInstallAnswersErrors: a malformed answers file names the line and field, and touches nothing.
func TestInstallAnswersErrors(t *testing.T) {
	l := newInstallLab(t, "e2e-inst-bad", 1<<10)
	b, _ := os.ReadFile(l.answers)
	bad := strings.Replace(string(b), "role: worker", "role: master", 1)
	bad = strings.Replace(bad, "kubernetesVersion:", "kubernetesVersio:", 1)
	if err := os.WriteFile(l.answers, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := l.install("--confirm-wipe", l.cluster)
	if r.code != 1 || !strings.Contains(r.stderr, "answers.yaml:7:") || !strings.Contains(r.stderr, `unknown field "kubernetesVersio"`) {
		t.Fatalf("code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if l.omniCounts()["Cluster"] != 0 || l.isoGets.Load() != 0 {
		t.Error("a malformed answers file touched something")
	}
}
