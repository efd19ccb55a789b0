// Package lab starts, on 127.0.0.1, the real servers cedille-tui's end-to-end tests run against: etcd,
// kube-apiserver, kube-controller-manager, kwok (fake nodes and pods), a non-dev uninitialized Vault,
// and a simulated Omni COSI state server (hack/lab/omnistate). The server binaries are built once by
// hack/lab/build.sh (make lab-build); Up builds nothing heavy.
//
// Every process runs in its own session with its output in <state>/logs/<name>.log; PIDs (with
// their start times, so a reused PID is never mistaken for ours) and ports are kept in
// <state>/lab.json, and stopping signals exactly those process groups.
//
// Vault replicas as pods: code that reaches Vault's pods through the Kubernetes API's
// pods/portforward (k8s.io/client-go/tools/portforward, as kubectl port-forward does) works here
// against the lab's one real Vault. Lab.CreateVaultReplicas makes StatefulSet vault/vault with pods
// vault-0.. (container port 8200) on the kwok node lab-vault-node, which advertises InternalIP
// 127.0.0.1 and kwok's port as its kubelet endpoint (kwok's --node-ip/--node-port; the apiserver runs
// with --kubelet-preferred-address-types=InternalIP). A pods/portforward request goes client ->
// kube-apiserver -> https://127.0.0.1:<kwok port>/portForward/vault/vault-N (kwok's TLS serving
// certificate and the apiserver's kubelet client certificate come from the lab PKI, verified against
// the lab CA) -> kwok, whose ClusterPortForward (<state>/kwok/forwards.yaml, rendered at each start)
// dials 127.0.0.1:<Vault's port> for port 8200 of any pod in namespace vault. Every replica is thus
// the same Vault, and only port 8200 is forwarded. pods/proxy cannot stand in for this: the
// apiserver proxies it to the pod IP itself and refuses any pod IP that is not global unicast
// ("address not allowed"), so loopback is out, and kwok's pod IPs (10.0.0.0/24) lead nowhere. Pods
// on nodes created with explicit addresses (hack/loadgen's 10.0.x.y nodes) cannot be forwarded to.
package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const stateVersion = 1

// modulePath is the Go module whose checkout holds hack/lab/omnistate.
const modulePath = "github.com/clubcedille/cedille-tui"

// omniPackage is the omnistate main package, relative to the repo root.
const omniPackage = "./hack/lab/omnistate"

// Options configure Up. Zero values take the defaults below.
type Options struct {
	// StateDir holds PKI, data, logs, lab.json and lab.env. Default DefaultStateDir().
	StateDir string
	// BinDir holds the servers built by hack/lab/build.sh. Default DefaultBinDir().
	BinDir string
	// RepoRoot is the cedille-tui checkout omnistate is built from. Default: the enclosing
	// checkout of the working directory.
	RepoRoot string
	// Logf receives progress lines. Default: discard.
	Logf func(format string, args ...any)
	// Components to run (dependencies are added). Default: all; omnistate is then skipped, with a
	// log line, while its source is absent from RepoRoot.
	Components []string
	// ReadyTimeout bounds each component's readiness wait. Default 2 minutes.
	ReadyTimeout time.Duration
	// VaultSealFile, when set, is an HCL file holding a seal stanza (an auto-unseal seal such as
	// transit) that Vault's config includes at each start. The state file (lab.json) keeps only its
	// path; the stanza, and a token in it, is copied into Vault's own config file (0600).
	VaultSealFile string
	// Era2 makes the API server serve era 2's CRDs (Era2CRDs) instead of era 1's: a cluster of the fleet.
	Era2 bool
}

// Lab is a running (or attached) lab.
type Lab struct {
	mu       sync.Mutex
	p        layout
	st       stateFile
	pki      *PKI
	children map[string]*child
	logf     func(string, ...any)
	timeout  time.Duration
	reused   bool
	era2     bool
}

type stateFile struct {
	Version    int                   `json:"version"`
	BinDir     string                `json:"binDir"`
	RepoRoot   string                `json:"repoRoot,omitempty"`
	OmniBin    string                `json:"omniBin,omitempty"`
	Components []string              `json:"components"`
	Ports      map[string]int        `json:"ports"`
	Procs      map[string]procRecord `json:"procs"`
	// VaultSealFile is Options.VaultSealFile: a path, never the stanza.
	VaultSealFile string `json:"vaultSealFile,omitempty"`
}

