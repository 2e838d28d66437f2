#!/usr/bin/env bash
# Installs what is missing, builds release binaries and runs corrald in the foreground on its
# defaults: metadata and images under /var/lib/corral (embedded SQLite), state under
# /run/corral, the CRI on unix:///run/corral/corral.sock. Ctrl-C stops corrald; pods and their
# shims keep running, and the next corrald picks them up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
swift build -c release
bin="$(swift build -c release --show-bin-path)"
echo "corrald serves the CRI on unix:///run/corral/corral.sock; try:"
echo "  crictl --runtime-endpoint unix:///run/corral/corral.sock version"
exec "$bin/corrald" "$@"
