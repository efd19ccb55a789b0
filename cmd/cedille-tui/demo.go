package main

import (
	"github.com/clubcedille/cedille-tui/internal/demo"
	"github.com/clubcedille/cedille-tui/internal/ui"
	"github.com/clubcedille/cedille-tui/internal/ui/app"
	"github.com/spf13/cobra"
)

func (c *cli) demoCmd() *cobra.Command {
	var installed bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the console on an embedded, simulated Cedille platform (no cluster needed)",
		Long: `Run the console on an embedded simulation of the era-1 Cedille platform: Omni cluster
cedille-cluster (controlplane-1..3, worker-1..3 with their real-looking disks), Mayastor DiskPools,
the Kuma mesh, the ArgoCD Applications, three Vault replicas, the staging and sandbox vclusters and
cert-manager Certificates. Nothing leaves this process.

Vault starts uninitialized and sealed, as on a fresh install; --installed starts it unsealed, as on
a platform in service, so the faults below can be practised.

Faults, toggled while the demo runs (also listed under ?):
  N  node worker-2 loses power (NotReady, machine offline in Omni)
  P  DiskPool hdd-worker-htp3 goes Degraded
  V  Vault sealed on every replica (needs --installed)
  A  Application calidum-rotae drifts OutOfSync
  H  heal every injected fault`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := demo.Start(cmd.Context(), demo.Options{Installed: installed})
			if err != nil {
				return err
			}
			defer d.Close()
			var actions []app.Action
			for _, f := range d.Faults() {
				actions = append(actions, ui.KeyAction(f.Key, f.Help, f.Run))
			}
			t := d.Targets()
			return c.runTUI(cmd.Context(), t, t.Sources(), actions, "Demo faults")
		},
	}
	cmd.Flags().BoolVar(&installed, "installed", false, "start with Vault initialized and unsealed")
	return cmd
}