type procRecord struct {
	PID       int       `json:"pid"`
	StartTime uint64    `json:"startTime"`
	Started   time.Time `json:"started"`
}

// DefaultStateDir is ${XDG_STATE_HOME:-$HOME/.local/state}/cedille-tui-lab.
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "cedille-tui-lab")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "state", "cedille-tui-lab")
}

// DefaultBinDir is $CEDILLE_LAB_BIN, else the bin dir hack/lab/build.sh fills:
// ${CEDILLE_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cedille-tui-lab}/bin.
func DefaultBinDir() string {
	if d := os.Getenv("CEDILLE_LAB_BIN"); d != "" {
		return d
	}
	return filepath.Join(cacheDir(), "bin")
}

// cacheDir is ${CEDILLE_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cedille-tui-lab}.
func cacheDir() string {
	if d := os.Getenv("CEDILLE_LAB_CACHE"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "cedille-tui-lab")
}

// omniBinaryPath is where omnistate is built for a checkout: a fixed path per repo root, because
// `go build -o` skips the (slow, ~12 s here) link when the file there is already up to date.
func omniBinaryPath(repoRoot string) string {
	sum := sha256.Sum256([]byte(repoRoot))
	return filepath.Join(cacheDir(), "omnistate", hex.EncodeToString(sum[:6]), "omnistate")
}

