#!/usr/bin/env bash
# CRI call latency and idle memory of corrald next to the lab's containerd 1.6, measured back to
# back in one run by the same client (corral-cri-bench), printed side by side with ratios
# corral/containerd and PASS/MISS against the targets: pod start <= 0.6x, ListContainers at 200
# containers <= 0.5x, idle RSS <= 0.6x containerd's.
# Usage: bench/cri-latency/run.sh [RUNS]      (default 20; run as root)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
runs=${1:-20}
. "$(dirname "$0")/../lab.sh"
bench_init cri-latency
bench_build corral-cri-bench
bench_registry

# --- (a) containerd, fresh, unless one was already running (then it is measured and left running)
lab_containerd
[ "$ctrd_was_running" = 0 ] || say "containerd was already running: measured as it is (its idle RSS is not a fresh daemon's) and left running"
ctrd_json=$OUT/containerd.json
if "$LAB/start-containerd.sh" >&2; then
  say "containerd: $runs runs"
  "$bench" --endpoint "unix://$ctrd_sock" --name containerd --runs "$runs" \
    --server-pid "$(cat "$ctrd_pidfile")" --cni-subnet-hint 10.88.0.0/16 --json "$ctrd_json" \
    || { say "the bench failed against containerd"; rm -f "$ctrd_json"; }
  [ "$ctrd_was_running" = 1 ] || "$LAB/stop-containerd.sh" >&2
else
  say "containerd could not be started by the lab; no baseline"
fi

# --- (b) corrald with a config, CNI network and directories of its own
corral_json=$OUT/corral.json
corral_status="not built"
if [ "$corrald_built" = 1 ]; then
  corrald_configure corral-bench crlbench0 10.219.0.0/16
  # the bridge plugin (isGateway) turns on ip_forward; put it back as it was
  ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
  corral_status="failed"
  if corrald_start; then
    say "corrald: $runs runs"
    if "$bench" --endpoint "unix://$sock" --name corral --runs "$runs" --server-pid "$corrald_pid" \
         --cni-subnet-hint 10.219.0.0/16 --json "$corral_json"; then
      corral_status="ok"
    else
      rm -f "$corral_json"
      say "last lines of corrald's log ($OUT/corrald.log):"; tail -20 "$OUT/corrald.log" >&2
    fi
  fi
  corrald_stop
  corrald_cleanup corral-bench crlbench0
  echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
fi

# --- side by side
bench_side_by_side compare
