package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// TestDryRunSaysOnlyWhatItKnows: --dry-run prints no value derived from a missing answer (it names
// what is missing instead), names the kubeconfig's real path, does not call pool disks unchosen when
// only Omni can name their pools, and flags custodian key files that cannot be read as PGP public keys.
func TestDryRunSaysOnlyWhatItKnows(t *testing.T) {
	example, err := os.ReadFile("../../assets/answers.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, err := crypto.PGP().KeyGeneration().AddUserId("custodian", "c@cedille.test").New().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.GetArmoredPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	goodKey, badKey := filepath.Join(dir, "custodian.asc"), filepath.Join(dir, "not-a-key.asc")
	if err := os.WriteFile(goodKey, []byte(pub), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badKey, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withKeys := string(example)
	for _, n := range []string{"alice", "bob", "carol", "dave", "erin"} {
		withKeys = strings.ReplaceAll(withKeys, "keys/"+n+".asc", goodKey)
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	aliceLine := 1 + strings.Count(string(example)[:strings.Index(string(example), "{name: alice")], "\n")
	config := t.TempDir()
	tests := []struct {
		name     string
		answers  string
		code     int
		says     []string
		neverSay []string
	}{
		{"the example, its keys where it says", write("example.yaml", string(example)), 1,
			[]string{fmt.Sprintf("example.yaml:%d: vault.custodians[0].pgpKey: cannot read keys/alice.asc", aliceLine),
				"vault.custodians[4].pgpKey: cannot read keys/erin.asc", "vault.rootToken.pgpKey: cannot read keys/alice.asc",
				"save the kubeconfig (0600) to " + filepath.Join(config, "cedille-tui", "cedille-cluster.kubeconfig"),
				"6 pool disks chosen"},
			[]string{"no pool disk chosen yet", "to \n"}},
		{"readable keys", write("keys.yaml", withKeys), 0, nil, []string{"problem:"}},
		{"a key file that is no PGP key", write("badkey.yaml", strings.Replace(withKeys, goodKey, badKey, 1)), 1,
			[]string{"vault.custodians[0].pgpKey: " + badKey + ": not a PGP public key"}, nil},
		{"no Talos version", write("notalos.yaml", strings.Replace(withKeys, "  talosVersion: 1.8.0", "", 1)), 1,
			[]string{"iso.talosVersion: required", "  not described until these answers are fixed: iso.talosVersion"},
			[]string{"Talos  amd64", "omni-cedille-.iso", "Talos ;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, map[string]string{"XDG_CONFIG_HOME": config}, "install", "--answers", tt.answers, "--dry-run")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.says {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("the dry run does not say %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.neverSay {
				if strings.Contains(r.stdout, s) {
					t.Errorf("the dry run says %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}
