// Package deploy holds the manifests that run `cedille-tui serve` in a cluster (see README.md here):
// `kubectl apply -k deploy/` after creating the host key Secret. It has no Go API; its tests check the
// manifests — the ClusterRoles read-only but for impersonation limited to the console's identities, the
// Deployment hardened — and, with the e2e tag, apply each with a server-side dry run against the lab's
// real kube-apiserver.
//
//	go test ./deploy/                                                    # the pure checks
//	CEDILLE_LAB_BIN=$(hack/lab/build.sh --print) go test -tags e2e ./deploy/   # and the dry run
package deploy
