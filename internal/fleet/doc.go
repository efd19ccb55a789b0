// Package fleet is the era-2 view of the platform: every cluster Omni manages (and every cluster the
// ArgoCD hub reaches), each watched by a watch set of its own started on demand, judged by the same
// rules as one cluster, and summarised one row per cluster, worst first.
//
// The parts follow the console's discipline: Connector reaches a cluster (a kubeconfig Omni issues for a
// service account, as `omnictl kubeconfig --service-account` does); Watcher runs one watch.Hub per
// cluster looked at and says how each fares; Evaluate is pure — the fleet's inputs in, its Report out —
// and the pages and `status --fleet` only show what it says.
package fleet
