package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// TestWaitReadyWantsEveryPlannedMachine: a cluster status that says ready while only some of the plan's
// machines run is not the end of the wait; the wait ends once all of them run, and a wait that expires
// says how many of the plan's machines were running.
func TestWaitReadyWantsEveryPlannedMachine(t *testing.T) {
	srv, om := inProcessOmni(t)
	ctx := context.Background()
	st := srv.State()

	running := func(i int) {
		cms := omni.NewClusterMachineStatus(fmt.Sprintf("m%d", i))
		cms.Metadata().Labels().Set(omni.LabelCluster, "c")
		cms.TypedSpec().Value = &specs.ClusterMachineStatusSpec{Stage: specs.ClusterMachineStatusSpec_RUNNING, Ready: true}
		if err := st.Create(ctx, cms); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		running(i)
	}
	cs := omni.NewClusterStatus("c")
	cs.TypedSpec().Value = &specs.ClusterStatusSpec{Ready: true, Phase: specs.ClusterStatusSpec_RUNNING,
		Machines: &specs.Machines{Total: 3, Healthy: 3}}
	if err := st.Create(ctx, cs); err != nil {
		t.Fatal(err)
	}

	now := time.Unix(0, 0)
	e := &Env{Omni: om, Poll: time.Millisecond, ClusterWait: time.Minute, Now: func() time.Time {
		now = now.Add(10 * time.Second)
		return now
	}}
	err := waitReady(ctx, e, "c", 6, func(Event) {})
	if err == nil || !strings.Contains(err.Error(), "3 of the plan's 6 machines running") {
		t.Fatalf("ready with 3 of 6 machines must keep waiting, then say so; got %v", err)
	}

	for i := 3; i < 6; i++ {
		running(i)
	}
	if _, err := safe.StateUpdateWithConflicts(ctx, st, cs.Metadata(), func(r *omni.ClusterStatus) error {
		r.TypedSpec().Value.Machines = &specs.Machines{Total: 6, Healthy: 6}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var last Event
	if err := waitReady(ctx, e, "c", 6, func(ev Event) { last = ev }); err != nil {
		t.Fatalf("all six running: %v", err)
	}
	if !strings.Contains(last.Message, "6/6 machines healthy") {
		t.Errorf("the last line = %q", last.Message)
	}
}
