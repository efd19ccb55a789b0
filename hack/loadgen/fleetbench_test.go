package main

import (
	"errors"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	"github.com/clubcedille/cedille-tui/internal/platform"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

func TestFleetComplete(t *testing.T) {
	synced := &watch.Snapshot{Sources: map[platform.Source]watch.SourceState{platform.SourceKubernetes: {Configured: true, Synced: true}}}
	syncing := &watch.Snapshot{Sources: map[platform.Source]watch.SourceState{platform.SourceKubernetes: {Configured: true}}}
	listed := []*omni.ClusterStatus{omni.NewClusterStatus("a"), omni.NewClusterStatus("b")}
	snap := func(omniSynced bool, cs []*omni.ClusterStatus, w map[string]fleet.Watched) fleet.Snapshot {
		return fleet.Snapshot{Inputs: fleet.Inputs{OmniSynced: omniSynced, Omni: cs, Watched: w}}
	}
	both := map[string]fleet.Watched{"a": {Started: true, Snapshot: synced}, "b": {Started: true, Snapshot: synced}}
	for _, c := range []struct {
		name string
		s    fleet.Snapshot
		want bool
	}{
		{"every cluster listed, watched and synced", snap(true, listed, both), true},
		{"Omni not read yet", snap(false, listed, both), false},
		{"Omni lists fewer clusters than the fleet has", snap(true, listed[:1], map[string]fleet.Watched{"a": both["a"]}), false},
		{"a listed cluster not watched yet", snap(true, listed, map[string]fleet.Watched{"a": both["a"]}), false},
		{"a cluster still syncing", snap(true, listed, map[string]fleet.Watched{"a": both["a"], "b": {Started: true, Snapshot: syncing}}), false},
		{"a cluster connecting", snap(true, listed, map[string]fleet.Watched{"a": both["a"], "b": {Started: true}}), false},
		{"a cluster that failed is settled, not complete", snap(true, listed,
			map[string]fleet.Watched{"a": both["a"], "b": {Started: true, Err: errors.New("refused")}}), false},
	} {
		if got := FleetComplete(c.s, 2); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFleetSizes(t *testing.T) {
	given := Sizes{Nodes: 100, Pods: 500, Namespaces: 50, Apps: 300, Pools: 60, Insights: 1000}
	if got, want := fleetSizes(given, nil), (Sizes{Nodes: 20, Pods: 2000, Namespaces: 10}); got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	if got, want := fleetSizes(given, map[string]bool{"pods": true, "apps": true}), (Sizes{Nodes: 20, Pods: 500, Namespaces: 10, Apps: 300}); got != want {
		t.Errorf("flags given: %+v, want %+v", got, want)
	}
}
