package steps

import (
	"context"
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"

	"github.com/clubcedille/cedille-tui/internal/plan"
)

// EncryptionOffReason is what the wizard says about disk encryption, off by default.
const EncryptionOffReason = "off: on this platform system-disk encryption never unlocked at first boot (cause never found), " +
	"so a node would not come back after a reboot; turn it on only after testing it on one machine"

// DisksStep resolves each machine's install and pool disks against the hardware Omni reports and records
// their /dev/disk/by-id paths; the wizard's picker chooses them before it runs.
type DisksStep struct{}

func (DisksStep) ID() ID        { return Disks }
func (DisksStep) Title() string { return "Disks" }
func (DisksStep) Fields() []string {
	return []string{"machines", "cluster.encryption", "cluster.encryptionReason"}
}

func (DisksStep) Describe(p plan.Plan) []string {
	var out []string
	for _, m := range p.Machines {
		out = append(out, fmt.Sprintf("%s: install on %s", name(m), m.InstallDisk))
		for _, d := range m.PoolDisks {
			out = append(out, fmt.Sprintf("%s: Mayastor pool on %s", name(m), d))
		}
	}
	if p.Cluster.Encryption {
		out = append(out, "disk encryption: ON ("+p.Cluster.EncryptionReason+")")
	} else {
		out = append(out, "disk encryption: "+EncryptionOffReason)
	}
	return out
}

func name(m plan.Machine) string {
	if m.Hostname != "" {
		return m.Hostname
	}
	return m.ID
}

func (s DisksStep) Check(ctx context.Context, e *Env, p plan.Plan) (Outcome, error) {
	if len(p.Machines) == 0 {
		return Outcome{Detail: "no machine chosen yet"}, nil
	}
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Outcome{}, err
	}
	if ps := p.Validate(inv).Disks(); len(ps) > 0 {
		return Outcome{Detail: ps[0].String()}, nil
	}
	resolved, _ := Resolve(p, inv)
	for i, m := range p.Machines {
		if m.InstallDisk.ByID == "" || m.InstallDisk.ByID != resolved.Machines[i].InstallDisk.ByID {
			return Outcome{Detail: name(m) + ": install disk path not recorded yet"}, nil
		}
	}
	return Outcome{Holds: true, Detail: "every disk chosen by stable identity"}, nil
}

func (s DisksStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	inv, err := LoadInventory(ctx, e)
	if err != nil {
		return Result{}, err
	}
	if ps := p.Validate(inv).Disks(); len(ps) > 0 {
		return Result{}, ps
	}
	resolved, items := Resolve(*p, inv)
	*p = resolved
	emit(Event{Step: Disks, Items: items})
	for _, line := range s.Describe(*p) {
		emit(Event{Step: Disks, Message: line})
	}
	return Result{}, nil
}

// Resolve fills every chosen disk's identity and by-id path from the hardware (a disk chosen by serial
// gains its WWID and path), and lists each machine's choice. Disks not found are left as they are.
func Resolve(p plan.Plan, inv *plan.Inventory) (plan.Plan, []Item) {
	p.Machines = append([]plan.Machine(nil), p.Machines...)
	items := make([]Item, 0, len(p.Machines))
	for i, m := range p.Machines {
		f, ok := inv.Machines[m.ID]
		if !ok {
			continue
		}
		if d, ok := f.Disk(m.InstallDisk); ok {
			m.InstallDisk = d.Identity()
			items = append(items, Item{Name: f.Name(), State: "install", OK: true,
				Detail: fmt.Sprintf("%s  (%s, %s %s)", m.InstallDisk.ByID, d.LinuxName, d.Model, units.Binary(d.Size))})
		}
		m.PoolDisks = append([]plan.Disk(nil), m.PoolDisks...)
		for j, pd := range m.PoolDisks {
			if d, ok := f.Disk(pd); ok {
				m.PoolDisks[j] = d.Identity()
				items = append(items, Item{Name: f.Name(), State: "pool", OK: true,
					Detail: fmt.Sprintf("%s  (%s, %s %s)", m.PoolDisks[j].ByID, d.LinuxName, d.Model, units.Binary(d.Size))})
			}
		}
		p.Machines[i] = m
	}
	return p, items
}
