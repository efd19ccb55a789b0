// Package vcluster builds the values of the platform's vclusters (chart vcluster) with the vcluster
// project's own configuration types, so a value the chart does not know is refused before Helm runs, and
// names what a vcluster is made of (its StatefulSet's label, its kubeconfig Secret, its server URL).
package vcluster

import (
	"fmt"
	"strings"

	vclusterconfig "github.com/loft-sh/vcluster/config"
	"sigs.k8s.io/yaml"
)

// Values are the chart values of vcluster name in namespace: only what differs from the chart's defaults
// (so a newer chart's defaults still apply), validated strictly. The syncer is told to write its
// kubeconfig for the in-cluster service URL, https://<name>.<namespace>.svc, which ArgoCD reaches from
// inside the cluster (the vcluster is private: PLATFORM.md §4.3), and the serving certificate is made to
// carry that name; telemetry is off.
func Values(name, namespace string) (map[string]any, error) {
	return ValuesFor(name, namespace, Server(name, namespace))
}

// ValuesFor is Values with the server URL the syncer writes in its kubeconfig given (a vcluster reached
// another way than its service).
func ValuesFor(name, namespace, server string) (map[string]any, error) {
	def, err := vclusterconfig.NewDefaultConfig()
	if err != nil {
		return nil, err
	}
	cfg, err := vclusterconfig.NewDefaultConfig()
	if err != nil {
		return nil, err
	}
	cfg.ExportKubeConfig.Server = server
	host := strings.TrimPrefix(Server(name, namespace), "https://")
	cfg.ControlPlane.Proxy.ExtraSANs = append(cfg.ControlPlane.Proxy.ExtraSANs, host, host+".cluster.local")
	cfg.Telemetry.Enabled = false
	diff, err := vclusterconfig.Diff(def, cfg)
	if err != nil {
		return nil, err
	}
	if err := Validate([]byte(diff)); err != nil {
		return nil, err
	}
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(diff), &vals); err != nil {
		return nil, err
	}
	return vals, nil
}

// Validate decodes values strictly with the vcluster configuration types (an unknown key or a wrong
// type is refused) and checks what the chart would only find out at run time.
func Validate(values []byte) error {
	c := &vclusterconfig.Config{}
	if err := c.UnmarshalYAMLStrict(values); err != nil {
		return err
	}
	if s := c.ExportKubeConfig.Server; s != "" && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return fmt.Errorf("%w: exportKubeConfig.server %q must be an http(s) URL", vclusterconfig.ErrInvalidConfig, s)
	}
	if c.ExportKubeConfig.Secret.IsSet() && len(c.ExportKubeConfig.AdditionalSecrets) > 0 {
		return fmt.Errorf("%w: exportKubeConfig.secret and additionalSecrets exclude each other", vclusterconfig.ErrInvalidConfig)
	}
	return nil
}
