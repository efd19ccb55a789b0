package plan

import (
	"reflect"
	"testing"
)

func rolesInventory() *Inventory {
	return &Inventory{Machines: map[string]MachineFacts{
		"id-w2":  {ID: "id-w2", Hostname: "worker-2", Connected: true},
		"id-cp1": {ID: "id-cp1", Hostname: "controlplane-1", Connected: true},
		"id-w1":  {ID: "id-w1", Hostname: "worker-1", Connected: true},
		"id-b":   {ID: "id-b", Connected: true},
		"id-a":   {ID: "id-a", Connected: true},
	}}
}

func candidateIDs(fs []MachineFacts) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID + "/" + f.Hostname
	}
	return out
}

func TestCandidates(t *testing.T) {
	gone := Plan{Machines: []Machine{{ID: "id-gone", Hostname: "worker-0", Role: RoleWorker}, {ID: "id-w1", Hostname: "old"}}}
	for _, c := range []struct {
		name string
		p    Plan
		inv  *Inventory
		want []string
	}{
		{"nothing", Plan{}, nil, []string{}},
		{"no inventory: the plan's machines", gone, nil, []string{"id-w1/old", "id-gone/worker-0"}},
		{"by name, a machine without hostname by its ID", Plan{}, rolesInventory(),
			[]string{"id-cp1/controlplane-1", "id-a/", "id-b/", "id-w1/worker-1", "id-w2/worker-2"}},
		{"a planned machine not connected is listed; a connected one once, as the inventory sees it", gone, rolesInventory(),
			[]string{"id-cp1/controlplane-1", "id-a/", "id-b/", "id-gone/worker-0", "id-w1/worker-1", "id-w2/worker-2"}},
		{"same name: by ID", Plan{Machines: []Machine{{ID: "z", Hostname: "n"}, {ID: "y", Hostname: "n"}}}, nil,
			[]string{"y/n", "z/n"}},
	} {
		if got := candidateIDs(Candidates(c.p, c.inv)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSetRole(t *testing.T) {
	pool := []Disk{{Serial: "HR67"}}
	start := Plan{Machines: []Machine{
		{ID: "id-cp1", Hostname: "controlplane-1", Role: RoleControlPlane},
		{ID: "id-w1", Hostname: "worker-1", Role: RoleWorker, PoolDisks: pool},
		{ID: "id-w2", Hostname: "worker-2", Role: RoleWorker},
	}}
	type m = Machine
	for _, c := range []struct {
		name    string
		id      string
		role    Role
		inv     *Inventory
		want    []Machine
		dropped bool
	}{
		{"a new worker takes its hostname, sorted among workers", "id-a", RoleWorker, &Inventory{Machines: map[string]MachineFacts{
			"id-a": {ID: "id-a", Hostname: "worker-15"}}}, []m{start.Machines[0], start.Machines[1], {ID: "id-a", Hostname: "worker-15", Role: RoleWorker},
			start.Machines[2]}, false},
		{"a new machine without inventory has no hostname", "id-x", RoleControlPlane, nil,
			[]m{{ID: "id-x", Role: RoleControlPlane}, start.Machines[0], start.Machines[1], start.Machines[2]}, false},
		{"a worker made control plane loses its pool disks and moves up", "id-w1", RoleControlPlane, nil,
			[]m{start.Machines[0], {ID: "id-w1", Hostname: "worker-1", Role: RoleControlPlane}, start.Machines[2]}, true},
		{"a worker without pools made control plane", "id-w2", RoleControlPlane, nil,
			[]m{start.Machines[0], {ID: "id-w2", Hostname: "worker-2", Role: RoleControlPlane}, start.Machines[1]}, false},
		{"a control plane made worker moves down", "id-cp1", RoleWorker, nil,
			[]m{{ID: "id-cp1", Hostname: "controlplane-1", Role: RoleWorker}, start.Machines[1], start.Machines[2]}, false},
		{"the same role: nothing changes", "id-w1", RoleWorker, nil, start.Machines, false},
		{"out of the cluster", "id-w1", "", nil, []m{start.Machines[0], start.Machines[2]}, false},
		{"out, not in the plan: nothing changes", "id-zz", "", nil, start.Machines, false},
	} {
		p := start.Clone()
		before := p.Machines
		dropped := p.SetRole(c.id, c.role, c.inv)
		if !reflect.DeepEqual(p.Machines, c.want) || dropped != c.dropped {
			t.Errorf("%s: %+v dropped=%v, want %+v dropped=%v", c.name, p.Machines, dropped, c.want, c.dropped)
		}
		if !reflect.DeepEqual(before, start.Machines) {
			t.Errorf("%s: the slice held before changed: %+v", c.name, before)
		}
	}
}
