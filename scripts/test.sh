#!/usr/bin/env bash
# Runs every test: installs missing packages, builds everything (the tests run the real
# corral-shim binary), then runs the suites. As root: the tests use real sockets, processes
# and, as the project grows, namespaces, cgroups and runc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
