package omnisimtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

const kubeconfig = "apiVersion: v1\nkind: Config\n"

// exercise checks that the client and the server share one state both ways and that the server's
// options reach it.
func exercise(t *testing.T, srv *omnisim.Server, om *platform.Omni) {
	t.Helper()

	ctx := t.Context()
	if err := srv.State().Create(ctx, omni.NewCluster("cedille-cluster")); err != nil {
		t.Fatal(err)
	}

	if _, err := safe.StateGetByID[*omni.Cluster](ctx, om.State(), "cedille-cluster"); err != nil {
		t.Fatalf("the client does not see the server's cluster: %v", err)
	}

	if err := om.State().Create(ctx, omni.NewMachineStatus("0001")); err != nil {
		t.Fatalf("create through the client: %v", err)
	}

	if _, err := safe.StateGetByID[*omni.MachineStatus](ctx, srv.State(), "0001"); err != nil {
		t.Fatalf("the server does not see the client's machine: %v", err)
	}

	got, err := om.Client.Management().WithCluster("cedille-cluster").Kubeconfig(ctx)
	if err != nil || string(got) != kubeconfig {
		t.Fatalf("kubeconfig = %q, %v; want the one given in the options", got, err)
	}
}

func TestStartInProcess(t *testing.T) {
	var (
		srv *omnisim.Server
		om  *platform.Omni
	)

	t.Run("running", func(t *testing.T) {
		srv, om = omnisimtest.Start(t, omnisim.Options{Kubeconfig: []byte(kubeconfig)})
		if om.Endpoint != omnisim.InProcessEndpoint {
			t.Errorf("endpoint = %q, want %q", om.Endpoint, omnisim.InProcessEndpoint)
		}

		exercise(t, srv, om)
	})

	if err := om.Ping(t.Context(), 5*time.Second); err == nil {
		t.Error("the client still answers after its test ended")
	}

	c, err := srv.NewInProcessClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() //nolint:errcheck

	if _, err := safe.StateListAll[*omni.Cluster](t.Context(), c.Omni().State()); err == nil {
		t.Error("the server still serves after its test ended")
	}
}

func TestStartLoopback(t *testing.T) {
	var endpoint string

	t.Run("running", func(t *testing.T) {
		srv, om := omnisimtest.StartLoopback(t, omnisim.Options{Kubeconfig: []byte(kubeconfig)})

		endpoint = om.Endpoint
		addr, ok := strings.CutPrefix(endpoint, "grpc://")
		if !ok || !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
			t.Fatalf("endpoint = %q, want grpc://127.0.0.1:<port>", endpoint)
		}

		exercise(t, srv, om)
	})

	om, err := platform.ConnectOmni(platform.OmniOptions{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close() //nolint:errcheck

	if err := om.Ping(context.Background(), 5*time.Second); !platform.IsUnreachable(err) {
		t.Errorf("after its test ended, %s answers (%v), want unreachable", endpoint, err)
	}
}
