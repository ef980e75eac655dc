#!/usr/bin/env bash
# Packs the locally built pause program into an image with umoci, converts it
# with skopeo to a docker-archive named $PAUSE_IMAGE, and imports it into the
# cluster's containerd, so pod sandboxes never need a registry.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q | grep -qx "$PAUSE_IMAGE"; then
  exit 0
fi
work=$(mktemp -d "$KODEV_CLUSTER_DIR/pause.XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/layout"
umoci new --image "$work/layout:pause"
umoci insert --rootless --image "$work/layout:pause" "$K8S_BIN/pause" /pause
umoci config --image "$work/layout:pause" --os linux --architecture "$(go env GOARCH)" \
  --config.entrypoint /pause --config.user 65535:65535
skopeo copy --quiet "oci:$work/layout:pause" "docker-archive:$work/pause.tar:$PAUSE_IMAGE"
ctr --address "$CONTAINERD_SOCK" -n k8s.io images import --snapshotter native "$work/pause.tar" >/dev/null
log "pause image $PAUSE_IMAGE imported"
