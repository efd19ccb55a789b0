// Package assets embeds the files the binary carries: the demo scenario (and, in later steps, Talos patch
// templates, Helm values and runbook texts).
package assets

import "embed"

// FS holds every embedded asset, by its path under assets/.
//
//go:embed demo argocd
var FS embed.FS
