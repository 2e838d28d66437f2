import CorralSystem

/// corrald's entry point. The CRI server is built by the daemon issue; until then corrald
/// only reports its version and says plainly that it does not serve yet.
public enum DaemonMain {
    public static func run(_ arguments: [String]) async -> Int32 {
        if arguments.first == "--version" || arguments.first == "version" {
            print("corrald \(BuildInfo.version) (\(BuildInfo.runtime))")
            return 0
        }
        try? FileDescriptor(rawValue: 2).writeAll(
            "corrald \(BuildInfo.version): the CRI server is not part of this build yet; "
                + "use corral-shim and corralctl shim directly\n")
        return 1
    }
}
