package main

import (
	"strings"
	"testing"
)

// TestInstallEra2VaultSteps: --help lists era 2's Vault steps and the dry run says what they would do:
// the recovery split and its custodians, the roles with the audience, the mounts.
func TestInstallEra2VaultSteps(t *testing.T) {
	r := runCLI(t, nil, "install", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Era 2's steps: era2-cluster, era2-cilium, era2-register, era2-vault-init, era2-vault-bootstrap.") {
		t.Errorf("help: %d %s", r.code, r.stdout)
	}
	r = runCLI(t, nil, "install", "--answers", era2Example, "--dry-run")
	for _, w := range []string{"era2-vault-init — Vault init (era 2)", "refuse it unless its seal is gcpckms",
		"5 recovery shares, 3 of them needed", "share 1 → ana (keys/ana.asc), exported to out/recovery-ana.asc",
		"era2-vault-bootstrap — Vault bootstrap (era 2)", "role secret-reader: service accounts * of namespace *, audience vault",
		"mounts kv/, kv-system/, kv-v2/"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("the dry run lacks %q", w)
		}
	}
	if r.code != 0 || t.Failed() {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
