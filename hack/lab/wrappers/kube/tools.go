//go:build tools

// Package kube pins the kube-apiserver and kube-controller-manager the lab builds.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
