package runbook

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/actions"
)

func TestRunEarlier(t *testing.T) {
	r := Run{Steps: []StepState{{ID: "survey", Facts: map[string]string{"nodes-not-ready": "worker-2"}}, {ID: "power"}}}
	if got := r.Earlier("survey").Facts["nodes-not-ready"]; got != "worker-2" {
		t.Fatalf("survey's facts: %q", got)
	}
	if got := r.Earlier("nothing"); got.ID != "" || got.Facts != nil {
		t.Fatalf("an unknown step: %+v", got)
	}
}

// TestParseObjectReadsWhatTargetsSay: every kind of dispatcher target reads back as it was written, a
// remove-finalizers object (its name holds a slash) included.
func TestParseObjectReadsWhatTargetsSay(t *testing.T) {
	for _, want := range []actions.Target{
		{Kind: actions.KindNode, Name: "worker-2"},
		{Kind: actions.KindPod, Namespace: "shop", Name: "db-0"},
		{Kind: actions.KindObject, Namespace: "shop", Name: "configmap/web"},
		{Kind: actions.KindVolumeAttachment, Name: "csi-db"},
		{Kind: actions.KindVCluster, Namespace: "vcluster-staging", Name: "staging"},
	} {
		got, err := ParseObject(want.String())
		if err != nil || got != want {
			t.Errorf("%s read back as %+v, %v", want, got, err)
		}
	}
	for _, bad := range []string{"node", "", "pod/", "pod//db-0"} {
		if _, err := ParseObject(bad); err == nil {
			t.Errorf("%q read", bad)
		}
	}
}
