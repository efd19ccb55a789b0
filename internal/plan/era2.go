package plan

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Era2 is the install of an era-2 cluster (PLATFORM.md §2.2, §3.2, §4.3): Talos VMs that Omni allocates
// from MachineClasses, made from a cluster template, registered in the hub's ArgoCD with the labels its
// stack selects, with a Vault sealed by Google Cloud KMS. It is the answers file's `era2` section, read
// when `era: 2`; an era-1 plan has none.
type Era2 struct {
	// Cluster is the new cluster's Omni name (a DNS label, like k8s-poc).
	Cluster           string `yaml:"cluster"`
	TalosVersion      string `yaml:"talosVersion"`
	KubernetesVersion string `yaml:"kubernetesVersion"`
	// WorkloadProxy turns on Omni's workload service proxying (the Cluster's enableWorkloadProxy feature).
	WorkloadProxy bool `yaml:"workloadProxy,omitempty"`
	ControlPlanes Pool `yaml:"controlPlanes"`
	Workers       Pool `yaml:"workers"`
	// Stack selects the hub's ApplicationSets for the cluster (the `stack` label): one of Stacks.
	Stack string `yaml:"stack"`
	// Hub is the Omni name of the cluster whose ArgoCD deploys to this one (k8s-shared).
	Hub string `yaml:"hub"`
	// Labels are the club's labels on the cluster's ArgoCD registration, every key under etsmtl.club/.
	Labels map[string]string `yaml:"labels,omitempty"`
	// EtcdSubnet is the cluster network etcd advertises and listens on (the control planes' patch); ""
	// leaves etcd on every address.
	EtcdSubnet string `yaml:"etcdSubnet,omitempty"`
	// Machines carry each VM's network: what Omni applies to the machine wherever it is allocated.
	Machines []NetMachine `yaml:"machines,omitempty"`
	Vault    Era2Vault    `yaml:"vault,omitempty"`
	// Cilium is where a k8s-foundation cluster's Cilium and Gateway API CRDs come from (defaults filled).
	Cilium Era2Cilium `yaml:"cilium,omitempty"`
}

// Pool is the machines of one role: the MachineClass Omni allocates them from and how many.
type Pool struct {
	MachineClass string `yaml:"machineClass"`
	Size         int    `yaml:"size"`
}

// NetMachine is one machine's network patch (PLATFORM.md §2.2's machineconfig template): its hostname,
// node labels, nameservers, kubelet's node-IP subnets and its NICs chosen by MAC address.
type NetMachine struct {
	// ID is the machine's Omni ID (its SMBIOS UUID).
	ID           string            `yaml:"id"`
	Hostname     string            `yaml:"hostname"`
	NodeLabels   map[string]string `yaml:"nodeLabels,omitempty"`
	Nameservers  []string          `yaml:"nameservers,omitempty"`
	ValidSubnets []string          `yaml:"validSubnets,omitempty"`
	Interfaces   []NIC             `yaml:"interfaces"`
}

// NIC is one network interface, selected by its hardware address: static addresses (CIDR) and routes, or
// DHCP.
type NIC struct {
	MAC       string   `yaml:"mac"`
	DHCP      bool     `yaml:"dhcp,omitempty"`
	Addresses []string `yaml:"addresses,omitempty"`
	Routes    []Route  `yaml:"routes,omitempty"`
}

// Route is a route of a NIC; an empty gateway is an on-link route.
type Route struct {
	Network string `yaml:"network"`
	Gateway string `yaml:"gateway,omitempty"`
}

