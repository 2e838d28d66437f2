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
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
runs=${1:-50}
mib=${2:-256}
here=$(cd "$(dirname "$0")" && pwd)
LAB=${CRITEST_LAB:-$(cd "$(dirname "$0")/../../../shared/critest-lab" && pwd)}
OUT=${OUT:-$(mktemp -d /tmp/stream-bench.XXXXXX)}
mkdir -p "$OUT"
cd "$here/../.."

say() { echo "== $*" >&2; }

# --- build (corrald may not build yet: containerd's half runs anyway)
if ! swift build -c release --product corral-stream-bench > "$OUT/build-corral-stream-bench.log" 2>&1; then
  grep -E "error" "$OUT/build-corral-stream-bench.log" >&2 || true
  echo "building corral-stream-bench failed (see $OUT/build-corral-stream-bench.log)" >&2; exit 1
fi
bin=$(swift build -c release --show-bin-path)
bench=$bin/corral-stream-bench
corral_bin=${CORRAL_BIN:-$bin}
corrald_built=1
for p in corral-shim corrald; do
  [ -z "${CORRAL_BIN:-}" ] || break
  if ! swift build -c release --product "$p" > "$OUT/build-$p.log" 2>&1; then
    corrald_built=0
    grep -m3 -E "error" "$OUT/build-$p.log" >&2 || true
    say "building $p failed (see $OUT/build-$p.log); only containerd will be measured"
  fi
done

# --- the lab registry serves docker.io/library/busybox (and the pause image) for both runtimes
"$LAB/start-registry.sh" >&2
if ! curl -fsS http://127.0.0.1:5000/v2/_catalog | grep -q '"library/busybox"'; then
  "$LAB/build-test-images.sh" >&2
fi

bench_args=(--runs "$runs" --megabytes "$mib")

# The CNI bridge plugin (isGateway) turns on ip_forward, for either runtime: it is put back as it was.
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)

# --- (a) containerd, unless it cannot be started (if it was running, it is left running)
ctrd_pidfile=$(. "$LAB/lab-env.sh" && echo "$CTRD_PIDFILE")
ctrd_sock=$(. "$LAB/lab-env.sh" && echo "$CTRD_SOCK")
ctrd_was_running=0
if [ -f "$ctrd_pidfile" ] && kill -0 "$(cat "$ctrd_pidfile")" 2>/dev/null; then
  ctrd_was_running=1
  say "containerd was already running: measured as it is and left running"
fi
ctrd_up=0
if "$LAB/start-containerd.sh" >&2; then
  ctrd_up=1
else
  say "containerd could not be started by the lab; no baseline"
fi

# --- (b) corrald with a config, CNI network and directories of its own
tmp=$(mktemp -d /tmp/corral-stream-bench.XXXXXX)
root=/var/lib/corral-stream-bench/root
state=/run/corral-stream-bench
sock=$state/corral.sock
corrald_pid=
if [ "$corrald_built" = 1 ]; then
  mkdir -p "$tmp/cni" "$root" "$state"
  cat > "$tmp/cni/10-corral-stream-bench.conflist" <<'EOC'
{
  "cniVersion": "1.0.0",
  "name": "corral-stream-bench",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "crlstream0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.220.0.0/16", "gateway": "10.220.0.1" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOC
  cat > "$tmp/corrald.toml" <<EOC
root = "$root"
state = "$state"
socket = "$sock"
shim_path = "$corral_bin/corral-shim"

[cni]
conf_dir = "$tmp/cni"
bin_dirs = ["/usr/lib/cni"]

[registry.mirrors."docker.io"]
endpoints = ["http://127.0.0.1:5000"]
upstream = false
EOC
  if ! "$corral_bin/corrald" config check --config "$tmp/corrald.toml" > "$OUT/corrald-config-check.log" 2>&1; then
    say "corrald rejects its config:"; cat "$OUT/corrald-config-check.log" >&2
  else
    "$corral_bin/corrald" --config "$tmp/corrald.toml" > "$OUT/corrald.log" 2>&1 &
    corrald_pid=$!
    for _ in $(seq 100); do
      [ -S "$sock" ] && break
      kill -0 "$corrald_pid" 2>/dev/null || break
      sleep 0.2
    done
    if ! [ -S "$sock" ] || ! kill -0 "$corrald_pid" 2>/dev/null; then
      say "corrald did not come up on $sock; last lines of its log ($OUT/corrald.log):"; tail -20 "$OUT/corrald.log" >&2
    fi
  fi
fi
corral_up=0
[ -n "$corrald_pid" ] && [ -S "$sock" ] && kill -0 "$corrald_pid" 2>/dev/null && corral_up=1

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
if [ -n "$corrald_pid" ] && kill -0 "$corrald_pid" 2>/dev/null; then
  kill -TERM "$corrald_pid"
  for _ in $(seq 50); do kill -0 "$corrald_pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$corrald_pid" 2>/dev/null && { say "corrald ignored SIGTERM for 10 s; killing it"; kill -KILL "$corrald_pid"; }
  wait "$corrald_pid" 2>/dev/null || true
fi
if [ "$corrald_built" = 1 ]; then
  # Shims outlive corrald by design; the bench removed its pod, so any left here are leftovers.
  for p in $(pgrep -f corral-shim 2>/dev/null); do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$state"; then
      say "leftover shim pid $p: $(tr '\0' ' ' < "/proc/$p/cmdline")"
    fi
  done
  if grep -q " /var/lib/corral-stream-bench/\| $state/" /proc/self/mountinfo; then
    say "mounts left under /var/lib/corral-stream-bench or $state; not removing them"
  else
    rm -rf --one-file-system /var/lib/corral-stream-bench "$state"
  fi
  rm -rf /var/lib/cni/networks/corral-stream-bench
  ip link del crlstream0 2>/dev/null || true
fi
echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
rm -rf "$tmp"
echo "reports in $OUT"
exit "$status"
