#!/usr/bin/env bash
# Stops the test cluster and removes what it left: pod containers, their
# network namespaces and mounts, the pod bridge, and (unless --keep-dir) the
# cluster directory. Safe to run when nothing is running.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
keep_dir=false
[[ ${1:-} == --keep-dir ]] && keep_dir=true

stop_component() {
  local name=$1 pidfile=$PIDS/$1.pid
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

stop_component kubelet
# Pod containers outlive the kubelet; kill them through our containerd while it still runs.
if running containerd; then
  ctr_k8s=(ctr --address "$CONTAINERD_SOCK" -n k8s.io)
  for task in $("${ctr_k8s[@]}" tasks ls -q 2>/dev/null); do
    "${ctr_k8s[@]}" tasks kill -s SIGKILL "$task" >/dev/null 2>&1
  done
  sleep 0.5
  for task in $("${ctr_k8s[@]}" tasks ls -q 2>/dev/null); do "${ctr_k8s[@]}" tasks rm -f "$task" >/dev/null 2>&1; done
  for c in $("${ctr_k8s[@]}" containers ls -q 2>/dev/null); do "${ctr_k8s[@]}" containers rm "$c" >/dev/null 2>&1; done
fi
for name in kube-scheduler kube-controller-manager kube-apiserver containerd etcd; do stop_component "$name"; done
# Anything else still running from this cluster dir (a start that lost its pid file).
pkill -TERM -f -- "$KODEV_CLUSTER_DIR/" 2>/dev/null && sleep 1
pkill -KILL -f -- "$KODEV_CLUSTER_DIR/" 2>/dev/null
# Shims started by our containerd (their -address names our socket).
pkill -KILL -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null
# Pod network namespaces: this cluster's containerd is the only CNI user here.
for ns in /var/run/netns/cni-*; do
  [[ -e $ns ]] || continue
  ip netns delete "$(basename "$ns")" 2>/dev/null
done
ip link delete kodev0 2>/dev/null
# Mounts below the cluster dir (pod volumes, sandbox shm), deepest first.
if [[ -d $KODEV_CLUSTER_DIR ]]; then
  awk -v d="$KODEV_CLUSTER_DIR" '$2 ~ "^"d {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  if ! $keep_dir; then rm -rf "$KODEV_CLUSTER_DIR"; fi
fi
log "stopped"
