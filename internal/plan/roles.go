package plan

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Candidates are the machines a role is chosen among: every machine of the inventory (nil: none) and
// every machine the plan names that the inventory lacks (known by its ID and hostname only), ordered by
// name, then ID.
func Candidates(p Plan, inv *Inventory) []MachineFacts {
	var known map[string]MachineFacts
	if inv != nil {
		known = inv.Machines
	}
	out := slices.Collect(maps.Values(known))
	for _, pm := range p.Machines {
		if _, ok := known[pm.ID]; !ok {
			out = append(out, MachineFacts{ID: pm.ID, Hostname: pm.Hostname})
		}
	}
	slices.SortFunc(out, func(a, b MachineFacts) int {
		return cmp.Or(strings.Compare(a.Name(), b.Name()), strings.Compare(a.ID, b.ID))
	})
	return out
}

// SetRole puts machine id in the plan with role, or takes it out when role is "". A machine new to the
// plan takes its hostname from the inventory (nil: none). A machine made a control plane loses its pool
// disks (control planes run no Mayastor pool): poolsDropped tells it happened. The plan keeps its
// machines control planes first, then workers, each by hostname, in a fresh slice: a copy of the plan
// taken before (a save in flight) keeps its own.
func (p *Plan) SetRole(id string, role Role, inv *Inventory) (poolsDropped bool) {
	i := slices.IndexFunc(p.Machines, func(m Machine) bool { return m.ID == id })
	if role == "" && i < 0 {
		return false
	}
	ms := p.Clone().Machines
	switch {
	case role == "":
		ms = slices.Delete(ms, i, i+1)
	case i < 0:
		pm := Machine{ID: id, Role: role}
		if inv != nil {
			pm.Hostname = inv.Machines[id].Hostname
		}
		ms = append(ms, pm)
	default:
		if role == RoleControlPlane && len(ms[i].PoolDisks) > 0 {
			ms[i].PoolDisks, poolsDropped = nil, true
		}
		ms[i].Role = role
	}
	slices.SortStableFunc(ms, func(a, b Machine) int {
		switch {
		case a.Role == b.Role:
			return strings.Compare(a.Hostname, b.Hostname)
		case a.Role == RoleControlPlane:
			return -1
		case b.Role == RoleControlPlane:
			return 1
		}
		return 0
	})
	p.Machines = ms
	return poolsDropped
}
