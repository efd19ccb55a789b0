//go:build tools

// Package kwok pins the kwok node/pod simulator the lab builds.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
