package omnisim

import (
	"context"
	"fmt"
	"strings"
	"time"

	pgpcrypto "github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/siderolabs/go-api-signature/pkg/message"
	"github.com/siderolabs/go-api-signature/pkg/pgp"
	"github.com/siderolabs/go-api-signature/pkg/serviceaccount"
	"github.com/siderolabs/omni/client/pkg/access"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ServiceAccount is a generated Omni service account: Key is what OMNI_SERVICE_ACCOUNT_KEY holds
// (base64 JSON with the armored private key), PublicKey the armored public key to put in
// Options.AuthorizedKeys.
type ServiceAccount struct {
	Name      string
	Key       string
	PublicKey string
}

// GenerateServiceAccount creates a service account key pair the way Omni does (EdDSA PGP key whose
// identity ends in the service-account domain), valid for lifetime.
func GenerateServiceAccount(name string, lifetime time.Duration) (ServiceAccount, error) {
	identity := name + access.ServiceAccountNameSuffix

	key, err := pgp.GenerateKey(name, "", identity, lifetime)
	if err != nil {
		return ServiceAccount{}, fmt.Errorf("generate service account key: %w", err)
	}

	encoded, err := serviceaccount.Encode(identity, key)
	if err != nil {
		return ServiceAccount{}, fmt.Errorf("encode service account key: %w", err)
	}

	public, err := key.ArmorPublic()
	if err != nil {
		return ServiceAccount{}, fmt.Errorf("armor public key: %w", err)
	}

	return ServiceAccount{Name: identity, Key: encoded, PublicKey: public}, nil
}

// authenticator checks the request signature the omni client's interceptor adds when it is given a
// service account key: headers x-sidero-timestamp, x-sidero-payload and x-sidero-signature
// ("siderov1 <identity> <fingerprint> <base64 signature>").
type authenticator struct {
	// keys by fingerprint; empty means "a signature must be present" without verifying it.
	keys map[string]*pgp.Key
}

func newAuthenticator(armored []string) (*authenticator, error) {
	a := &authenticator{keys: make(map[string]*pgp.Key, len(armored))}

	for i, text := range armored {
		ck, err := pgpcrypto.NewKeyFromArmored(text)
		if err != nil {
			return nil, fmt.Errorf("authorized key %d: %w", i, err)
		}

		k, err := pgp.NewKey(ck)
		if err != nil {
			return nil, fmt.Errorf("authorized key %d: %w", i, err)
		}

		a.keys[k.Fingerprint()] = k
	}

	return a, nil
}

func (a *authenticator) check(ctx context.Context, method string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	msg := message.NewGRPC(md, method)

	header := md.Get(message.SignatureHeaderKey)
	if len(header) == 0 || header[0] == "" {
		return status.Error(codes.Unauthenticated, "request is not signed: no service account key was given (set OMNI_SERVICE_ACCOUNT_KEY)")
	}

	// The library's parser indexes the fourth field without checking: check the shape first.
	if len(strings.Fields(header[0])) != 4 {
		return status.Error(codes.Unauthenticated, "malformed request signature header")
	}

	sig, err := msg.Signature()
	if err != nil {
		return status.Errorf(codes.Unauthenticated, "malformed request signature: %v", err)
	}

	if len(a.keys) == 0 {
		return nil
	}

	key, ok := a.keys[sig.KeyFingerprint]
	if !ok {
		return status.Errorf(codes.Unauthenticated, "unknown key %s for identity %q: the service account key is not authorized", sig.KeyFingerprint, sig.Identity)
	}

	if err := msg.VerifySignature(key); err != nil {
		return status.Errorf(codes.Unauthenticated, "invalid request signature for identity %q: %v", sig.Identity, err)
	}

	return nil
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}

	return handler(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}

	return handler(srv, ss)
}
