package plan

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestWithInstallDisk(t *testing.T) {
	pools := []Disk{wHDD1.Identity(), wHDD2.Identity()}
	worker := Machine{ID: "w1", Role: RoleWorker, InstallDisk: wSSD.Identity(), PoolDisks: pools}
	for _, c := range []struct {
		name    string
		m       Machine
		d       DiskFacts
		want    Machine
		refusal string // the error's text; "" = accepted
	}{
		{"a new install disk", Machine{ID: "cp1", Role: RoleControlPlane}, cpSSD,
			Machine{ID: "cp1", Role: RoleControlPlane, InstallDisk: cpSSD.Identity()}, ""},
		{"a pool disk chosen to install on leaves the pools", worker, wHDD1,
			Machine{ID: "w1", Role: RoleWorker, InstallDisk: wHDD1.Identity(), PoolDisks: []Disk{wHDD2.Identity()}}, ""},
		{"the same install disk again", worker, wSSD, worker, ""},
		{"the installer's USB key is refused", worker, usbKey, worker,
			"sda cannot be the install disk: USB disk: removable (the installer's key?); its removal renames the other disks"},
		{"read-only is refused", worker, roDisk, worker, "sdd cannot be the install disk: read-only"},
		{"too small is refused", worker, DiskFacts{LinuxName: "/dev/sdz", Serial: "S", Size: 8e9, Transport: "sata"}, worker,
			"sdz cannot be the install disk: too small: 7.5 GiB, Talos needs at least 9.3 GiB"},
	} {
		before := slices.Clone(c.m.PoolDisks)
		got, err := c.m.WithInstallDisk(c.d)
		if msg := errText(err); msg != c.refusal {
			t.Errorf("%s: error %q, want %q", c.name, msg, c.refusal)
		}
		if err != nil && !errors.As(err, new(DiskRefusal)) {
			t.Errorf("%s: %T is not a DiskRefusal", c.name, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		if !reflect.DeepEqual(c.m.PoolDisks, before) {
			t.Errorf("%s: the machine's pool disks changed under it: %+v", c.name, c.m.PoolDisks)
		}
	}
}

func TestWithPoolDisk(t *testing.T) {
	worker := Machine{ID: "w1", Role: RoleWorker, InstallDisk: wSSD.Identity(), PoolDisks: []Disk{wHDD1.Identity()}}
	cp := Machine{ID: "cp1", Role: RoleControlPlane, InstallDisk: cpSSD.Identity()}
	with := func(ds ...DiskFacts) Machine {
		m := worker
		m.PoolDisks = []Disk{}
		for _, d := range ds {
			m.PoolDisks = append(m.PoolDisks, d.Identity())
		}
		return m
	}
	for _, c := range []struct {
		name    string
		m       Machine
		d       DiskFacts
		on      bool
		want    Machine
		refusal string // the error's text; "" = accepted
	}{
		{"a second pool disk goes after the first", worker, wHDD2, true, with(wHDD1, wHDD2), ""},
		{"a pool disk already there stays once", worker, wHDD1, true, worker, ""},
		{"off", worker, wHDD1, false, with(), ""},
		{"off, not a pool disk: nothing changes", worker, wHDD2, false, worker, ""},
		{"every copy goes off", with(wHDD1, wHDD2, wHDD1), wHDD1, false, with(wHDD2), ""},
		{"the install disk is refused", worker, wSSD, true, worker, "sda cannot be a pool disk: it is the install disk"},
		{"a system disk is refused", worker, DiskFacts{LinuxName: "/dev/sde", Serial: "SYS", Transport: "sata", Size: 250e9, System: true},
			true, worker, "sde cannot be a pool disk: Talos is installed on it (system disk)"},
		{"a USB key is refused", worker, usbKey, true, worker,
			"sda cannot be a pool disk: USB disk: removable (the installer's key?); its removal renames the other disks"},
		{"a refused disk can still go off", with(wHDD1, roDisk), roDisk, false, worker, ""},
		{"a control plane has no pool disk", cp, wHDD1, true, cp, ErrPoolOnControlPlane.Error()},
		{"not even to take one off", cp, wHDD1, false, cp, ErrPoolOnControlPlane.Error()},
	} {
		before := slices.Clone(c.m.PoolDisks)
		got, err := c.m.WithPoolDisk(c.d, c.on)
		if msg := errText(err); msg != c.refusal {
			t.Errorf("%s: error %q, want %q", c.name, msg, c.refusal)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		if !reflect.DeepEqual(c.m.PoolDisks, before) {
			t.Errorf("%s: the machine's pool disks changed under it: %+v", c.name, c.m.PoolDisks)
		}
	}
	if _, err := cp.WithPoolDisk(wHDD1, true); !errors.Is(err, ErrPoolOnControlPlane) {
		t.Errorf("a control plane's refusal is %v, want ErrPoolOnControlPlane", err)
	}
}

func TestSetMachine(t *testing.T) {
	p := Plan{Machines: []Machine{{ID: "a"}, {ID: "b"}}}
	before := p.Machines
	p.SetMachine(1, Machine{ID: "b", Role: RoleWorker})
	if want := []Machine{{ID: "a"}, {ID: "b", Role: RoleWorker}}; !reflect.DeepEqual(p.Machines, want) {
		t.Errorf("machines %+v, want %+v", p.Machines, want)
	}
	if before[1].Role != "" {
		t.Errorf("the slice held before changed: %+v", before)
	}
}

func TestWithEncryption(t *testing.T) {
	on := Cluster{Name: "c", Encryption: true, EncryptionReason: "TPM tested"}
	off := Cluster{Name: "c", EncryptionReason: "TPM tested"}
	for _, c := range []struct {
		name    string
		c       Cluster
		on      bool
		reason  string
		want    Cluster
		refused bool
	}{
		{"on, the reason trimmed", Cluster{Name: "c"}, true, "  TPM tested \n", on, false},
		{"off keeps the reason for next time", on, false, "", off, false},
		{"on again with a new reason", off, true, "stolen disks", Cluster{Name: "c", Encryption: true, EncryptionReason: "stolen disks"}, false},
		{"on without a reason is refused and stays off", Cluster{Name: "c"}, true, " ", Cluster{Name: "c"}, true},
		{"a plan on without a reason is turned off when refused", Cluster{Name: "c", Encryption: true}, true, "",
			Cluster{Name: "c"}, true},
	} {
		got, ps := c.c.WithEncryption(c.on, c.reason)
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		if (len(ps) > 0) != c.refused {
			t.Errorf("%s: problems %v, want refused=%v", c.name, ps, c.refused)
		}
	}
	// The refusal is the problem Validate reports for the same plan.
	p := New()
	p.Cluster.Encryption = true
	_, ps := p.Cluster.WithEncryption(true, "")
	if v := p.Validate(nil).Only("cluster.encryptionReason"); !reflect.DeepEqual(ps, v) {
		t.Errorf("refusal %v, Validate says %v", ps, v)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