// FindRepoRoot walks up from dir to the checkout of this module.
func FindRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(first) == "module "+modulePath {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("lab: no checkout of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func (o Options) withDefaults() Options {
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	if o.BinDir == "" {
		o.BinDir = DefaultBinDir()
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 2 * time.Minute
	}
	if o.RepoRoot == "" {
		if wd, err := os.Getwd(); err == nil {
			o.RepoRoot, _ = FindRepoRoot(wd)
		}
	}
	if abs, err := filepath.Abs(o.StateDir); err == nil {
		o.StateDir = abs
	}
	if abs, err := filepath.Abs(o.BinDir); err == nil {
		o.BinDir = abs
	}
	return o
}

// Up starts the lab in o.StateDir and waits until every component is ready, the CRDs are
// Established and lab.env is written. A lab already running there with every requested component
// alive and ready is reused (Reused reports it); one partly running is an error; the records of a
// lab whose processes are all gone are cleaned and the lab is started again on the same data.
func Up(ctx context.Context, o Options) (*Lab, error) {
	o = o.withDefaults()
	comps, err := resolveComponents(o.Components)
	if err != nil {
		return nil, err
	}
	p := layout{o.StateDir}
	for _, d := range []string{p.dir, p.logs()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	unlock, err := lockState(ctx, p)
	if err != nil {
		return nil, err
	}
	defer unlock()

	prev, err := readState(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if prev != nil {
		if l, err := reuse(ctx, p, prev, comps, o); l != nil || err != nil {
			return l, err
		}
	}

	if slices.Contains(comps, OmniState) && !omniSourcePresent(o.RepoRoot) {
		if slices.Contains(o.Components, OmniState) {
			return nil, fmt.Errorf("lab: omnistate requested but %s is not in repo root %q", omniPackage, o.RepoRoot)
		}
		o.Logf("lab: omnistate skipped: %s not found in repo root %q", omniPackage, o.RepoRoot)
		comps = slices.DeleteFunc(comps, func(c string) bool { return c == OmniState })
	}
	if err := checkBinaries(o.BinDir, comps); err != nil {
		return nil, err
	}
	pki, err := ensurePKI(p.pki())
	if err != nil {
		return nil, fmt.Errorf("lab: PKI: %w", err)
	}

	// Ports: keep the previous lab's where still free.
	var slots []string
	for _, c := range comps {
		slots = append(slots, portSlots(c)...)
	}
	var prefer []int
	for _, s := range slots {
		if prev != nil {
			prefer = append(prefer, prev.Ports[s])
		} else {
			prefer = append(prefer, 0)
		}
	}
	ports, err := allocPorts(len(slots), prefer)
	if err != nil {
		return nil, fmt.Errorf("lab: ports: %w", err)
	}
	st := stateFile{
		Version: stateVersion, BinDir: o.BinDir, RepoRoot: o.RepoRoot, OmniBin: omniBinaryPath(o.RepoRoot), Components: comps,
		Ports: map[string]int{}, Procs: map[string]procRecord{}, VaultSealFile: o.VaultSealFile,
	}
	for i, s := range slots {
		st.Ports[s] = ports[i]
	}
	if prev != nil && slices.Contains(comps, OmniState) && prev.Ports[portOmni] > 0 && portFree(prev.Ports[portOmni]) {
		st.Ports[portOmni] = prev.Ports[portOmni]
	}
	l := &Lab{p: p, st: st, pki: pki, children: map[string]*child{}, logf: o.Logf, timeout: o.ReadyTimeout, era2: o.Era2}
	_ = os.Remove(p.envFile())
	if err := l.save(); err != nil {
		return nil, err
	}
	if slices.Contains(comps, KubeAPIServer) {
		kc, err := renderKubeconfig("https://"+loopback(st.Ports[portAPIServer]), pki)
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(p.kubeconfig(), kc, 0o600); err != nil {
			return nil, err
		}
	}
	if err := l.startAll(ctx); err != nil {
		l.logf("lab: start failed, stopping what was started: %v", err)
		_ = l.stopAll()
		return nil, err
	}
	if err := writeFileAtomic(p.envFile(), []byte(renderEnvFile(l.Env())), 0o600); err != nil {
		_ = l.stopAll()
		return nil, err
	}
	return l, nil
}

// reuse returns the running lab described by prev when it covers comps and is ready, an error when
// it is partly running, and (nil, nil) when nothing of it runs any more (a stale state).
func reuse(ctx context.Context, p layout, prev *stateFile, comps []string, o Options) (*Lab, error) {
	var alive, dead []string
	for _, c := range prev.Components {
		r := prev.Procs[c]
		if running(r.PID, r.StartTime) {
			alive = append(alive, fmt.Sprintf("%s (pid %d)", c, r.PID))
		} else {
			dead = append(dead, c)
		}
	}
	if len(alive) == 0 {
		for _, c := range prev.Components {
			if prev.Procs[c].PID > 0 {
				o.Logf("lab: cleaning stale state in %s: recorded processes are gone", p.dir)
				break
			}
		}
		_ = os.Remove(p.envFile())
		_ = os.Remove(p.omniAddrFile())
		return nil, nil
	}
	var missing []string
	for _, c := range comps {
		if !slices.Contains(prev.Components, c) {
			missing = append(missing, c)
		}
	}
	if len(dead) > 0 || len(missing) > 0 {
		return nil, fmt.Errorf("lab: a lab is partly running in %s (running: %s; stopped: %s; not part of it: %s); stop it first: go run ./hack/lab/cmd/lab down --state %s",
			p.dir, strings.Join(alive, ", "), orNone(dead), orNone(missing), p.dir)
	}
	pki, err := loadPKI(p.pki())
	if err != nil {
		return nil, err
	}
	l := &Lab{p: p, st: *prev, pki: pki, children: map[string]*child{}, logf: o.Logf, timeout: o.ReadyTimeout, reused: true, era2: o.Era2}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, c := range prev.Components {
		if err := l.waitReady(rctx, c); err != nil {
			return nil, fmt.Errorf("lab: a lab is running in %s but %s is not ready (%v); stop it first: go run ./hack/lab/cmd/lab down --state %s", p.dir, c, err, p.dir)
		}
	}
	o.Logf("lab: reusing the lab running in %s", p.dir)
	if _, err := os.Stat(p.envFile()); err != nil {
		if err := writeFileAtomic(p.envFile(), []byte(renderEnvFile(l.Env())), 0o600); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Attach returns the lab recorded in stateDir, for down/env/status from another process. Its
// processes are not children of the caller; Stop and Start work on them all the same.
func Attach(stateDir string) (*Lab, error) {
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	if abs, err := filepath.Abs(stateDir); err == nil {
		stateDir = abs
	}
	p := layout{stateDir}
	st, err := readState(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lab: no lab in %s (no lab.json)", stateDir)
		}
		return nil, err
	}
	pki, err := loadPKI(p.pki())
	if err != nil {
		return nil, err
	}
	return &Lab{p: p, st: *st, pki: pki, children: map[string]*child{}, logf: func(string, ...any) {}, timeout: 2 * time.Minute}, nil
}

func readState(p layout) (*stateFile, error) {
	b, err := os.ReadFile(p.stateFile())
	if err != nil {
		return nil, err
	}
	st := &stateFile{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", p.stateFile(), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("lab: %s has version %d, want %d", p.stateFile(), st.Version, stateVersion)
	}
	if st.Ports == nil {
		st.Ports = map[string]int{}
	}
	if st.Procs == nil {
		st.Procs = map[string]procRecord{}
	}
	return st, nil
}

// save writes lab.json; callers hold l.mu or own l exclusively.
func (l *Lab) save() error {
	b, err := json.MarshalIndent(l.st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(l.p.stateFile(), append(b, '\n'), 0o600)
}

// lockState takes an exclusive flock on <state>/lab.lock, so two Up/Down never interleave.
func lockState(ctx context.Context, p layout) (func(), error) {
	f, err := os.OpenFile(p.lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lab: %s is locked by another lab command: %w", p.dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func omniSourcePresent(repoRoot string) bool {
	if repoRoot == "" {
		return false
	}
	m, _ := filepath.Glob(filepath.Join(repoRoot, "hack", "lab", "omnistate", "*.go"))
	return len(m) > 0
}

func checkBinaries(binDir string, comps []string) error {
	var missing []string
	for _, c := range comps {
		b := binaryOf(c)
		if b == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(binDir, b)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
		if c == Kwok {
			if _, err := os.Stat(layout{}.kwokStages(binDir)); err != nil {
				missing = append(missing, "kwok-stages.yaml")
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("lab: %s missing from %s; run `make lab-build` (hack/lab/build.sh) first",
			strings.Join(missing, ", "), binDir)
	}
	return nil
}

// startAll starts the components in dependency order, in parallel where they are independent.
func (l *Lab) startAll(ctx context.Context) error {
	has := func(c string) bool { return slices.Contains(l.st.Components, c) }
	g, gctx := errgroup.WithContext(ctx)
	if has(OmniState) {
		// Built here (a few seconds warm) while the other servers start; it only reads the
		// kubeconfig file, written before anything starts.
		g.Go(func() error {
			if err := l.buildOmni(gctx); err != nil {
				return err
			}
			return l.startReady(gctx, OmniState)
		})
	}
	if has(Vault) {
		g.Go(func() error { return l.startReady(gctx, Vault) })
	}
	g.Go(func() error {
		for _, c := range []string{Etcd, KubeAPIServer} {
			if has(c) {
				if err := l.startReady(gctx, c); err != nil {
					return err
				}
			}
		}
		if !has(KubeAPIServer) {
			return nil
		}
		sub, sctx := errgroup.WithContext(gctx)
		sub.Go(func() error {
			start := time.Now()
			install := InstallCRDs
			if l.era2 {
				install = InstallEra2CRDs
			}
			if err := install(sctx, l.RESTConfig()); err != nil {
				return err
			}
			l.logf("lab: CRDs established in %s", time.Since(start).Round(time.Millisecond))
			return nil
		})
		for _, c := range []string{KubeControllerManager, Kwok} {
			if has(c) {
				sub.Go(func() error { return l.startReady(sctx, c) })
			}
		}
		return sub.Wait()
	})
	return g.Wait()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if r := os.Getenv("GOROOT"); r != "" {
		return filepath.Join(r, "bin", "go")
	}
	return "go"
}

// buildOmni builds hack/lab/omnistate (see omniBinaryPath).
func (l *Lab) buildOmni(ctx context.Context) error {
	start := time.Now()
	l.mu.Lock()
	bin := l.st.OmniBin
	l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(bin), 0o700); err != nil {
		return err
	}
	// go build writes the executable with a rename, so concurrent Ups of one checkout are safe.
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, omniPackage)
	cmd.Dir = l.st.RepoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab: go build %s: %v\n%s", omniPackage, err, out)
	}
	l.logf("lab: built omnistate in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// command returns the executable and arguments of component c, and writes its config files.
func (l *Lab) command(c string) (string, []string, error) {
	bin := filepath.Join(l.st.BinDir, binaryOf(c))
	ports := l.st.Ports
	switch c {
	case Etcd:
		return bin, etcdArgs(l.p, ports[portEtcdClient], ports[portEtcdPeer]), os.MkdirAll(l.p.etcdData(), 0o700)
	case KubeAPIServer:
		return bin, apiserverArgs(l.p, ports[portEtcdClient], ports[portAPIServer]), os.MkdirAll(l.p.apiserverDir(), 0o700)
	case KubeControllerManager:
		return bin, controllerManagerArgs(l.p), nil
	case Kwok:
		withVault := slices.Contains(l.st.Components, Vault)
		args := kwokArgs(l.p, l.st.BinDir, ports[portKwok], withVault)
		if !withVault {
			return bin, args, nil
		}
		if err := os.MkdirAll(l.p.kwokDir(), 0o700); err != nil {
			return "", nil, err
		}
		return bin, args, writeFileAtomic(l.p.kwokConfig(), []byte(renderKwokForwards(ports[portVaultAPI])), 0o600)
	case Vault:
		if err := os.MkdirAll(l.p.vaultData(), 0o700); err != nil {
			return "", nil, err
		}
		cfg := renderVaultConfig(l.p, ports[portVaultAPI], ports[portVaultCluster])
		if f := l.st.VaultSealFile; f != "" {
			seal, err := os.ReadFile(f)
			if err != nil {
				return "", nil, fmt.Errorf("lab: vault seal: %w", err)
			}
			cfg += "\n# The seal of " + f + "\n" + string(seal) + "\n"
		}
		return bin, vaultArgs(l.p), writeFileAtomic(l.p.vaultConfig(), []byte(cfg), 0o600)
	case OmniState:
		_ = os.Remove(l.p.omniAddrFile())
		return l.st.OmniBin, omniArgs(l.p, ports[portOmni], slices.Contains(l.st.Components, KubeAPIServer)), nil
	}
	return "", nil, fmt.Errorf("lab: unknown component %q", c)
}

// startReady starts component c and waits until it is ready.
func (l *Lab) startReady(ctx context.Context, c string) error {
	start := time.Now()
	l.mu.Lock()
	err := l.startLocked(c)
	l.mu.Unlock()
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	if err := l.waitReady(rctx, c); err != nil {
		return err
	}
	if c == OmniState {
		if err := l.recordOmniPort(); err != nil {
			return err
		}
	}
	l.logf("lab: %s ready in %s", c, time.Since(start).Round(time.Millisecond))
	return nil
}

func (l *Lab) startLocked(c string) error {
	bin, args, err := l.command(c)
	if err != nil {
		return err
	}
	ch, err := spawn(bin, args, childEnv(os.Environ()), l.p.dir, l.p.log(c))
	if err != nil {
		return fmt.Errorf("lab: start %s: %w", c, err)
	}
	l.children[c] = ch
	l.st.Procs[c] = procRecord{PID: ch.pid, StartTime: ch.startTime, Started: time.Now().UTC()}
	return l.save()
}

func (l *Lab) recordOmniPort() error {
	b, err := os.ReadFile(l.p.omniAddrFile())
	if err != nil {
		return err
	}
	_, port, err := splitAddr(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("lab: omnistate addr-file: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Ports[portOmni] = port
	return l.save()
}

// Start starts component c again with the ports and data it had (for recovery tests). It fails
// when c is already running, when a component it needs is not, or when its port was taken.
func (l *Lab) Start(c string) error {
	l.mu.Lock()
	if !slices.Contains(l.st.Components, c) {
		l.mu.Unlock()
		return fmt.Errorf("lab: %s is not part of this lab (%s)", c, strings.Join(l.st.Components, ", "))
	}
	if l.runningLocked(c) {
		l.mu.Unlock()
		return fmt.Errorf("lab: %s is already running (pid %d)", c, l.st.Procs[c].PID)
	}
	for _, d := range dependsOn(c) {
		if !l.runningLocked(d) {
			l.mu.Unlock()
			return fmt.Errorf("lab: cannot start %s: %s is not running", c, d)
		}
	}
	for _, s := range portSlots(c) {
		if !portFree(l.st.Ports[s]) {
			l.mu.Unlock()
			return fmt.Errorf("lab: cannot start %s: port %d (%s) is in use", c, l.st.Ports[s], s)
		}
	}
	l.mu.Unlock()
	return l.startReady(context.Background(), c)
}

// Stop stops component c (SIGTERM to its process group, then SIGKILL) and records it stopped.
// Stopping a component that is not running is not an error.
func (l *Lab) Stop(c string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.st.Components, c) {
		return fmt.Errorf("lab: %s is not part of this lab (%s)", c, strings.Join(l.st.Components, ", "))
	}
	_, err := l.stopLocked(c)
	return err
}

// stopLocked stops c and reports the PID it stopped (0 when it was not running).
func (l *Lab) stopLocked(c string) (int, error) {
	r := l.st.Procs[c]
	if r.PID == 0 {
		return 0, nil
	}
	var done <-chan struct{}
	if ch := l.children[c]; ch != nil && ch.pid == r.PID {
		done = ch.done
	}
	wasRunning := running(r.PID, r.StartTime)
	if err := stopProcess(r.PID, r.StartTime, done, 15*time.Second); err != nil {
		return 0, fmt.Errorf("lab: stop %s: %w", c, err)
	}
	delete(l.children, c)
	l.st.Procs[c] = procRecord{}
	if err := l.save(); err != nil {
		return 0, err
	}
	if c == OmniState {
		_ = os.Remove(l.p.omniAddrFile())
	}
	if !wasRunning {
		return 0, nil
	}
	return r.PID, nil
}

func (l *Lab) runningLocked(c string) bool {
	r := l.st.Procs[c]
	if ch := l.children[c]; ch != nil && ch.pid == r.PID {
		select {
		case <-ch.done:
			return false
		default:
		}
	}
	return running(r.PID, r.StartTime)
}

// Stopped is one process Down stopped.
type Stopped struct {
	Component string
	PID       int
}

// Down stops every recorded process of the lab (and nothing else), in reverse start order, and
// removes lab.env. Data, PKI and logs stay, so the next Up is warm; Purge removes them.
func (l *Lab) Down() error {
	_, err := l.DownReport()
	return err
}

// DownReport is Down, also returning what it stopped.
func (l *Lab) DownReport() ([]Stopped, error) {
	unlock, err := lockState(context.Background(), l.p)
	if err != nil {
		return nil, err
	}
	defer unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopAllLocked()
}

func (l *Lab) stopAll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.stopAllLocked()
	return err
}

func (l *Lab) stopAllLocked() ([]Stopped, error) {
	var stopped []Stopped
	var errs []error
	comps := slices.Clone(l.st.Components)
	slices.Reverse(comps)
	for _, c := range comps {
		pid, err := l.stopLocked(c)
		if err != nil {
			errs = append(errs, err)
		}
		if pid > 0 {
			stopped = append(stopped, Stopped{Component: c, PID: pid})
			l.logf("lab: stopped %s (pid %d)", c, pid)
		}
	}
	_ = os.Remove(l.p.envFile())
	return stopped, errors.Join(errs...)
}

// Purge stops the lab and deletes everything it wrote in its state dir (data, PKI, logs).
func (l *Lab) Purge() error {
	if err := l.Down(); err != nil {
		return err
	}
	for _, n := range []string{"lab.json", "lab.env", "lab.lock", "kubeconfig", "omnistate.addr", "pki", "logs",
		"etcd", "kube-apiserver", "vault", "kwok"} {
		if err := os.RemoveAll(filepath.Join(l.p.dir, n)); err != nil {
			return err
		}
	}
	_ = os.Remove(l.p.dir) // only when empty
	return nil
}

// Reused reports whether Up found this lab already running and reused it.
func (l *Lab) Reused() bool { return l.reused }

// StateDir is the lab's state directory.
func (l *Lab) StateDir() string { return l.p.dir }

// BinDir is the directory of the server binaries.
func (l *Lab) BinDir() string { return l.st.BinDir }

// EnvFile is <state>/lab.env.
func (l *Lab) EnvFile() string { return l.p.envFile() }

// LogFile is the log of component c.
func (l *Lab) LogFile(c string) string { return l.p.log(c) }

// Components are the lab's components, in start order.
func (l *Lab) Components() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.st.Components)
}

// PIDs are the recorded PIDs of the components that run now.
func (l *Lab) PIDs() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, c := range l.st.Components {
		if l.runningLocked(c) {
			out[c] = l.st.Procs[c].PID
		}
	}
	return out
}

// TokenKubeconfig is the lab's kubeconfig with its bearer-token context current: what an Omni
// service-account kubeconfig looks like (a server, its CA, a token).
func (l *Lab) TokenKubeconfig() ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(l.KubeconfigPath())
	if err != nil {
		return nil, err
	}
	cfg.CurrentContext = ContextToken
	return clientcmd.Write(*cfg)
}

// KubeconfigPath is <state>/kubeconfig: contexts lab-admin (current) and lab-token.
func (l *Lab) KubeconfigPath() string { return l.p.kubeconfig() }

// APIServerURL is https://127.0.0.1:PORT.
func (l *Lab) APIServerURL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "https://" + loopback(l.st.Ports[portAPIServer])
}

// CAPEM is the lab CA certificate (it signs the apiserver's serving and the admin client certs).
func (l *Lab) CAPEM() []byte { return slices.Clone(l.pki.CACert) }

// CAFile is the path of the CA certificate.
func (l *Lab) CAFile() string { return l.p.pkiFile(caCertFile) }

// AdminToken is the static bearer token of the lab-token context (user admin-token, group
// system:masters).
func (l *Lab) AdminToken() string { return l.pki.AdminToken }

// RESTConfig is an admin client config (client cert CN=admin, O=system:masters).
func (l *Lab) RESTConfig() *rest.Config {
	return &rest.Config{
		Host: l.APIServerURL(),
		TLSClientConfig: rest.TLSClientConfig{
			CAData: l.CAPEM(), CertData: slices.Clone(l.pki.AdminCert), KeyData: slices.Clone(l.pki.AdminKey),
		},
		QPS: 100, Burst: 200, Timeout: 30 * time.Second,
	}
}

// TokenRESTConfig is the client config of the lab-token context (static bearer token).
func (l *Lab) TokenRESTConfig() *rest.Config {
	return &rest.Config{
		Host:            l.APIServerURL(),
		BearerToken:     l.pki.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: l.CAPEM()},
		QPS:             100, Burst: 200, Timeout: 30 * time.Second,
	}
}

// VaultAddr is http://127.0.0.1:PORT ("" without Vault).
func (l *Lab) VaultAddr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.st.Components, Vault) {
		return ""
	}
	return "http://" + loopback(l.st.Ports[portVaultAPI])
}

