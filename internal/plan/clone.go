package plan

import (
	"maps"
	"slices"
)

// Clone is a deep copy of the plan: no slice, map or pointer is shared with p, so a command goroutine
// may read the copy while the UI goes on changing p. An unset list stays unset (nil), so its default
// still applies. TestCloneSharesNothing fails when a field holding a reference is added and not copied
// here.
func (p Plan) Clone() Plan {
	p.ISO.Extensions = slices.Clone(p.ISO.Extensions)
	p.ISO.KernelArgs = slices.Clone(p.ISO.KernelArgs)
	p.Machines = slices.Clone(p.Machines)
	for i := range p.Machines {
		p.Machines[i].PoolDisks = slices.Clone(p.Machines[i].PoolDisks)
	}
	p.Vault.Custodians = slices.Clone(p.Vault.Custodians)
	p.Vault.UnsealShareFiles = slices.Clone(p.Vault.UnsealShareFiles)
	p.GitOps.Deferred = slices.Clone(p.GitOps.Deferred)
	p.VClusters.Clusters = slices.Clone(p.VClusters.Clusters)
	if p.Era2 != nil {
		e := p.Era2.Clone()
		p.Era2 = &e
	}
	return p
}

// Clone is a deep copy of the era2 section.
func (e Era2) Clone() Era2 {
	e.Labels = maps.Clone(e.Labels)
	e.Machines = slices.Clone(e.Machines)
	e.Vault.Custodians = slices.Clone(e.Vault.Custodians)
	e.Vault.RecoveryShareFiles = slices.Clone(e.Vault.RecoveryShareFiles)
	for i, m := range e.Machines {
		m.NodeLabels = maps.Clone(m.NodeLabels)
		m.Nameservers = slices.Clone(m.Nameservers)
		m.ValidSubnets = slices.Clone(m.ValidSubnets)
		m.Interfaces = slices.Clone(m.Interfaces)
		for j, n := range m.Interfaces {
			n.Addresses = slices.Clone(n.Addresses)
			n.Routes = slices.Clone(n.Routes)
			m.Interfaces[j] = n
		}
		e.Machines[i] = m
	}
	return e
}
