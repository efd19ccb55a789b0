package wizard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
)

// goodEra2 is a complete era-2 form against testInventory with the fleet's classes and clusters.
func goodEra2() era2Values {
	inv := testInventory()
	inv.MachineClasses, inv.Clusters = era2Classes, []string{"k8s-shared"}
	v := newEra2Values(plan.Plan{Era: plan.Era2Version, Era2: &plan.Era2{Cluster: "k8s-poc"}}, inv)
	v.Project, v.Region, v.KeyRing, v.Crypto, v.CredFile = "club-vault-poc", "global", "vault", "vault-unseal", "/etc/cedille/gcp-kms.json"
	return v
}

// TestEra2FieldChecks: each field is refused with the plan's own words for its path, judged with the
// rest of the form as typed; the defaults offered from Omni are accepted.
func TestEra2FieldChecks(t *testing.T) {
	v := goodEra2()
	if ps := v.problems(); len(ps) != 0 {
		t.Fatalf("the defaults from Omni and the seal: %v", ps)
	}
	if v.Talos != testTalos || v.Kubernetes != testKube || v.CPClass != "k8s-poc-controlplane" || v.WClass != "k8s-poc-worker" ||
		v.Hub != "k8s-shared" || v.Stack != plan.Stacks()[0] || v.Shares != "5" || v.Threshold != "3" {
		t.Errorf("defaults: %+v", v)
	}
	tests := []struct {
		path  string
		exact bool
		set   func(*era2Values, string)
		value string
		says  string // "" when accepted
	}{
		{"era2.cluster", false, func(c *era2Values, s string) { c.Cluster = s }, "K8s", "a DNS label"},
		{"era2.cluster", false, func(c *era2Values, s string) { c.Cluster = s }, "k8s-lab", ""},
		{"era2.kubernetesVersion", false, func(c *era2Values, s string) { c.Kubernetes = s }, "1.29.3", "is not supported by Talos " + testTalos},
		{"era2.controlPlanes.size", false, func(c *era2Values, s string) { c.CPSize = s }, "2", "an odd number of control planes"},
		{"era2.controlPlanes.machineClass", false, func(c *era2Values, s string) { c.CPClass = s }, "k8s-poc-gpu", `Omni has no MachineClass "k8s-poc-gpu"`},
		{"era2.workers.machineClass", false, func(c *era2Values, s string) { c.WClass = s }, "k8s-poc-controlplane", "also the control planes' class"},
		{"era2.workers.size", false, func(c *era2Values, s string) { c.WSize = s }, "0", "at least one worker"},
		{"era2.hub", false, func(c *era2Values, s string) { c.Hub = s }, "k8s-poc", "is the new cluster itself"},
		{"era2.labels", false, func(c *era2Values, s string) { c.Labels = s }, "external-network=false", "etsmtl.club/<name>"},
		{"era2.labels", false, func(c *era2Values, s string) { c.Labels = s }, "etsmtl.club/external-network=false", ""},
		{"era2.etcdSubnet", false, func(c *era2Values, s string) { c.EtcdSubnet = s }, "10.10.3.0", "is not a subnet"},
		{"era2.vault.seal.project", false, func(c *era2Values, s string) { c.Project = s }, "X", "not a Google Cloud project ID"},
		{"era2.vault.seal", true, func(c *era2Values, s string) { c.CredFile = s }, `{"private_key": "x"}`, "never its content"},
		{"era2.vault.seal", true, func(c *era2Values, s string) { c.CredFile = s }, "", "where the KMS credentials are"},
		{"era2.vault.seal.credentialsSecret", false, func(c *era2Values, s string) { c.CredFile, c.CredSecret = "", s }, "vault", "namespace/name"},
		{"era2.vault.recoveryThreshold", false, func(c *era2Values, s string) { c.Threshold = s }, "6", "between 1 and the 5 recovery shares"},
	}
	for _, tt := range tests {
		err := v.check(tt.path, tt.exact, tt.set)(tt.value)
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("%s = %q: refused: %v", tt.path, tt.value, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("%s = %q: %v, want it to say %q", tt.path, tt.value, err, tt.says)
		}
	}
	// The seal's own problem is not the credentials field's: a bad project is said at the project only.
	bad := goodEra2()
	bad.Project = "X"
	if err := bad.check("era2.vault.seal", true, func(c *era2Values, s string) { c.CredFile = s })("/etc/cedille/gcp-kms.json"); err != nil {
		t.Errorf("the credentials field says another field's problem: %v", err)
	}
}

// TestEra2MachinesFile: the network patches are read from a list like era2.machines, or from an answers
// file's era2 section; anything else is refused naming the file.
func TestEra2MachinesFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, f := range []string{write("list.yaml", era2Machines),
		write("answers.yaml", "version: 1\nera: 2\nera2:\n  machines:\n"+indent(era2Machines, "    "))} {
		v := goodEra2()
		v.MachinesFile = f
		if err := v.readMachines(); err != nil || len(v.machines) != 1 || v.machines[0].Hostname != "k8s-poc-cp-1.example.club" {
			t.Errorf("%s: %v %+v", f, err, v.machines)
		}
		if ps := v.problems(); len(ps) != 0 {
			t.Errorf("%s: %v", f, ps)
		}
	}
	v := goodEra2()
	v.MachinesFile = write("other.yaml", "hello: world\n")
	if err := v.readMachines(); err == nil || !strings.Contains(err.Error(), "other.yaml: not a list of machines") {
		t.Errorf("not machines: %v", err)
	}
	v.MachinesFile = filepath.Join(dir, "missing.yaml")
	if err := v.readMachines(); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return by + strings.Join(lines, "\n"+by) + "\n"
}
