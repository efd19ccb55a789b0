// Package omnisim is a simulated Omni API server: Omni's COSI state service over gRPC, backed by the
// in-memory COSI state, plus the small part of Omni's management service the tool uses (Kubeconfig,
// Talosconfig, CreateSchematic, CreateSchematicFromRaw). The real omni client reaches it, over a
// loopback TCP listener (Listen) or in-process (NewInProcessClient).
//
// It runs no Omni controllers of its own: whoever drives it (the demo, tests, the lab) writes the statuses
// (MachineStatus, ClusterStatus, ClusterMachineStatus, …) into State(), the way kwok plays kubelets, or
// runs an InstallSim over State() to play the controllers of a cluster's creation. ImageFactory is a
// simulated Talos image factory for the schematics it creates.
package omnisim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/cosi-project/runtime/api/v1alpha1"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/protobuf/server"
	"github.com/siderolabs/omni/client/api/omni/management"
	"github.com/siderolabs/omni/client/pkg/client"
	_ "github.com/siderolabs/omni/client/pkg/client/omni" // registers every Omni resource type for typed decoding
	"github.com/siderolabs/omni/client/pkg/constants"
	_ "github.com/siderolabs/proto-codec/codec" // the vtproto codec the omni client uses
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the omni client compresses every call with gzip
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/test/bufconn"
)

// InProcessEndpoint is the endpoint to give client.New together with Server.InProcessOption. The
// address is never dialled: the option's dialer ignores it and connects to the in-process listener.
// It is an IP literal so that gRPC's default resolver does not try a DNS lookup.
const InProcessEndpoint = "grpc://127.0.0.1:1"

const gracefulStopTimeout = time.Second

// Options configures a Server.
type Options struct {
	// Kubeconfig is served by management Kubeconfig for any cluster that exists in the state.
	Kubeconfig []byte
	// Talosconfig is served by management Talosconfig.
	Talosconfig []byte

	// RequireAuth makes every call carry the signature the omni client adds when it has a service
	// account key; unsigned calls get codes.Unauthenticated. Without AuthorizedKeys the signature is
	// only required to be present, not verified.
	RequireAuth bool
	// AuthorizedKeys are armored PGP public keys (see GenerateServiceAccount). When set, RequireAuth
	// is implied and each call's signature must verify against one of them.
	AuthorizedKeys []string

	// BaseKernelArgs are put in front of the requested kernel arguments in CreateSchematic, as Omni
	// puts its SideroLink arguments there. nil means SiderolinkKernelArgs(DefaultSiderolinkAPIURL,
	// DefaultJoinToken); an empty, non-nil slice means none.
	BaseKernelArgs []string
	// PXEBaseURL is the base of the PXE URL CreateSchematic returns (<base>/pxe/<schematic ID>).
	// Empty means the omni client's default image factory URL.
	PXEBaseURL string

	// StateFile keeps the state in this file (BoltDB, as Omni's own), loaded back by the next server
	// started on it; "" keeps it in memory only. Stop closes it.
	StateFile string

	// AllowNonLoopback lets Listen bind a non-loopback address. Off by default: the simulator has
	// no TLS and, unless AuthorizedKeys is set, no authentication.
	AllowNonLoopback bool

	// Keepalive is the keepalive policy enforced on clients; nil means KeepalivePolicy, Omni's. Tests
	// pass another one (a zero policy is gRPC-Go's default: a ping at most every 5 minutes).
	Keepalive *keepalive.EnforcementPolicy
}

// KeepalivePolicy is what Omni enforces on its clients' keepalive pings: nothing. Omni serves its API
// through net/http's HTTP/2 server (gRPC's ServeHTTP, where gRPC-Go's own policy does not apply), which
// answers every ping; the omni client pings every minute while a call or watch is open. gRPC-Go's
// default policy (at most one ping every 5 minutes, none without a call) would close such a connection
// with GOAWAY "too_many_pings" after three pings. The closest gRPC-Go policy is any interval, with or
// without a call.
func KeepalivePolicy() keepalive.EnforcementPolicy {
	return keepalive.EnforcementPolicy{MinTime: time.Nanosecond, PermitWithoutStream: true}
}

