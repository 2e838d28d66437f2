#!/usr/bin/env bash
# Issue 17's long soak: pod lifecycles (RunPodSandbox, CreateContainer, StartContainer, ExecSync,
# StopPodSandbox, RemovePodSandbox) on parallel workers beside long-lived pods, against a corrald of
# its own; then every pod is removed and the host checked: nothing of any pod may be left (mounts,
# network namespaces, veths, IP leases, cgroups, shim and init processes, files under the state and
# root dirs, pods or containers in the store), and corrald's descriptors are back at their baseline
# (its RSS growth is reported). Each check prints a line ending in PASS or MISS. CI runs a shortened
# churn in ChurnTests.
# Usage: bench/churn/run.sh [PODS [LONG_LIVED [WORKERS]]]   (default 1000, 30, 4; run as root; ~5 minutes)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
pods=${1:-1000}
long_lived=${2:-30}
workers=${3:-4}
. "$(dirname "$0")/../lab.sh"
bench_init churn-bench
bench_build corral-cri-bench
crictl=$(. "$LAB/lab-env.sh" && lab_tool crictl)
[ "$corrald_built" = 1 ] || { say "corrald did not build"; exit 1; }
bench_registry

name=corral-churn-bench
bridge=crlchurn0
parent=/corral-churn-bench
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
corrald_configure "$name" "$bridge" 10.222.0.0/16
finish() {
  "$crictl" -r "unix://$sock" pods -q 2>/dev/null | xargs -r "$crictl" -r "unix://$sock" rmp -f >/dev/null 2>&1 || true
  corrald_stop
  corrald_cleanup "$name" "$bridge"
  for d in /sys/fs/cgroup/*"$parent"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
}
trap finish EXIT
corrald_start || exit 1
echo "$corrald_pid" > "$OUT/corrald.pid"

status=0
"$bench" churn --endpoint "unix://$sock" --server-pidfile "$OUT/corrald.pid" --pods "$pods" \
  --long-lived "$long_lived" --workers "$workers" --cgroup-parent "$parent" --json "$OUT/churn.json" || status=$?

# What the host still holds of the pods, every pod having been removed.
misses=0
check() { # WHAT FOUND...: PASS when nothing was found
  local what=$1; shift
  if [ $# -eq 0 ]; then
    printf '%-78s PASS\n' "nothing left: $what"
  else
    printf '%-78s MISS\n' "nothing left: $what ($# left: ${*:1:3})"
    misses=$((misses + 1))
  fi
}
entries() { [ -d "$1" ] && find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | grep -v -E "${2:-^$}" || true; }
check "pods and containers in the store" \
  $("$crictl" -r "unix://$sock" pods -q 2>/dev/null) $("$crictl" -r "unix://$sock" ps -aq 2>/dev/null)
check "mounts under the root and state dirs" \
  $(awk -v r="$root/" -v s="$state/" '(index($5, r) == 1 || index($5, s) == 1) && $5 != s "bin/corral-shim" { print $5 }' /proc/self/mountinfo)
check "pod dirs and their network namespaces (state/pods)" $(entries "$state/pods")
check "container state and bundles (state/containers, state/sandboxes)" $(entries "$state/containers") $(entries "$state/sandboxes")
check "writable layers (root/containers)" $(entries "$root/containers")
check "veths on the bridge" $(ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{ print $2 }')
check "IP leases" $(entries "/var/lib/cni/networks/$name" '^(lock|last_reserved_ip.*)$')
check "cgroups under $parent" $(for d in /sys/fs/cgroup/*"$parent"; do entries "$d" '\.' | grep -v -E '^(cgroup|memory|cpu|io|pids|notify_on_release|tasks)' ; done | sort -u)
check "shim and pod init processes" $(pgrep -f "corral-shim .*$state/" || true)
echo "reports in $OUT"
[ "$misses" = 0 ] || status=1
exit "$status"
