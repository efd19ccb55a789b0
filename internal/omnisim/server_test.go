package omnisim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/management"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/client"
	"github.com/siderolabs/omni/client/pkg/omni/resources"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clubcedille/cedille-tui/internal/omnisim"
	"github.com/clubcedille/cedille-tui/internal/omnisim/omnisimtest"
)

func testContext(t *testing.T) context.Context {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)

	return ctx
}

func machineStatus(id, hostname string) *omni.MachineStatus {
	ms := omni.NewMachineStatus(id)
	ms.TypedSpec().Value.TalosVersion = "v1.5.5"
	ms.TypedSpec().Value.Connected = true
	ms.TypedSpec().Value.Network = &specs.MachineStatusSpec_NetworkStatus{Hostname: hostname}
	ms.TypedSpec().Value.Hardware = &specs.MachineStatusSpec_HardwareStatus{
		Blockdevices: []*specs.MachineStatusSpec_HardwareStatus_BlockDevice{
			{LinuxName: "/dev/sda", Model: "Samsung SSD 860 EVO 250GB", Serial: "S3YJNB0K123456A", Type: "SSD", Transport: "sata", Size: 250059350016},
		},
	}

	return ms
}

func TestStateThroughRealClient(t *testing.T) {
	t.Parallel()

	ctx := testContext(t)
	srv, om := omnisimtest.StartLoopback(t, omnisim.Options{})
	st := om.State()

	events := make(chan safe.WrappedStateEvent[*omni.MachineStatus], 16)
	if err := safe.StateWatchKind(ctx, st, omni.NewMachineStatus("").Metadata(), events, state.WithBootstrapContents(true)); err != nil {
		t.Fatalf("WatchKind: %v", err)
	}

	waitEvent := func(want state.EventType, id string) *omni.MachineStatus {
		t.Helper()

		for {
			select {
			case ev := <-events:
				if ev.Type() == state.Errored {
					t.Fatalf("watch error: %v", ev.Error())
				}

				if ev.Type() != want {
					continue
				}

				r, err := ev.Resource()
				if err != nil {
					t.Fatalf("event resource: %v", err)
				}

				if r.Metadata().ID() == id {
					return r
				}
			case <-ctx.Done():
				t.Fatalf("no %s event for %s", want, id)
			}
		}
	}

	// Written by the client over gRPC.
	if err := st.Create(ctx, machineStatus("0001", "controlplane-1")); err != nil {
		t.Fatalf("create over gRPC: %v", err)
	}

	if got := waitEvent(state.Created, "0001"); got.TypedSpec().Value.GetNetwork().GetHostname() != "controlplane-1" {
		t.Fatalf("watched hostname = %q", got.TypedSpec().Value.GetNetwork().GetHostname())
	}

	// Written in-process, seen by the client.
	if err := srv.State().Create(ctx, machineStatus("0002", "worker-1")); err != nil {
		t.Fatalf("create in-process: %v", err)
	}

	waitEvent(state.Created, "0002")

	// The in-process side reads the client's write back as a typed resource.
	own, err := safe.StateGetByID[*omni.MachineStatus](ctx, srv.State(), "0001")
	if err != nil {
		t.Fatalf("typed in-process get: %v", err)
	}

	if own.TypedSpec().Value.GetHardware().GetBlockdevices()[0].GetSerial() != "S3YJNB0K123456A" {
		t.Fatalf("block device lost on the way: %v", own.TypedSpec().Value.GetHardware())
	}

	if _, err = safe.StateUpdateWithConflicts(ctx, st, own.Metadata(), func(ms *omni.MachineStatus) error {
		ms.TypedSpec().Value.Connected = false

		return nil
	}); err != nil {
		t.Fatalf("update over gRPC: %v", err)
	}

	if got := waitEvent(state.Updated, "0001"); got.TypedSpec().Value.GetConnected() {
		t.Fatal("update not seen by the watch")
	}

	list, err := safe.StateListAll[*omni.MachineStatus](ctx, st)
	if err != nil {
		t.Fatalf("list: %v", err)
	}

	if list.Len() != 2 {
		t.Fatalf("listed %d MachineStatus, want 2", list.Len())
	}

	if list.Get(0).Metadata().Namespace() != resources.DefaultNamespace {
		t.Fatalf("namespace = %q", list.Get(0).Metadata().Namespace())
	}
}

func TestInProcessClient(t *testing.T) {
	t.Parallel()

	ctx := testContext(t)
	srv, _ := omnisimtest.Start(t, omnisim.Options{})

	if err := srv.State().Create(ctx, machineStatus("0003", "worker-2")); err != nil {
		t.Fatal(err)
	}

	c, err := srv.NewInProcessClient()
	if err != nil {
		t.Fatalf("NewInProcessClient: %v", err)
	}
	defer c.Close() //nolint:errcheck

	got, err := safe.StateGetByID[*omni.MachineStatus](ctx, c.Omni().State(), "0003")
	if err != nil {
		t.Fatalf("get in-process: %v", err)
	}

	if got.TypedSpec().Value.GetNetwork().GetHostname() != "worker-2" {
		t.Fatalf("hostname = %q", got.TypedSpec().Value.GetNetwork().GetHostname())
	}
}

