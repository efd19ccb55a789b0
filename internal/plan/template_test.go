package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/omni/client/pkg/template"
)

func uuidPlan() Plan {
	p := goodPlan()
	for i := range p.Machines {
		p.Machines[i].ID = []string{
			"4c4c4544-0031-4d10-8035-b4c04f4e3332", "4c4c4544-0031-4d10-8036-b4c04f4e3332",
			"4c4c4544-0031-4d10-8037-b4c04f4e3332", "4c4c4544-0048-3610-8057-c3c04f395a32"}[i]
	}
	return p
}

func TestClusterTemplateIsWhatOmniReads(t *testing.T) {
	cases := []struct {
		name      string
		mut       func(*Plan)
		want      []string // fragments of the rendered template
		notWanted []string
		patches   int // ConfigPatch resources after translation
	}{
		{name: "the platform", want: []string{
			"kind: Cluster", "name: cedille-cluster", "version: v1.34.1", "version: v1.11.5",
			"disk: /dev/disk/by-id/wwn-0x5002538e40a1c3f7", "vm.nr_hugepages: \"1024\"", "name: nvme_tcp",
			"openebs.io/engine: mayastor"}, notWanted: []string{"/dev/sd", "diskEncryption"}, patches: 5},
		{name: "encryption only when asked", mut: func(p *Plan) {
			p.Cluster.Encryption, p.Cluster.EncryptionReason = true, "tested"
		}, want: []string{"diskEncryption: true"}, patches: 5},
		{name: "extensions kept on install", mut: func(p *Plan) { p.ISO.Extensions = []string{"siderolabs/iscsi-tools"} },
			want: []string{"systemExtensions:", "- siderolabs/iscsi-tools"}, patches: 5},
		{name: "no pool disks, no Mayastor patch", mut: func(p *Plan) { p.Machines[3].PoolDisks = nil },
			notWanted: []string{"nvme_tcp"}, patches: 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := uuidPlan()
			if c.mut != nil {
				c.mut(&p)
			}
			b, err := ClusterTemplate(p)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("template lacks %q:\n%s", w, s)
				}
			}
			for _, w := range c.notWanted {
				if strings.Contains(s, w) {
					t.Errorf("template has %q:\n%s", w, s)
				}
			}
			tmpl, err := template.Load(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("omni cannot load it: %v\n%s", err, s)
			}
			if err := tmpl.Validate(); err != nil {
				t.Fatalf("omni refuses it: %v\n%s", err, s)
			}
			rs, err := tmpl.Translate()
			if err != nil {
				t.Fatal(err)
			}
			patches, nodes := 0, 0
			for _, r := range rs {
				switch r.Metadata().Type() {
				case omni.ConfigPatchType:
					patches++
				case omni.MachineSetNodeType:
					nodes++
				}
			}
			if patches != c.patches || nodes != 4 {
				t.Errorf("translated to %d patches and %d machine set nodes, want %d and 4", patches, nodes, c.patches)
			}
		})
	}
}

func TestClusterTemplateRefusesLinuxNames(t *testing.T) {
	p := uuidPlan()
	p.Machines[1].InstallDisk.ByID = ""
	if _, err := ClusterTemplate(p); err == nil || !strings.Contains(err.Error(), "no /dev/disk/by-id path") {
		t.Fatalf("err = %v", err)
	}
}
