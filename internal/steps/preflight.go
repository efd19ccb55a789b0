package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// PreflightStep proves Omni is reachable and the service-account key accepted, and reads what the
// later steps choose from: the Talos versions Omni offers and its image factory. It fills the plan's
// versions with the newest offered when they are empty.
type PreflightStep struct{}

func (PreflightStep) ID() ID           { return Preflight }
func (PreflightStep) Title() string    { return "Preflight" }
func (PreflightStep) Fields() []string { return nil }

func (PreflightStep) Describe(p plan.Plan) []string {
	return []string{"connect to Omni with the service-account key and list the Talos versions it offers",
		"read Omni's image factory address"}
}

// Check runs the probe itself (it is cheap and must hold at every resume) and holds when the plan's
// versions are chosen and offered.
func (s PreflightStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	f, err := probe(ctx, e)
	if err != nil {
		return Outcome{Detail: err.Error()}, nil
	}
	if ps := p.Validate(f.inv).Only("iso.talosVersion", "cluster.talosVersion", "cluster.kubernetesVersion"); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	return Outcome{Holds: true, Detail: f.summary()}, nil
}

func (s PreflightStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	f, err := probe(ctx, e)
	if err != nil {
		return Result{}, err
	}
	emit(Event{Step: Preflight, Message: "Omni " + e.Omni.Endpoint + " reachable, service-account key accepted"})
	emit(Event{Step: Preflight, Message: "Talos versions offered: " + strings.Join(f.talos, ", ")})
	if f.factory != "" {
		emit(Event{Step: Preflight, Message: "image factory: " + f.factory})
	}
	if p.ISO.TalosVersion == "" && len(f.talos) > 0 {
		p.ISO.TalosVersion = f.talos[len(f.talos)-1]
		emit(Event{Step: Preflight, Message: "Talos version: " + p.ISO.TalosVersion + " (newest offered)"})
	}
	if p.Cluster.KubernetesVersion == "" {
		if ks := f.inv.KubernetesVersions[plan.Canonical(p.ISO.TalosVersion)]; len(ks) > 0 {
			p.Cluster.KubernetesVersion = ks[len(ks)-1]
			emit(Event{Step: Preflight, Message: "Kubernetes version: " + p.Cluster.KubernetesVersion + " (newest for that Talos)"})
		}
	}
	return Result{}, nil
}

type facts struct {
	inv     *plan.Inventory
	talos   []string
	factory string
}

func (f facts) summary() string {
	return fmt.Sprintf("Omni reachable; %d Talos versions offered; %d machines connected", len(f.talos), len(f.inv.Machines))
}

func probe(ctx context.Context, e *Env) (facts, error) {
	om, err := e.omni()
	if err != nil {
		return facts{}, err
	}
	if err := om.Ping(ctx, 10*time.Second); err != nil {
		return facts{}, err
	}
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return facts{}, err
	}
	if len(inv.TalosVersions) == 0 {
		return facts{}, fmt.Errorf("Omni offers no Talos version: check Omni's version catalogue (TalosVersions)")
	}
	f := facts{inv: inv, talos: inv.TalosVersions}
	if fc, err := safe.StateGetByID[*omni.FeaturesConfig](ctx, om.State(), omni.FeaturesConfigID); err == nil {
		f.factory = fc.TypedSpec().Value.GetImageFactoryBaseUrl()
	}
	return f, nil
}
