#!/usr/bin/env bash
# A full node under kubelet's load, corrald next to the lab's containerd 1.6, measured back to back
# by the same client (corral-cri-bench node): a burst of 110 pods started by 10 clients; kubelet's
# steady state over them for 60 s (the CPU of the daemon and of every per-pod process, the p99 of
# each call); the memory of those processes; kill -9 of the daemon and the time until every pod is
# listed and an ExecSync answers; ListContainers' server CPU at 200 containers. Printed side by side
# with ratios corral/containerd and PASS/MISS against issue 17's targets.
# Usage: bench/node/run.sh [PODS [STEADY_SECONDS]]   (default 110 and 60; run as root; ~10 minutes)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
pods=${1:-110}
steady=${2:-60}
. "$(dirname "$0")/../lab.sh"
bench_init node-bench
bench_build corral-cri-bench
crictl=$(. "$LAB/lab-env.sh" && lab_tool crictl)

bench_args=(--pods "$pods" --steady-seconds "$steady" --cgroup-parent /corral-node-bench)
# The CNI bridge plugin (isGateway) turns on ip_forward, for either runtime: it is put back as it was.
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)

# The lab registry is shared by the lab's users (other benches, critest): it is left running.
bench_registry

# corrald's pods of this bench, whatever run made them: the bench removes its own, this catches
# a bench that died or was interrupted.
corral_remove_pods() {
  "$crictl" -r "unix://$sock" pods -q --label corral-bench=corral 2>/dev/null \
    | xargs -r "$crictl" -r "unix://$sock" rmp -f >/dev/null 2>&1 || true
}

# Stops the containerd this run started. One the bench's kill -9 left down (a restart that failed)
# still has the run's pods: it is started again first, so that the lab's stop script removes them.
ctrd_stop() {
  if [ "$ctrd_started" = 1 ]; then
    kill -0 "$(cat "$ctrd_pidfile" 2>/dev/null)" 2>/dev/null || "$LAB/start-containerd.sh" >&2 || true
    "$LAB/stop-containerd.sh" >&2
    ctrd_started=0
  fi
}

# Whatever ends the script (a failure, Ctrl-C), what it started is stopped and its pods removed.
corral_up=0 ctrd_started=0
finish() {
  if [ "$corral_up" = 1 ]; then
    corral_remove_pods
    # After the bench's kill -9, the pid file names the corrald it started again.
    corrald_pid=$(cat "$OUT/corrald.pid" 2>/dev/null || echo "$corrald_pid")
    corrald_stop
    corrald_cleanup corral-node-bench crlnode0
    corral_up=0
  fi
  ctrd_stop
  # The pods' cgroup parent, which the bench removes unless it was interrupted.
  for d in /sys/fs/cgroup/*/corral-node-bench; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
}
trap finish EXIT

# --- (a) corrald with a config, CNI network and directories of its own. Its pods are gone before
# containerd's run starts, so the two runs never hold 2 x 110 pods at once.
corral_json=$OUT/corral.json
corral_status="not built"
if [ "$corrald_built" = 1 ]; then
  corrald_configure corral-node-bench crlnode0 10.221.0.0/16
  corral_status="failed"
  if corrald_start; then
    corral_up=1
    echo "$corrald_pid" > "$OUT/corrald.pid"
    # After kill -9, corrald is started again as corrald_start started it (log appended), and the
    # pid file says which process to stop at the end.
    restart="'$corral_bin/corrald' --config '$tmp/corrald.toml' >> '$OUT/corrald.log' 2>&1 & echo \$! > '$OUT/corrald.pid'"
    say "corrald: $pods pods"
    if "$bench" node --endpoint "unix://$sock" --name corral --server-pidfile "$OUT/corrald.pid" \
         --shim-match "corral-shim serve .*--state-dir $state/" --pod-process-match "corral-shim init" \
         --restart-command "$restart" --cni-subnet-hint 10.221.0.0/16 --json "$corral_json" "${bench_args[@]}"; then
      corral_status="ok"
    else
      rm -f "$corral_json"
      say "last lines of corrald's log ($OUT/corrald.log):"; tail -20 "$OUT/corrald.log" >&2
    fi
    corral_remove_pods
    corrald_pid=$(cat "$OUT/corrald.pid")
  fi
  corrald_stop
  corrald_cleanup corral-node-bench crlnode0
  corral_up=0
fi

# --- (b) containerd, fresh. One that was already running is someone else's: it is measured as it
# is, without the restart, and left running.
lab_containerd
ctrd_json=$OUT/containerd.json
ctrd_restart=(--restart-command "$LAB/start-containerd.sh")
if [ "$ctrd_was_running" = 1 ]; then
  say "containerd was already running: measured as it is, without the kill -9, and left running"
  ctrd_restart=()
fi
if "$LAB/start-containerd.sh" >&2; then
  [ "$ctrd_was_running" = 1 ] || ctrd_started=1
  say "containerd: $pods pods"
  "$bench" node --endpoint "unix://$ctrd_sock" --name containerd --server-pidfile "$ctrd_pidfile" \
    --shim-match "containerd-shim-runc-v2 .*-address $ctrd_sock" --pod-process-match '^/pause$' \
    "${ctrd_restart[@]}" --cni-subnet-hint 10.88.0.0/16 --json "$ctrd_json" "${bench_args[@]}" \
    || { say "the bench failed against containerd"; rm -f "$ctrd_json"; }
  ctrd_stop
else
  say "containerd could not be started by the lab; no baseline"
fi

# --- side by side
bench_side_by_side node compare
