package platform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// Vault environment variables, as the vault CLI reads them.
const (
	EnvVaultAddr       = "VAULT_ADDR"
	EnvVaultToken      = "VAULT_TOKEN"
	EnvVaultCACert     = "VAULT_CACERT"
	EnvVaultCAPath     = "VAULT_CAPATH"
	EnvVaultSkipVerify = "VAULT_SKIP_VERIFY"
	EnvVaultTLSServer  = "VAULT_TLS_SERVER_NAME"
)

// VaultOptions say where Vault is and how to trust it.
type VaultOptions struct {
	Addr   string
	Token  string // never logged
	CACert string
	// CACertPEM trusts these PEM certificates when CACert is empty (the cluster CA for a Vault reached
	// inside the cluster: the platform's Vault serves a certificate the cluster CA signed).
	CACertPEM  []byte
	CAPath     string
	SkipVerify bool
	TLSServer  string
	// HTTPClient replaces the transport (the demo and tests); nil uses vault/api's own.
	HTTPClient *http.Client
}

// VaultOptionsFromEnv reads the vault CLI's variables.
func VaultOptionsFromEnv(env Lookup) VaultOptions {
	_, addr := env.get(EnvVaultAddr)
	_, tok := env.get(EnvVaultToken)
	_, ca := env.get(EnvVaultCACert)
	_, capath := env.get(EnvVaultCAPath)
	_, skip := env.get(EnvVaultSkipVerify)
	_, sn := env.get(EnvVaultTLSServer)
	sv, _ := strconv.ParseBool(skip)
	return VaultOptions{Addr: addr, Token: tok, CACert: ca, CAPath: capath, SkipVerify: sv, TLSServer: sn}
}

// Vault is a connection to one Vault address.
type Vault struct {
	Client *vault.Client
	Addr   string
}

// ConnectVault builds a client for the address. It does not contact the server: call Health.
func ConnectVault(o VaultOptions) (*Vault, error) {
	if o.Addr == "" {
		return nil, &ConnError{Source: SourceVault, Problem: NotConfigured, What: "no address", Fix: "set " + EnvVaultAddr}
	}
	u, err := url.Parse(o.Addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &ConnError{Source: SourceVault, Problem: Invalid,
			What: fmt.Sprintf("address %q is not a URL like https://vault.example:8200", o.Addr), Fix: "fix " + EnvVaultAddr}
	}
	cfg := vault.DefaultConfig()
	cfg.Address = o.Addr
	cfg.Timeout = 10 * time.Second
	cfg.MaxRetries = 0
	if o.HTTPClient != nil {
		cfg.HttpClient = o.HTTPClient
	} else if u.Scheme == "https" {
		if err := cfg.ConfigureTLS(&vault.TLSConfig{CACert: o.CACert, CACertBytes: o.CACertPEM, CAPath: o.CAPath, Insecure: o.SkipVerify,
			TLSServerName: o.TLSServer}); err != nil {
			return nil, &ConnError{Source: SourceVault, Problem: Invalid, What: "cannot load the CA", Err: err,
				Fix: "check " + EnvVaultCACert}
		}
	}
	c, err := vault.NewClient(cfg)
	if err != nil {
		return nil, &ConnError{Source: SourceVault, Problem: Invalid, What: "cannot build a client", Err: err,
			Fix: "check " + EnvVaultAddr}
	}
	if o.Token != "" {
		c.SetToken(o.Token)
	} else {
		c.ClearToken()
	}
	return &Vault{Client: c, Addr: o.Addr}, nil
}

// Health reads sys/health (no token needed): initialized, sealed, standby, version.
func (v *Vault) Health(ctx context.Context, timeout time.Duration) (*vault.HealthResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h, err := v.Client.Sys().HealthWithContext(ctx)
	return h, v.Classify(err)
}

// SealStatus reads sys/seal-status (no token needed): seal type, threshold, shares and unseal progress.
func (v *Vault) SealStatus(ctx context.Context, timeout time.Duration) (*vault.SealStatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := v.Client.Sys().SealStatusWithContext(ctx)
	return s, v.Classify(err)
}

// Classify turns a transport error into a ConnError.
func (v *Vault) Classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return err
	}
	var re *vault.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized) {
		return &ConnError{Source: SourceVault, Problem: Refused, What: "permission denied at " + v.Addr,
			Fix: "set " + EnvVaultToken + " to a token with the needed policy"}
	}
	if looksUnreachable(err) {
		return &ConnError{Source: SourceVault, Problem: Unreachable, What: v.Addr + " unreachable",
			Err: RootCause(err), Fix: "check " + EnvVaultAddr + " and the network"}
	}
	return err
}
