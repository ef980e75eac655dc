#!/usr/bin/env bash
# Checks every component of the test cluster. Prints one line per component;
# for the first one that fails, says why and shows its last log lines.
# Exit 0 when all are healthy. --quiet prints nothing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quiet=false
[[ ${1:-} == --quiet ]] && quiet=true

check() {
  local name=$1
  shift
  if ! running "$name"; then
    $quiet || { log "$name: not running"; tail_log "$name"; }
    return 1
  fi
  if ! "$@" >/dev/null 2>&1; then
    $quiet || { log "$name: running but unhealthy ($*)"; tail_log "$name"; }
    return 1
  fi
  $quiet || log "$name: ok"
}

ca=$KODEV_CLUSTER_DIR/pki/ca.crt
node_ready() {
  api_get "/api/v1/nodes/$NODE_NAME" | jq -e '.status.conditions[] | select(.type=="Ready") | .status == "True"'
}
check etcd curl -fsS --max-time 5 "http://127.0.0.1:$ETCD_PORT/health" &&
  check containerd ctr --address "$CONTAINERD_SOCK" version &&
  check kube-apiserver api_get /readyz &&
  check kube-controller-manager curl -fsS --max-time 5 --cacert "$ca" -k "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" &&
  check kube-scheduler curl -fsS --max-time 5 -k "https://127.0.0.1:$SCHEDULER_PORT/healthz" &&
  check kubelet curl -fsS --max-time 5 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" &&
  check kubelet node_ready
