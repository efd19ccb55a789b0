package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/serve"
	"github.com/clubcedille/cedille-tui/internal/vaultops"
	gossh "golang.org/x/crypto/ssh"
)

// demoUsers are the throw-away identities `demo --serve` makes: one per role, and three custodians.
var demoUsers = []struct {
	name, role string
	custodian  bool
}{
	{"viewer", "viewer", false},
	{"operator", "operator", false},
	{"admin", "admin", false},
	{"custodian-1", "viewer", true},
	{"custodian-2", "viewer", true},
	{"custodian-3", "viewer", true},
}

// demoServe serves the demo's platform in service over SSH, with a key and an access entry for each of
// demoUsers (made once in dir, kept for the next run), and prints how to log in as each: an ssh_config
// names each identity as a host alias.
func (c *cli) demoServe(ctx context.Context, addr, dir string, limits serveFlags) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--serve %s: %w (an address like 127.0.0.1:2222)", addr, err)
	}
	var entries []string
	for _, u := range demoUsers {
		pub, err := demoKey(filepath.Join(dir, u.name))
		if err != nil {
			return err
		}
		entries = append(entries, fmt.Sprintf("  - name: %s\n    role: %s\n    custodian: %t\n    keys: [%q]\n", u.name, u.role, u.custodian, pub))
	}
	accessPath := filepath.Join(dir, "access.yaml")
	if err := atomicfile.Write(accessPath, []byte("# throw-away identities of the demo: one per role, three custodians\nusers:\n"+strings.Join(entries, "")), 0o600); err != nil {
		return err
	}
	d, err := demo.Start(ctx, demo.Options{Installed: true, PracticeShares: true})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := practiseUnseal(ctx, d, dir); err != nil {
		return err
	}
	t := d.Targets()
	limits.listen, limits.access = addr, accessPath
	limits.hostKey, limits.auditLog = filepath.Join(dir, "ssh_host_ed25519_key"), filepath.Join(dir, "audit.jsonl")
	vault := d.VaultAccess()
	replicas := func(ctx context.Context) ([]*vaultops.Replica, error) {
		return vault.Replicas(ctx, plan.Plan{}, d.Kube)
	}
	cluster := &servedCluster{clients: d.Clients(), world: runbook.World{Kube: d.Kube.Typed, Dynamic: d.Kube.Dynamic}, stateDir: dir, actions: actions.Builtin()}
	return c.serveTargets(ctx, t, t.Sources(), cluster, replicas, limits,
		func(at net.Addr) error { return c.demoLogins(dir, at) })
}

// practiseUnseal seals the demo's Vault, as after a power cut, and gives each demo custodian one of its
// practice shares in dir/<custodian>.share (0600): the demo's throw-away key shares, for trying a
// ceremony — a real share never goes to a file in clear.
func practiseUnseal(ctx context.Context, d *demo.Platform, dir string) error {
	shares := d.PracticeShares()
	defer func() {
		for i := range shares {
			shares[i].Wipe()
		}
	}()
	i := 0
	for _, u := range demoUsers {
		if !u.custodian || i >= len(shares) {
			continue
		}
		if err := atomicfile.Write(filepath.Join(dir, u.name+".share"), []byte(shares[i].Reveal()+"\n"), 0o600); err != nil {
			return err
		}
		i++
	}
	return d.SealVault(ctx)
}

// demoLogins writes dir/ssh_config, one host alias per demo identity at the address served, and prints
// the command line for each.
func (c *cli) demoLogins(dir string, at net.Addr) error {
	host, port, err := net.SplitHostPort(at.String())
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	cfg := filepath.Join(dir, "ssh_config")
	var b strings.Builder
	var lines []string
	for _, u := range demoUsers {
		fmt.Fprintf(&b, "Host %s\n  HostName %s\n  Port %s\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking accept-new\n\n",
			u.name, host, port, filepath.Join(dir, u.name), filepath.Join(dir, "known_hosts"))
		what := u.role
		if u.custodian {
			what += ", custodian"
		}
		lines = append(lines, fmt.Sprintf("  %-20s ssh -F %s %s", what, cfg, u.name))
	}
	if err := atomicfile.Write(cfg, []byte(b.String()), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "The demo's platform in service, over SSH. Log in as:\n%s\n(add a command for no terminal: ssh -F %s viewer status)\n\n",
		strings.Join(lines, "\n"), cfg)
	fmt.Fprintf(c.out, "Vault starts sealed, as after a power cut. To practise the unseal ceremony: the admin opens it\n"+
		"(:ceremony, then u); each custodian opens :ceremony and pastes their practice share (s), or, without\n"+
		"a terminal: ssh -F %s custodian-1 ceremony submit ID < %s\n\n", cfg, filepath.Join(dir, "custodian-1.share"))
	return nil
}

// demoKey makes an Ed25519 key at path (0600, OpenSSH format) unless there is one — made as the server's
// host key is — and returns its public half as an authorized_keys line.
func demoKey(path string) (string, error) {
	k, err := serve.LoadOrCreateHostKey(path)
	if err != nil {
		return "", err
	}
	signer, err := gossh.ParsePrivateKey(k.PEM)
	if err != nil {
		return "", fmt.Errorf("%s: %w (remove it to make a new one)", path, err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + filepath.Base(path) + "@cedille-tui-demo", nil
}
