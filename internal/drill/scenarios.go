package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// Sim is the simulated platform a drill breaks, and mends where only hands could (*demo.Platform).
type Sim interface {
	PowerOff(ctx context.Context, node string) error
	PowerOn(ctx context.Context, node string) error
	SealVault(ctx context.Context) error
	UnsealVault(ctx context.Context) error
	DegradePool(ctx context.Context) (namespace, name string, err error)
	RebuildPool(ctx context.Context, namespace, name string, takes time.Duration) error
	DriftApplication(ctx context.Context, name string) error
	ExpireCertificate(ctx context.Context, namespace, name string, in time.Duration) error
	EnsureClusterIssuer(ctx context.Context, name string) error
	StickNamespace(ctx context.Context, namespace, configMap, finalizer string) error
	GiveVolumes(ctx context.Context, namespace, statefulSet string) error
	GuardWithBudget(ctx context.Context, namespace, name string, match map[string]string, maxUnavailable int) error
	StrandVolume(ctx context.Context, namespace, pod, goneNode string, ago time.Duration) error
	FailSecretsMount(ctx context.Context, namespace string, ago time.Duration) error
}

// Scenario is one drill: the fault it injects, the runbook that repairs it, and what the simulation
// does when a manual step of that runbook is ticked.
type Scenario struct {
	Name    string
	Title   string // what breaks, in a few words
	Runbook string // the runbook that repairs it
	// Look says in one short line what to look for, after "DRILL name: " on the banner.
	Look string
	// Inject breaks the platform and says what the runbook is aimed at (the zero Target: the platform).
	Inject func(ctx context.Context, s Sim) (runbook.Target, error)
	// Next is what the banner adds once the runbook's step of that ID is done ("" for the run's start):
	// what ticking a manual step makes the simulation do, or where to go next.
	Next map[string]string
	// Hands are what the simulation does, after a short boot, when the runbook's manual step of that ID
	// is ticked (on the run's target) — or, keyed RUNBOOK/ID, another runbook's the person runs meanwhile
	// (cold-start waits for Vault, which vault-sealed unseals).
	Hands map[string]func(ctx context.Context, s Sim, t runbook.Target) error
}

// The objects the drills break.
const (
	lostNode      = "worker-2"
	driftApp      = "calidum-rotae"
	certNamespace = "calidum-rotae"
	certName      = "calidum-rotae-tls"
	certIssuer    = "letsencrypt-prod"
	stuckNS       = "ets-demo"
	stuckCM       = "grav-backup-config"
	stuckHold     = "backup.cedille.club/snapshot"
	// goneNode is the node a stale VolumeAttachment of the cold start names: retired, no longer in the
	// cluster.
	goneNode = "worker-0"
	// powerBackSince is how long ago the power came back when the cold start's drill begins: its pods
	// have waited on their mounts that long.
	powerBackSince = 12 * time.Minute
	// rebuildTakes is how long the simulated Mayastor takes to rebuild a pool's replicas.
	rebuildTakes = 8 * time.Second
)

// coldStartOff are the machines that do not come back by themselves after the power loss: a third.
func coldStartOff() []string { return []string{"worker-2", "worker-3"} }

