//go:build tools

// Package vault pins the Vault server the lab builds (tests only; never shipped).
package vault

import _ "github.com/hashicorp/vault"
