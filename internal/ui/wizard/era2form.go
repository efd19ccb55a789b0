package wizard

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/blang/semver/v4"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"go.yaml.in/yaml/v3"
)

// The era-2 form: the whole era2 section of the plan (PLATFORM.md §2.2, §3.2), its choices offered from
// what Omni has (Talos and Kubernetes versions, MachineClasses, clusters for the hub) and from
// plan.Stacks. Every field is judged by plan.ValidateEra2 on the plan as typed so far, its problems shown
// at the field: the rules are the plan's only. The machines' network patches are read from a file the
// form names (a list like the answers file's era2.machines), in a command, never in Update.

// era2Values are the era-2 form's fields: numbers and lists as text.
type era2Values struct {
	Cluster, Talos, Kubernetes       string
	WorkloadProxy                    bool
	CPClass, CPSize, WClass, WSize   string
	Stack, Hub, Labels, EtcdSubnet   string
	MachinesFile                     string
	Project, Region, KeyRing, Crypto string
	CredFile, CredSecret             string
	Shares, Threshold                string

	machines []plan.NetMachine // the plan's, or the file's once read
	inv      *plan.Inventory
}

// newEra2Values reads the plan's era2 section; what it leaves empty is the newest version Omni offers,
// a MachineClass named for its role, the first stack, the hub k8s-shared when Omni has it, and Vault's
// usual 5 recovery shares, 3 of them needed.
func newEra2Values(p plan.Plan, inv *plan.Inventory) era2Values {
	e := plan.Era2{}
	if p.Era2 != nil {
		e = *p.Era2
	}
	v := era2Values{Cluster: e.Cluster, Talos: e.TalosVersion, Kubernetes: e.KubernetesVersion, WorkloadProxy: e.WorkloadProxy,
		CPClass: e.ControlPlanes.MachineClass, CPSize: sizeText(e.ControlPlanes.Size, plan.ControlPlanes),
		WClass: e.Workers.MachineClass, WSize: sizeText(e.Workers.Size, 2),
		Stack: e.Stack, Hub: e.Hub, Labels: labelsText(e.Labels), EtcdSubnet: e.EtcdSubnet,
		Project: e.Vault.Seal.Project, Region: e.Vault.Seal.Region, KeyRing: e.Vault.Seal.KeyRing, Crypto: e.Vault.Seal.CryptoKey,
		CredFile: e.Vault.Seal.CredentialsFile, CredSecret: e.Vault.Seal.CredentialsSecret,
		Shares: sizeText(e.Vault.RecoveryShares, 5), Threshold: sizeText(e.Vault.RecoveryThreshold, 3),
		machines: slices.Clone(e.Machines), inv: inv}
	if v.Stack == "" {
		v.Stack = plan.Stacks()[0]
	}
	if inv == nil {
		return v
	}
	if ts := newestFirst(inv.TalosVersions); len(ts) > 0 && !offered(ts, v.Talos) {
		v.Talos = ts[0]
	}
	if ks := newestFirst(inv.KubernetesVersions[plan.Canonical(v.Talos)]); len(ks) > 0 && !offered(ks, v.Kubernetes) {
		v.Kubernetes = ks[0]
	}
	v.CPClass = cmpOr(v.CPClass, classFor(inv.MachineClasses, "control"))
	v.WClass = cmpOr(v.WClass, classFor(inv.MachineClasses, "worker"))
	if v.Hub == "" && slices.Contains(inv.Clusters, "k8s-shared") {
		v.Hub = "k8s-shared"
	}
	return v
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// offered tells whether v is one of vs (their canonical spellings compared), and keeps Omni's spelling.
func offered(vs []string, v string) bool {
	return slices.ContainsFunc(vs, func(o string) bool { return plan.Canonical(o) == plan.Canonical(v) })
}

func newestFirst(vs []string) []string {
	out := slices.Clone(vs)
	slices.Reverse(out)
	return out
}

// kubernetesOffered is every Kubernetes version some offered Talos supports, newest first: which Talos
// supports which is the plan's rule, said at the field.
func kubernetesOffered(inv *plan.Inventory) []string {
	var out []string
	for _, ks := range inv.KubernetesVersions {
		for _, k := range ks {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		va, errA := semver.ParseTolerant(a)
		vb, errB := semver.ParseTolerant(b)
		if errA != nil || errB != nil {
			return strings.Compare(b, a)
		}
		return vb.Compare(va)
	})
	return out
}

// classFor is the first MachineClass whose name says its role ("" when none does).
func classFor(classes []string, role string) string {
	for _, c := range classes {
		if strings.Contains(c, role) {
			return c
		}
	}
	return ""
}

func sizeText(n, dflt int) string {
	if n == 0 {
		n = dflt
	}
	return strconv.Itoa(n)
}

// labelsText is labels as the form shows them: key=value, comma-separated, sorted.
func labelsText(ls map[string]string) string {
	var out []string
	for k, v := range ls {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// parseLabels reads key=value pairs, comma-separated.
func parseLabels(s string) (map[string]string, error) {
	var out map[string]string
	for _, item := range SplitList(s) {
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: labels are key=value, comma-separated (etsmtl.club/external-network=false)", item)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// era2 is the section the form describes; labels that are not key=value are left out (their field
// refuses them).
func (v *era2Values) era2() plan.Era2 {
	labels, _ := parseLabels(v.Labels)
	t := strings.TrimSpace
	return plan.Era2{Cluster: t(v.Cluster), TalosVersion: t(v.Talos), KubernetesVersion: t(v.Kubernetes), WorkloadProxy: v.WorkloadProxy,
		ControlPlanes: plan.Pool{MachineClass: t(v.CPClass), Size: count(v.CPSize)},
		Workers:       plan.Pool{MachineClass: t(v.WClass), Size: count(v.WSize)},
		Stack:         v.Stack, Hub: t(v.Hub), Labels: labels, EtcdSubnet: t(v.EtcdSubnet), Machines: v.machines,
		Vault: plan.Era2Vault{Seal: plan.Seal{Type: plan.SealGCPCKMS, Project: t(v.Project), Region: t(v.Region),
			KeyRing: t(v.KeyRing), CryptoKey: t(v.Crypto), CredentialsFile: t(v.CredFile), CredentialsSecret: t(v.CredSecret)},
			RecoveryShares: count(v.Shares), RecoveryThreshold: count(v.Threshold)}}
}

// classes is the MachineClasses the plan is judged against: Omni's when they were read, else none
// (nil: not checked).
func classesOf(inv *plan.Inventory) []string {
	if inv == nil {
		return nil
	}
	return inv.MachineClasses
}

// problems are the plan's problems with the section as typed.
func (v *era2Values) problems() plan.Problems {
	e := v.era2()
	return plan.Plan{Era: plan.Era2Version, Era2: &e}.ValidateEra2(classesOf(v.inv), v.inv)
}

// check is a field's refusal: the plan's first problem at path (and under it) with s typed in the field
// that set writes; exact keeps only the problems at path itself.
func (v *era2Values) check(path string, exact bool, set func(*era2Values, string)) func(string) error {
	return func(s string) error {
		c := *v
		set(&c, s)
		for _, p := range c.problems() {
			if p.Path == path || !exact && len(p.Path) > len(path) && strings.HasPrefix(p.Path, path) &&
				strings.ContainsRune(".[", rune(p.Path[len(path)])) {
				return errors.New(p.Message)
			}
		}
		return nil
	}
}

// readMachines reads the machines' network patches from the file the form names: a list of machines as
// the answers file's era2.machines, or an answers file whose era2 section has them. Empty keeps the plan's.
func (v *era2Values) readMachines() error {
	path := strings.TrimSpace(v.MachinesFile)
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the machines' network patches: %w", err)
	}
	var list []plan.NetMachine
	if err := yaml.Unmarshal(data, &list); err != nil {
		var answers struct {
			Era2 struct {
				Machines []plan.NetMachine `yaml:"machines"`
			} `yaml:"era2"`
		}
		if yaml.Unmarshal(data, &answers) != nil || len(answers.Era2.Machines) == 0 {
			return fmt.Errorf("%s: not a list of machines like era2.machines in assets/answers.era2.example.yaml", path)
		}
		list = answers.Era2.Machines
	}
	v.machines = list
	return nil
}

// choice is a choice among what Omni offers, or typed when Omni offered none.
func (v *era2Values) choice(title, desc string, value *string, options []string, accessible bool, check func(string) error) huh.Field {
	if len(options) == 0 {
		return huh.NewInput().Title(inputTitle(title, *value, accessible)).Description(desc).Value(value).Validate(keepEmpty(accessible, check))
	}
	return huh.NewSelect[string]().Title(title).Description(desc).Value(value).Options(huh.NewOptions(options...)...).
		Height(min(len(options), 4) + 1 + lipgloss.Height(desc)).Validate(check)
}

func (v *era2Values) input(title, desc string, value *string, accessible bool, check func(string) error) *huh.Input {
	in := huh.NewInput().Title(inputTitle(title, *value, accessible)).Description(desc).Value(value)
	if check != nil {
		in = in.Validate(keepEmpty(accessible, check))
	}
	return in
}

// era2Form builds the era-2 form over v: the cluster and its versions, its machines, the hub's
// registration, Vault's seal and recovery shares.
func era2Form(v *era2Values, accessible bool) *huh.Form {
	var talos, kubes, classes, clusters []string
	if v.inv != nil {
		talos, kubes, classes, clusters = newestFirst(v.inv.TalosVersions), kubernetesOffered(v.inv), v.inv.MachineClasses, v.inv.Clusters
	}
	kubeField := v.choice("Kubernetes version", "supported by the Talos version chosen (the field says when not), newest first",
		&v.Kubernetes, kubes, accessible, v.check("era2.kubernetesVersion", false, func(c *era2Values, s string) { c.Kubernetes = s }))
	cluster := huh.NewGroup(
		v.input("Cluster name", "the new Omni cluster (a DNS label, like k8s-poc); typed again to confirm", &v.Cluster, accessible,
			v.check("era2.cluster", false, func(c *era2Values, s string) { c.Cluster = s })),
		v.choice("Talos version", "offered by this Omni, newest first", &v.Talos, talos, accessible,
			v.check("era2.talosVersion", false, func(c *era2Values, s string) { c.Talos = s })),
		kubeField)
	pools := huh.NewGroup(
		v.choice("Control planes' MachineClass", "Omni allocates the control-plane VMs from it", &v.CPClass, classes, accessible,
			v.check("era2.controlPlanes.machineClass", false, func(c *era2Values, s string) { c.CPClass = s })),
		v.input("Control planes", "how many: odd, so that etcd keeps a quorum (1, 3 or 5)", &v.CPSize, accessible,
			v.check("era2.controlPlanes.size", false, func(c *era2Values, s string) { c.CPSize = s })),
		v.choice("Workers' MachineClass", "Omni allocates the worker VMs from it", &v.WClass, classes, accessible,
			v.check("era2.workers.machineClass", false, func(c *era2Values, s string) { c.WClass = s })),
		v.input("Workers", "how many, at least one", &v.WSize, accessible,
			v.check("era2.workers.size", false, func(c *era2Values, s string) { c.WSize = s })))
	network := huh.NewGroup(
		v.input("etcd subnet (optional)", "the cluster network etcd listens on, like 10.10.3.0/25; empty: every address", &v.EtcdSubnet, accessible,
			v.check("era2.etcdSubnet", false, func(c *era2Values, s string) { c.EtcdSubnet = s })),
		v.input("Machines' network patches file (optional)", fmt.Sprintf("YAML: a list like era2.machines of "+
			"assets/answers.era2.example.yaml; empty keeps the plan's %d", len(v.machines)), &v.MachinesFile, accessible, nil),
		huh.NewConfirm().Title("Omni's workload proxy").Description("expose the cluster's Services through Omni").Value(&v.WorkloadProxy))
	argo := huh.NewGroup(
		v.choice("Stack", "the hub's ApplicationSets select on this label", &v.Stack, plan.Stacks(), accessible,
			v.check("era2.stack", false, func(c *era2Values, s string) { c.Stack = s })),
		v.choice("Hub", "the Omni cluster whose ArgoCD registers this one", &v.Hub, clusters, accessible,
			v.check("era2.hub", false, func(c *era2Values, s string) { c.Hub = s })),
		v.input("Labels (optional)", "the club's labels on the registration: etsmtl.club/NAME=VALUE, comma-separated", &v.Labels, accessible,
			func(s string) error {
				if _, err := parseLabels(s); err != nil {
					return err
				}
				return v.check("era2.labels", false, func(c *era2Values, s string) { c.Labels = s })(s)
			}))
	seal := huh.NewGroup(
		v.input("Cloud KMS project", "the Google Cloud project of Vault's seal key", &v.Project, accessible,
			v.check("era2.vault.seal.project", false, func(c *era2Values, s string) { c.Project = s })),
		v.input("KMS location", "the key ring's region, like northamerica-northeast1 or global", &v.Region, accessible,
			v.check("era2.vault.seal.region", false, func(c *era2Values, s string) { c.Region = s })),
		v.input("Key ring", "like vault", &v.KeyRing, accessible,
			v.check("era2.vault.seal.keyRing", false, func(c *era2Values, s string) { c.KeyRing = s })),
		v.input("Crypto key", "like vault-unseal", &v.Crypto, accessible,
			v.check("era2.vault.seal.cryptoKey", false, func(c *era2Values, s string) { c.Crypto = s })))
	recovery := huh.NewGroup(
		v.input("KMS credentials file", "the service-account key file's path (its content is never read here nor saved)", &v.CredFile, accessible,
			v.check("era2.vault.seal", true, func(c *era2Values, s string) { c.CredFile = s })),
		v.input("or KMS credentials Secret", "namespace/name of the Secret Vault mounts them from, instead of a file", &v.CredSecret, accessible,
			v.check("era2.vault.seal.credentialsSecret", false, func(c *era2Values, s string) { c.CredSecret = s })),
		v.input("Recovery shares", "recovery keys (gcpckms: they cannot unseal)", &v.Shares, accessible,
			v.check("era2.vault.recoveryShares", false, func(c *era2Values, s string) { c.Shares = s })),
		v.input("Recovery threshold", "how many of them generate a root token", &v.Threshold, accessible,
			v.check("era2.vault.recoveryThreshold", false, func(c *era2Values, s string) { c.Threshold = s })))
	return huh.NewForm(cluster, pools, network, argo, seal, recovery)
}

// era2Bound is the era-2 form bound to the plan: it writes the era2 section and returns every problem
// plan.ValidateEra2 finds against Omni's MachineClasses and versions.
func era2Bound(p plan.Plan, inv *plan.Inventory, accessible bool) BoundForm {
	v := newEra2Values(p, inv)
	return BoundForm{Form: era2Form(&v, accessible), Read: v.readMachines, Apply: func(p *plan.Plan) plan.Problems {
		e := v.era2()
		p.Era, p.Era2 = plan.Era2Version, &e
		return p.ValidateEra2(classesOf(inv), inv)
	}}
}