// Era2Vault is Vault's seal and recovery shares: with gcpckms, Vault unseals itself with the KMS key and
// the shares are recovery keys (they cannot unseal; PLATFORM.md §3.2).
type Era2Vault struct {
	Seal              Seal `yaml:"seal,omitempty"`
	RecoveryShares    int  `yaml:"recoveryShares,omitempty"`
	RecoveryThreshold int  `yaml:"recoveryThreshold,omitempty"`
	// Custodians, RootToken, RecoveryShareFiles, KubernetesHost, RevokeRoot and ReviewerExpires are era
	// 1's (Vault), for the recovery shares: see Era2Vault.Custody.
	Custodians         []Custodian     `yaml:"custodians,omitempty"`
	RootToken          RootTokenExport `yaml:"rootToken,omitempty"`
	RecoveryShareFiles []string        `yaml:"recoveryShareFiles,omitempty"`
	KubernetesHost     string          `yaml:"kubernetesHost,omitempty"`
	RevokeRoot         bool            `yaml:"revokeRoot,omitempty"`
	ReviewerExpires    time.Time       `yaml:"reviewerExpires,omitempty"`
	// Audience is the audience vault-secrets-operator's tokens name (its VaultAuth's audiences), bound on
	// the roles secret-reader and secret-writer; "" is DefaultVaultAudience.
	Audience string `yaml:"audience,omitempty"`
}

// DefaultVaultAudience is the audience vault-secrets-operator sends (aud: vault).
const DefaultVaultAudience = "vault"

// Seal is Vault's auto-unseal by a Google Cloud KMS key. The credentials are never in the plan: it names
// the file that holds them (a service-account key JSON), or the Kubernetes Secret Vault mounts them from.
type Seal struct {
	Type      string `yaml:"type"`
	Project   string `yaml:"project"`
	Region    string `yaml:"region"`
	KeyRing   string `yaml:"keyRing"`
	CryptoKey string `yaml:"cryptoKey"`
	// CredentialsFile is the path of the service-account key file; CredentialsSecret the Secret holding it.
	CredentialsFile   string `yaml:"credentialsFile,omitempty"`
	CredentialsSecret string `yaml:"credentialsSecret,omitempty"`
}

// Era2Version is the value of the answers file's `era` that selects an era-2 install.
const Era2Version = 2

// SealGCPCKMS is the seal type of Vault on Google Cloud KMS.
const SealGCPCKMS = "gcpckms"

// ClubLabelPrefix prefixes the club's labels on a cluster's ArgoCD registration.
const ClubLabelPrefix = "etsmtl.club/"

// Stacks are the stack labels the hub's ApplicationSets select on.
func Stacks() []string { return []string{"k8s-base", "k8s-foundation"} }

// IsEra2 tells whether the plan is an era-2 install.
func (p Plan) IsEra2() bool { return p.Era == Era2Version }

