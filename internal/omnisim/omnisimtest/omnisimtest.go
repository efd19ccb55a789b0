// Package omnisimtest starts the simulated Omni (omnisim) for a test, with the tool's real Omni client
// (platform.Omni) connected to it. Both are closed when the test ends.
package omnisimtest

import (
	"testing"

	"github.com/siderolabs/omni/client/pkg/client"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/platform"
)

// Start starts a simulated Omni with opts and returns it with a real Omni client connected to it in
// process (omnisim.InProcessEndpoint: no socket is opened). The test fails if either cannot be made;
// t.Cleanup closes the client, then stops the server and fails the test if serving failed.
func Start(t testing.TB, opts omnisim.Options) (*omnisim.Server, *platform.Omni) {
	t.Helper()

	srv := serve(t, opts)

	return srv, connect(t, platform.OmniOptions{Endpoint: omnisim.InProcessEndpoint,
		Extra: []client.Option{srv.InProcessOption()}})
}

// StartLoopback is Start over TCP: the simulated Omni listens on a free port of 127.0.0.1 only, and the
// client's Endpoint is "grpc://127.0.0.1:<port>", to hand to what dials Omni by address.
func StartLoopback(t testing.TB, opts omnisim.Options) (*omnisim.Server, *platform.Omni) {
	t.Helper()

	srv := serve(t, opts)

	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("simulated Omni: listen: %v", err)
	}

	return srv, connect(t, platform.OmniOptions{Endpoint: "grpc://" + addr.String()})
}

// serve makes the server and registers its stop, and the check of how serving ended, for the cleanup.
func serve(t testing.TB, opts omnisim.Options) *omnisim.Server {
	t.Helper()

	srv, err := omnisim.New(opts)
	if err != nil {
		t.Fatalf("simulated Omni: %v", err)
	}

	t.Cleanup(func() {
		srv.Stop()

		if err := srv.Err(); err != nil {
			t.Errorf("simulated Omni stopped serving: %v", err)
		}
	})

	return srv
}

// connect builds the real client; cleanups run last-in first-out, so it is closed before the server stops.
func connect(t testing.TB, o platform.OmniOptions) *platform.Omni {
	t.Helper()

	om, err := platform.ConnectOmni(o)
	if err != nil {
		t.Fatalf("Omni client of the simulator: %v", err)
	}

	t.Cleanup(func() { _ = om.Close() })

	return om
}
