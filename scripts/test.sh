#!/usr/bin/env bash
# Runs every test: installs missing packages, builds everything (the tests run the real
# corral-shim binary), then runs the suites. As root: the tests use real sockets, processes,
# namespaces, cgroups and runc. Then the guest stage: the suites that need cgroup v2 and
# systemd as PID 1 run in a QEMU guest that has them (guest/run.sh; CORRAL_SKIP_GUEST=1 skips it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
guest_image=""
if [[ "${CORRAL_SKIP_GUEST:-}" != 1 ]]; then
    # The guest's image (debootstrap, a few minutes when not cached) is made while Swift builds.
    mkdir -p .build
    guest/build-image.sh > .build/guest-image.log 2>&1 &
    guest_image=$!
fi
swift build --build-tests
if [[ -n "$guest_image" ]] && ! wait "$guest_image"; then
    cat .build/guest-image.log >&2
    echo "the guest's image could not be made" >&2
    exit 1
fi
swift test --skip-build
if [[ -n "$guest_image" ]]; then
    guest/run.sh
fi
