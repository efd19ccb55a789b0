package health

import (
	vault "github.com/hashicorp/vault/api"
)

// VaultReplica judges one Vault server from its sys/health answer (nil with err when it did not answer).
// An uninitialized or sealed Vault is Down: nothing can read a secret from it.
func VaultReplica(name string, h *vault.HealthResponse, err error) Finding {
	f := Finding{Object: "Vault/" + name}
	switch {
	case err != nil:
		f.Status, f.Reason = Down, oneLine(err.Error())
		f.Hint = "check that the Vault pod runs and is reachable"
	case !h.Initialized:
		f.Status, f.Reason = Down, "not initialized"
		f.Hint = "run `cedille-tui install` (step vault-init)"
	case h.Sealed:
		f.Status, f.Reason = Down, "sealed"
		f.Hint = "unseal it with the key shares; runbook: vault-sealed"
	case h.Standby:
		f.Status, f.Reason = OK, "unsealed, standby"
	default:
		f.Status, f.Reason = OK, "unsealed, active"
	}
	if h != nil && h.Version != "" && err == nil {
		f.Reason += ", v" + h.Version
	}
	return f
}
