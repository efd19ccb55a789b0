package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/ceremony"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/serve"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

type serveFlags struct {
	listen, hostKey, access, auditLog string
	maxSessions, maxPerUser           int
	idle, lifetime                    time.Duration
}

func (c *cli) serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the console over SSH, to the keys the access file lets in",
		Long: `Serve the live console over SSH: ` + "`ssh -p 2222 HOST`" + ` opens it, sized to the client's terminal.
Every session shares this process's one watch of the platform: N sessions cost the API server what one does.

Only public keys log in, those the access file lists (YAML, kept in git):

  users:
    - name: alice
      keys: ["ssh-ed25519 AAAA… alice@laptop"]
      role: admin          # viewer | operator | admin
      custodian: true      # may submit a Vault key share in a ceremony
      expires: 2027-06-30  # optional: valid through that day (UTC)

The user is the one whose key signed, never the SSH user name. A missing or empty access file lets nobody
in; a malformed one stops the server from starting (file:line: what to fix). The file is read again when it
changes: the sessions of a removed or expired key end within seconds, a changed role applies at once, and a
malformed edit keeps the last good file (the audit trail says so).

Without a terminal, a session may run these commands: status (the platform's health as text), and
ceremony (Vault key ceremonies):

  ssh HOST ceremony status                      the ceremony open, as text
  gpg -d share.asc | ssh HOST ceremony submit ID [FINGERPRINT]
                                                a custodian's share, read from stdin
  ssh HOST ceremony token ID > root.token       a generate-root ceremony's token, to its owner, once

An admin opens a ceremony on the console's :ceremony page (u: unseal the sealed replicas, g: a new root
token); custodians give their share there (masked) or with ceremony submit. Vault is found as the console
finds it (VAULT_ADDR, or the cluster's Vault pods).

When Omni (OMNI_ENDPOINT) lists more than one cluster, it serves the fleet: each session opens on the
fleet view, enter opening a cluster's console whose actions act as the session's user on that cluster,
through a kubeconfig Omni issues for user cedille:<name> in group cedille:<role>; ssh HOST status
prints the fleet. No ceremonies for a fleet.

The audit trail (JSON Lines, hash-chained: cedille-tui audit verify FILE) records every login refused,
session started and ended, access reload, action and ceremony step (who and when, never a share); a
session is refused, and an action or a ceremony step too, when it cannot be recorded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runServe(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", ":2222", "the address to listen on")
	fl.StringVar(&f.hostKey, "host-key", "", "the server's SSH host key, made (0600) when missing (default $XDG_STATE_HOME/cedille-tui/ssh_host_ed25519_key)")
	fl.StringVar(&f.access, "access", "", "the access file (default $XDG_CONFIG_HOME/cedille-tui/access.yaml)")
	fl.StringVar(&f.auditLog, "audit-log", "", "the audit trail (default $XDG_STATE_HOME/cedille-tui/audit.jsonl)")
	addSessionFlags(fl, &f)
	return cmd
}

// addSessionFlags are the session limits serve and demo --serve share.
func addSessionFlags(fl *pflag.FlagSet, f *serveFlags) {
	fl.IntVar(&f.maxSessions, "max-sessions", 64, "at most this many sessions at once")
	fl.IntVar(&f.maxPerUser, "max-per-user", 4, "at most this many sessions per user")
	fl.DurationVar(&f.idle, "idle-timeout", 15*time.Minute, "end a session after this long without a key pressed (0: never)")
	fl.DurationVar(&f.lifetime, "max-lifetime", 12*time.Hour, "end a session this long after it started (0: never)")
}

// never is a flag's 0 as serve.Options has it: negative means none.
func never(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// serveDefaults fills the paths left empty from the XDG directories.
func (c *cli) serveDefaults(f serveFlags) serveFlags {
	dirs := steps.DirsFrom(c.lookup)
	if f.hostKey == "" {
		f.hostKey = filepath.Join(dirs.State, "ssh_host_ed25519_key")
	}
	if f.access == "" {
		f.access = filepath.Join(dirs.Config, "access.yaml")
	}
	if f.auditLog == "" {
		f.auditLog = filepath.Join(dirs.State, "audit.jsonl")
	}
	return f
}

func (c *cli) runServe(ctx context.Context, f serveFlags) error {
	p := c.openPlatform()
	defer p.Close()
	if !p.Configured() {
		return errors.Join(append(p.Errors(), errors.New("nothing to serve: no connection could be made (`cedille-tui demo --serve` serves a simulated platform)"))...)
	}
	if p.Omni != nil && omniClusters(ctx, p.Omni, 5*time.Second) > 1 {
		// Era 2: a fleet. Each session opens on it; enter opens one cluster's console.
		return c.serveFleet(ctx, p, f, nil)
	}
	t := watch.TargetsFor(p)
	cluster, err := restCluster(kubeConfig(p))
	if cluster != nil {
		cluster.actions = builtinActions(p)
	}
	if err != nil {
		return err
	}
	return c.serveTargets(ctx, t, t.Sources(), cluster, c.vaultFinder(p), f, nil)
}

// servedCluster is what a served console acts and reads through: the clients the dispatcher writes with
// as each person, what the runbooks read with, and where the runbooks keep their state ("": the state
// directory's).
type servedCluster struct {
	clients  actions.ClientSource
	world    runbook.World
	stateDir string
	// actions are what its dispatcher offers (builtinActions: the spoke-token action reaches Omni).
	actions []actions.Action
}

// restCluster is the served cluster of a kubeconfig (nil for none): impersonating each person.
func restCluster(kube *rest.Config) (*servedCluster, error) {
	if kube == nil {
		return nil, nil
	}
	w, err := runbookWorld(kube)
	if err != nil {
		return nil, err
	}
	return &servedCluster{clients: actions.NewClients(kube), world: w, actions: actions.Builtin()}, nil
}

// builtinActions are the dispatcher's actions for a platform: with Omni, reissue-spoke-token issues
// its tokens there (without, it says what to set).
func builtinActions(p *platform.Platform) []actions.Action {
	if p != nil && p.Omni != nil {
		return actions.WithSpokes(actions.Builtin(), actions.OmniSpokes(p.Omni, "", nil, 0))
	}
	return actions.Builtin()
}

// vaultFinder finds Vault's servers as the console does: the one VAULT_ADDR names, or the pods of the
// platform's cluster through port-forwards; nil when there is neither.
func (c *cli) vaultFinder(p *platform.Platform) vaultFinder {
	vault := steps.ClusterVault{Options: platform.VaultOptionsFromEnv(c.lookup)}
	if p.Kube == nil && vault.Options.Addr == "" {
		return nil
	}
	return func(ctx context.Context) ([]*vaultops.Replica, error) {
		return vault.Replicas(ctx, plan.Plan{}, p.Kube)
	}
}

// vaultFinder finds Vault's replicas (their port-forwards, or the one server VAULT_ADDR names).
type vaultFinder func(ctx context.Context) ([]*vaultops.Replica, error)

// ceremonyReplicas is what a ceremony opens on: every replica find gives, each read (an unreachable one
// refuses the ceremony), and the release of their port-forwards. Nil find: no Vault, no ceremony.
func ceremonyReplicas(find vaultFinder) func(ctx context.Context) ([]ceremony.Replica, func(), error) {
	if find == nil {
		return nil
	}
	return func(ctx context.Context) ([]ceremony.Replica, func(), error) {
		rs, err := find(ctx)
		if err != nil {
			return nil, nil, err
		}
		release := func() {
			for _, r := range rs {
				r.Close()
			}
		}
		reps, err := ceremony.Replicas(ctx, rs)
		if err != nil {
			release()
			return nil, nil, err
		}
		return reps, release, nil
	}
}

// kubeConfig is the platform's Kubernetes REST config, what actions write with; nil without a
// Kubernetes connection (then the console offers no actions).
func kubeConfig(p *platform.Platform) *rest.Config {
	if p.Kube == nil {
		return nil
	}
	return p.Kube.Config
}

// served is what serveSessions serves: what each session with a terminal runs, the commands one
// without may run, and what the server's first lines call it.
type served struct {
	name     string
	terminal func(serve.Session)
	exec     map[string]serve.Command
}

// serveTargets runs one hub over the sources and serves it until ctx ends; ready, when given, is told the
// address once it listens. With a cluster, the sessions' consoles run actions through one dispatcher
// writing with its clients as each session's user, and runbooks; without, they offer none.
// Replicas, when given, finds Vault's replicas for the ceremonies the admins open (nil: none).
func (c *cli) serveTargets(ctx context.Context, t watch.Targets, sources []watch.Source, cluster *servedCluster, replicas vaultFinder, f serveFlags, ready func(net.Addr) error) error {
	return c.serveSessions(ctx, f, ready, func(ctx context.Context, trail *audit.Log, f serveFlags) (served, func(), error) {
		var err error
		services := serve.Services{AuditTrail: f.auditLog}
		if cluster != nil {
			if services.Actions, err = actions.NewDispatcher(cluster.clients, trail.Append, cluster.actions...); err != nil {
				return served{}, nil, err
			}
			state := cluster.stateDir
			if state == "" {
				state = steps.DirsFrom(c.lookup).State
			}
			if services.Runbooks, err = runbookEngineIn(state, trail.Append, f.auditLog); err != nil {
				return served{}, nil, err
			}
			services.RunbookWorld = cluster.world
			services.RunbookWorld.Vault = replicas
		}
		var board *ceremony.Board
		if replicas != nil {
			board = ceremony.NewBoard(ceremony.BoardOptions{Sink: trail, Replicas: ceremonyReplicas(replicas)})
			services.Ceremonies = board
		}
		hub := watch.NewHub(watch.HubOptions{Platform: t.Name, Demo: t.Demo}, sources...)
		services.RunbookWorld.Snapshot = hub.Latest
		var running sync.WaitGroup
		running.Go(func() { hub.Run(ctx) })
		exec := map[string]serve.Command{"status": statusOverSSH(hub)}
		if board != nil {
			exec["ceremony"] = serve.CeremonyCommand(board)
			// A replica's error shows on its row of every screen; the ceremonies' last records are
			// written before the trail closes (the caller waits).
			running.Go(func() { board.Run(ctx, ceremonyTick, nil) })
		}
		return served{name: t.Name, terminal: serve.ConsoleTerminalWith(hub, services), exec: exec}, running.Wait, nil
	})
}

// serveSessions serves what build makes over SSH until ctx ends: the access file followed, every
// session and action recorded in the audit trail, the host key made when missing; ready, when given,
// is told the address once it listens. build runs once the trail is open, with a context that ends
// with the server; the func it returns waits for what it started, before the trail closes.
func (c *cli) serveSessions(ctx context.Context, f serveFlags, ready func(net.Addr) error,
	build func(ctx context.Context, trail *audit.Log, f serveFlags) (served, func(), error)) error {
	f = c.serveDefaults(f)
	follow, acc, err := access.Open(f.access)
	if err != nil {
		return fmt.Errorf("the access file cannot be used, so nobody could log in safely: %w", err)
	}
	trail, err := openTrail(f.auditLog)
	if err != nil {
		return fmt.Errorf("the audit trail cannot be written, so nothing could be recorded: %w", err)
	}
	defer func() {
		h := trail.Head()
		_ = trail.Close()
		fmt.Fprintf(c.out, "audit trail %s: %d records, the last one's SHA-256 %s\n", f.auditLog, h.Seq, h.Hash)
	}()
	hk, err := serve.LoadOrCreateHostKey(f.hostKey)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sv, wait, err := build(ctx, trail, f)
	if err != nil {
		return err
	}
	defer func() { cancel(); wait() }()

	srv, err := serve.New(serve.Options{HostKey: hk, Access: acc, Audit: trail.Append,
		MaxSessions: f.maxSessions, MaxPerUser: f.maxPerUser, IdleTimeout: never(f.idle), MaxLifetime: never(f.lifetime),
		Terminal: sv.terminal,
		Exec:     sv.exec})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", f.listen, err)
	}
	if ready != nil {
		if err := ready(l.Addr()); err != nil {
			l.Close()
			return err
		}
	}
	fmt.Fprintf(c.out, "serving the console of %s on %s\nhost key %s (%s)\naccess %s: %s\naudit trail %s\n",
		sv.name, l.Addr(), hk.Fingerprint, f.hostKey, f.access, accessSummary(acc), f.auditLog)

	reload := func(nf *access.File, err error) {
		if err != nil {
			_ = trail.Append(audit.Record{Event: audit.AccessReloaded, Reason: "kept the last good file: " + err.Error()})
			return
		}
		ch, ended, _ := srv.SetAccess(nf)
		_ = trail.Append(audit.Record{Event: audit.AccessReloaded,
			Reason: fmt.Sprintf("%d users; %d sessions ended, %d roles lowered, %d raised", len(nf.Users()), len(ended), len(ch.Lowered), len(ch.Raised))})
	}
	followed := make(chan struct{})
	defer func() { cancel(); <-followed }() // no reload recorded once the trail is closed
	go func() {
		defer close(followed)
		follow.Run(ctx, time.Second, reload)
	}()
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
		_ = srv.Close()
		<-stopped
		return nil
	case err := <-stopped:
		return err
	}
}

// runbookWorld is what runbooks read with in a served console: the process's own clients (its writes
// go through the dispatcher, as each person).
func runbookWorld(kube *rest.Config) (runbook.World, error) {
	kc, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return runbook.World{}, err
	}
	dc, err := dynamic.NewForConfig(kube)
	if err != nil {
		return runbook.World{}, err
	}
	return runbook.World{Kube: kc, Dynamic: dc}, nil
}

// ceremonyTick is how often an open ceremony reads Vault's progress (a restarted replica is noticed and
// given the held shares again) and checks its deadline.
const ceremonyTick = 2 * time.Second

// accessSummary says who the access file lets in, or that nobody can log in.
func accessSummary(f *access.File) string {
	us := f.Users()
	if len(us) == 0 {
		return strings.Join(append([]string{"nobody can log in"}, f.Notes()...), "; ")
	}
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name + " (" + u.Role.String() + ")"
	}
	return strings.Join(names, ", ")
}

// statusOverSSH is `ssh HOST status`: the platform's health as the status command prints it.
func statusOverSSH(hub *watch.Hub) serve.Command {
	return func(ctx context.Context, s serve.Session) int {
		ch, unsubscribe := hub.Subscribe()
		defer unsubscribe()
		snap := hub.Latest()
		for snap.At.IsZero() || !snap.Settled() { // what the sources say once they all read, as status does
			select {
			case snap = <-ch:
			case <-ctx.Done():
				return 1
			}
		}
		if err := printReport(s, snap, "table", false); err != nil {
			return 1
		}
		return 0
	}
}
