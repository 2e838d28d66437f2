#!/usr/bin/env bash
# Installs Corral on this node the way containerd is installed: binaries in /usr/local/bin,
# systemd units in /etc/systemd/system, the default config in /etc/corral/config.toml (kept
# if present) and, when /etc/cni/net.d is empty, a bridge network for pods. Then, where
# systemd runs: systemctl enable --now corrald.socket corrald.service
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# CORRAL_BIN names a dir of binaries built elsewhere (a node without the toolchain; the test
# guest): they are installed as they are, with nothing built and no package installed.
if [[ -n "${CORRAL_BIN:-}" ]]; then
    bin="$CORRAL_BIN"
else
    scripts/install-deps.sh
    swift build -c release
    bin="$(swift build -c release --show-bin-path)"
fi
prefix="${PREFIX:-/usr/local}"
install -d "$prefix/bin" /etc/systemd/system /etc/corral /etc/cni/net.d
# corral-shim is a static executable; corrald and corralctl carry the Swift runtime and
# Foundation and load only libraries of Debian packages (see Package.swift): a node needs no toolchain.
install -m 0755 "$bin/corrald" "$bin/corral-shim" "$bin/corralctl" "$prefix/bin/"
sed "s#/usr/local/bin/corrald#$prefix/bin/corrald#" daemon/corrald.service > /etc/systemd/system/corrald.service
install -m 0644 daemon/corrald.socket /etc/systemd/system/corrald.socket
# Shell completions (swift-argument-parser writes them from the commands themselves).
install -d /usr/share/bash-completion/completions /usr/local/share/zsh/site-functions
"$bin/corralctl" --generate-completion-script bash > /usr/share/bash-completion/completions/corralctl
"$bin/corralctl" --generate-completion-script zsh > /usr/local/share/zsh/site-functions/_corralctl
"$bin/corrald" --generate-completion-script bash > /usr/share/bash-completion/completions/corrald
"$bin/corrald" --generate-completion-script zsh > /usr/local/share/zsh/site-functions/_corrald
[[ -e /etc/corral/config.toml ]] || "$bin/corrald" config default > /etc/corral/config.toml
if [[ -z "$(ls -A /etc/cni/net.d 2>/dev/null)" ]]; then
    cat > /etc/cni/net.d/10-corral-bridge.conflist <<'JSON'
{"cniVersion": "1.0.0", "name": "corral", "plugins": [
  {"type": "bridge", "bridge": "corral0", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
fi
echo "installed corrald, corral-shim and corralctl in $prefix/bin"
if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    echo "start it with: systemctl enable --now corrald.socket corrald.service"
else
    echo "systemd is not running here; start corrald in the foreground: $prefix/bin/corrald"
fi
