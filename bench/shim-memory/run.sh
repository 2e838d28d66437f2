#!/usr/bin/env bash
# Starts N idle corral-shims (release build) and prints VmRSS, Pss and Anonymous per shim from
# /proc/PID/smaps_rollup, then their mean; then N pods with one `sleep` container each, started
# through the shim protocol (corral-bench). Targets: <= 7 MiB VmRSS, <= 1.2 MiB Pss,
# <= 0.8 MiB anonymous per shim. containerd's runc shim here: 13.3 MB, 3.6 MB, 2.6 MB.
# Usage: bench/shim-memory/run.sh [N]      (default 10; run as root)
set -euo pipefail
n=${1:-10}
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
swift build -c release --product corral-shim >/dev/null
swift build -c release --product corral-bench >/dev/null
shim="$(swift build -c release --show-bin-path)/corral-shim"
work="$(mktemp -d /tmp/corral-bench-XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    rm -rf "$work"
}
trap cleanup EXIT

for i in $(seq 1 "$n"); do
    "$shim" start --id "bench-$i" --state-dir "$work/pods/bench-$i" --socket-dir "$work/s" >/dev/null
    pids+=("$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$work/pods/bench-$i/bootstrap.json")")
done
sleep 3   # idle: a shim trims its working set 2 s after its last call

kb() { awk -v f="$1:" '$1 == f { print $2 }' "$2"; }
printf '%-8s %10s %10s %10s\n' pid VmRSS_kB Pss_kB Anon_kB
total_rss=0 total_pss=0 total_anon=0
for pid in "${pids[@]}"; do
    rss=$(kb VmRSS "/proc/$pid/status")
    pss=$(kb Pss "/proc/$pid/smaps_rollup")
    anon=$(kb Anonymous "/proc/$pid/smaps_rollup")
    printf '%-8s %10s %10s %10s\n' "$pid" "$rss" "$pss" "$anon"
    total_rss=$((total_rss + rss)) total_pss=$((total_pss + pss)) total_anon=$((total_anon + anon))
done
printf 'mean over %d shims: VmRSS %d kB (%.2f MiB), Pss %d kB (%.2f MiB), Anonymous %d kB (%.2f MiB)\n' "$n" \
    $((total_rss / n)) "$(echo "$total_rss / $n / 1024" | bc -l)" \
    $((total_pss / n)) "$(echo "$total_pss / $n / 1024" | bc -l)" \
    $((total_anon / n)) "$(echo "$total_anon / $n / 1024" | bc -l)"
echo "binary: $(du -h "$shim" | cut -f1) $(file -b "$shim" | cut -d, -f1-2)"

echo
echo "== $n pods, one sleep container each, through the shim protocol"
"$(dirname "$shim")/corral-bench" shim-memory "$n"
