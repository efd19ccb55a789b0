package plan

import (
	"fmt"
	"strconv"
)

// Names of the config patches the template carries; stable, so a re-sync updates them in place.
const (
	PatchInstallDisk = "cedille-install-disk"
	PatchMayastor    = "cedille-mayastor"
	// MayastorLabel marks the nodes where Mayastor's io-engine runs (the pool nodes).
	MayastorLabel = "openebs.io/engine"
)

// Omni cluster template documents (the schema `omnictl cluster template sync` reads).
type (
	tmplCluster struct {
		Kind             string       `yaml:"kind"`
		Name             string       `yaml:"name"`
		Kubernetes       tmplVersion  `yaml:"kubernetes"`
		Talos            tmplVersion  `yaml:"talos"`
		SystemExtensions []string     `yaml:"systemExtensions,omitempty"`
		Patches          []tmplPatch  `yaml:"patches,omitempty"`
		Features         *tmplFeature `yaml:"features,omitempty"`
	}
	tmplVersion struct {
		Version string `yaml:"version"`
	}
	tmplFeature struct {
		DiskEncryption bool `yaml:"diskEncryption,omitempty"`
	}
	tmplMachineSet struct {
		Kind     string   `yaml:"kind"`
		Machines []string `yaml:"machines"`
	}
	tmplMachine struct {
		Kind    string      `yaml:"kind"`
		Name    string      `yaml:"name"`
		Patches []tmplPatch `yaml:"patches,omitempty"`
	}
	tmplPatch struct {
		Name   string         `yaml:"name"`
		Inline map[string]any `yaml:"inline"`
	}
)

// InstallPatch is the machine's install patch: the install disk by its /dev/disk/by-id path.
func InstallPatch(m Machine) map[string]any {
	return map[string]any{"machine": map[string]any{"install": map[string]any{"disk": m.InstallDisk.ByID}}}
}

// MayastorPatch is what a Mayastor pool node needs (Mayastor's Talos prerequisites): 2 MiB huge pages,
// the nvme_tcp kernel module and the label that schedules the io-engine.
func MayastorPatch(hugePages int) map[string]any {
	return map[string]any{"machine": map[string]any{
		"sysctls":    map[string]any{"vm.nr_hugepages": strconv.Itoa(hugePages)},
		"kernel":     map[string]any{"modules": []any{map[string]any{"name": "nvme_tcp"}}},
		"nodeLabels": map[string]any{MayastorLabel: "mayastor"},
	}}
}

// ClusterTemplate renders the plan as an Omni cluster template: the Cluster (versions, extensions,
// encryption only when asked for), the ControlPlane and Workers machine sets, and one Machine document
// per machine carrying its install-disk patch and, on pool nodes, the Mayastor patch. Machines without
// a by-id path are an error: the template must never name a disk by its Linux name.
func ClusterTemplate(p Plan) ([]byte, error) {
	p = p.WithDefaults()
	c := tmplCluster{Kind: "Cluster", Name: p.Cluster.Name,
		Kubernetes: tmplVersion{Version: Canonical(p.Cluster.KubernetesVersion)},
		Talos:      tmplVersion{Version: Canonical(p.Cluster.TalosVersion)}, SystemExtensions: p.ISO.Extensions}
	if p.Cluster.Encryption {
		c.Features = &tmplFeature{DiskEncryption: true}
	}
	docs := []any{c,
		tmplMachineSet{Kind: "ControlPlane", Machines: ids(p.ByRole(RoleControlPlane))},
		tmplMachineSet{Kind: "Workers", Machines: ids(p.ByRole(RoleWorker))},
	}
	for _, m := range p.Machines {
		if m.InstallDisk.ByID == "" {
			return nil, fmt.Errorf("machine %s: install disk %s has no /dev/disk/by-id path", m.ID, m.InstallDisk)
		}
		tm := tmplMachine{Kind: "Machine", Name: m.ID,
			Patches: []tmplPatch{{Name: PatchInstallDisk, Inline: InstallPatch(m)}}}
		if len(m.PoolDisks) > 0 {
			tm.Patches = append(tm.Patches, tmplPatch{Name: PatchMayastor, Inline: MayastorPatch(p.Cluster.HugePages)})
		}
		docs = append(docs, tm)
	}
	return encodeDocs(docs...)
}

func ids(ms []Machine) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