// Server is a simulated Omni API server. Create it with New; it is safe for concurrent use.
type Server struct {
	st             state.State
	stateFile      io.Closer
	grpc           *grpc.Server
	baseKernelArgs []string
	pxeBaseURL     *url.URL
	allowAnyHost   bool

	mu          sync.Mutex
	kube        []byte
	kubes       map[string][]byte
	issued      []KubeconfigIssue
	talos       []byte
	schematics  map[string]bool
	inProcess   *bufconn.Listener
	stopped     bool
	stopOnce    sync.Once
	serveErrors []error
}

// New returns a server with an empty in-memory state, ready to serve.
func New(opts Options) (*Server, error) {
	base := opts.BaseKernelArgs
	if base == nil {
		var err error

		base, err = SiderolinkKernelArgs(DefaultSiderolinkAPIURL, DefaultJoinToken)
		if err != nil {
			return nil, err
		}
	}

	pxe := opts.PXEBaseURL
	if pxe == "" {
		pxe = constants.ImageFactoryBaseURL
	}

	pxeURL, err := url.Parse(pxe)
	if err != nil {
		return nil, fmt.Errorf("PXE base URL: %w", err)
	}

	st, stateFile, err := newState(opts.StateFile)
	if err != nil {
		return nil, err
	}

	s := &Server{
		st:             st,
		stateFile:      stateFile,
		baseKernelArgs: slices.Clone(base),
		pxeBaseURL:     pxeURL,
		allowAnyHost:   opts.AllowNonLoopback,
		kube:           slices.Clone(opts.Kubeconfig),
		talos:          slices.Clone(opts.Talosconfig),
	}

	policy := KeepalivePolicy()
	if opts.Keepalive != nil {
		policy = *opts.Keepalive
	}

	grpcOpts := []grpc.ServerOption{
		grpc.KeepaliveEnforcementPolicy(policy),
		grpc.MaxRecvMsgSize(constants.GRPCMaxMessageSize),
		grpc.MaxSendMsgSize(constants.GRPCMaxMessageSize),
	}

	if opts.RequireAuth || len(opts.AuthorizedKeys) > 0 {
		auth, err := newAuthenticator(opts.AuthorizedKeys)
		if err != nil {
			return nil, err
		}

		grpcOpts = append(grpcOpts, grpc.ChainUnaryInterceptor(auth.unary), grpc.ChainStreamInterceptor(auth.stream))
	}

	s.grpc = grpc.NewServer(grpcOpts...)
	v1alpha1.RegisterStateServer(s.grpc, server.NewState(s.st))
	management.RegisterManagementServiceServer(s.grpc, &managementServer{srv: s})

	return s, nil
}

// State returns the server's COSI state, for in-process reads and writes (demo, tests).
func (s *Server) State() state.State { //nolint:ireturn
	return s.st
}

// SetKubeconfig replaces the kubeconfig served by management Kubeconfig; nil makes it fail again.
func (s *Server) SetKubeconfig(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.kube = slices.Clone(b)
}

// SetTalosconfig replaces the talosconfig served by management Talosconfig.
func (s *Server) SetTalosconfig(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.talos = slices.Clone(b)
}

// HasSchematic tells whether a schematic with this ID was created through the management API (what an
// image factory knows); ImageFactory.Known takes it.
func (s *Server) HasSchematic(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.schematics[id]
}

func (s *Server) rememberSchematic(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.schematics == nil {
		s.schematics = map[string]bool{}
	}

	s.schematics[id] = true
}

