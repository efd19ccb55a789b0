package demo

import "fmt"

// The faults of the simulated fleet (issue's demo: a CephCluster HEALTH_WARN, a failed Velero backup, a
// stale VaultStaticSecret, a spoke whose token is rejected, Gateway API CRDs newer than Cilium supports),
// on from the start. Their names, for the
// console to show and the tests to find.
const (
	FaultCephHealthWarn      = "ceph-health-warn"
	FaultBackupFailed        = "velero-backup-failed"
	FaultStaleStaticSecret   = "vss-stale"
	FaultSpokeTokenRejected  = "argocd-token-rejected"
	FaultAppSetNoSelector    = "appset-no-selector"
	FaultMachineDisconnected = "machine-disconnected"
	FaultGatewayAPITooNew    = "gateway-api-too-new"
)

// The objects the faults are on.
const (
	fleetCephNamespace = "rook-ceph-external"
	fleetCephName      = "rook-ceph-external"
	// failedSchedule is production-v2's Schedule whose newest Backup failed.
	failedSchedule = "raconteurs-grav-velero-schedule"
	// staleSecretNS, staleSecret: sandbox's VaultStaticSecret synced once, long ago, never refreshed.
	staleSecretNS = "storage-config"
	staleSecret   = "garagehq-credentials"
	// staleSyncDays is how long ago it last synced.
	staleSyncDays = 97
	// unselectedAppSet is the hub's ApplicationSet whose cluster generator has no selector.
	unselectedAppSet = "external-dns"
	// gatewayAPIBundle and gatewayAPIChannel are the Gateway API release whose CRDs the sandbox has
	// (PLATFORM.md §6, the KF case): newer than its Cilium 1.17 supports (v1.2), so Cilium never accepts
	// its GatewayClass.
	gatewayAPIBundle  = "v1.6.0"
	gatewayAPIChannel = "experimental"
	// ciliumGatewayClass is the GatewayClass of Cilium's Gateway controller.
	ciliumGatewayClass = "cilium"
)

// FleetFault is one fault of the simulated fleet.
type FleetFault struct {
	Name    string // FaultCephHealthWarn, …
	Cluster string // the cluster it is on
	What    string // what is wrong, in one line
}

// FleetFaults lists the simulated fleet's faults, all on from the start.
func FleetFaults() []FleetFault {
	return []FleetFault{
		{FaultCephHealthWarn, FleetProduction,
			"CephCluster " + fleetCephNamespace + "/" + fleetCephName + " is HEALTH_WARN: MON_DOWN (1/3 mons down) and OSD_NEARFULL"},
		{FaultBackupFailed, FleetProduction,
			"the newest Backup of Schedule velero/" + failedSchedule + " Failed: Velero restarted while it ran"},
		{FaultStaleStaticSecret, FleetSandbox,
			fmt.Sprintf("VaultStaticSecret %s/%s says SecretSynced, but has no refreshAfter: last synced %d days ago", staleSecretNS, staleSecret, staleSyncDays)},
		{FaultSpokeTokenRejected, FleetSandbox,
			"Omni rejects the hub ArgoCD's token for " + FleetSandbox + ": its Applications are in ComparisonError, sync Unknown"},
		{FaultAppSetNoSelector, FleetHub,
			"ApplicationSet argocd/" + unselectedAppSet + "'s cluster generator has no selector (clusters: {}): it targets every cluster, the hub included"},
		{FaultMachineDisconnected, FleetSandbox,
			"the VM " + FleetSandbox + "-worker-2 is stopped: Omni has it disconnected, its Node is NotReady"},
		{FaultGatewayAPITooNew, FleetSandbox,
			"the Gateway API CRDs are " + gatewayAPIBundle + " (" + gatewayAPIChannel + "), newer than Cilium 1.17 supports (v1.2): GatewayClass " +
				ciliumGatewayClass + " stays Accepted=Unknown since 1970, no Gateway"},
	}
}
