package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/units"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PoolDegraded is `pool-degraded`: a Mayastor DiskPool not Online. It reads the pool — its state, its
// node, its disk by stable path and, when Omni knows the machine, the disk's serial and model — and the
// Mayastor volumes that may hold a replica there; then what only a person can do (a Degraded pool: check
// the disk before it faults; a Faulted one: replace that disk, named by its by-id path and serial, and
// make a new pool on the new one); then it waits for the pool Online (Mayastor rebuilds the replicas
// from their healthy copies), with its state as the progress line. It changes nothing in the cluster
// itself: a pool's disk is replaced by hand, and Mayastor does the rest.
func PoolDegraded() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookPoolDegraded, Title: "A Mayastor DiskPool not Online",
		Summary: "read the pool and its disk, replace or check the disk, wait for the rebuild",
		Kinds:   []string{"DiskPool"},
		Steps: []runbook.Step{
			{ID: "pool", Kind: runbook.Precheck, Title: "Read the pool: its state, its disk, the volumes at risk", Check: poolState},
			{ID: "disk", Kind: runbook.Manual, Title: "Check or replace the pool's disk", Instructions: poolDiskInstructions},
			{ID: "online", Kind: runbook.Postcheck, Title: "Wait for the pool Online (replicas rebuilt)", Wait: poolOnline,
				Every: 10 * time.Second, Timeout: 2 * time.Hour},
		}}
}

func diskPools() schema.GroupVersionResource { return platform.DiskPool.GVR }

func readPool(ctx context.Context, w runbook.World, t runbook.Target) (*unstructured.Unstructured, error) {
	if w.Dynamic == nil {
		return nil, fmt.Errorf("no cluster to read %s from", t)
	}
	u, err := w.Dynamic.Resource(diskPools()).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t, err)
	}
	return u, nil
}

// poolStatusLine is "Degraded, 21% of 2.7 TiB used" (the pool's own words).
func poolStatusLine(u *unstructured.Unstructured) string {
	st := health.Str(u, "status", "pool_status")
	if st == "" {
		st = "state not reported"
	}
	if capacity, ok := health.Num(u, "status", "capacity"); ok && capacity > 0 {
		if used, ok := health.Num(u, "status", "used"); ok {
			st += fmt.Sprintf(", %d%% of %s used", int(100*used/capacity), units.Binary(uint64(capacity)))
		}
	}
	return st
}

func poolState(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	u, err := readPool(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	f := health.DiskPool(u, now())
	node := health.Str(u, "spec", "node")
	disks, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "disks")
	v := runbook.Verdict{Details: []string{"node " + node + ": pool " + poolStatusLine(u)}}
	for _, d := range disks {
		v.Details = append(v.Details, "disk "+d+diskIdentity(w, node, d))
	}
	if vols, err := mayastorVolumes(ctx, w); err == nil && len(vols) > 0 {
		v.Details = append(v.Details, fmt.Sprintf("Mayastor volumes that may hold a replica on it (%d): %s — which ones do is Mayastor's to say (kubectl mayastor get volume-replica-topologies)",
			len(vols), strings.Join(vols, ", ")))
	}
	if f.Status == health.OK {
		v.Why = t.Name + " is " + f.Reason + ": nothing to repair"
		return v, nil
	}
	v.Applies, v.Why = true, t.Name+" is "+f.Reason
	return v, nil
}

// diskIdentity is ", serial Z1Z2Z3Z4, ST4000NM0033, 3.6 TiB (Omni)" for the disk at byID on the node's
// machine, when the health snapshot holds Omni's machines; "" otherwise.
func diskIdentity(w runbook.World, node, byID string) string {
	if w.Snapshot == nil {
		return ""
	}
	for _, m := range w.Snapshot().Machines {
		if health.MachineName(m) != node {
			continue
		}
		for _, d := range steps.MachineFactsFrom(m).Disks {
			if slices.Contains(plan.ByIDLinks(d), byID) {
				return fmt.Sprintf(", serial %s, %s, %s (as Omni reports it)", d.Serial, d.Model, units.Binary(d.Size))
			}
		}
	}
	return ""
}

// mayastorVolumes lists the PVCs bound to Mayastor's storage class (namespace/name).
func mayastorVolumes(ctx context.Context, w runbook.World) ([]string, error) {
	if w.Kube == nil {
		return nil, nil
	}
	pvs, err := w.Kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, pv := range pvs.Items {
		if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != "io.openebs.csi-mayastor" || pv.Spec.ClaimRef == nil {
			continue
		}
		out = append(out, pv.Spec.ClaimRef.Namespace+"/"+pv.Spec.ClaimRef.Name)
	}
	slices.Sort(out)
	return out, nil
}

func poolDiskInstructions(t runbook.Target, _ func(string) runbook.StepState) []string {
	return []string{
		"Step 1 named the pool's disk by its /dev/disk/by-id path (and, when Omni knows it, its serial).",
		"Degraded: the disk reports errors. Check it on its node (talosctl -n NODE disks; its SMART data) and the io-engine pod there; plan its replacement before it faults.",
		"Faulted: the disk failed or vanished. Power the machine off, replace the disk whose serial step 1 gives (check the serial on its label, never the /dev/sdX name), power it on, then make a new DiskPool on the new disk's by-id path in git and let Argo CD sync it; delete the old " + t.Name + " once its replicas are rebuilt elsewhere.",
		"Mayastor rebuilds each replica that was on the pool from a healthy copy (after a 10-minute wait for a child that may come back).",
	}
}

func poolOnline(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	u, err := readPool(ctx, w, t)
	if err != nil {
		return runbook.Progress{}, err
	}
	return runbook.Progress{Done: strings.EqualFold(health.Str(u, "status", "pool_status"), "Online"), Line: "pool " + poolStatusLine(u)}, nil
}
