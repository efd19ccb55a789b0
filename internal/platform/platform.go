package platform

import (
	"errors"
)

// Options gather everything the command line and the environment say about the platform.
type Options struct {
	Kube  KubeOptions
	Omni  OmniOptions
	Vault VaultOptions
	// Name is what the header calls the platform ("" derives one from the connections).
	Name string
}

// OptionsFromEnv fills the Omni and Vault options from the environment; kube flags come from the caller.
func OptionsFromEnv(kube KubeOptions, env Lookup) Options {
	return Options{Kube: kube, Omni: OmniOptionsFromEnv(env), Vault: VaultOptionsFromEnv(env)}
}

// Platform holds whichever connections could be opened, and why the others could not.
type Platform struct {
	Name     string
	Kube     *Kube
	KubeErr  error
	Omni     *Omni
	OmniErr  error
	Vault    *Vault
	VaultErr error
	// VaultInCluster is true when no VAULT_ADDR is set but a cluster is: Vault is then reached as the
	// server pods of namespace vault, through port-forwards; VaultCACert (VAULT_CACERT) is trusted for
	// them before the cluster CA.
	VaultInCluster bool
	VaultCACert    string
	// Demo is true for the embedded simulated platform.
	Demo bool
}

// Open builds each connection independently: one failing leaves the others usable. Nothing is contacted.
func Open(o Options, env Lookup) *Platform {
	p := &Platform{Name: o.Name}
	p.Kube, p.KubeErr = ConnectKube(o.Kube, env)
	p.Omni, p.OmniErr = ConnectOmni(o.Omni)
	p.Vault, p.VaultErr = ConnectVault(o.Vault)
	p.VaultCACert = o.Vault.CACert
	if p.Kube != nil && o.Vault.Addr == "" {
		p.VaultInCluster, p.VaultErr = true, nil
	}
	if p.Name == "" {
		switch {
		case p.Kube != nil && p.Kube.InCluster:
			p.Name = "in-cluster (" + p.Kube.identity() + ")"
		case p.Kube != nil:
			p.Name = p.Kube.identity()
		default:
			p.Name = "no cluster"
		}
	}
	return p
}

// Errors lists the connection errors, for the one-line-each report on stderr.
func (p *Platform) Errors() []error {
	var errs []error
	for _, e := range []error{p.KubeErr, p.OmniErr, p.VaultErr} {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// Configured tells whether at least one connection could be built.
func (p *Platform) Configured() bool { return p.Kube != nil || p.Omni != nil || p.Vault != nil }

// Close releases what holds resources.
func (p *Platform) Close() error {
	var errs []error
	if p.Omni != nil {
		errs = append(errs, p.Omni.Close())
	}
	return errors.Join(errs...)
}
