package plan

import (
	"fmt"
	"regexp"
	"strings"
)

// Storage is Mayastor's part of the install: a DiskPool per pool disk chosen in part 1, and the
// StorageClass volumes are made from.
type Storage struct {
	// Namespace is where Mayastor runs and its DiskPools live (default mayastor).
	Namespace string `yaml:"namespace,omitempty"`
	// Class is the StorageClass's name (default mayastor); it is the cluster's default class.
	Class string `yaml:"class,omitempty"`
	// Replicas is how many copies of each volume Mayastor keeps (default 2: one pool may fail).
	Replicas int `yaml:"replicas,omitempty"`
}

// Storage defaults: the platform's (PLATFORM.md §2.3).
const (
	DefaultStorageNamespace = "mayastor"
	DefaultStorageClass     = "mayastor"
	DefaultReplicas         = 2
	// MayastorProvisioner is Mayastor's CSI driver.
	MayastorProvisioner = "io.openebs.csi-mayastor"
)

// WithDefaults fills what the plan leaves out.
func (s Storage) WithDefaults() Storage {
	if s.Namespace == "" {
		s.Namespace = DefaultStorageNamespace
	}
	if s.Class == "" {
		s.Class = DefaultStorageClass
	}
	if s.Replicas == 0 {
		s.Replicas = DefaultReplicas
	}
	return s
}

// PoolSpec is one DiskPool: on a node (the machine's hostname, which Talos makes the node's name), one
// disk by its by-id path.
type PoolSpec struct {
	Name, Namespace, Node, Disk string
	// Machine is the plan's machine ID (for messages).
	Machine string
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// poolName is "<node>-<last 4 of the disk's serial or WWID>", as the platform named its pools
// (hdds-worker-1-hr67): unique per disk, readable, a valid object name.
func poolName(node string, d Disk) string {
	id := strings.ToLower(d.Serial)
	if id == "" {
		id = strings.ToLower(d.WWID)
	}
	id = notDNS.ReplaceAllString(id, "")
	if len(id) > 4 {
		id = id[len(id)-4:]
	}
	n := notDNS.ReplaceAllString(strings.ToLower(node), "-")
	return strings.Trim(n+"-"+id, "-")
}

// DiskPools lists the pools the plan's pool disks make, in plan order. A pool disk needs its by-id path
// (written when the disk was chosen) and its machine a hostname.
func (p Plan) DiskPools() ([]PoolSpec, Problems) {
	s := p.Storage.WithDefaults()
	var out []PoolSpec
	var ps Problems
	seen := map[string]string{}
	for i, m := range p.Machines {
		if len(m.PoolDisks) > 0 && m.Hostname == "" {
			ps.add(fmt.Sprintf("machines[%d].hostname", i), "unknown: the node's name is needed for its pools (run the disks step again to record it)")
			continue
		}
		for j, d := range m.PoolDisks {
			path := fmt.Sprintf("machines[%d].poolDisks[%d]", i, j)
			if d.ByID == "" {
				ps.add(path+".byID", "no /dev/disk/by-id path recorded: run the disks step again")
				continue
			}
			spec := PoolSpec{Name: poolName(m.Hostname, d), Namespace: s.Namespace, Node: m.Hostname, Disk: d.ByID, Machine: m.ID}
			if other, dup := seen[spec.Name]; dup {
				spec.Name = fmt.Sprintf("%s-%d", spec.Name, j+1)
				if _, again := seen[spec.Name]; again {
					ps.add(path, "its pool name collides with %s", other)
					continue
				}
			}
			seen[spec.Name] = path
			out = append(out, spec)
		}
	}
	return out, ps
}

// ClassParameters are the StorageClass's parameters (immutable once created): NVMe-oF volumes with the
// plan's replica count, as the platform's class.
func (s Storage) ClassParameters() map[string]string {
	s = s.WithDefaults()
	return map[string]string{
		"protocol":         "nvmf",
		"repl":             fmt.Sprint(s.Replicas),
		"ioTimeout":        "30",
		"stsAffinityGroup": "true",
	}
}

// ValidateStorage checks the storage section against the pools the plan makes.
func (p Plan) ValidateStorage() Problems {
	s := p.Storage.WithDefaults()
	pools, ps := p.DiskPools()
	if s.Replicas < 1 {
		ps.add("storage.replicas", "%d: at least 1", s.Replicas)
	}
	nodes := map[string]bool{}
	for _, pl := range pools {
		nodes[pl.Node] = true
	}
	if len(pools) > 0 && s.Replicas > len(nodes) {
		ps.add("storage.replicas", "%d replicas but pools on %d nodes: Mayastor puts each replica on another node", s.Replicas, len(nodes))
	}
	if !clusterNameRE.MatchString(s.Class) {
		ps.add("storage.class", "%q is not a valid StorageClass name", s.Class)
	}
	if !clusterNameRE.MatchString(s.Namespace) {
		ps.add("storage.namespace", "%q is not a valid namespace", s.Namespace)
	}
	return ps
}
