#!/usr/bin/env bash
# Runs suites of the test bundle inside the cgroup v2 guest: systemd as PID 1, a pure cgroup2
# hierarchy, Debian's kernel, runc and crun, no Swift toolchain. QEMU emulates the CPU (TCG):
# these machines' /dev/kvm is PVM, which a stock kernel cannot use.
#
#   guest/run.sh [SUITE...]     (default: the guest suites; names as for swift test --filter)
#
# The built binaries (swift build --build-tests; CORRAL_BIN overrides the dir) reach the guest on a
# 9p share with scripts/ and daemon/ (for scripts/install.sh); the test bundle alone loads the Swift
# runtime, from a second read-only share, through LD_LIBRARY_PATH. Exit status: the suite's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
bin="${CORRAL_BIN:-$(cd "$repo" && swift build --show-bin-path)}"
runtime_libs="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux"
# Generous: the stage takes about 11 minutes here, and CI machines can be several times slower.
timeout="${CORRAL_GUEST_TIMEOUT:-3600}"
suites=("$@")
# The Guest* suites try both cgroup drivers themselves; the others run once with each
# (CORRAL_TEST_CGROUP_DRIVER), as the confinement issue asks of the hostile-exec suites.
[[ ${#suites[@]} -gt 0 ]] || suites=(GuestCgroupTests GuestSystemdTests HostileExecTests ExecConfinementTests
                                     DescriptorHygieneTests PodInitConfinementTests)

for f in CorralPackageTests.xctest corrald corral-shim corralctl; do
    [[ -x "$bin/$f" ]] || { echo "guest: $bin/$f is missing; run swift build --build-tests first" >&2; exit 2; }
done
image="$("$here/build-image.sh")"

share="$(mktemp -d /tmp/corral-guest-XXXXXX)"
trap 'rm -rf "$share"' EXIT
mkdir -p "$share/bin" "$share/repo"
for f in CorralPackageTests.xctest corrald corral-shim corralctl; do
    cp "$bin/$f" "$share/bin/"  # a copy: a rebuild meanwhile must not change what the guest runs
done
cp -r "$repo/scripts" "$repo/daemon" "$share/repo/"
rm -rf "$share/repo/daemon/Sources"
filters=""
driver_filters=""
for suite in "${suites[@]}"; do
    filters="$filters --filter $suite"
    [[ "$suite" == Guest* ]] || driver_filters="$driver_filters --filter $suite"
done
sed -e "s#@FILTERS@#$filters#" -e "s#@DRIVER_FILTERS@#$driver_filters#" "$here/inside.sh" > "$share/inside.sh"
chmod +x "$share/inside.sh"
# The test environment the guest's suites see (benches set CORRAL_TEST_BENCH and the like).
env | grep -E '^CORRAL_(TEST|BENCH)_' | sed "s/^/export /; s/=/='/; s/\$/'/" > "$share/env" || true

started=$(date +%s)
echo "guest: booting $image (suites: ${suites[*]})" >&2
set +e
timeout --foreground "$timeout" qemu-system-x86_64 \
    -accel tcg,thread=multi -smp 2 -m "${CORRAL_GUEST_MEMORY:-4096}" \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0 panic=-1" \
    -drive file="$image/root.img",if=virtio,format=raw,snapshot=on \
    -virtfs local,path="$share",mount_tag=share,security_model=passthrough,id=share \
    -virtfs local,path="$runtime_libs",mount_tag=swiftlib,security_model=none,readonly=on,id=swiftlib \
    -nic none -display none -monitor none -serial file:"$share/console.log" -no-reboot
qemu=$?
set -e
echo "guest: qemu exited $qemu after $(( $(date +%s) - started )) s" >&2
[[ -f "$share/guest.log" ]] && cat "$share/guest.log"
if [[ ! -f "$share/exit-status" ]]; then
    echo "guest: the suite did not finish (qemu status $qemu); the console said:" >&2
    tail -40 "$share/console.log" >&2
    exit 1
fi
exit "$(cat "$share/exit-status")"
