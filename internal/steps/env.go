package steps

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"time"

	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/platform"
	corev1 "k8s.io/api/core/v1"
)

// Env is what the steps reach the world through; the wizard and the unattended runner fill it.
type Env struct {
	Omni *platform.Omni
	// HTTP downloads the ISO; nil uses a default client.
	HTTP *http.Client
	// ConfigDir holds what the install produces for later use (the cluster's kubeconfig), 0700.
	ConfigDir string
	// Confirm asks for the typed confirmation of a destructive action; nil refuses every one.
	Confirm func(ctx context.Context, c Confirmation) error
	// MachineWait and ClusterWait bound the waits for machines to connect and the cluster to be ready.
	MachineWait, ClusterWait time.Duration
	// Poll is how often a wait looks again when it cannot watch.
	Poll time.Duration
	// Now is the clock.
	Now func() time.Time

	// Ask puts a question to the operator in the middle of a Run (the key ceremony, an unseal share, an
	// SSO secret, a yes/no) and waits for the answer; nil runs unattended (ask.go).
	Ask func(ctx context.Context, p Prompt) (Answer, error)
	// Keys carries the root token from vault-init to vault-bootstrap, in memory only; nil: no hand-off
	// (the bootstrap then needs VAULT_TOKEN or asks for a token).
	Keys *Keyring
	// Vault is how the Vault steps reach the cluster and Vault's servers; nil uses the plan's kubeconfig
	// (the server pods through port-forwards).
	Vault VaultAccess
	// Charts installs Helm charts; nil uses the Helm SDK (HelmCharts).
	Charts ChartInstaller
	// CheckRegistration makes a request with an ArgoCD cluster Secret's credentials and returns the user
	// they authenticate as; nil uses gitops.Check (a real request to the registered server).
	CheckRegistration func(ctx context.Context, s *corev1.Secret) (string, error)
	// ConsoleCommand is the command line the hand-off gives to open the console where the install ran;
	// empty gives a real platform's, `cedille-tui --kubeconfig <the plan's kubeconfig>`. The demo sets
	// `cedille-tui demo`: the kubeconfig it writes names a cluster that only the demo's process holds.
	ConsoleCommand string
}

// Confirmation is a destructive action put to the operator: what it does, everything it touches, and
// the word to type (the cluster's name).
type Confirmation struct {
	Action  string
	Touches []string
	Expect  string
}

// ErrNotConfirmed is returned when the operator did not confirm a destructive action.
var ErrNotConfirmed = errors.New("not confirmed")

// Dirs are the tool's directories, from the XDG variables or their defaults under HOME.
type Dirs struct{ State, Config string }

// DirsFrom reads XDG_STATE_HOME and XDG_CONFIG_HOME (defaults ~/.local/state and ~/.config).
func DirsFrom(env platform.Lookup) Dirs {
	get := func(k string) string { v, _ := env(k); return v }
	home := get("HOME")
	pick := func(v, def string) string {
		if p := get(v); filepath.IsAbs(p) {
			return filepath.Join(p, "cedille-tui")
		}
		return filepath.Join(home, def, "cedille-tui")
	}
	return Dirs{State: pick("XDG_STATE_HOME", ".local/state"), Config: pick("XDG_CONFIG_HOME", ".config")}
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) poll() time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	return time.Second
}

// wait sleeps one poll interval, or less when ctx ends (its error then).
func (e *Env) wait(ctx context.Context) error {
	t := time.NewTimer(e.poll())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clusterWait bounds the waits on the cluster (default 10 minutes).
func (e *Env) clusterWait() time.Duration {
	if e.ClusterWait > 0 {
		return e.ClusterWait
	}
	return 10 * time.Minute
}

// until calls poll once a poll interval until it says done or fails; past limit (from the first call)
// it returns expired's error instead of waiting again, and ctx's error when ctx ends.
func (e *Env) until(ctx context.Context, limit time.Duration, poll func() (bool, error), expired func() error) error {
	deadline := e.now().Add(limit)
	for {
		if done, err := poll(); done || err != nil {
			return err
		}
		if e.now().After(deadline) {
			return expired()
		}
		if err := e.wait(ctx); err != nil {
			return err
		}
	}
}

func (e *Env) checkRegistration(ctx context.Context, s *corev1.Secret) (string, error) {
	if e.CheckRegistration != nil {
		return e.CheckRegistration(ctx, s)
	}
	return gitops.Check(ctx, s)
}

func (e *Env) omni() (*platform.Omni, error) {
	if e.Omni == nil {
		return nil, &platform.ConnError{Source: platform.SourceOmni, Problem: platform.NotConfigured,
			What: "no endpoint", Fix: "set " + platform.EnvOmniEndpoint + " and " + platform.EnvOmniKey}
	}
	return e.Omni, nil
}
