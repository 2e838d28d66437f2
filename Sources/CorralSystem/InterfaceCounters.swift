import CCorral

/// The kernel's counters of one network interface, as /proc/net/dev lists them.
public struct InterfaceCounters: Sendable, Equatable {
    public var name: String
    public var receivedBytes: UInt64 = 0
    public var receivedPackets: UInt64 = 0
    public var receiveErrors: UInt64 = 0
    public var receiveDropped: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    public var transmittedPackets: UInt64 = 0
    public var transmitErrors: UInt64 = 0
    public var transmitDropped: UInt64 = 0

    public init(name: String) {
        self.name = name
    }

    /// Every interface of a /proc/net/dev text: two header lines, then `NAME: ` and sixteen
    /// numbers, the receive side's eight (bytes packets errs drop fifo frame compressed
    /// multicast), then the transmit side's (bytes packets errs drop fifo colls carrier compressed).
    public static func parse(procNetDev text: String) -> [InterfaceCounters] {
        text.split(separator: "\n").dropFirst(2).compactMap { line in
            // The name is right-aligned and has no spaces of its own.
            guard let colon = line.firstIndex(of: ":"), let name = line[..<colon].split(separator: " ").first else { return nil }
            let numbers = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard numbers.count >= 16 else { return nil }
            var counters = InterfaceCounters(name: String(name))
            (counters.receivedBytes, counters.receivedPackets) = (numbers[0], numbers[1])
            (counters.receiveErrors, counters.receiveDropped) = (numbers[2], numbers[3])
            (counters.transmittedBytes, counters.transmittedPackets) = (numbers[8], numbers[9])
            (counters.transmitErrors, counters.transmitDropped) = (numbers[10], numbers[11])
            return counters
        }
    }
}

extension Namespaces {
    /// The counters of every interface in the network namespace at `path` (a pod's pinned
    /// netns), read by a throwaway thread that enters it: no thread of the caller's moves.
    public static func interfaceCounters(inNetworkNamespace path: String) throws(SystemError) -> [InterfaceCounters] {
        // A namespace with thousands of interfaces would be cut short here; a pod has a few.
        let capacity = 256 << 10
        var buffer = [UInt8](repeating: 0, count: capacity)
        let length = buffer.withUnsafeMutableBytes {
            ccorral_read_in_netns(path, "/proc/thread-self/net/dev", $0.baseAddress, capacity)
        }
        guard length >= 0 else { throw SystemError("read /proc/net/dev in", path) }
        return InterfaceCounters.parse(procNetDev: String(decoding: buffer[..<length], as: UTF8.self))
    }
}
