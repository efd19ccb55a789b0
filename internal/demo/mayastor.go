package demo

import (
	"context"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

const (
	// mayastorPoll is how often the simulated operator looks at the DiskPools.
	mayastorPoll = 100 * time.Millisecond
	// poolSettle is how long a new DiskPool takes to come up.
	poolSettle = 300 * time.Millisecond
	// defaultPoolBytes is the capacity of a pool on a disk the demo's machines do not have (2 TB).
	defaultPoolBytes = size2TB
)

// mayastorController plays Mayastor's operator and io-engines: a DiskPool without a status (one the
// storage step created, in any namespace) is Created and Online poolSettle after it appeared, its
// capacity the size of the demo machine's disk it names by /dev/disk/by-id path (2 TB for a disk the
// demo does not know), nothing used yet. Pools with a status are left alone (the pool fault writes it).
type mayastorController struct {
	p    *Platform
	seen map[string]time.Time // status-less pools, when first seen; owned by the controller's goroutine
}

func newMayastorController(p *Platform) *mayastorController {
	return &mayastorController{p: p, seen: map[string]time.Time{}}
}

func (m *mayastorController) pass(ctx context.Context) {
	pools := m.p.kube.dyn.Resource(platform.DiskPool.GVR)
	list, err := pools.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	now := time.Now()
	pending := map[string]bool{}
	for i := range list.Items {
		u := &list.Items[i]
		if health.Str(u, "status", "cr_state") != "" || u.GetDeletionTimestamp() != nil {
			continue
		}
		key := u.GetNamespace() + "/" + u.GetName()
		pending[key] = true
		first, ok := m.seen[key]
		if !ok {
			m.seen[key] = now
			continue
		}
		if now.Sub(first) < poolSettle {
			continue
		}
		disks, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "disks")
		capacity := int64(0)
		for _, d := range disks {
			capacity += m.p.diskBytes(d)
		}
		if mergeStatus(ctx, pools.Namespace(u.GetNamespace()), u.GetName(), map[string]any{"cr_state": "Created",
			"pool_status": "Online", "capacity": capacity, "used": 0, "available": capacity}) == nil {
			delete(pending, key)
		}
	}
	for key := range m.seen {
		if !pending[key] {
			delete(m.seen, key)
		}
	}
}

// diskBytes is the size of the demo machine's disk a /dev/disk/by-id path names, defaultPoolBytes when
// no disk of the demo has that path.
func (p *Platform) diskBytes(byID string) int64 {
	for _, m := range p.machines {
		for _, d := range m.Disks {
			if slices.Contains(d.byIDLinks(), byID) {
				return int64(d.SizeBytes)
			}
		}
	}
	return int64(defaultPoolBytes)
}

// byIDLinks are every /dev/disk/by-id path udev gives the disk (the WWN one, which the install records,
// and the bus-model-serial one, which the era-1 pools name).
func (d DemoDisk) byIDLinks() []string {
	return plan.ByIDLinks(plan.DiskFacts{Model: d.Model, Serial: d.Serial, WWID: d.WWID, Transport: d.Transport})
}
