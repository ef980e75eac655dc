//go:build tools

// Package k8s only records which Kubernetes commands kodev's test cluster
// builds, so `go mod tidy` keeps their dependencies in go.sum.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
