package plan

import (
	"strings"
	"testing"
)

func TestDiskPools(t *testing.T) {
	w := func(host string, disks ...Disk) Machine {
		return Machine{ID: "id-" + host, Hostname: host, Role: RoleWorker, PoolDisks: disks}
	}
	d := func(serial, byID string) Disk { return Disk{Serial: serial, ByID: byID} }
	cases := []struct {
		name     string
		machines []Machine
		storage  Storage
		want     []string // "name node disk"
		problems []string
	}{
		{"the platform's layout", []Machine{
			w("worker-1", d("WD-WCC4N5DAHR67", "/dev/disk/by-id/wwn-0x1"), d("WD-WCC4N7KEPLJ7", "/dev/disk/by-id/wwn-0x2")),
			w("worker-2", d("WD-WCC4N5DAHTP3", "/dev/disk/by-id/wwn-0x3")),
		}, Storage{}, []string{
			"worker-1-hr67 worker-1 /dev/disk/by-id/wwn-0x1", "worker-1-plj7 worker-1 /dev/disk/by-id/wwn-0x2",
			"worker-2-htp3 worker-2 /dev/disk/by-id/wwn-0x3"}, nil},
		{"a WWID when there is no serial", []Machine{
			w("Worker_3", Disk{WWID: "naa.5002538E4B2C9A66", ByID: "/dev/disk/by-id/wwn-0x5002538e4b2c9a66"}),
			w("worker-4", d("ABCD", "/dev/disk/by-id/x")),
		}, Storage{}, []string{"worker-3-9a66 Worker_3 /dev/disk/by-id/wwn-0x5002538e4b2c9a66", "worker-4-abcd worker-4 /dev/disk/by-id/x"}, nil},
		{"two disks ending alike", []Machine{
			w("worker-1", d("AAA1234", "/dev/disk/by-id/a"), d("BBB1234", "/dev/disk/by-id/b")),
			w("worker-2", d("C", "/dev/disk/by-id/c")),
		}, Storage{}, []string{"worker-1-1234 worker-1 /dev/disk/by-id/a", "worker-1-1234-2 worker-1 /dev/disk/by-id/b",
			"worker-2-c worker-2 /dev/disk/by-id/c"}, nil},
		{"missing hostname and by-id path", []Machine{
			{ID: "m1", Role: RoleWorker, PoolDisks: []Disk{d("S1", "/dev/disk/by-id/s1")}},
			w("worker-2", d("S2", "")),
		}, Storage{}, nil, []string{"machines[0].hostname", "machines[1].poolDisks[0].byID"}},
		{"a machine without hostname is named once, not per disk", []Machine{
			{ID: "m1", Role: RoleWorker, PoolDisks: []Disk{d("S1", "/dev/disk/by-id/s1"), d("S2", "/dev/disk/by-id/s2")}},
		}, Storage{Replicas: 1}, nil, []string{"machines[0].hostname"}},
		{"a suffixed name taken too", []Machine{
			w("worker-1-1234", d("2", "/dev/disk/by-id/a")),
			w("worker-1", d("AAA1234", "/dev/disk/by-id/b"), d("BBB1234", "/dev/disk/by-id/c")),
		}, Storage{}, []string{"worker-1-1234-2 worker-1-1234 /dev/disk/by-id/a", "worker-1-1234 worker-1 /dev/disk/by-id/b"},
			[]string{"machines[1].poolDisks[1]"}},
		{"more replicas than nodes with pools", []Machine{
			w("worker-1", d("S1", "/dev/disk/by-id/s1"), d("S2", "/dev/disk/by-id/s2")),
		}, Storage{Replicas: 2}, []string{"worker-1-s1 worker-1 /dev/disk/by-id/s1", "worker-1-s2 worker-1 /dev/disk/by-id/s2"},
			[]string{"storage.replicas"}},
		{"a bad class name", []Machine{w("worker-1", d("S1", "/x")), w("worker-2", d("S2", "/y"))},
			Storage{Class: "Mayastor Fast"}, []string{"worker-1-s1 worker-1 /x", "worker-2-s2 worker-2 /y"}, []string{"storage.class"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Plan{Machines: c.machines, Storage: c.storage}
			pools, _ := p.DiskPools()
			var got []string
			for _, pl := range pools {
				got = append(got, pl.Name+" "+pl.Node+" "+pl.Disk)
				if pl.Namespace != "mayastor" {
					t.Errorf("namespace %q", pl.Namespace)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("pools:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			var paths []string
			for _, pr := range p.ValidateStorage() {
				paths = append(paths, pr.Path)
			}
			if strings.Join(paths, " ") != strings.Join(c.problems, " ") {
				t.Errorf("problems %v, want %v", paths, c.problems)
			}
		})
	}
	if got := (Storage{Replicas: 3}).ClassParameters(); got["repl"] != "3" || got["protocol"] != "nvmf" {
		t.Errorf("class parameters: %v", got)
	}
}
