import CorralSystem
import CorralSystemd
import Logging

/// Where a pod's shim lives on a node that systemd runs: a transient scope of its own,
/// `corral-shim-<pod>.scope`, made through systemd's D-Bus API before the shim starts anything,
/// so that its pod's PID 1 and the runtimes it runs are born there too. Not in corrald's unit:
/// `systemctl stop` or `restart corrald` leaves the pods alone, and systemd knows every cgroup
/// Corral's processes are in. With the systemd driver the scope joins the pod's slice (kubelet's
/// `kubepods-…-pod<uid>.slice`), whose accounting then covers the shim, as CRI-O's conmon scope
/// does; otherwise system.slice. systemd removes the scope when the shim and its init are gone.
struct ShimScope: Sendable {
    var systemdDriver: Bool

    static func unit(ofPod podID: String) -> String { "corral-shim-\(podID).scope" }

    func slice(forCgroupParent parent: String) -> String {
        systemdDriver && !parent.contains("/") && parent.hasSuffix(".slice") ? parent : "system.slice"
    }

    /// Moves `pid` into the pod's scope and waits (up to two seconds) until it is there. A
    /// failure is logged and costs nothing else: the shim then stays in corrald's cgroup.
    func place(shimPID pid: Int32, podID: String, cgroupParent: String, logger: Logger) async {
        guard Systemd.booted, pid > 0 else { return }
        let unit = Self.unit(ofPod: podID)
        let slice = slice(forCgroupParent: cgroupParent)
        let failure: String? = await BlockingWork.run {
            do {
                try Systemd.startScope(unit, slice: slice, description: "corral shim of pod \(podID)", pid: pid)
            } catch {
                return "\(error)"
            }
            // StartTransientUnit returns once the job is queued; the move happens when it runs.
            for _ in 0..<200 {
                if ((try? FileSystem.readText("/proc/\(pid)/cgroup")) ?? "").contains("/" + unit) { return nil }
                Clock.sleepThread(nanos: 10_000_000)
            }
            return "the shim was not in \(unit) after 2 s"
        }
        if let failure {
            logger.warning("shim left in corrald's cgroup", metadata: ["pod": "\(podID)", "error": "\(failure)"])
        } else {
            logger.debug("shim placed", metadata: ["pod": "\(podID)", "unit": "\(unit)", "slice": "\(slice)"])
        }
    }
}
