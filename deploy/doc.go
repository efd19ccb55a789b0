// Package deploy holds the manifests that run `cedille-tui serve` in a cluster (see the README's
// "Running serve in a cluster"): `kubectl apply -k deploy/` after creating the host key Secret. It has
// no Go API; its tests check the manifests — the service account's ClusterRoles read-only but for
// impersonation limited to the console's identities, the groups' role exactly what the actions send,
// the Deployment hardened — and, with the e2e tag, apply each with a server-side dry run against the
// lab's real kube-apiserver, then apply the RBAC for real and act through it as the pod would: a
// service account token, the in-cluster configuration, impersonated people.
//
//	go test ./deploy/                                                    # the pure checks
//	CEDILLE_LAB_BIN=$(hack/lab/build.sh --print) go test -tags e2e ./deploy/   # and against the lab
package deploy