func TestKubeconfigAndTalosconfig(t *testing.T) {
	t.Parallel()

	ctx := testContext(t)
	srv, om := omnisimtest.StartLoopback(t, omnisim.Options{Talosconfig: []byte("context: cedille\n")})
	c := om.Client
	cc := c.Management().WithCluster("cedille-cluster")

	if _, err := cc.Kubeconfig(ctx); status.Code(err) != codes.NotFound {
		t.Fatalf("kubeconfig of a missing cluster: %v, want NotFound", err)
	}

	if err := srv.State().Create(ctx, omni.NewCluster("cedille-cluster")); err != nil {
		t.Fatal(err)
	}

	_, err := cc.Kubeconfig(ctx)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "no kubeconfig") {
		t.Fatalf("kubeconfig before it is set: %v, want FailedPrecondition", err)
	}

	want := "apiVersion: v1\nkind: Config\n"
	srv.SetKubeconfig([]byte(want))

	got, err := cc.Kubeconfig(ctx)
	if err != nil || string(got) != want {
		t.Fatalf("kubeconfig = %q, %v", got, err)
	}

	tc, err := c.Management().Talosconfig(ctx)
	if err != nil || string(tc) != "context: cedille\n" {
		t.Fatalf("talosconfig = %q, %v", tc, err)
	}

	if _, err = c.Management().Omniconfig(ctx); status.Code(err) != codes.Unimplemented {
		t.Fatalf("omniconfig: %v, want Unimplemented", err)
	}
}