// OmniEndpoint is grpc://127.0.0.1:PORT ("" without omnistate).
func (l *Lab) OmniEndpoint() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.st.Components, OmniState) || l.st.Ports[portOmni] == 0 {
		return ""
	}
	return "grpc://" + loopback(l.st.Ports[portOmni])
}

// EtcdEndpoint is http://127.0.0.1:PORT.
func (l *Lab) EtcdEndpoint() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "http://" + loopback(l.st.Ports[portEtcdClient])
}

// Env is what lab.env exports: KUBECONFIG, VAULT_ADDR, OMNI_ENDPOINT (for the components the lab
// has), CEDILLE_LAB_BIN, CEDILLE_LAB_STATE and CEDILLE_LAB_CA_FILE.
func (l *Lab) Env() map[string]string {
	env := map[string]string{
		"CEDILLE_LAB_BIN":     l.BinDir(),
		"CEDILLE_LAB_STATE":   l.StateDir(),
		"CEDILLE_LAB_CA_FILE": l.CAFile(),
	}
	comps := l.Components()
	if slices.Contains(comps, KubeAPIServer) {
		env["KUBECONFIG"] = l.KubeconfigPath()
	}
	if a := l.VaultAddr(); a != "" {
		env["VAULT_ADDR"] = a
	}
	if a := l.OmniEndpoint(); a != "" {
		env["OMNI_ENDPOINT"] = a
	}
	return env
}

