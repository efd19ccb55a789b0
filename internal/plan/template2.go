package plan

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Names of era 2's patches; stable, so a re-sync or a re-apply updates them in place.
const (
	// PatchIPVS is the Cluster's kube-proxy patch: IPVS with strict ARP, which MetalLB's L2 mode needs.
	PatchIPVS = "ipvs"
	// PatchEtcdSubnets keeps etcd on the cluster network (the control planes' patch).
	PatchEtcdSubnets = "etcd-subnets"
	// MachinePatchPrefix prefixes the ID of a machine's network patch (600-<machine ID>, PLATFORM.md §2.2).
	MachinePatchPrefix = "600-"
)

type (
	tmplCluster2 struct {
		Kind       string        `yaml:"kind"`
		Name       string        `yaml:"name"`
		Kubernetes tmplVersion   `yaml:"kubernetes"`
		Talos      tmplVersion   `yaml:"talos"`
		Features   *tmplFeature2 `yaml:"features,omitempty"`
		Patches    []tmplPatch   `yaml:"patches,omitempty"`
	}
	tmplFeature2 struct {
		EnableWorkloadProxy bool `yaml:"enableWorkloadProxy,omitempty"`
	}
	tmplClassSet struct {
		Kind         string      `yaml:"kind"`
		MachineClass tmplClass   `yaml:"machineClass"`
		Patches      []tmplPatch `yaml:"patches,omitempty"`
	}
	tmplClass struct {
		Name string `yaml:"name"`
		Size int    `yaml:"size"`
	}
)

// IPVSPatch is kube-proxy in IPVS mode with strict ARP (PLATFORM.md §2.2's cluster template).
func IPVSPatch() map[string]any {
	return map[string]any{"cluster": map[string]any{"proxy": map[string]any{
		"mode": "ipvs", "extraArgs": map[string]any{"ipvs-strict-arp": "true"}}}}
}

// EtcdSubnetsPatch makes etcd advertise and listen on the cluster subnet only.
func EtcdSubnetsPatch(subnet string) map[string]any {
	return map[string]any{"cluster": map[string]any{"etcd": map[string]any{
		"advertisedSubnets": []any{subnet}, "listenSubnets": []any{subnet}}}}
}

// ClusterTemplateEra2 renders an era-2 plan as the Omni cluster template `omnictl cluster template sync`
// reads: the Cluster (versions, the workload-proxy feature when asked for, its stack's network patch), the
// ControlPlane with its MachineClass and size (and the etcd-subnets patch when a subnet is set), the
// Workers with theirs. The machines' network patches are not in it: Omni refuses a Machine document in a
// template whose machine sets are MachineClasses; MachinePatches renders them.
func ClusterTemplateEra2(p Plan) ([]byte, error) {
	if p.Era2 == nil {
		return nil, fmt.Errorf("no era2 section in the plan")
	}
	e := p.Era2
	c := tmplCluster2{Kind: "Cluster", Name: e.Cluster,
		Kubernetes: tmplVersion{Version: Canonical(e.KubernetesVersion)},
		Talos:      tmplVersion{Version: Canonical(e.TalosVersion)},
		Patches:    []tmplPatch{clusterNetworkPatch(e)}}
	if e.WorkloadProxy {
		c.Features = &tmplFeature2{EnableWorkloadProxy: true}
	}
	cp := tmplClassSet{Kind: "ControlPlane", MachineClass: tmplClass{Name: e.ControlPlanes.MachineClass, Size: e.ControlPlanes.Size}}
	if e.EtcdSubnet != "" {
		cp.Patches = []tmplPatch{{Name: PatchEtcdSubnets, Inline: EtcdSubnetsPatch(e.EtcdSubnet)}}
	}
	w := tmplClassSet{Kind: "Workers", MachineClass: tmplClass{Name: e.Workers.MachineClass, Size: e.Workers.Size}}
	return encodeDocs(c, cp, w)
}

// encodeDocs renders documents as one multi-document YAML, indented by 2.
func encodeDocs(docs ...any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MachinePatch is one machine's network patch as Omni keeps it: a ConfigPatch named ID, labelled with
// the machine, whose Data is the Talos machine config fragment. Omni applies it to the machine in
// whichever cluster it is allocated to (`omnictl apply` of PLATFORM.md §2.2).
type MachinePatch struct {
	ID      string
	Machine string
	Data    []byte
}

// MachinePatches renders each machine of the era2 section as its network patch (PLATFORM.md §2.2's
// machineconfig template): node labels, kubelet's node-IP subnets, hostname without search domain,
// nameservers, and each NIC by hardware address with its addresses, routes or DHCP.
func MachinePatches(p Plan) ([]MachinePatch, error) {
	if p.Era2 == nil {
		return nil, nil
	}
	out := make([]MachinePatch, 0, len(p.Era2.Machines))
	for _, m := range p.Era2.Machines {
		b, err := encodeDocs(machineNetwork(m))
		if err != nil {
			return nil, err
		}
		out = append(out, MachinePatch{ID: MachinePatchPrefix + strings.ToLower(m.ID), Machine: strings.ToLower(m.ID), Data: b})
	}
	return out, nil
}

func machineNetwork(m NetMachine) map[string]any {
	ifaces := make([]any, 0, len(m.Interfaces))
	for _, n := range m.Interfaces {
		i := map[string]any{"deviceSelector": map[string]any{"hardwareAddr": strings.ToLower(n.MAC)}, "dhcp": n.DHCP}
		if len(n.Addresses) > 0 {
			i["addresses"] = strs(n.Addresses)
		}
		if len(n.Routes) > 0 {
			rs := make([]any, 0, len(n.Routes))
			for _, r := range n.Routes {
				rm := map[string]any{"network": r.Network}
				if r.Gateway != "" {
					rm["gateway"] = r.Gateway
				}
				rs = append(rs, rm)
			}
			i["routes"] = rs
		}
		ifaces = append(ifaces, i)
	}
	network := map[string]any{"hostname": m.Hostname, "disableSearchDomain": true, "interfaces": ifaces}
	if len(m.Nameservers) > 0 {
		network["nameservers"] = strs(m.Nameservers)
	}
	machine := map[string]any{"network": network}
	if len(m.NodeLabels) > 0 {
		labels := map[string]any{}
		for k, v := range m.NodeLabels {
			labels[k] = v
		}
		machine["nodeLabels"] = labels
	}
	if len(m.ValidSubnets) > 0 {
		machine["kubelet"] = map[string]any{"nodeIP": map[string]any{"validSubnets": strs(m.ValidSubnets)}}
	}
	return map[string]any{"machine": machine}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