// SetClusterKubeconfig sets the kubeconfig served for one cluster, in place of the one SetKubeconfig
// sets for all: a fleet whose clusters are different API servers. nil removes it.
func (s *Server) SetClusterKubeconfig(cluster string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.kubes == nil {
		s.kubes = map[string][]byte{}
	}

	if b == nil {
		delete(s.kubes, cluster)

		return
	}

	s.kubes[cluster] = slices.Clone(b)
}

// KubeconfigIssue records one service-account kubeconfig the management API issued: for which cluster,
// to which user and groups, for how long (never the kubeconfig itself).
type KubeconfigIssue struct {
	Cluster string
	User    string
	Groups  []string
	TTL     time.Duration
}

// Issued lists the service-account kubeconfigs issued so far, oldest first.
func (s *Server) Issued() []KubeconfigIssue {
	s.mu.Lock()
	defer s.mu.Unlock()

	return slices.Clone(s.issued)
}

func (s *Server) recordIssue(i KubeconfigIssue) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.issued = append(s.issued, i)
}

func (s *Server) kubeconfig(cluster string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()

	if b, ok := s.kubes[cluster]; ok {
		return slices.Clone(b)
	}

	return slices.Clone(s.kube)
}

func (s *Server) talosconfig() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()

	return slices.Clone(s.talos)
}

// Serve serves gRPC on lis until Stop; it returns nil after Stop.
func (s *Server) Serve(lis net.Listener) error {
	err := s.grpc.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}

	return err
}

// Listen binds addr ("" means 127.0.0.1:0) and serves on it in the background; it returns the bound
// address, to be used as "grpc://"+addr.String(). Non-loopback hosts are refused unless
// Options.AllowNonLoopback is set.
func (s *Server) Listen(addr string) (net.Addr, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}

	if !s.allowAnyHost {
		if err := CheckLoopback(addr); err != nil {
			return nil, err
		}
	}

	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}

	go s.serveBackground(lis)

	return lis.Addr(), nil
}

func (s *Server) serveBackground(lis net.Listener) {
	if err := s.Serve(lis); err != nil {
		s.mu.Lock()
		s.serveErrors = append(s.serveErrors, err)
		s.mu.Unlock()
	}
}

// Err returns the errors background listeners (Listen, in-process) stopped with, if any.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()

	return errors.Join(s.serveErrors...)
}

// CheckLoopback returns an error unless addr ("host:port") names a loopback host: a loopback IP or
// "localhost".
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}

	if host == "localhost" {
		return nil
	}

	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}

	return fmt.Errorf("listen address %q is not a loopback address: the Omni simulator has no TLS, bind it to 127.0.0.1", addr)
}

// InProcessOption returns the client option that connects an omni client to this server through an
// in-memory connection; use it with InProcessEndpoint:
//
//	c, err := client.New(omnisim.InProcessEndpoint, srv.InProcessOption())
//
// No socket is opened. The first call starts serving the in-memory listener.
func (s *Server) InProcessOption() client.Option {
	lis := s.inProcessListener()

	return client.WithGrpcOpts(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
}

// NewInProcessClient returns an omni client connected in-process to this server; opts are added
// (e.g. client.WithServiceAccount). The caller closes it.
func (s *Server) NewInProcessClient(opts ...client.Option) (*client.Client, error) {
	return client.New(InProcessEndpoint, append([]client.Option{s.InProcessOption()}, opts...)...)
}

func (s *Server) inProcessListener() *bufconn.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.inProcess == nil {
		s.inProcess = bufconn.Listen(1 << 20)
		if s.stopped {
			_ = s.inProcess.Close() // dials fail at once rather than wait for an accept that never comes
		} else {
			go s.serveBackground(s.inProcess)
		}
	}

	return s.inProcess
}

// Stop stops serving: in-flight calls get up to a second to finish, then every connection (and any
// open watch) is closed. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()

		done := make(chan struct{})

		go func() {
			s.grpc.GracefulStop()
			close(done)
		}()

		select {
		case <-done:
		case <-time.After(gracefulStopTimeout):
			s.grpc.Stop()
			<-done
		}

		_ = s.stateFile.Close()
	})
}
