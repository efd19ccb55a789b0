package plan

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/omni/client/pkg/template"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func era2Plan(t *testing.T) (Plan, *Lines) {
	t.Helper()
	b, err := os.ReadFile("testdata/era2.answers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, lines, err := ParseAnswers("era2.answers.yaml", b)
	if err != nil {
		t.Fatalf("the era-2 answers are refused: %v", err)
	}
	return p, lines
}

func TestEra2AnswersParse(t *testing.T) {
	p, _ := era2Plan(t)
	if !p.IsEra2() || p.Era2 == nil || p.Era2.Cluster != "k8s-lab" || p.Era2.Workers.Size != 2 ||
		p.Era2.Labels["etsmtl.club/external-network"] != "true" || len(p.Era2.Machines[0].Interfaces) != 3 {
		t.Fatalf("plan: %+v", p.Era2)
	}
	if p.Cluster.Name != "" || p.ISO.Arch != "" {
		t.Errorf("era-1 defaults filled into an era-2 plan: %+v %+v", p.Cluster, p.ISO)
	}
}

// TestEra1PlanHasNoEraField: an era-1 plan marshals as before, with no era or era2 key.
func TestEra1PlanHasNoEraField(t *testing.T) {
	b, err := goodPlan().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("era")) {
		t.Fatalf("era-1 plan names an era:\n%s", b)
	}
}

