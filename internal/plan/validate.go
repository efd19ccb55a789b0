package plan

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Problem is one thing wrong with a plan: the field (a path like "machines[2].installDisk") and what to do.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Problems is every problem of a plan; it is an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

// Err returns nil for no problems, else the problems as an error.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Only keeps the problems under one of the path prefixes ("iso", "machines", "cluster").
func (ps Problems) Only(prefixes ...string) Problems {
	var out Problems
	for _, p := range ps {
		for _, pre := range prefixes {
			if p.Path == pre || strings.HasPrefix(p.Path, pre+".") || strings.HasPrefix(p.Path, pre+"[") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// MachineChoice keeps the problems about which machines join and in what role (paths "machines",
// machines[i].id and .role), not their disks: what the machines step owns.
func (ps Problems) MachineChoice() Problems {
	var out Problems
	for _, p := range ps.Only("machines") {
		if p.Path == "machines" || strings.HasSuffix(p.Path, ".id") || strings.HasSuffix(p.Path, ".role") {
			out = append(out, p)
		}
	}
	return out
}

// Disks keeps the problems about disks and their encryption: what the disks step owns.
func (ps Problems) Disks() Problems {
	var out Problems
	for _, p := range ps {
		if strings.Contains(p.Path, "Disk") || strings.HasPrefix(p.Path, "cluster.encryption") {
			out = append(out, p)
		}
	}
	return out
}

var (
	clusterNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	versionRE     = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
)

// Validate checks the plan on its own and, when inv is not nil, against what Omni reports. It is pure
// and returns every problem, not just the first.
func (p Plan) Validate(inv *Inventory) Problems {
	var ps Problems
	if p.Version != SchemaVersion {
		ps.add("version", "schema version %d is not supported; this cedille-tui reads version %d", p.Version, SchemaVersion)
	}
	switch {
	case p.IsEra2():
		return append(ps, p.ValidateEra2(nil, nil)...)
	case p.Era != 0 && p.Era != 1:
		ps.add("era", "%d: the platform's era is 1 (one bare-metal cluster) or 2 (a cluster of the fleet)", p.Era)
	case p.Era2 != nil:
		ps.add("era2", "an era2 section needs era: 2")
	}
	p.validateISO(inv, ps.add)
	p.validateCluster(inv, ps.add)
	p.validateMachines(inv, ps.add)
	return ps
}

// add appends a problem at path, its message formatted; ps.add is the adder the validations share.
func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

type adder func(path, format string, args ...any)

func (p Plan) validateISO(inv *Inventory, add adder) {
	switch {
	case p.ISO.TalosVersion == "":
		add("iso.talosVersion", "required (e.g. %s)", exampleVersion(inv))
	case !versionRE.MatchString(p.ISO.TalosVersion):
		add("iso.talosVersion", "%q is not a version like 1.11.5", p.ISO.TalosVersion)
	case inv != nil && len(inv.TalosVersions) > 0 && !offered(inv.TalosVersions, p.ISO.TalosVersion):
		add("iso.talosVersion", "Talos %s is not offered by this Omni (offered: %s)", p.ISO.TalosVersion, latest(inv.TalosVersions, 5))
	}
	if p.ISO.Arch != "amd64" && p.ISO.Arch != "arm64" {
		add("iso.arch", "%q: must be amd64 or arm64", p.ISO.Arch)
	}
	for i, e := range p.ISO.Extensions {
		if strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t") {
			add(fmt.Sprintf("iso.extensions[%d]", i), "%q is not an extension name like siderolabs/iscsi-tools", e)
		}
	}
	for i, a := range p.ISO.KernelArgs {
		if strings.TrimSpace(a) == "" || strings.ContainsAny(a, " \t\n") {
			add(fmt.Sprintf("iso.kernelArgs[%d]", i), "%q: one argument per entry, without spaces", a)
		}
	}
}

func (p Plan) validateCluster(inv *Inventory, add adder) {
	c := p.Cluster
	if !clusterNameRE.MatchString(c.Name) {
		add("cluster.name", "%q: lowercase letters, digits and '-', at most 63, like cedille-cluster", c.Name)
	}
	talos := c.TalosVersion
	if talos == "" {
		talos = p.ISO.TalosVersion
	}
	switch {
	case talos != "" && !versionRE.MatchString(talos):
		add("cluster.talosVersion", "%q is not a version like 1.11.5", talos)
	case c.TalosVersion != "" && inv != nil && len(inv.TalosVersions) > 0 && !offered(inv.TalosVersions, talos):
		add("cluster.talosVersion", "Talos %s is not offered by this Omni (offered: %s)", talos, latest(inv.TalosVersions, 5))
	}
	switch {
	case c.KubernetesVersion == "":
		add("cluster.kubernetesVersion", "required (e.g. 1.34.1)")
	case !versionRE.MatchString(c.KubernetesVersion):
		add("cluster.kubernetesVersion", "%q is not a version like 1.34.1", c.KubernetesVersion)
	case inv != nil && talos != "":
		if ks, ok := inv.KubernetesVersions[Canonical(talos)]; ok && !offered(ks, c.KubernetesVersion) {
			add("cluster.kubernetesVersion", "Kubernetes %s is not supported by Talos %s (supported: %s)",
				c.KubernetesVersion, talos, latest(ks, 5))
		}
	}
	if c.Encryption && strings.TrimSpace(c.EncryptionReason) == "" {
		add("cluster.encryptionReason", "%s", encryptionReasonMissing)
	}
	if c.HugePages < 0 || (c.HugePages > 0 && c.HugePages < DefaultHugePages && p.hasPools()) {
		add("cluster.hugePages", "%d: Mayastor's io-engine needs at least %d 2 MiB pages (2 GiB)", c.HugePages, DefaultHugePages)
	}
}

func (p Plan) hasPools() bool {
	return slices.ContainsFunc(p.Machines, func(m Machine) bool { return len(m.PoolDisks) > 0 })
}

func (p Plan) validateMachines(inv *Inventory, add adder) {
	if len(p.Machines) == 0 {
		add("machines", "no machine chosen: choose %d control planes and at least one worker", ControlPlanes)
		return
	}
	cps, workers := len(p.ByRole(RoleControlPlane)), len(p.ByRole(RoleWorker))
	if cps != ControlPlanes {
		add("machines", "%d control plane(s) chosen; the platform runs %d (an etcd quorum that survives the loss of one)", cps, ControlPlanes)
	}
	if workers == 0 {
		add("machines", "no worker chosen: the platform's workloads and Mayastor pools run on workers")
	}
	seen := map[string]int{}
	for i, m := range p.Machines {
		path := fmt.Sprintf("machines[%d]", i)
		if m.ID == "" {
			add(path+".id", "required: the machine's Omni ID")
		} else if j, dup := seen[m.ID]; dup {
			add(path+".id", "machine %s is listed twice (also machines[%d])", m.ID, j)
		}
		seen[m.ID] = i
		if m.Role != RoleControlPlane && m.Role != RoleWorker {
			add(path+".role", "%q: must be controlplane or worker", m.Role)
		}
		var facts *MachineFacts
		if inv != nil && m.ID != "" {
			if f, ok := inv.Machines[m.ID]; ok {
				facts = &f
			} else {
				add(path+".id", "machine %s is not connected to Omni: boot it from the ISO", m.ID)
			}
		}
		validateDisks(path, m, facts, add)
	}
}

func validateDisks(path string, m Machine, facts *MachineFacts, add adder) {
	if m.InstallDisk.Empty() {
		add(path+".installDisk", "required: the install disk's serial or wwid")
	} else if facts != nil {
		switch d, ok := facts.Disk(m.InstallDisk); {
		case !ok:
			add(path+".installDisk", "no disk %s on %s", m.InstallDisk, facts.Name())
		case InstallRefusal(d) != "":
			add(path+".installDisk", "%s (%s) cannot be the install disk: %s", d.LinuxName, m.InstallDisk, InstallRefusal(d))
		}
	}
	if len(m.PoolDisks) > 0 && m.Role == RoleControlPlane {
		add(path+".poolDisks", "pool disks are for workers; control planes run no Mayastor io-engine")
	}
	for j, pd := range m.PoolDisks {
		pp := fmt.Sprintf("%s.poolDisks[%d]", path, j)
		switch {
		case pd.Empty():
			add(pp, "required: the disk's serial or wwid")
			continue
		case pd.Same(m.InstallDisk):
			add(pp, "%s is the install disk: a pool disk is wiped for Mayastor", pd)
			continue
		}
		for k := range j {
			if pd.Same(m.PoolDisks[k]) {
				add(pp, "%s is listed twice", pd)
			}
		}
		if facts == nil {
			continue
		}
		switch d, ok := facts.Disk(pd); {
		case !ok:
			add(pp, "no disk %s on %s", pd, facts.Name())
		case PoolRefusal(d, m.InstallDisk) != "":
			add(pp, "%s (%s) cannot be a pool disk: %s", d.LinuxName, pd, PoolRefusal(d, m.InstallDisk))
		}
	}
}

// Disk finds the machine's disk the plan names.
func (m MachineFacts) Disk(d Disk) (DiskFacts, bool) {
	for _, f := range m.Disks {
		if f.Matches(d) {
			return f, true
		}
	}
	return DiskFacts{}, false
}

// Name is the machine's hostname, else its ID.
func (m MachineFacts) Name() string {
	if m.Hostname != "" {
		return m.Hostname
	}
	return m.ID
}

// Canonical is a version with its leading "v" (v1.11.5), as Omni names Talos versions.
func Canonical(v string) string {
	if v == "" || strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

func offered(vs []string, v string) bool {
	return slices.ContainsFunc(vs, func(o string) bool { return Canonical(o) == Canonical(v) })
}

// latest lists the last n of vs (Omni lists versions oldest first), for an error message.
func latest(vs []string, n int) string {
	if len(vs) > n {
		return "…, " + strings.Join(vs[len(vs)-n:], ", ")
	}
	return strings.Join(vs, ", ")
}

func exampleVersion(inv *Inventory) string {
	if inv != nil && len(inv.TalosVersions) > 0 {
		return inv.TalosVersions[len(inv.TalosVersions)-1]
	}
	return "1.11.5"
}
