#!/usr/bin/env bash
# Installs what is missing, builds release binaries and runs Corral on its defaults.
# Until corrald serves the CRI (the daemon issue), this starts one pod shim under /run/corral,
# shows what it says about itself, and keeps it running until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
state=/run/corral
pod=demo
address=$("$bin/corral-shim" start --id "$pod" --state-dir "$state/pods/$pod")
echo "corral-shim for pod $pod serves $address"
"$bin/corralctl" --state "$state" shim --pod "$pod" info
"$bin/corralctl" --state "$state" shim --pod "$pod" ping
trap '"$bin/corral-shim" delete --id "$pod" --state-dir "$state/pods/$pod"; echo; echo "shim stopped"' EXIT
echo "try: $bin/corralctl --state $state shim --pod $pod info   (Ctrl-C here stops the shim)"
while "$bin/corralctl" --state "$state" shim --pod "$pod" ping >/dev/null 2>&1; do sleep 5; done
