#!/usr/bin/env bash
# Pod start through corral-shim (CreateSandbox, StartSandbox, Task Create, Task Start), median
# of N, next to bare `runc create` + `runc start` and to the same CNI plugins run directly, all
# in the same run. Target: the shim's own overhead above runc + CNI under 10 ms.
# The state dirs get a tmpfs of their own, as /run is in production (CORRAL_BENCH_STATE_ON_DISK=1:
# keep them on /run whatever it is). The bench's writing of the bundle is not counted.
# Usage: bench/pod-start/run.sh [N]      (default 20; run as root)
set -euo pipefail
n=${1:-20}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
swift build -c release --product corral-shim >/dev/null
swift build -c release --product corral-bench >/dev/null
"$(swift build -c release --show-bin-path)/corral-bench" pod-start "$n"
