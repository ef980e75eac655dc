#!/usr/bin/env bash
# Starts kodev's single-node test cluster on 127.0.0.1: etcd (Debian's
# etcd-server), kube-apiserver, kube-controller-manager, kube-scheduler,
# containerd and a kubelet that really runs pods. Builds the Kubernetes
# binaries first if this machine has none (build.sh). Reuses a cluster that is
# already up and healthy. Writes the admin kubeconfig to
# $KODEV_CLUSTER_DIR/admin.kubeconfig and prints its path on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_SCRIPTS/pki.sh"
source "$CLUSTER_SCRIPTS/configs.sh"

# Concurrent starts (two test runs at once) take turns; the second reuses the first's cluster.
mkdir -p "$(dirname "$KODEV_CLUSTER_DIR")"
exec 9>"$KODEV_CLUSTER_DIR.lock"
flock -w 900 9 || { log "timed out waiting for another start of $KODEV_CLUSTER_DIR"; exit 1; }

if [[ -f $KUBECONFIG_ADMIN ]] && "$CLUSTER_SCRIPTS/health.sh" --quiet; then
  log "reusing the running cluster in $KODEV_CLUSTER_DIR"
  echo "$KUBECONFIG_ADMIN"
  exit 0
fi
# Anything half-started before is stopped first.
"$CLUSTER_SCRIPTS/stop.sh" --keep-dir >/dev/null 2>&1 || true

bash "$CLUSTER_SCRIPTS/build.sh"
for tool in etcd containerd runc ctr openssl curl jq skopeo umoci; do
  command -v "$tool" >/dev/null || { log "missing $tool: run scripts/install-test-deps.sh"; exit 1; }
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] || { log "missing CNI plugins: run scripts/install-test-deps.sh"; exit 1; }

mkdir -p "$LOGS" "$PIDS"
make_pki
write_configs
start_time=$(date +%s)

# launch NAME CMD...: runs a component in the background with its own log and pid file.
launch() {
  local name=$1
  shift
  # 9>&- : daemons must not inherit the start lock, or every later start waits on it.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDS/$name.pid"
}

# wait_for NAME SECONDS CHECK...: polls CHECK until it passes; on timeout or death, shows the log and fails.
wait_for() {
  local name=$1 limit=$2
  shift 2
  local deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    if [[ -f $PIDS/$name.pid ]] && ! running "$name"; then
      log "$name exited during start-up"
      tail_log "$name"
      exit 1
    fi
    if (($(date +%s) > deadline)); then
      log "$name not ready after ${limit}s"
      tail_log "$name"
      exit 1
    fi
    sleep 0.5
  done
  log "$name ready"
}

pki=$KODEV_CLUSTER_DIR/pki
launch etcd etcd --name kodev --data-dir "$KODEV_CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kodev=http://127.0.0.1:$ETCD_PEER_PORT" --quota-backend-bytes 2147483648
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

launch containerd containerd --config "$KODEV_CLUSTER_DIR/containerd/config.toml"
wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version

launch kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
  --authorization-mode Node,RBAC --anonymous-auth=false \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/24 --endpoint-reconciler-type none \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types Hostname \
  --allow-privileged=false --profiling=false \
  --cert-dir "$KODEV_CLUSTER_DIR/apiserver-certs"
wait_for kube-apiserver 90 api_get /readyz

launch kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$KODEV_CLUSTER_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$KODEV_CLUSTER_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$KODEV_CLUSTER_DIR/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials=true --allocate-node-cidrs=false --profiling=false \
  --cert-dir "$KODEV_CLUSTER_DIR/controller-manager-certs"
launch kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig "$KODEV_CLUSTER_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig "$KODEV_CLUSTER_DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig "$KODEV_CLUSTER_DIR/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false --profiling=false \
  --cert-dir "$KODEV_CLUSTER_DIR/scheduler-certs"

# The sandbox image is built here (pause program + umoci) and imported, never pulled.
"$CLUSTER_SCRIPTS/load-pause.sh"

launch kubelet "$K8S_BIN/kubelet" \
  --config "$KODEV_CLUSTER_DIR/kubelet/config.yaml" \
  --kubeconfig "$KODEV_CLUSTER_DIR/kubelet.kubeconfig" \
  --root-dir "$KODEV_CLUSTER_DIR/kubelet/root" --cert-dir "$KODEV_CLUSTER_DIR/kubelet/pki" \
  --hostname-override "$NODE_NAME" --v 1
node_ready() {
  api_get "/api/v1/nodes/$NODE_NAME" | jq -e '.status.conditions[] | select(.type=="Ready") | .status == "True"'
}
wait_for node 120 node_ready
# The controller manager must be serving too, or namespaces never get their default service account.
wait_for default-serviceaccount 60 api_get /api/v1/namespaces/default/serviceaccounts/default

log "cluster up in $(($(date +%s) - start_time)) s; kubeconfig: $KUBECONFIG_ADMIN"
echo "$KUBECONFIG_ADMIN"
