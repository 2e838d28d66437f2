#!/bin/sh
# Runs in the guest as corral-guest.service (run.sh fills in the filters).
set -u
mkdir -p /opt/corral-test-runtime
mount -t 9p -o trans=virtio,version=9p2000.L,ro swiftlib /opt/corral-test-runtime
echo "guest: kernel $(uname -r), PID 1 $(cat /proc/1/comm), /sys/fs/cgroup $(stat -fc %T /sys/fs/cgroup): $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "guest: $(systemctl is-system-running 2>&1), up $(cut -d' ' -f1 /proc/uptime) s"
cd /tmp
. /share/env
# Only the test bundle gets the toolchain's runtime: what it starts through systemd does not.
suites() {
    driver=$1
    shift
    [ $# -gt 0 ] || return 0
    start=$(cut -d. -f1 /proc/uptime)
    echo "guest: suites with the $driver driver by default:$(echo "$@" | sed 's/--filter//g')"
    LD_LIBRARY_PATH=/opt/corral-test-runtime CORRAL_GUEST_REPO=/share/repo CORRAL_TEST_CGROUP_DRIVER=$driver \
        /share/bin/CorralPackageTests.xctest --testing-library swift-testing "$@"
    result=$?
    echo "guest: that took $(( $(cut -d. -f1 /proc/uptime) - start )) s, exit $result"
    return $result
}
status=0
suites cgroupfs @FILTERS@ || status=1
suites systemd @DRIVER_FILTERS@ || status=1
exit $status
