package steps

import (
	"context"
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"
	"time"

	"github.com/clubcedille/cedille-tui/internal/plan"
)

// MachinesStep waits for the plan's machines to be connected to Omni (booted from the ISO); the wizard's
// form chooses which machines join and in what role before it runs.
type MachinesStep struct{}

func (MachinesStep) ID() ID           { return Machines }
func (MachinesStep) Title() string    { return "Machines" }
func (MachinesStep) Fields() []string { return []string{"machines"} }

func (MachinesStep) Describe(p plan.Plan) []string {
	out := []string{fmt.Sprintf("wait for %d machines to connect to Omni: %d control planes, %d workers",
		len(p.Machines), len(p.ByRole(plan.RoleControlPlane)), len(p.ByRole(plan.RoleWorker)))}
	for _, m := range p.Machines {
		out = append(out, fmt.Sprintf("  %s  %s %s", m.Role, m.ID, m.Hostname))
	}
	return out
}

func (s MachinesStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Outcome{}, err
	}
	if ps := p.Validate(inv).MachineChoice(); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("%d machines chosen and connected", len(p.Machines))}, nil
}

// Run waits (up to Env.MachineWait) until every chosen machine is connected, listing each one live.
func (s MachinesStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	if len(p.Machines) == 0 {
		return Result{}, fmt.Errorf("no machine chosen: choose %d control planes and the workers", plan.ControlPlanes)
	}
	if ps := p.Validate(nil).MachineChoice(); len(ps) > 0 {
		return Result{}, ps
	}
	wait := e.MachineWait
	if wait <= 0 {
		wait = 30 * time.Minute
	}
	missing := 0
	return Result{}, e.until(ctx, wait, func() (bool, error) {
		inv, err := LoadInventory(ctx, e)
		if err != nil {
			return false, err
		}
		var items []Item
		items, missing = machineItems(*p, inv)
		emit(Event{Step: Machines, Items: items, Done: int64(len(p.Machines) - missing), Total: int64(len(p.Machines)), Unit: "machines"})
		if missing > 0 {
			return false, nil
		}
		for i := range p.Machines {
			if f, ok := inv.Machines[p.Machines[i].ID]; ok && f.Hostname != "" {
				p.Machines[i].Hostname = f.Hostname
			}
		}
		emit(Event{Step: Machines, Message: fmt.Sprintf("all %d machines connected", len(p.Machines))})
		return true, nil
	}, func() error {
		return fmt.Errorf("%d of %d machines not connected after %s: boot them from the ISO and check their network, then resume",
			missing, len(p.Machines), wait)
	})
}

// machineItems is each chosen machine's line, and how many are not connected yet.
func machineItems(p plan.Plan, inv *plan.Inventory) ([]Item, int) {
	items := make([]Item, 0, len(p.Machines))
	missing := 0
	for _, m := range p.Machines {
		it := Item{Name: m.ID, State: string(m.Role)}
		if f, ok := inv.Machines[m.ID]; ok {
			it.Name = f.Name()
			it.OK = true
			it.Detail = fmt.Sprintf("connected, %d cores, %s RAM, %d disks", f.Cores, units.MiB(f.MemoryMiB), len(f.Disks))
			if f.Maintenance {
				it.Detail += ", maintenance mode"
			}
		} else {
			missing++
			it.Detail = "waiting for it to connect (boot it from the ISO)"
		}
		items = append(items, it)
	}
	return items, missing
}
