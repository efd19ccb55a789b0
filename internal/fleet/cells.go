package fleet

import "fmt"

// The overview's cells, one formatter each, shared by the console's fleet page and `status --fleet`.

// PhaseCell is Omni's phase and readiness: "running", "running, not ready", "-" when Omni does not know it.
func PhaseCell(r Row) string {
	switch {
	case r.Phase == "":
		return "-"
	case !r.Ready:
		return r.Phase + ", not ready"
	default:
		return r.Phase
	}
}

// MachinesCell is "5/6 healthy" (with "4 connected" when fewer are), "-" when Omni does not know it.
func MachinesCell(r Row) string {
	if r.Phase == "" {
		return "-"
	}
	s := fmt.Sprintf("%d/%d healthy", r.MachinesHealthy, r.Machines)
	if r.MachinesConnected < r.Machines {
		s += fmt.Sprintf(", %d connected", r.MachinesConnected)
	}
	return s
}

// ArgoCell is how the hub reaches the cluster: "hub", "ok", "REFUSED", "unknown", "-" (not registered).
func ArgoCell(r Row) string {
	switch {
	case r.Hub:
		return "hub"
	case r.ArgoCD.State == "Successful":
		return "ok"
	case r.ArgoCD.State == "Failed":
		return "REFUSED"
	case r.ArgoCD.State == "":
		return "-"
	default:
		return "unknown"
	}
}

// VersionsCell is "talos 1.10.5 / k8s 1.33.2", "-" when Omni does not say.
func VersionsCell(r Row) string {
	if r.Talos == "" && r.Kubernetes == "" {
		return "-"
	}
	return fmt.Sprintf("talos %s / k8s %s", r.Talos, r.Kubernetes)
}
