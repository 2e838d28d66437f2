#!/usr/bin/env bash
# Cold image pulls through the CRI, corrald next to the lab's containerd 1.6 in one run, taking
# turns run by run: (a) ~100 MB in 5 gzip layers, (b) ~1 GB in 20 layers of gzip and zstd,
# (c) 10 small images at once, (d) one image asked for by 10 clients at once. Prints the median
# time, CPU seconds and peak RSS above idle of each runtime, the ratios corral/containerd, and
# PASS/MISS against the targets: (a), (b) <= 0.4x, (c) <= 0.5x containerd's time, (d) one
# registry fetch of each blob, peak RSS during (b) under 64 MiB above idle.
# Usage: bench/pull/run.sh [RUNS] [CASE...]   (default 5 runs of every case; run as root)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
runs=${1:-5}
shift || true
cases=()
for c in "$@"; do cases+=(--case "$c"); done
here=$(cd "$(dirname "$0")" && pwd)
LAB=${CRITEST_LAB:-$(cd "$(dirname "$0")/../../../shared/critest-lab" && pwd)}
OUT=${OUT:-$(mktemp -d /tmp/pull-bench.XXXXXX)}
mkdir -p "$OUT"
cd "$here/../.."

say() { echo "== $*" >&2; }

. "$here/../lab.sh"
bench_build corral-pull-bench
bench_registry
registry=$(. "$LAB/lab-env.sh" && echo "$REG_ADDR")
registry_log=$(. "$LAB/lab-env.sh" && echo "$LAB_LOG/registry.log")

say "the bench's images in the lab registry (built and pushed once; a few minutes the first time)"
"$bench" images --registry "$registry"

# --- containerd, fresh, unless one was already running (then it is measured as it is and left running)
lab_containerd
runtimes=()
if "$LAB/start-containerd.sh" >&2; then
  [ "$ctrd_was_running" = 0 ] || say "containerd was already running: measured as it is and left running"
  runtimes+=(--name containerd --endpoint "unix://$ctrd_sock" --server-pid "$(cat "$ctrd_pidfile")")
else
  say "containerd could not be started by the lab; no baseline"
fi

# --- corrald with a config, CNI network and directories of its own
corral_status="not built"
if [ "$corrald_built" = 1 ]; then
  corrald_configure corral-pullbench crlpull0 10.221.0.0/16
  corral_status="failed"
  if corrald_start; then
    corral_status="ok"
    runtimes+=(--name corral --endpoint "unix://$sock" --server-pid "$corrald_pid")
  fi
fi

status=0
if [ ${#runtimes[@]} -gt 0 ]; then
  "$bench" measure "${runtimes[@]}" --runs "$runs" "${cases[@]}" --registry "$registry" \
    --registry-log "$registry_log" --json "$OUT/pull.json" || status=$?
else
  say "neither runtime could be measured"; status=1
fi
[ "$corral_status" = ok ] || say "corrald: $corral_status; see $OUT/corrald.log"

if [ "$corrald_built" = 1 ]; then
  corrald_stop
  corrald_cleanup corral-pullbench crlpull0
fi
[ "$ctrd_was_running" = 1 ] || "$LAB/stop-containerd.sh" >&2 || true
echo "reports in $OUT"
exit "$status"