func TestEra2Validate(t *testing.T) {
	cases := []struct {
		name    string
		mut     func(*Era2)
		era     int
		classes []string
		inv     *Inventory
		path    string // "" = no problem
		says    string
	}{
		{name: "the example"},
		{name: "known classes", classes: []string{"k8s-lab-controlplane", "k8s-lab-worker"}},
		{name: "unknown class", classes: []string{"k8s-lab-worker"}, path: "era2.controlPlanes.machineClass", says: "no MachineClass"},
		{name: "class not a name", mut: func(e *Era2) { e.Workers.MachineClass = "role=worker" }, path: "era2.workers.machineClass", says: "not a MachineClass name"},
		{name: "same class for both", mut: func(e *Era2) { e.Workers.MachineClass = e.ControlPlanes.MachineClass }, path: "era2.workers.machineClass", says: "both"},
		{name: "even control planes", mut: func(e *Era2) { e.ControlPlanes.Size = 2 }, path: "era2.controlPlanes.size", says: "odd"},
		{name: "no worker", mut: func(e *Era2) { e.Workers.Size = 0 }, path: "era2.workers.size", says: "at least one"},
		{name: "bad talos version", mut: func(e *Era2) { e.TalosVersion = "1.8" }, path: "era2.talosVersion", says: "not a version"},
		{name: "missing kubernetes version", mut: func(e *Era2) { e.KubernetesVersion = "" }, path: "era2.kubernetesVersion", says: "required"},
		{name: "unknown stack", mut: func(e *Era2) { e.Stack = "k8s-full" }, path: "era2.stack", says: "k8s-base, k8s-foundation"},
		{name: "cluster not a DNS label", mut: func(e *Era2) { e.Cluster = "K8s_Lab" }, path: "era2.cluster", says: "DNS label"},
		{name: "hub not a DNS label", mut: func(e *Era2) { e.Hub = "" }, path: "era2.hub", says: "ArgoCD"},
		{name: "hub is the cluster", mut: func(e *Era2) { e.Hub = e.Cluster }, path: "era2.hub", says: "itself"},
		{name: "label outside the club", mut: func(e *Era2) { e.Labels["team"] = "x" }, path: "era2.labels.team", says: "etsmtl.club/"},
		{name: "bad label value", mut: func(e *Era2) { e.Labels["etsmtl.club/x"] = "a b" }, path: "era2.labels.etsmtl.club/x", says: "label value"},
		{name: "bad etcd subnet", mut: func(e *Era2) { e.EtcdSubnet = "10.10.4.0" }, path: "era2.etcdSubnet", says: "subnet"},
		{name: "machine ID not a UUID", mut: func(e *Era2) { e.Machines[1].ID = "worker-1" }, path: "era2.machines[1].id", says: "SMBIOS UUID"},
		{name: "machine twice", mut: func(e *Era2) { e.Machines[1].ID = strings.ToUpper(e.Machines[0].ID) }, path: "era2.machines[1].id", says: "twice"},
		{name: "hostname twice", mut: func(e *Era2) { e.Machines[1].Hostname = e.Machines[0].Hostname }, path: "era2.machines[1].hostname", says: "also"},
		{name: "bad MAC", mut: func(e *Era2) { e.Machines[0].Interfaces[0].MAC = "bc:24:11" }, path: "era2.machines[0].interfaces[0].mac", says: "MAC"},
		{name: "address without prefix", mut: func(e *Era2) { e.Machines[0].Interfaces[2].Addresses = []string{"10.10.4.11"} }, path: "era2.machines[0].interfaces[2].addresses", says: "prefix"},
		{name: "dhcp and static", mut: func(e *Era2) { e.Machines[0].Interfaces[2].DHCP = true }, path: "era2.machines[0].interfaces[2].dhcp", says: "not both"},
		{name: "bad gateway", mut: func(e *Era2) { e.Machines[0].Interfaces[2].Routes[1].Gateway = "gw" }, path: "era2.machines[0].interfaces[2].routes[1].gateway", says: "IP"},
		{name: "no interface", mut: func(e *Era2) { e.Machines[1].Interfaces = nil }, path: "era2.machines[1].interfaces", says: "MAC"},
		{name: "other seal", mut: func(e *Era2) { e.Vault.Seal.Type = "shamir" }, path: "era2.vault.seal.type", says: "gcpckms"},
		{name: "no key ring", mut: func(e *Era2) { e.Vault.Seal.KeyRing = "" }, path: "era2.vault.seal.keyRing", says: "required"},
		{name: "credentials inline", mut: func(e *Era2) { e.Vault.Seal.CredentialsFile = `{"type":"service_account","private_key":"x"}` },
			path: "era2.vault.seal", says: "never its content"},
		{name: "no credentials", mut: func(e *Era2) { e.Vault.Seal.CredentialsFile = "" }, path: "era2.vault.seal", says: "credentialsFile"},
		{name: "threshold above shares", mut: func(e *Era2) { e.Vault.RecoveryThreshold = 6 }, path: "era2.vault.recoveryThreshold", says: "between 1 and the 5"},
		{name: "versions Omni offers", inv: &Inventory{TalosVersions: []string{"1.7.6", "1.8.0"},
			KubernetesVersions: map[string][]string{"v1.8.0": {"1.29.3", "1.30.0"}}}},
		{name: "Talos not offered", inv: &Inventory{TalosVersions: []string{"1.7.6"}}, path: "era2.talosVersion", says: "not offered by this Omni (offered: 1.7.6)"},
		{name: "Kubernetes not with this Talos", inv: &Inventory{TalosVersions: []string{"1.8.0"},
			KubernetesVersions: map[string][]string{"v1.8.0": {"1.31.1"}}}, path: "era2.kubernetesVersion", says: "not supported by Talos 1.8.0"},
		{name: "era 3", era: 3, path: "era", says: "1 (one bare-metal cluster) or 2"},
		// k8s-foundation's Cilium (era2cilium.go).
		{name: "k8s-foundation with every default", mut: foundation},
		{name: "k8s-base without a cilium section"},
		{name: "a pinned chart and its Gateway API", mut: func(e *Era2) {
			foundation(e)
			e.Cilium = Era2Cilium{Chart: Chart{Repo: "https://helm.cilium.io/", Version: "1.16.5"}, GatewayAPI: GatewayAPI{Version: "v1.1.0"}}
		}},
		{name: "a local chart and a local bundle", mut: func(e *Era2) {
			foundation(e)
			e.Cilium = Era2Cilium{Chart: Chart{File: "/srv/charts/cilium-1.17.3.tgz"}, GatewayAPI: GatewayAPI{File: "/srv/gateway-api/experimental-install.yaml"}}
		}},
		{name: "a Cilium the project does not know", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.Chart.Version = "1.30.0"
			e.Cilium.GatewayAPI.Version = "v1.9.0"
		}},
		{name: "Talos without KubePrism", mut: func(e *Era2) { foundation(e); e.TalosVersion = "1.5.5" },
			path: "era2.talosVersion", says: "k8s-foundation needs Talos 1.6 or later"},
		{name: "Talos 1.6", mut: func(e *Era2) { foundation(e); e.TalosVersion = "v1.6.0" }},
		{name: "cilium on k8s-base", mut: func(e *Era2) { e.Cilium.Chart.Version = "1.17.3" },
			path: "era2.cilium", says: "remove the cilium section or set stack: k8s-foundation"},
		{name: "repo and file", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.Chart.File = "cilium.tgz"
			e.Cilium.Chart.Repo = "https://helm.cilium.io/"
		},
			path: "era2.cilium.chart", says: "not both"},
		{name: "chart file not an archive", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.File = "cilium/" },
			path: "era2.cilium.chart.file", says: ".tgz"},
		{name: "chart from an OCI registry", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.Repo = "oci://quay.io/cilium/charts" },
			path: "era2.cilium.chart.repo", says: "helm pull"},
		{name: "chart version not a version", mut: func(e *Era2) { foundation(e); e.Cilium.Chart.Version = "latest" },
			path: "era2.cilium.chart.version", says: "not a version"},
		{name: "the KF incident: Gateway API too new", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.Version = "v1.6.0" },
			path: "era2.cilium.gatewayAPI.version", says: "Cilium 1.17.3 supports Gateway API v1.2.x, not v1.6.0"},
		{name: "Gateway API version without its v", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.Version = "1.2.1" },
			path: "era2.cilium.gatewayAPI.version", says: "not a Gateway API release like v1.2.1"},
		{name: "bundle from two places", mut: func(e *Era2) {
			foundation(e)
			e.Cilium.GatewayAPI = GatewayAPI{URL: "https://mirror.example.club/experimental-install.yaml", File: "experimental-install.yaml"}
		}, path: "era2.cilium.gatewayAPI", says: "not both"},
		{name: "bundle file not YAML", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.File = "gateway-api.tar.gz" },
			path: "era2.cilium.gatewayAPI.file", says: "experimental-install.yaml"},
		{name: "bundle URL not a URL", mut: func(e *Era2) { foundation(e); e.Cilium.GatewayAPI.URL = "github.com/kubernetes-sigs/gateway-api" },
			path: "era2.cilium.gatewayAPI.url", says: "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := era2Plan(t)
			if c.mut != nil {
				c.mut(p.Era2)
			}
			var ps Problems
			if c.era != 0 {
				p.Era = c.era
				ps = p.Validate(nil)
			} else {
				ps = p.ValidateEra2(c.classes, c.inv)
			}
			if c.path == "" {
				if len(ps) > 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			for _, pr := range ps {
				if pr.Path == c.path && strings.Contains(pr.Message, c.says) {
					return
				}
			}
			t.Fatalf("want a problem at %s saying %q, got %v", c.path, c.says, ps)
		})
	}
}