var (
	// machineClassRE is an Omni resource ID as Omni's MachineClasses are named (k8s-poc-worker).
	machineClassRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)
	uuidRE         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	gcpIDRE        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)
	gcpProjectRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	hostnameRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
	labelValueRE   = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$`)
)

// ValidateEra2 checks the era2 section on its own and, when classes is not nil, against the MachineClasses
// Omni has; when inv is not nil, its versions against those Omni offers. Pure; every problem, not just
// the first.
func (p Plan) ValidateEra2(classes []string, inv *Inventory) Problems {
	var ps Problems
	if p.Era2 == nil {
		ps.add("era2", "required with era: 2: the cluster, its machine classes, versions, stack and hub")
		return ps
	}
	e := *p.Era2
	if !clusterNameRE.MatchString(e.Cluster) {
		ps.add("era2.cluster", "%q: a DNS label (lowercase letters, digits and '-', at most 63), like k8s-poc", e.Cluster)
	}
	validateVersion(ps.add, "era2.talosVersion", e.TalosVersion, "1.8.0")
	validateVersion(ps.add, "era2.kubernetesVersion", e.KubernetesVersion, "1.30.0")
	if inv != nil && versionRE.MatchString(e.TalosVersion) && versionRE.MatchString(e.KubernetesVersion) {
		switch ks, ok := inv.KubernetesVersions[Canonical(e.TalosVersion)]; {
		case len(inv.TalosVersions) > 0 && !offered(inv.TalosVersions, e.TalosVersion):
			ps.add("era2.talosVersion", "Talos %s is not offered by this Omni (offered: %s)", e.TalosVersion, latest(inv.TalosVersions, 5))
		case ok && !offered(ks, e.KubernetesVersion):
			ps.add("era2.kubernetesVersion", "Kubernetes %s is not supported by Talos %s (supported: %s)",
				e.KubernetesVersion, e.TalosVersion, latest(ks, 5))
		}
	}
	validatePool(ps.add, "era2.controlPlanes", e.ControlPlanes, classes, true)
	validatePool(ps.add, "era2.workers", e.Workers, classes, false)
	if e.ControlPlanes.MachineClass != "" && e.ControlPlanes.MachineClass == e.Workers.MachineClass {
		ps.add("era2.workers.machineClass", "%q is also the control planes' class: a machine would be both", e.Workers.MachineClass)
	}
	if !slices.Contains(Stacks(), e.Stack) {
		ps.add("era2.stack", "%q: must be one of %s (the hub's ApplicationSets select on it)", e.Stack, strings.Join(Stacks(), ", "))
	}
	switch {
	case !clusterNameRE.MatchString(e.Hub):
		ps.add("era2.hub", "%q: the Omni name of the cluster running ArgoCD's hub, like k8s-shared", e.Hub)
	case e.Hub == e.Cluster:
		ps.add("era2.hub", "%q is the new cluster itself: the hub is the cluster whose ArgoCD registers it", e.Hub)
	}
	for _, k := range sortedKeys(e.Labels) {
		name, ok := strings.CutPrefix(k, ClubLabelPrefix)
		switch {
		case !ok || !clusterNameRE.MatchString(name):
			ps.add("era2.labels."+k, "the club's labels are etsmtl.club/<name>, like etsmtl.club/external-network")
		case !labelValueRE.MatchString(e.Labels[k]):
			ps.add("era2.labels."+k, "%q is not a label value (letters, digits, '-', '_', '.', at most 63)", e.Labels[k])
		}
	}
	if e.EtcdSubnet != "" {
		if _, err := netip.ParsePrefix(e.EtcdSubnet); err != nil {
			ps.add("era2.etcdSubnet", "%q is not a subnet like 10.10.2.0/25", e.EtcdSubnet)
		}
	}
	validateNetMachines(ps.add, e.Machines)
	validateSeal(ps.add, e.Vault)
	validateCilium(ps.add, e)
	validateEra2Vault(ps.add, e.Vault, false)
	return ps
}

func validateVersion(add adder, path, v, example string) {
	switch {
	case v == "":
		add(path, "required (e.g. %s)", example)
	case !versionRE.MatchString(v):
		add(path, "%q is not a version like %s", v, example)
	}
}

func validatePool(add adder, path string, pool Pool, classes []string, controlPlanes bool) {
	switch {
	case pool.MachineClass == "":
		add(path+".machineClass", "required: the Omni MachineClass its machines are allocated from")
	case !machineClassRE.MatchString(pool.MachineClass):
		add(path+".machineClass", "%q is not a MachineClass name (lowercase letters, digits, '-' and '.')", pool.MachineClass)
	case classes != nil && !slices.Contains(classes, pool.MachineClass):
		add(path+".machineClass", "Omni has no MachineClass %q (it has: %s)", pool.MachineClass, orNone(classes))
	}
	switch {
	case controlPlanes && (pool.Size < 1 || pool.Size%2 == 0):
		add(path+".size", "%d: an odd number of control planes (1, 3 or 5), so that etcd keeps a quorum", pool.Size)
	case !controlPlanes && pool.Size < 1:
		add(path+".size", "%d: at least one worker", pool.Size)
	}
}

func orNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

func validateNetMachines(add adder, ms []NetMachine) {
	seen := map[string]int{}
	hosts := map[string]int{}
	for i, m := range ms {
		path := fmt.Sprintf("era2.machines[%d]", i)
		switch j, dup := seen[strings.ToLower(m.ID)]; {
		case !uuidRE.MatchString(m.ID):
			add(path+".id", "%q is not a machine ID (the VM's SMBIOS UUID)", m.ID)
		case dup:
			add(path+".id", "machine %s is listed twice (also era2.machines[%d])", m.ID, j)
		}
		seen[strings.ToLower(m.ID)] = i
		switch j, dup := hosts[m.Hostname]; {
		case !hostnameRE.MatchString(m.Hostname) || len(m.Hostname) > 253:
			add(path+".hostname", "%q is not a hostname like k8s-poc-worker-1.etsmtl.club", m.Hostname)
		case dup:
			add(path+".hostname", "%s is also era2.machines[%d]'s hostname", m.Hostname, j)
		}
		hosts[m.Hostname] = i
		for _, ns := range m.Nameservers {
			if _, err := netip.ParseAddr(ns); err != nil {
				add(path+".nameservers", "%q is not an IP address", ns)
			}
		}
		for _, s := range m.ValidSubnets {
			if _, err := netip.ParsePrefix(s); err != nil {
				add(path+".validSubnets", "%q is not a subnet like 10.10.2.0/25", s)
			}
		}
		if len(m.Interfaces) == 0 {
			add(path+".interfaces", "at least one interface, chosen by its MAC address")
		}
		for j, n := range m.Interfaces {
			np := fmt.Sprintf("%s.interfaces[%d]", path, j)
			if _, err := net.ParseMAC(n.MAC); err != nil || len(n.MAC) != len("00:00:00:00:00:00") {
				add(np+".mac", "%q is not a MAC address like bc:24:11:0a:00:01", n.MAC)
			}
			for _, a := range n.Addresses {
				if _, err := netip.ParsePrefix(a); err != nil {
					add(np+".addresses", "%q is not an address with its prefix, like 10.10.2.10/25", a)
				}
			}
			if n.DHCP && len(n.Addresses) > 0 {
				add(np+".dhcp", "an interface has DHCP or static addresses, not both")
			}
			for k, r := range n.Routes {
				rp := fmt.Sprintf("%s.routes[%d]", np, k)
				if _, err := netip.ParsePrefix(r.Network); err != nil {
					add(rp+".network", "%q is not a network like 0.0.0.0/0", r.Network)
				}
				if _, err := netip.ParseAddr(r.Gateway); r.Gateway != "" && err != nil {
					add(rp+".gateway", "%q is not an IP address", r.Gateway)
				}
			}
		}
	}
}

// credentialContent tells whether a value looks like a credential itself rather than where it is.
func credentialContent(s string) bool {
	return strings.ContainsAny(s, "{\n") || strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "private_key")
}

func validateSeal(add adder, v Era2Vault) {
	s := v.Seal
	if s.Type != SealGCPCKMS {
		add("era2.vault.seal.type", "%q: era 2's Vault is sealed by %s (Google Cloud KMS)", s.Type, SealGCPCKMS)
	}
	if !gcpProjectRE.MatchString(s.Project) {
		add("era2.vault.seal.project", "%q is not a Google Cloud project ID", s.Project)
	}
	for _, f := range []struct{ path, v, example string }{
		{"era2.vault.seal.region", s.Region, "northamerica-northeast1 or global"},
		{"era2.vault.seal.keyRing", s.KeyRing, "vault"},
		{"era2.vault.seal.cryptoKey", s.CryptoKey, "vault-unseal"},
	} {
		if !gcpIDRE.MatchString(f.v) {
			add(f.path, "%q: required, letters, digits, '-' and '_' (e.g. %s)", f.v, f.example)
		}
	}
	switch {
	case credentialContent(s.CredentialsFile) || credentialContent(s.CredentialsSecret):
		add("era2.vault.seal", "credentials in the answers file: name the key file (credentialsFile) or the Secret (credentialsSecret), never its content")
	case s.CredentialsFile == "" && s.CredentialsSecret == "":
		add("era2.vault.seal", "where the KMS credentials are: credentialsFile (a key file's path) or credentialsSecret (namespace/name)")
	case s.CredentialsFile != "" && s.CredentialsSecret != "":
		add("era2.vault.seal", "credentialsFile or credentialsSecret, not both")
	case s.CredentialsSecret != "" && strings.Count(s.CredentialsSecret, "/") != 1:
		add("era2.vault.seal.credentialsSecret", "%q: namespace/name of the Secret", s.CredentialsSecret)
	}
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
