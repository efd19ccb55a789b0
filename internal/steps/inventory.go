package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// LoadInventory lists what Omni knows: every machine's status and the Talos versions it offers. Within
// a pass of checks (OneInventory), Omni is read once and every step sees that reading.
func LoadInventory(ctx context.Context, e *Env) (*plan.Inventory, error) {
	if m, ok := ctx.Value(inventoryMemoKey{}).(*inventoryMemo); ok {
		m.mu.Lock()
		defer m.mu.Unlock()
		if !m.done {
			m.inv, m.err = readInventory(ctx, e)
			m.done = true
		}
		return m.inv, m.err
	}
	return readInventory(ctx, e)
}

type inventoryMemoKey struct{}

type inventoryMemo struct {
	mu   sync.Mutex
	done bool
	inv  *plan.Inventory
	err  error
}

// OneInventory returns a context in which LoadInventory reads Omni once: the checks of one pass see
// one picture of Omni, and it is read once instead of once per step.
func OneInventory(ctx context.Context) context.Context {
	return context.WithValue(ctx, inventoryMemoKey{}, &inventoryMemo{})
}

func readInventory(ctx context.Context, e *Env) (*plan.Inventory, error) {
	om, err := e.omni()
	if err != nil {
		return nil, err
	}
	ms, err := safe.StateListAll[*omni.MachineStatus](ctx, om.State())
	if err != nil {
		return nil, om.Classify(err)
	}
	tv, err := safe.StateListAll[*omni.TalosVersion](ctx, om.State())
	if err != nil {
		return nil, om.Classify(err)
	}
	inv := InventoryFrom(collect(ms), collect(tv))
	return &inv, nil
}

func collect[T safe.ListedResource](l safe.List[T]) []T {
	out := make([]T, 0, l.Len())
	l.ForEach(func(v T) { out = append(out, v) })
	return out
}

// InventoryFrom converts Omni's resources: only connected machines are candidates; Talos versions are
// sorted oldest first, deprecated ones left out.
func InventoryFrom(ms []*omni.MachineStatus, tv []*omni.TalosVersion) plan.Inventory {
	inv := plan.Inventory{KubernetesVersions: map[string][]string{}, Machines: map[string]plan.MachineFacts{}}
	for _, v := range tv {
		s := v.TypedSpec().Value
		ver := s.GetVersion()
		if ver == "" {
			ver = v.Metadata().ID()
		}
		if s.GetDeprecated() {
			continue
		}
		inv.TalosVersions = append(inv.TalosVersions, ver)
		inv.KubernetesVersions[plan.Canonical(ver)] = s.GetCompatibleKubernetesVersions()
	}
	sort.Slice(inv.TalosVersions, func(i, j int) bool {
		return versionLess(inv.TalosVersions[i], inv.TalosVersions[j])
	})
	for _, m := range ms {
		f := MachineFactsFrom(m)
		if f.Connected {
			inv.Machines[f.ID] = f
		}
	}
	return inv
}

// MachineFactsFrom reads one MachineStatus.
func MachineFactsFrom(m *omni.MachineStatus) plan.MachineFacts {
	s := m.TypedSpec().Value
	f := plan.MachineFacts{ID: m.Metadata().ID(), Hostname: s.GetNetwork().GetHostname(), Connected: s.GetConnected(),
		Maintenance: s.GetMaintenance()}
	hw := s.GetHardware()
	f.Arch = hw.GetArch()
	for _, p := range hw.GetProcessors() {
		f.Cores += int(p.GetCoreCount())
		if f.CPU == "" {
			f.CPU = strings.TrimSpace(p.GetDescription())
		}
	}
	for _, mm := range hw.GetMemoryModules() {
		f.MemoryMiB += uint64(mm.GetSizeMb())
	}
	for _, l := range s.GetNetwork().GetNetworkLinks() {
		n := l.GetLinuxName()
		if l.GetHardwareAddress() != "" {
			n += " " + l.GetHardwareAddress()
		}
		if l.GetSpeedMbps() > 0 && l.GetLinkUp() {
			n += fmt.Sprintf(" %d Mb/s", l.GetSpeedMbps())
		} else if !l.GetLinkUp() {
			n += " down"
		}
		f.NICs = append(f.NICs, n)
	}
	for _, d := range hw.GetBlockdevices() {
		f.Disks = append(f.Disks, plan.DiskFacts{LinuxName: d.GetLinuxName(), Model: d.GetModel(), Serial: d.GetSerial(),
			WWID: d.GetWwid(), Size: d.GetSize(), Type: d.GetType(), Transport: d.GetTransport(), BusPath: d.GetBusPath(),
			System: d.GetSystemDisk(), Readonly: d.GetReadonly()})
	}
	sort.Slice(f.Disks, func(i, j int) bool { return f.Disks[i].LinuxName < f.Disks[j].LinuxName })
	return f
}

// versionLess orders "1.10.7" after "1.9.3" (numeric parts, then the rest as text).
func versionLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var na, nb int
		_, ea := fmt.Sscanf(pa[i], "%d", &na)
		_, eb := fmt.Sscanf(pb[i], "%d", &nb)
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
		if pa[i] != pb[i] && (ea != nil || eb != nil) {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}