// TestEra2AnswersErrorsNameTheLine: a problem of the era2 section names its line in the file.
func TestEra2AnswersErrorsNameTheLine(t *testing.T) {
	b, err := os.ReadFile("testdata/era2.answers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "stack: k8s-base", "stack: k8s-everything", 1)
	_, _, err = ParseAnswers("era2.answers.yaml", []byte(bad))
	var ae AnswersErrors
	if !errors.As(err, &ae) || len(ae) != 1 || ae[0].Line != 14 || ae[0].Path != "era2.stack" {
		t.Fatalf("err = %v", err)
	}
	noSection := "version: 1\nera: 2\n"
	if _, _, err := ParseAnswers("a.yaml", []byte(noSection)); err == nil || !strings.Contains(err.Error(), "era2: required") {
		t.Fatalf("era: 2 without its section: %v", err)
	}
	if _, _, err := ParseAnswers("a.yaml", []byte("version: 1\nera2:\n  sizes: 3\n")); err == nil ||
		!strings.Contains(err.Error(), `unknown field "sizes"`) {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestClusterTemplateEra2(t *testing.T) {
	cases := []struct {
		name      string
		mut       func(*Era2)
		golden    string
		want      []string
		notWanted []string
		patches   int
	}{
		{name: "the example", golden: "testdata/era2.template.golden.yaml", patches: 2},
		{name: "no etcd subnet", mut: func(e *Era2) { e.EtcdSubnet = "" }, notWanted: []string{"etcd"}, patches: 1},
		{name: "workload proxy", mut: func(e *Era2) { e.WorkloadProxy = true }, want: []string{"enableWorkloadProxy: true"}, patches: 2},
		{name: "k8s-foundation: Talos without CNI and kube-proxy, no ipvs", mut: func(e *Era2) { e.Stack = StackFoundation },
			want: []string{"name: cilium", "cni:\n            name: none", "proxy:\n          disabled: true"}, notWanted: []string{"ipvs"}, patches: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := era2Plan(t)
			if c.mut != nil {
				c.mut(p.Era2)
			}
			b, err := ClusterTemplateEra2(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.golden != "" {
				golden(t, c.golden, b)
			}
			for _, w := range c.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Errorf("template lacks %q:\n%s", w, b)
				}
			}
			for _, w := range c.notWanted {
				if bytes.Contains(b, []byte(w)) {
					t.Errorf("template has %q:\n%s", w, b)
				}
			}
			tmpl, err := template.Load(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("omni cannot load it: %v\n%s", err, b)
			}
			if err := tmpl.Validate(); err != nil {
				t.Fatalf("omni refuses it: %v\n%s", err, b)
			}
			rs, err := tmpl.Translate()
			if err != nil {
				t.Fatal(err)
			}
			patches, sets := 0, map[string]string{}
			for _, r := range rs {
				switch r.Metadata().Type() {
				case omni.ConfigPatchType:
					patches++
				case omni.MachineSetType:
					ms := r.(*omni.MachineSet).TypedSpec().Value
					sets[r.Metadata().ID()] = ms.GetMachineAllocation().GetName()
				}
			}
			if patches != c.patches {
				t.Errorf("%d config patches, want %d", patches, c.patches)
			}
			if sets["k8s-lab-control-planes"] != "k8s-lab-controlplane" || sets["k8s-lab-workers"] != "k8s-lab-worker" {
				t.Errorf("machine sets: %v", sets)
			}
		})
	}
}

func TestMachinePatches(t *testing.T) {
	p, _ := era2Plan(t)
	ps, err := MachinePatches(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].ID != "600-0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e01" || ps[1].Machine != "0b6c2a6e-5f0e-4c1e-9d43-1a2b3c4d5e11" {
		t.Fatalf("patches: %+v", ps)
	}
	golden(t, "testdata/era2.machine-cp1.golden.yaml", ps[0].Data)
	var cfg struct {
		Machine struct {
			Network struct {
				Interfaces []struct {
					DeviceSelector struct {
						HardwareAddr string `yaml:"hardwareAddr"`
					} `yaml:"deviceSelector"`
					DHCP bool `yaml:"dhcp"`
				} `yaml:"interfaces"`
			} `yaml:"network"`
		} `yaml:"machine"`
	}
	if err := yaml.Unmarshal(ps[1].Data, &cfg); err != nil {
		t.Fatal(err)
	}
	if is := cfg.Machine.Network.Interfaces; len(is) != 1 || !is[0].DHCP || is[0].DeviceSelector.HardwareAddr != "bc:24:11:04:00:11" {
		t.Errorf("worker's interfaces: %+v\n%s", is, ps[1].Data)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestEra2ExampleParses: the era-2 example answers file is valid.
func TestEra2ExampleParses(t *testing.T) {
	b, err := os.ReadFile("../../assets/answers.era2.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := ParseAnswers("answers.era2.example.yaml", b)
	if err != nil || !p.IsEra2() || len(p.Era2.Machines) != 1 {
		t.Fatalf("%v %+v", err, p.Era2)
	}
}
