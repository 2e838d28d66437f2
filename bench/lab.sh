# Shell functions the benches that set corrald next to the lab's containerd share: the set-up,
# building, the lab registry, a corrald of the bench's own (config, CNI network, start, stop,
# cleanup) and the side-by-side report. Sourced by bench/*/run.sh, which then call bench_init.

say() { echo "== $*" >&2; }

# bench_init NAME: root or nothing; LAB (the lab's scripts: CRITEST_LAB, or shared/critest-lab
# next to the checkout), OUT (where the reports go: $OUT, or a new /tmp/NAME.XXXXXX); then the
# working directory is the package's.
bench_init() {
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
  local benches
  benches=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  LAB=${CRITEST_LAB:-$(cd "$benches/../../shared/critest-lab" && pwd)}
  OUT=${OUT:-$(mktemp -d "/tmp/$1.XXXXXX")}
  mkdir -p "$OUT"
  cd "$benches/.."
}

# bench_build PRODUCT: builds the bench's client, then corral-shim and corrald (unless CORRAL_BIN
# names prebuilt ones). Sets bench, corral_bin and corrald_built (0: only containerd can be measured).
bench_build() {
  local product=$1
  if ! swift build -c release --product "$product" > "$OUT/build-$product.log" 2>&1; then
    grep -E "error" "$OUT/build-$product.log" >&2 || true
    echo "building $product failed (see $OUT/build-$product.log)" >&2; exit 1
  fi
  local bin
  bin=$(swift build -c release --show-bin-path)
  bench=$bin/$product
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
}

# The lab registry serves docker.io/library/busybox (and the pause image) for both runtimes.
bench_registry() {
  "$LAB/start-registry.sh" >&2
  if ! curl -fsS http://127.0.0.1:5000/v2/_catalog | grep -q '"library/busybox"'; then
    "$LAB/build-test-images.sh" >&2
  fi
}

# Where the lab's containerd listens and keeps its pid; ctrd_was_running=1 when it already runs.
lab_containerd() {
  ctrd_pidfile=$(. "$LAB/lab-env.sh" && echo "$CTRD_PIDFILE")
  ctrd_sock=$(. "$LAB/lab-env.sh" && echo "$CTRD_SOCK")
  ctrd_was_running=0
  if [ -f "$ctrd_pidfile" ] && kill -0 "$(cat "$ctrd_pidfile")" 2>/dev/null; then ctrd_was_running=1; fi
}

# corrald_configure NAME BRIDGE SUBNET: a config, CNI network and directories of its own under
# /var/lib/NAME and /run/NAME. Sets tmp, root, state, sock.
corrald_configure() {
  local name=$1 bridge=$2 subnet=$3
  tmp=$(mktemp -d "/tmp/$name.XXXXXX")
  root=/var/lib/$name/root
  state=/run/$name
  sock=$state/corral.sock
  mkdir -p "$tmp/cni" "$root" "$state"
  cat > "$tmp/cni/10-$name.conflist" <<EOC
{
  "cniVersion": "1.0.0",
  "name": "$name",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$subnet", "gateway": "${subnet%.0/*}.1" }]],
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
}

# Starts the configured corrald and waits for its socket; sets corrald_pid; fails when it is not up.
corrald_start() {
  corrald_pid=
  if ! "$corral_bin/corrald" config check --config "$tmp/corrald.toml" > "$OUT/corrald-config-check.log" 2>&1; then
    say "corrald rejects its config:"; cat "$OUT/corrald-config-check.log" >&2
    return 1
  fi
  "$corral_bin/corrald" --config "$tmp/corrald.toml" > "$OUT/corrald.log" 2>&1 &
  corrald_pid=$!
  for _ in $(seq 100); do
    [ -S "$sock" ] && break
    kill -0 "$corrald_pid" 2>/dev/null || break
    sleep 0.2
  done
  if ! [ -S "$sock" ] || ! kill -0 "$corrald_pid" 2>/dev/null; then
    say "corrald did not come up on $sock; last lines of its log ($OUT/corrald.log):"; tail -20 "$OUT/corrald.log" >&2
    return 1
  fi
}

# SIGTERM, then SIGKILL after 10 s.
corrald_stop() {
  [ -n "${corrald_pid:-}" ] || return 0
  if kill -0 "$corrald_pid" 2>/dev/null; then
    kill -TERM "$corrald_pid"
    for _ in $(seq 50); do kill -0 "$corrald_pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$corrald_pid" 2>/dev/null && { say "corrald ignored SIGTERM for 10 s; killing it"; kill -KILL "$corrald_pid"; }
  fi
  wait "$corrald_pid" 2>/dev/null || true
}

# corrald_cleanup NAME BRIDGE: reports shims and mounts the bench left, removes the rest.
corrald_cleanup() {
  local name=$1 bridge=$2
  # Shims outlive corrald by design; the bench removed its pods, so any left here are leftovers.
  for p in $(pgrep -f corral-shim 2>/dev/null); do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$state"; then
      say "leftover shim pid $p: $(tr '\0' ' ' < "/proc/$p/cmdline")"
    fi
  done
  if grep -q " /var/lib/$name/\| $state/" /proc/self/mountinfo; then
    say "mounts left under /var/lib/$name or $state; not removing them"
  else
    rm -rf --one-file-system "/var/lib/$name" "$state"
  fi
  rm -rf "$tmp" "/var/lib/cni/networks/$name"
  ip link del "$bridge" 2>/dev/null || true
}

# bench_side_by_side COMPARE...: the two reports ($ctrd_json, $corral_json) through the bench's
# compare subcommand (COMPARE: its words before the two files), or what there is when one is
# missing ($corral_status says why corral's is); then where the reports are.
bench_side_by_side() {
  echo
  if [ -f "$ctrd_json" ] && [ -f "$corral_json" ]; then
    "$bench" "$@" "$ctrd_json" "$corral_json"
  elif [ -f "$ctrd_json" ]; then
    echo "corrald: $corral_status; containerd's figures only (above, and in $ctrd_json)"
  elif [ -f "$corral_json" ]; then
    echo "no containerd baseline; corral's figures only (above, and in $corral_json)"
  else
    echo "neither runtime was measured"
  fi
  echo "reports in $OUT"
}
