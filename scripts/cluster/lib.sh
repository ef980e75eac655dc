# Shared settings of kodev's test cluster scripts (sourced, not run).
# Everything listens on 127.0.0.1; every path lives under $KODEV_CLUSTER_DIR.

K8S_VERSION=v1.33.13
PAUSE_IMAGE=registry.k8s.io/pause:3.10
# The kubelet refuses a loopback --node-ip, and the API server must reach the
# kubelet on 127.0.0.1: naming the node "localhost" and preferring the Hostname
# address makes the API server dial localhost:$KUBELET_PORT.
NODE_NAME=localhost

CLUSTER_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Short default path: containerd and kubelet put unix sockets below it.
KODEV_CLUSTER_DIR=${KODEV_CLUSTER_DIR:-/tmp/kodev-cluster}
# Built binaries are kept per machine, outside the work tree, so only the first run pays.
KODEV_K8S_CACHE=${KODEV_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kodev/k8s/$K8S_VERSION}
K8S_BIN=$KODEV_K8S_CACHE/bin

ETCD_PORT=${KODEV_ETCD_PORT:-12379}
ETCD_PEER_PORT=${KODEV_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${KODEV_APISERVER_PORT:-16443}
KUBELET_PORT=${KODEV_KUBELET_PORT:-10250}
KUBELET_HEALTHZ_PORT=${KODEV_KUBELET_HEALTHZ_PORT:-10248}
CONTROLLER_MANAGER_PORT=${KODEV_CONTROLLER_MANAGER_PORT:-10257}
SCHEDULER_PORT=${KODEV_SCHEDULER_PORT:-10259}

CONTAINERD_SOCK=$KODEV_CLUSTER_DIR/containerd/containerd.sock
KUBECONFIG_ADMIN=$KODEV_CLUSTER_DIR/admin.kubeconfig
LOGS=$KODEV_CLUSTER_DIR/logs
PIDS=$KODEV_CLUSTER_DIR/pids
COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { echo "kodev-cluster: $*" >&2; }

# Prints the last lines of a component's log, for failure messages.
tail_log() {
  local name=$1
  if [[ -f $LOGS/$name.log ]]; then
    echo "---- last lines of $LOGS/$name.log ----" >&2
    tail -n "${2:-25}" "$LOGS/$name.log" >&2
  fi
}

# True while the component's recorded pid is alive.
running() {
  local pidfile=$PIDS/$1.pid
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

admin_token() { cat "$KODEV_CLUSTER_DIR/pki/admin.token"; }

# GET against the API server as the admin; prints the body.
api_get() {
  curl -fsS --max-time 5 --cacert "$KODEV_CLUSTER_DIR/pki/ca.crt" \
    -H "Authorization: Bearer $(admin_token)" "https://127.0.0.1:$APISERVER_PORT$1"
}