// Scenarios lists every drill, by name.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "app-sync", Title: "an Application drifted OutOfSync (changed by hand)", Runbook: "app-sync",
			Look: "an Application drifted: find it (:gitops), r on it",
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) {
				return runbook.Target{Kind: "Application", Namespace: "argocd", Name: driftApp}, s.DriftApplication(ctx, driftApp)
			}},
		{Name: "cert-renewal", Title: "a certificate whose renewal failed expires in 6 days", Runbook: "cert-renewal",
			Look: "a certificate expires soon: find it, r on it",
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) {
				if err := s.EnsureClusterIssuer(ctx, certIssuer); err != nil {
					return runbook.Target{}, err
				}
				return runbook.Target{Kind: "Certificate", Namespace: certNamespace, Name: certName},
					s.ExpireCertificate(ctx, certNamespace, certName, 6*24*time.Hour)
			}},
		{Name: "cold-start", Title: "the power came back: a third of the machines stay off, pods fail their mounts", Runbook: "cold-start",
			Look: "power's back; staging-0 can't mount (:workloads), r",
			Next: map[string]string{"survey": "tick power: the machines boot",
				"pods":  "unseal Vault: r on vault-0 (:secrets), then ctrl+r",
				"vault": "sync the drifted app (:gitops), then ctrl+r"},
			Inject: injectColdStart,
			Hands: map[string]func(context.Context, Sim, runbook.Target) error{
				"power": func(ctx context.Context, s Sim, _ runbook.Target) error {
					var errs []error
					for _, n := range coldStartOff() {
						errs = append(errs, s.PowerOn(ctx, n))
					}
					return errors.Join(errs...)
				},
				"vault-sealed/unseal": func(ctx context.Context, s Sim, _ runbook.Target) error { return s.UnsealVault(ctx) },
			}},
		{Name: "node-lost", Title: "a worker lost its power", Runbook: "node-lost",
			Look: lostNode + " stopped answering: find it (:nodes), r on it",
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) {
				if err := s.GiveVolumes(ctx, "vault", "vault"); err != nil {
					return runbook.Target{}, err
				}
				if err := s.GuardWithBudget(ctx, "vault", "vault", map[string]string{"app.kubernetes.io/name": "vault"}, 1); err != nil {
					return runbook.Target{}, err
				}
				return runbook.Target{Kind: "Node", Name: lostNode}, s.PowerOff(ctx, lostNode)
			}},
		{Name: "pool-degraded", Title: "a storage pool's disk reports errors", Runbook: "pool-degraded",
			Look: "a DiskPool is Degraded: find it (:storage), r on it",
			Next: map[string]string{"pool": "tick disk: the disk is seen to"},
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) {
				ns, name, err := s.DegradePool(ctx)
				return runbook.Target{Kind: "DiskPool", Namespace: ns, Name: name}, err
			},
			Hands: map[string]func(context.Context, Sim, runbook.Target) error{
				"disk": func(ctx context.Context, s Sim, t runbook.Target) error {
					return s.RebuildPool(ctx, t.Namespace, t.Name, rebuildTakes)
				},
			}},
		{Name: "stuck-terminating", Title: "a namespace deleted and stuck Terminating", Runbook: "stuck-terminating",
			Look: stuckNS + " stuck Terminating (:workloads), r on it",
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) {
				return runbook.Target{Kind: "Namespace", Name: stuckNS}, s.StickNamespace(ctx, stuckNS, stuckCM, stuckHold)
			}},
		{Name: "vault-sealed", Title: "Vault sealed on every server", Runbook: "vault-sealed",
			Look:   "Vault is sealed: find it (:secrets), r on it",
			Next:   map[string]string{"seal": "tick unseal: the custodians come"},
			Inject: func(ctx context.Context, s Sim) (runbook.Target, error) { return runbook.Target{}, s.SealVault(ctx) },
			Hands: map[string]func(context.Context, Sim, runbook.Target) error{
				"unseal": func(ctx context.Context, s Sim, _ runbook.Target) error { return s.UnsealVault(ctx) },
			}},
	}
}

// injectColdStart is the 2025-08-13 power loss as it was found once the power came back: a third of the
// machines still off, Vault sealed, the staging vcluster's pod made again and waiting on its volume,
// which a stale VolumeAttachment still holds on a retired node (Multi-Attach), calidum-rotae's secrets
// volume failing to mount, an Application out of sync.
func injectColdStart(ctx context.Context, s Sim) (runbook.Target, error) {
	steps := []func() error{
		func() error { return s.GiveVolumes(ctx, "vault", "vault") },
		func() error { return s.GiveVolumes(ctx, "vcluster-staging", "staging") },
	}
	for _, n := range coldStartOff() {
		steps = append(steps, func() error { return s.PowerOff(ctx, n) })
	}
	steps = append(steps,
		func() error { return s.StrandVolume(ctx, "vcluster-staging", "staging-0", goneNode, powerBackSince) },
		func() error { return s.SealVault(ctx) },
		func() error { return s.FailSecretsMount(ctx, "calidum-rotae", powerBackSince) },
		func() error { return s.DriftApplication(ctx, driftApp) })
	for _, f := range steps {
		if err := f(); err != nil {
			return runbook.Target{}, err
		}
	}
	return runbook.Target{}, nil
}

// Lookup finds a drill by name.
func Lookup(name string) (Scenario, error) {
	return find(Scenarios(), func(s Scenario) string { return s.Name }, name, "drill", "the drills are")
}

// find is the scenario of that name among all, or an error naming them all.
func find[S any](all []S, nameOf func(S) string, name, what, which string) (S, error) {
	var names []string
	for _, s := range all {
		if nameOf(s) == name {
			return s, nil
		}
		names = append(names, nameOf(s))
	}
	var none S
	return none, fmt.Errorf("no %s %q; %s: %s (--drill list says what each breaks)", what, name, which, strings.Join(names, ", "))
}

// List is `--drill list`: each drill, what it breaks and the runbook that repairs it; has tells which
// runbooks this build has (a drill whose runbook is missing says so).
func List(has func(runbook string) bool) string {
	var b strings.Builder
	b.WriteString("Drills (cedille-tui demo --drill NAME):\n")
	for _, s := range Scenarios() {
		rb := "runbook " + s.Runbook
		if !has(s.Runbook) {
			rb += ", not in this build yet"
		}
		fmt.Fprintf(&b, "  %-18s %s (%s)\n", s.Name, s.Title, rb)
	}
	return b.String()
}
