#!/usr/bin/env bash
# Installs what kodev's tests need on a fresh Debian 12 machine (CI or a new
# developer box): Debian's Docker Engine and CLI, the independent OCI tools the
# test helpers use to make and check images (skopeo, umoci, jq, busybox-static
# as image content), tmux for terminal tests, and the npm dependencies.
# Idempotent: installed packages are left alone and apt-get update runs at most
# once, only when something is missing. Tool output goes to a log that is
# printed only when a step fails.
set -euo pipefail

packages=(docker.io skopeo umoci busybox-static tmux jq ca-certificates git time etcd-server containerd runc containernetworking-plugins openssl curl iproute2 procps docker-registry apache2-utils)
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/install-test-deps.XXXXXX")
trap 'rm -f "$log"' EXIT

# Runs a step with its output in the log; on failure prints the log and exits.
quietly() {
  if ! "$@" >>"$log" 2>&1; then
    echo "install-test-deps: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

missing=()
for pkg in "${packages[@]}"; do
  # dpkg -s also knows removed-but-not-purged packages, so read the status
  # line (from a variable: grep -q in a pipe would SIGPIPE dpkg under pipefail).
  status=$(dpkg -s "$pkg" 2>/dev/null || true)
  if [[ $status != *$'\nStatus: install ok installed\n'* ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  echo "install-test-deps: installing ${missing[*]}"
  # Tests start their own private dockerd; keep docker.io's postinst from
  # starting a system daemon on machines without systemd (policy-rc.d 101 =
  # "action forbidden"). An existing policy is left as it is.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
    trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d; rm -f "$log"' EXIT
  fi
  quietly "${sudo[@]}" apt-get update -q
  # NEEDRESTART_MODE=l only lists services to restart; never prompts or restarts.
  quietly "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-test-deps: system packages already present (${packages[*]})"
fi

bash "$repo_root/scripts/install-sbom-validators.sh"
echo "install-test-deps: npm ci"
cd "$repo_root"
if ! npm ci --no-audit --no-fund >>"$log" 2>&1; then
  # The registry reachable here does not serve other platforms' optional
  # packages (e.g. @biomejs/cli-darwin-arm64), so the lockfile cannot list them
  # and npm ci rejects it as out of sync. npm install accepts that lockfile and,
  # with --no-save, never rewrites it.
  missing_lines=$(grep 'Missing: .* from lock file' "$log" || true)
  platform_only=$(grep -Ev 'Missing: @?[^ ]*(darwin|win32|android|freebsd|openbsd|netbsd|sunos|aix|musl)' <<<"$missing_lines" || true)
  if [[ -n $missing_lines && -z $platform_only ]]; then
    echo "install-test-deps: npm ci refused the lockfile (optional packages of other platforms); npm install --no-save"
    quietly npm install --no-save --no-audit --no-fund
  else
    echo "install-test-deps: failed: npm ci" >&2
    cat "$log" >&2
    exit 1
  fi
fi
