package omnisim

import (
	"context"
	"slices"

	"github.com/blang/semver/v4"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/omni/client/api/omni/management"
	"github.com/siderolabs/omni/client/pkg/meta"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"github.com/siderolabs/talos/pkg/machinery/imager/quirks"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// managementServer implements the part of Omni's ManagementService the tool uses; every other method
// answers codes.Unimplemented.
type managementServer struct {
	management.UnimplementedManagementServiceServer

	srv *Server
}

// clusterFromContext returns the cluster name the omni client sends in the "context" metadata
// (ClusterClient methods such as Kubeconfig set it).
func clusterFromContext(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("context"); len(v) > 0 {
		return v[0]
	}

	return ""
}

// Kubeconfig returns the kubeconfig set on the server for an existing cluster.
//
// A service-account request (what `omnictl kubeconfig --service-account` sends) must name a user and a
// positive TTL, as Omni requires; it is recorded (Server.Issued).
func (m *managementServer) Kubeconfig(ctx context.Context, req *management.KubeconfigRequest) (*management.KubeconfigResponse, error) {
	cluster := clusterFromContext(ctx)
	if cluster == "" {
		return nil, status.Error(codes.InvalidArgument, "no cluster given: request the kubeconfig through the cluster client (Management().WithCluster(name))")
	}

	if _, err := m.srv.st.Get(ctx, omni.NewCluster(cluster).Metadata()); err != nil {
		if state.IsNotFoundError(err) {
			return nil, status.Errorf(codes.NotFound, "cluster %q does not exist in Omni", cluster)
		}

		return nil, status.Errorf(codes.Internal, "read cluster %q: %v", cluster, err)
	}

	if req.GetServiceAccount() {
		if req.GetServiceAccountUser() == "" {
			return nil, status.Error(codes.InvalidArgument, "service account user is required")
		}

		if req.GetServiceAccountTtl().AsDuration() <= 0 {
			return nil, status.Error(codes.InvalidArgument, "service account TTL must be positive")
		}
	}

	b := m.srv.kubeconfig(cluster)
	if len(b) == 0 {
		return nil, status.Errorf(codes.FailedPrecondition, "no kubeconfig is available for cluster %q yet: the cluster has not finished bootstrapping", cluster)
	}

	if req.GetServiceAccount() {
		m.srv.recordIssue(KubeconfigIssue{Cluster: cluster, User: req.GetServiceAccountUser(),
			Groups: slices.Clone(req.GetServiceAccountGroups()), TTL: req.GetServiceAccountTtl().AsDuration()})
	}

	return &management.KubeconfigResponse{Kubeconfig: b}, nil
}

// Talosconfig returns the talosconfig set on the server (instance-wide or for a cluster alike).
func (m *managementServer) Talosconfig(_ context.Context, _ *management.TalosconfigRequest) (*management.TalosconfigResponse, error) {
	b := m.srv.talosconfig()
	if len(b) == 0 {
		return nil, status.Error(codes.FailedPrecondition, "no talosconfig is available from this Omni instance")
	}

	return &management.TalosconfigResponse{Talosconfig: b}, nil
}

// CreateSchematic builds the schematic the way Omni does (SideroLink kernel arguments first, then the
// requested ones; extensions sorted and deduplicated; META values sorted by key, descending) and
// returns its ID, YAML and PXE URL, without contacting any image factory.
func (m *managementServer) CreateSchematic(_ context.Context, req *management.CreateSchematicRequest) (*management.CreateSchematicResponse, error) {
	if req.GetEmbeddedMachineConfig() != "" || req.GetBootloader() != management.SchematicBootloader_BOOT_AUTO {
		return nil, status.Error(codes.Unimplemented, "the Omni simulator does not support embedded machine configs or bootloader selection in schematics")
	}

	if v := req.GetTalosVersion(); v != "" {
		if _, err := semver.ParseTolerant(v); err != nil {
			return nil, status.Error(codes.InvalidArgument, "invalid Talos version")
		}
	}

	kernelArgs := slices.Concat(m.srv.baseKernelArgs, req.GetExtraKernelArgs())

	extensions := slices.Clone(req.GetExtensions())
	slices.Sort(extensions)
	extensions = slices.Compact(extensions)

	s := Schematic{Customization: Customization{
		ExtraKernelArgs:  kernelArgs,
		SystemExtensions: SystemExtensions{OfficialExtensions: extensions},
	}}

	for key, value := range req.GetMetaValues() {
		if !meta.CanSetMetaKey(int(key)) {
			return nil, status.Errorf(codes.InvalidArgument, "meta key 0x%x is not allowed to be set in the schematic, as it's reserved by Talos", key)
		}

		s.Customization.Meta = append(s.Customization.Meta, MetaValue{Key: uint8(key), Value: value})
	}

	slices.SortFunc(s.Customization.Meta, func(a, b MetaValue) int { return int(b.Key) - int(a.Key) })

	if ov := req.GetOverlay(); ov != nil && quirks.New(req.GetTalosVersion()).SupportsOverlay() {
		options := map[string]any{}
		if ov.GetOptions() != "" {
			if err := yaml.Unmarshal([]byte(ov.GetOptions()), &options); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "overlay options: %v", err)
			}
		}

		s.Overlay = Overlay{Name: ov.GetName(), Image: ov.GetImage(), Options: options}
	}

	id, yml, err := idAndYAML(s)
	if err != nil {
		return nil, err
	}

	m.srv.rememberSchematic(id)

	return &management.CreateSchematicResponse{
		SchematicId:       id,
		SchematicYml:      string(yml),
		PxeUrl:            m.srv.pxeBaseURL.JoinPath("pxe", id).String(),
		GrpcTunnelEnabled: req.GetSiderolinkGrpcTunnelMode() == management.CreateSchematicRequest_ENABLED,
	}, nil
}

// CreateSchematicFromRaw returns the ID of a raw schematic YAML.
func (m *managementServer) CreateSchematicFromRaw(_ context.Context, req *management.CreateSchematicFromRawRequest) (*management.CreateSchematicResponse, error) {
	s, err := ParseSchematic(req.GetRawSchematic())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}

	id, _, err := idAndYAML(s)
	if err != nil {
		return nil, err
	}

	m.srv.rememberSchematic(id)

	return &management.CreateSchematicResponse{SchematicId: id}, nil
}

func idAndYAML(s Schematic) (string, []byte, error) {
	yml, err := s.Marshal()
	if err != nil {
		return "", nil, status.Errorf(codes.Internal, "marshal schematic: %v", err)
	}

	id, err := s.ID()
	if err != nil {
		return "", nil, status.Errorf(codes.Internal, "schematic ID: %v", err)
	}

	return id, yml, nil
}
