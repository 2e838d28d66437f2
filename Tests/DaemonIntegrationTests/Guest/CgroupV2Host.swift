import CorralSystem

/// A host with one cgroup2 hierarchy and systemd as PID 1: the test guest (guest/run.sh), or a
/// production node. The guest suites run only there; this machine's hybrid v1 layout skips them.
enum CgroupV2Host {
    static var available: Bool {
        DaemonFixture.available && FileSystem.exists("/sys/fs/cgroup/cgroup.controllers")
    }

    static var systemdRuns: Bool { available && FileSystem.exists("/run/systemd/system") }

    /// The driver and the runtime handler of one run of a guest suite.
    struct Setup: Sendable, CustomStringConvertible {
        var driver: String
        var handler: String
        var description: String { "\(handler) with the \(driver) driver" }

        static let all = ["cgroupfs", "systemd"].flatMap { driver in
            ["runc", "crun"].map { Setup(driver: driver, handler: $0) }
        }
    }
}
