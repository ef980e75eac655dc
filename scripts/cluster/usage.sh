#!/usr/bin/env bash
# Prints the resident memory of each test cluster component (and of the pod
# shims and containers) and the total, in MiB.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rss_of() { ps -o rss= -p "$1" 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
total=0
for name in "${COMPONENTS[@]}"; do
  if running "$name"; then
    kb=$(rss_of "$(cat "$PIDS/$name.pid")")
    printf '%-24s %6d MiB\n' "$name" $((kb / 1024))
    total=$((total + kb))
  fi
done
# Shims and everything they run (pause and pod processes).
shim_kb=0
for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK"); do
  for pid in $shim $(pgrep -P "$shim"); do
    shim_kb=$((shim_kb + $(rss_of "$pid")))
  done
done
printf '%-24s %6d MiB\n' "pods (shims, containers)" $((shim_kb / 1024))
printf '%-24s %6d MiB\n' "total" $(((total + shim_kb) / 1024))
