#!/usr/bin/env bash
# Builds the test cluster's Kubernetes binaries (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet) from the k8s.io/kubernetes
# module pinned in k8s/go.mod, and the pause program, into a per-machine cache.
# A stamp of go.mod, go.sum and the build flags decides whether a cached build
# is current, so only the first run on a machine pays (about 20 minutes on 2
# cores; the Go build cache makes later rebuilds faster).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33"
stamp=$(cat "$CLUSTER_SCRIPTS/k8s/go.mod" "$CLUSTER_SCRIPTS/k8s/go.sum" "$CLUSTER_SCRIPTS/pause/main.go" <(echo "$ldflags") | sha256sum | cut -d' ' -f1)
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet pause)

current=true
for b in "${binaries[@]}"; do [[ -x $K8S_BIN/$b ]] || current=false; done
[[ -f $K8S_BIN/.stamp && $(cat "$K8S_BIN/.stamp") == "$stamp" ]] || current=false
if $current; then
  log "Kubernetes $K8S_VERSION binaries are built ($K8S_BIN)"
  exit 0
fi

export GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0
mkdir -p "$KODEV_K8S_CACHE"
tmp=$(mktemp -d "$KODEV_K8S_CACHE/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
log "building Kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet) into $K8S_BIN; the first build takes a while"
(cd "$CLUSTER_SCRIPTS/k8s" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet)
(cd "$CLUSTER_SCRIPTS/pause" && go build -trimpath -ldflags "-s -w" -o "$tmp/pause" .)
echo "$stamp" >"$tmp/.stamp"
rm -rf "$K8S_BIN"
mv "$tmp" "$K8S_BIN"
trap - EXIT
log "built in $(($(date +%s) - start)) s"
