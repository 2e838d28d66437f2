#!/usr/bin/env bash
# Which runtime starts containers faster where both work: runc and crun in the cgroup v2 + systemd
# guest (guest/run.sh), through corrald, with each cgroup driver. Prints the median of
# CreateContainer + StartContainer per runtime, alternating between them, and their ratio. The
# guest emulates its CPU (TCG), so absolute times are many times the host's; the ratio is the result.
# Usage: bench/guest-runtimes/run.sh [ROUNDS]    (default 10; as root, after swift build --build-tests)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CORRAL_TEST_BENCH=1 CORRAL_BENCH_ROUNDS="${1:-10}" guest/run.sh GuestRuntimeStartBench | grep -E "^bench:|✘|guest:"
