import CorralSystem
import Synchronization

/// The CPU a container's log may cost the shim: its pumps (stdout and stderr share one budget)
/// charge what each read and write took, and once a window's share is spent they sleep until the
/// next window. A container that writes faster than that waits on its full pipe, as it would on
/// a slow disk: one flooding container cannot take a core of the node through its shim.
public final class CPUBudget: Sendable {
    /// Half a core: at this share the shim still logs well over 100 MB/s of short lines.
    public static let defaultShare = 0.5
    static let windowNanos: UInt64 = 100_000_000

    private struct State {
        var windowStart: UInt64 = 0
        var spent: UInt64 = 0
    }

    private let allowance: UInt64
    private let state = Mutex(State())

    public init(share: Double = CPUBudget.defaultShare) {
        allowance = UInt64(Double(Self.windowNanos) * min(max(share, 0.01), 1))
    }

    /// Records `nanos` of CPU spent now; how long the caller must sleep before it goes on.
    func charge(_ nanos: UInt64, now: UInt64 = Clock.monotonicNanos) -> UInt64 {
        state.withLock { s in
            if now &- s.windowStart >= Self.windowNanos {
                s.windowStart = now
                s.spent = 0
            }
            s.spent += nanos
            guard s.spent >= allowance else { return 0 }
            // The overdraft carries into the next window, so a long step is paid for in full.
            let pause = s.windowStart &+ Self.windowNanos &- now
            s.windowStart &+= Self.windowNanos
            s.spent -= allowance
            return pause
        }
    }
}
