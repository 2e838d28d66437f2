/// The version of the daemon–shim contract: the ttrpc services, the bootstrap record and the
/// shim's state files. A shim outlives the corrald that started it, so a corrald must drive
/// every version a shim it may find still speaks, and refuse one it does not.
public enum ShimProtocol {
    /// What this build's shim speaks and writes into its bootstrap record.
    public static let version: UInt32 = 1
    /// What this build's corrald drives. A release that bumps `version` keeps the previous one
    /// here for as long as shims started by the previous release may still be running.
    public static let understood: ClosedRange<UInt32> = 1...1

    /// A shim speaking a version outside `understood`.
    public struct Mismatch: Error, Sendable, Equatable, CustomStringConvertible {
        public let version: UInt32

        public init(version: UInt32) {
            self.version = version
        }

        public var description: String {
            "it speaks shim protocol \(version), and this corrald speaks \(ShimProtocol.understood.lowerBound)"
                + (ShimProtocol.understood.count > 1 ? " to \(ShimProtocol.understood.upperBound)" : "")
                + "; stop the pod (or go back to a corrald that speaks \(version))"
        }
    }

    public static func check(_ version: UInt32) throws(Mismatch) {
        guard understood.contains(version) else { throw Mismatch(version: version) }
    }
}