// ComponentStatus is one line of Status.
type ComponentStatus struct {
	Component string
	PID       int
	Running   bool
	RSSKiB    int64
	Addr      string
	Log       string
}

// Status reports each component's PID, liveness, resident memory and address.
func (l *Lab) Status() []ComponentStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ComponentStatus
	for _, c := range l.st.Components {
		s := ComponentStatus{Component: c, PID: l.st.Procs[c].PID, Running: l.runningLocked(c), Log: l.p.log(c)}
		if s.Running {
			s.RSSKiB = rssKiB(s.PID)
		}
		var addrs []string
		for _, slot := range append(portSlots(c), map[string]string{OmniState: portOmni}[c]) {
			if slot != "" && l.st.Ports[slot] > 0 {
				addrs = append(addrs, loopback(l.st.Ports[slot]))
			}
		}
		s.Addr = strings.Join(addrs, ",")
		out = append(out, s)
	}
	return out
}

func splitAddr(a string) (string, int, error) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("no port in %q", a)
	}
	port, err := strconv.Atoi(a[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", a)
	}
	return a[:i], port, nil
}

// EnvFilePath is the lab.env of the lab in stateDir (default DefaultStateDir()).
func EnvFilePath(stateDir string) string {
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	return layout{stateDir}.envFile()
}
