#!/usr/bin/env bash
# CRI call latency and idle memory of corrald next to the lab's containerd 1.6, measured back to
# back in one run by the same client (corral-cri-bench), printed side by side with ratios
# corral/containerd and PASS/MISS against the targets: pod start <= 0.6x, ListContainers at 200
# containers <= 0.5x, idle RSS <= 0.6x containerd's.
# Usage: bench/cri-latency/run.sh [RUNS]      (default 20; run as root)
# Environment: CRITEST_LAB (the lab's scripts), OUT (where the reports go; default a new temp dir),
# CORRAL_BIN (a directory holding corrald and corral-shim to use instead of the release build).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
runs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
LAB=${CRITEST_LAB:-$(cd "$(dirname "$0")/../../../shared/critest-lab" && pwd)}
OUT=${OUT:-$(mktemp -d /tmp/cri-latency.XXXXXX)}
mkdir -p "$OUT"
cd "$here/../.."

say() { echo "== $*" >&2; }

# --- build (corrald may not build yet: containerd's half runs anyway)
if ! swift build -c release --product corral-cri-bench > "$OUT/build-corral-cri-bench.log" 2>&1; then
  grep -E "error" "$OUT/build-corral-cri-bench.log" >&2 || true
  echo "building corral-cri-bench failed (see $OUT/build-corral-cri-bench.log)" >&2; exit 1
fi
bin=$(swift build -c release --show-bin-path)
bench=$bin/corral-cri-bench
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

# --- the lab registry serves docker.io/library/busybox for both runtimes
"$LAB/start-registry.sh" >&2
if ! curl -fsS http://127.0.0.1:5000/v2/_catalog | grep -q '"library/busybox"'; then
  "$LAB/build-test-images.sh" >&2
fi

# --- (a) containerd, fresh, unless one was already running (then it is measured and left running)
ctrd_pidfile=$(. "$LAB/lab-env.sh" && echo "$CTRD_PIDFILE")
ctrd_sock=$(. "$LAB/lab-env.sh" && echo "$CTRD_SOCK")
ctrd_was_running=0
if [ -f "$ctrd_pidfile" ] && kill -0 "$(cat "$ctrd_pidfile")" 2>/dev/null; then
  ctrd_was_running=1
  say "containerd was already running: measured as it is (its idle RSS is not a fresh daemon's) and left running"
fi
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
  tmp=$(mktemp -d /tmp/corral-cri-bench.XXXXXX)
  root=/var/lib/corral-bench/root
  state=/run/corral-bench
  sock=$state/corral.sock
  mkdir -p "$tmp/cni" "$root" "$state"
  cat > "$tmp/cni/10-corral-bench.conflist" <<'EOC'
{
  "cniVersion": "1.0.0",
  "name": "corral-bench",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "crlbench0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.219.0.0/16", "gateway": "10.219.0.1" }]],
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
  # the bridge plugin (isGateway) turns on ip_forward; put it back as it was
  ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
  corral_status="failed"
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
    if [ -S "$sock" ] && kill -0 "$corrald_pid" 2>/dev/null; then
      say "corrald: $runs runs"
      if "$bench" --endpoint "unix://$sock" --name corral --runs "$runs" --server-pid "$corrald_pid" \
           --cni-subnet-hint 10.219.0.0/16 --json "$corral_json"; then
        corral_status="ok"
      else
        rm -f "$corral_json"
      fi
    else
      say "corrald did not come up on $sock"
    fi
    if kill -0 "$corrald_pid" 2>/dev/null; then
      kill -TERM "$corrald_pid"
      for _ in $(seq 50); do kill -0 "$corrald_pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$corrald_pid" 2>/dev/null && { say "corrald ignored SIGTERM for 10 s; killing it"; kill -KILL "$corrald_pid"; }
    fi
    wait "$corrald_pid" 2>/dev/null || true
    [ "$corral_status" = ok ] || { say "last lines of corrald's log ($OUT/corrald.log):"; tail -20 "$OUT/corrald.log" >&2; }
  fi
  # Shims outlive corrald by design; the bench removed its pods, so any left here are leftovers.
  for p in $(pgrep -f corral-shim 2>/dev/null); do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$state"; then
      say "leftover shim pid $p: $(tr '\0' ' ' < "/proc/$p/cmdline")"
    fi
  done
  if grep -q " /var/lib/corral-bench/\| $state/" /proc/self/mountinfo; then
    say "mounts left under /var/lib/corral-bench or $state; not removing them"
  else
    rm -rf --one-file-system /var/lib/corral-bench "$state"
  fi
  rm -rf "$tmp" /var/lib/cni/networks/corral-bench
  ip link del crlbench0 2>/dev/null || true
  echo "$ip_forward" > /proc/sys/net/ipv4/ip_forward
fi

# --- side by side
echo
if [ -f "$ctrd_json" ] && [ -f "$corral_json" ]; then
  "$bench" compare "$ctrd_json" "$corral_json"
elif [ -f "$ctrd_json" ]; then
  echo "corrald: $corral_status; containerd's figures only (above, and in $ctrd_json)"
elif [ -f "$corral_json" ]; then
  echo "no containerd baseline; corral's figures only (above, and in $corral_json)"
else
  echo "neither runtime was measured"
fi
echo "reports in $OUT"
