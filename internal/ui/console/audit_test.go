package console

import (
	"testing"

	"github.com/clubcedille/cedille-tui/internal/audit"
)

// TestAuditWhatNamesTheCluster: in a fleet's trail, a record's line starts with the cluster acted on.
func TestAuditWhatNamesTheCluster(t *testing.T) {
	for _, c := range []struct {
		rec  audit.Record
		want string
	}{
		{audit.Record{Action: "cordon", Target: "node/worker-2"}, "cordon node/worker-2"},
		{audit.Record{Action: "delete-pod", Target: "pod/web/web-1", Cluster: "k8s-sandbox"}, "k8s-sandbox: delete-pod pod/web/web-1"},
		{audit.Record{Event: audit.Connect}, ""},
	} {
		if got := auditWhat(audit.Entry{Record: c.rec}); got != c.want {
			t.Errorf("%+v: %q, want %q", c.rec, got, c.want)
		}
	}
}