func TestSchematicIDMatchesImageFactory(t *testing.T) {
	t.Parallel()

	// Known IDs from the image factory's own tests.
	for _, tc := range []struct {
		name string
		s    omnisim.Schematic
		want string
	}{
		{"empty", omnisim.Schematic{}, "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"},
		{"kernel args", omnisim.Schematic{Customization: omnisim.Customization{ExtraKernelArgs: []string{"noapic", "nolapic"}}}, "9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c"},
		{"meta", omnisim.Schematic{Customization: omnisim.Customization{Meta: []omnisim.MetaValue{{Key: 0x0a, Value: "foo"}}}}, "d308a2a5ee2277bed5fbaa104fcbc8d59122abfa737df987a95b4ca763459a7f"},
		{"secureboot", omnisim.Schematic{Customization: omnisim.Customization{SecureBoot: omnisim.SecureBoot{IncludeWellKnownCertificates: true}}}, "fa8e05f142a851d3ee568eb0a8e5841eaf6b0ebc8df9a63df16ac5ed2c04f3e6"},
		{"overlay", omnisim.Schematic{Overlay: omnisim.Overlay{Name: "rpi_generic", Image: "siderolabs/sbc-raspberrypi"}}, "ee21ef4a5ef808a9b7484cc0dda0f25075021691c8c09a276591eedb638ea1f9"},
	} {
		got, err := tc.s.ID()
		if err != nil || got != tc.want {
			t.Errorf("%s: ID = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}

	parsed, err := omnisim.ParseSchematic([]byte(`{"customization": {"extraKernelArgs": ["noapic", "nolapic"], "systemExtensions": {}}}`))
	if err != nil {
		t.Fatal(err)
	}

	if id, _ := parsed.ID(); id != "9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c" {
		t.Errorf("parsed ID = %s", id)
	}

	if _, err = omnisim.ParseSchematic([]byte("customization:\n  unknownField: 1\n")); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestCreateSchematic(t *testing.T) {
	t.Parallel()

	ctx := testContext(t)
	_, om := omnisimtest.StartLoopback(t, omnisim.Options{})
	m := om.Client.Management()

	create := func(exts ...string) *management.CreateSchematicResponse {
		t.Helper()

		resp, err := m.CreateSchematic(ctx, &management.CreateSchematicRequest{
			Extensions:      exts,
			ExtraKernelArgs: []string{"console=ttyS0"},
			MetaValues:      map[uint32]string{0x0c: "machineLabels: {}"},
			TalosVersion:    "v1.5.5",
		})
		if err != nil {
			t.Fatalf("CreateSchematic: %v", err)
		}

		return resp
	}

	a := create("siderolabs/iscsi-tools", "siderolabs/util-linux-tools")
	b := create("siderolabs/util-linux-tools", "siderolabs/iscsi-tools", "siderolabs/iscsi-tools")
	c := create("siderolabs/iscsi-tools", "siderolabs/intel-ucode")

	if len(a.SchematicId) != 64 {
		t.Fatalf("schematic ID %q is not a SHA-256 hex", a.SchematicId)
	}

	if a.SchematicId != b.SchematicId {
		t.Errorf("same extensions, different IDs: %s vs %s", a.SchematicId, b.SchematicId)
	}

	if a.SchematicId == c.SchematicId {
		t.Error("changing an extension did not change the ID")
	}

	if !strings.HasSuffix(a.PxeUrl, "/pxe/"+a.SchematicId) {
		t.Errorf("PXE URL = %q", a.PxeUrl)
	}

	// The ID is the hash of the returned YAML, which carries Omni's SideroLink arguments first.
	parsed, err := omnisim.ParseSchematic([]byte(a.SchematicYml))
	if err != nil {
		t.Fatal(err)
	}

	if id, _ := parsed.ID(); id != a.SchematicId {
		t.Errorf("ID of the returned YAML = %s, want %s", id, a.SchematicId)
	}

	args := parsed.Customization.ExtraKernelArgs
	if len(args) != 4 || !strings.HasPrefix(args[0], "siderolink.api=") || args[3] != "console=ttyS0" {
		t.Errorf("kernel args = %q", args)
	}

	raw, err := m.CreateSchematicFromRaw(ctx, []byte(a.SchematicYml))
	if err != nil || raw.SchematicId != a.SchematicId {
		t.Errorf("CreateSchematicFromRaw = %v, %v", raw, err)
	}

	_, err = m.CreateSchematic(ctx, &management.CreateSchematicRequest{MetaValues: map[uint32]string{0x07: "x"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("reserved META key: %v, want InvalidArgument", err)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()

	ctx := testContext(t)

	good, err := omnisim.GenerateServiceAccount("cedille-tui", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	other, err := omnisim.GenerateServiceAccount("intruder", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	srv, _ := omnisimtest.Start(t, omnisim.Options{AuthorizedKeys: []string{good.PublicKey}})
	if err = srv.State().Create(ctx, omni.NewCluster("cedille-cluster")); err != nil {
		t.Fatal(err)
	}

	addr, err := srv.Listen("")
	if err != nil {
		t.Fatal(err)
	}

	get := func(opts ...client.Option) error {
		c, err := client.New("grpc://"+addr.String(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close() //nolint:errcheck

		_, err = safe.StateGetByID[*omni.Cluster](ctx, c.Omni().State(), "cedille-cluster")

		return err
	}

	getWith := func(ctx context.Context) error {
		c, err := client.New("grpc://" + addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close() //nolint:errcheck

		_, err = safe.StateGetByID[*omni.Cluster](ctx, c.Omni().State(), "cedille-cluster")

		return err
	}

	if err = get(); status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("no key: %v, want Unauthenticated (not signed)", err)
	}

	if err = get(client.WithServiceAccount(other.Key)); status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "not authorized") {
		t.Errorf("unknown key: %v, want Unauthenticated (not authorized)", err)
	}

	if err = get(client.WithServiceAccount(good.Key)); err != nil {
		t.Errorf("authorized key: %v", err)
	}

	// A malformed signature header is refused, not a crash.
	bad := metadata.AppendToOutgoingContext(ctx, "x-sidero-signature", "siderov1 someone")
	if err = getWith(bad); status.Code(err) != codes.Unauthenticated {
		t.Errorf("malformed signature: %v, want Unauthenticated", err)
	}

	// Streams are checked too.
	c, err := client.New("grpc://"+addr.String(), client.WithServiceAccount(other.Key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() //nolint:errcheck

	if _, err = safe.StateListAll[*omni.Cluster](ctx, c.Omni().State()); status.Code(err) != codes.Unauthenticated {
		t.Errorf("list with unknown key: %v, want Unauthenticated", err)
	}

	// RequireAuth alone only wants a signature.
	loose, _ := omnisimtest.Start(t, omnisim.Options{RequireAuth: true})
	if err = loose.State().Create(ctx, omni.NewCluster("cedille-cluster")); err != nil {
		t.Fatal(err)
	}

	lc, err := loose.NewInProcessClient(client.WithServiceAccount(other.Key))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close() //nolint:errcheck

	if _, err = safe.StateGetByID[*omni.Cluster](ctx, lc.Omni().State(), "cedille-cluster"); err != nil {
		t.Errorf("RequireAuth with any signed key: %v", err)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	t.Parallel()

	srv, _ := omnisimtest.Start(t, omnisim.Options{})

	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		if _, err := srv.Listen(addr); err == nil {
			t.Errorf("Listen(%q) accepted", addr)
		}
	}

	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		if err := omnisim.CheckLoopback(addr); err != nil {
			t.Errorf("CheckLoopback(%q): %v", addr, err)
		}
	}
}
