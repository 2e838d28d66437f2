#!/usr/bin/env bash
# Exec round-trip latency and port-forward throughput of corrald's streaming server next to the lab's
# containerd 1.6: both run at once and the same client (corral-stream-bench pair) measures them in
# turns, sample by sample, so that both meet the same load on a shared machine. Printed side by side
# with ratios corral/containerd and PASS/MISS against the targets: exec of `true` <= 0.7x
# containerd's median, port-forward throughput >= 1.0x containerd's, each way.
# Usage: bench/stream/run.sh [RUNS [MIB]]   (default 50 exec round trips, 256 MiB transfers; run as root)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
runs=${1:-50}
mib=${2:-256}
. "$(dirname "$0")/../lab.sh"
bench_init stream-bench
bench_build corral-stream-bench
bench_registry

bench_args=(--runs "$runs" --megabytes "$mib")

# The CNI bridge plugin (isGateway) turns on ip_forward, for either runtime: it is put back as it was.
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)

# --- (a) containerd, unless it cannot be started (if it was running, it is left running)
lab_containerd
[ "$ctrd_was_running" = 0 ] || say "containerd was already running: measured as it is and left running"
ctrd_up=0
if "$LAB/start-containerd.sh" >&2; then
  ctrd_up=1
else
  say "containerd could not be started by the lab; no baseline"
fi

# --- (b) corrald with a config, CNI network and directories of its own
corral_up=0
if [ "$corrald_built" = 1 ]; then
  corrald_configure corral-stream-bench crlstream0 10.220.0.0/16
  corrald_start && corral_up=1
fi

# --- (c) both in turns, or whichever is up on its own
status=0
if [ "$ctrd_up" = 1 ] && [ "$corral_up" = 1 ]; then
  say "containerd and corrald, in turns"
  "$bench" pair --baseline "containerd=unix://$ctrd_sock" --candidate "corral=unix://$sock" \
    --json-directory "$OUT" "${bench_args[@]}" || { status=$?; say "the bench failed"; }
elif [ "$ctrd_up" = 1 ]; then
  say "containerd only (corrald: not built or not up)"
  "$bench" measure --endpoint "unix://$ctrd_sock" --name containerd --json "$OUT/containerd.json" "${bench_args[@]}" || status=$?
elif [ "$corral_up" = 1 ]; then
  say "corrald only (no containerd baseline)"
  "$bench" measure --endpoint "unix://$sock" --name corral --json "$OUT/corral.json" "${bench_args[@]}" || status=$?
else
  say "neither runtime is up"; status=1
fi

# --- stop what this script started, and remove corrald's traces
if [ "$ctrd_up" = 1 ] && [ "$ctrd_was_running" = 0 ]; then "$LAB/stop-containerd.sh" >&2; fi
if [ "$corrald_built" = 1 ]; then
  corrald_stop
  corrald_cleanup corral-stream-bench crlstream0
fi
echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
echo "reports in $OUT"
exit "$status"
