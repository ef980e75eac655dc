# Writes containerd's, CNI's and the kubelet's configuration (sourced by start.sh).

write_configs() {
  local d=$KODEV_CLUSTER_DIR
  mkdir -p "$d/containerd" "$d/cni" "$d/kubelet"
  cat >"$d/containerd/config.toml" <<TOML
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
# These machines refuse negative OOM scores (no CAP_SYS_RESOURCE).
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.overlayfs"]

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
TOML
  # Pods get addresses on a bridge that only this machine's pod namespaces join;
  # no masquerade, no default route: nothing leaves the node.
  cat >"$d/cni/10-kodev.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "kodev",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "kodev0",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.244.0.0/24" }]], "dataDir": "$d/cni/ipam" }
    }
  ]
}
JSON
  cat >"$d/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $d/pki/kubelet.crt
tlsPrivateKeyFile: $d/pki/kubelet.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $d/pki/ca.crt }
authorization: { mode: AlwaysAllow }
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# cgroup v1 without systemd as PID 1, and no CAP_SYS_RESOURCE:
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
makeIPTablesUtilChains: false
protectKernelDefaults: false
hairpinMode: none
resolvConf: ""
registerNode: true
serializeImagePulls: false
# A shared disk must not make the node evict test pods.
evictionHard: { memory.available: "1Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
syncFrequency: 10s
fileCheckFrequency: 10s
YAML
}
