package platform

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/go-api-signature/pkg/serviceaccount"
	"github.com/siderolabs/omni/client/pkg/client"
	"github.com/siderolabs/omni/client/pkg/omni/resources"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Omni environment variables, as omnictl reads them.
const (
	EnvOmniEndpoint = "OMNI_ENDPOINT"
	// EnvOmniKey and EnvSideroKey hold a base64 service-account key; omnictl accepts either.
	EnvOmniKey   = serviceaccount.OmniServiceAccountKeyEnvVar
	EnvSideroKey = serviceaccount.SideroServiceAccountKeyEnvVar
)

// OmniOptions say where Omni is and how to sign requests.
type OmniOptions struct {
	Endpoint string
	// ServiceAccountKey is the base64 key omnictl takes from OMNI_SERVICE_ACCOUNT_KEY. Never logged.
	ServiceAccountKey string
	// KeyVar names the variable the key came from, for messages.
	KeyVar string
	// Extra client options (tests and the demo pass dialers here).
	Extra []client.Option
}

// OmniOptionsFromEnv reads OMNI_ENDPOINT and the service-account key like omnictl.
func OmniOptionsFromEnv(env Lookup) OmniOptions {
	_, ep := env.get(EnvOmniEndpoint)
	kv, key := env.get(EnvSideroKey, EnvOmniKey)
	return OmniOptions{Endpoint: ep, ServiceAccountKey: key, KeyVar: kv}
}

// Omni is a connection to Omni's API.
type Omni struct {
	Client   *client.Client
	Endpoint string
}

// ConnectOmni validates the options and builds the client. It does not contact the server: call Ping.
// A plaintext grpc:// endpoint (a local simulator) may go without a key; an https:// one may not.
func ConnectOmni(o OmniOptions) (*Omni, error) {
	if o.Endpoint == "" {
		return nil, &ConnError{Source: SourceOmni, Problem: NotConfigured, What: "no endpoint",
			Fix: "set " + EnvOmniEndpoint}
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "grpc") {
		return nil, &ConnError{Source: SourceOmni, Problem: Invalid,
			What: fmt.Sprintf("endpoint %q is not a URL like https://<account>.omni.example", o.Endpoint),
			Fix:  "fix " + EnvOmniEndpoint}
	}
	opts := append([]client.Option{}, o.Extra...)
	if o.ServiceAccountKey != "" {
		if _, err := serviceaccount.Decode(o.ServiceAccountKey); err != nil {
			return nil, &ConnError{Source: SourceOmni, Problem: Invalid,
				What: "the service-account key in " + keyVar(o) + " cannot be read (not a base64 Omni key)",
				Fix:  "create one with `omnictl serviceaccount create` and export it again"}
		}
		opts = append(opts, client.WithServiceAccount(o.ServiceAccountKey))
	} else if u.Scheme == "https" {
		return nil, &ConnError{Source: SourceOmni, Problem: NotConfigured,
			What: "no service-account key for " + u.Host, Fix: "set " + EnvOmniKey}
	}
	c, err := client.New(o.Endpoint, opts...)
	if err != nil {
		return nil, &ConnError{Source: SourceOmni, Problem: Invalid, What: "cannot build a client", Err: err,
			Fix: "check " + EnvOmniEndpoint}
	}
	return &Omni{Client: c, Endpoint: o.Endpoint}, nil
}

func keyVar(o OmniOptions) string {
	if o.KeyVar != "" {
		return o.KeyVar
	}
	return EnvOmniKey
}

// State is Omni's COSI state (resources such as MachineStatus and ClusterStatus).
func (o *Omni) State() state.State { return o.Client.Omni().State() }

// Close releases the connection.
func (o *Omni) Close() error { return o.Client.Close() }

// Ping lists clusters within timeout, proving both reachability and that the key is accepted.
func (o *Omni) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := o.State().List(ctx, omni.NewCluster("").Metadata())
	return o.Classify(err)
}

// Classify turns a gRPC error into a ConnError where it is about the connection.
func (o *Omni) Classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return err
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return &ConnError{Source: SourceOmni, Problem: Unreachable, What: o.Endpoint + " unreachable",
			Err: errors.New(status.Convert(err).Message()), Fix: "check " + EnvOmniEndpoint + " and the network"}
	case codes.Unauthenticated:
		return &ConnError{Source: SourceOmni, Problem: Refused, What: "service-account key not accepted",
			Fix: "check " + EnvOmniKey + " (expired or revoked keys are refused)"}
	case codes.PermissionDenied:
		return &ConnError{Source: SourceOmni, Problem: Refused, What: "permission denied",
			Err: errors.New(status.Convert(err).Message()), Fix: "give the service account the Reader role or more"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &ConnError{Source: SourceOmni, Problem: Unreachable, What: o.Endpoint + " did not answer in time",
			Fix: "check " + EnvOmniEndpoint + " and the network"}
	}
	return err
}

// OmniNamespace is where Omni keeps the resources the tool reads.
const OmniNamespace = resources.DefaultNamespace
