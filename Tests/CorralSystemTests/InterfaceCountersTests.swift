import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace's interface counters: /proc/net/dev as the kernel writes it, and read
/// from inside a namespace by a thread of its own.
@Suite("interface counters")
struct InterfaceCountersTests {
    static let procNetDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     840      12    0    0    0     0          0         0      840      12    0    0    0     0       0          0
          eth0:12345678901   98765    1    2    0     0          0         3 5551212    4321    4    5    0     0       0          0

        """

    @Test func everyInterfaceOfProcNetDevIsParsedWithItsEightCounters() {
        let parsed = InterfaceCounters.parse(procNetDev: Self.procNetDev)
        #expect(parsed.map(\.name) == ["lo", "eth0"])
        let eth0 = parsed[1]
        #expect(eth0.receivedBytes == 12_345_678_901 && eth0.receivedPackets == 98_765)
        #expect(eth0.receiveErrors == 1 && eth0.receiveDropped == 2)
        #expect(eth0.transmittedBytes == 5_551_212 && eth0.transmittedPackets == 4321)
        #expect(eth0.transmitErrors == 4 && eth0.transmitDropped == 5)
        #expect(InterfaceCounters.parse(procNetDev: "garbage\nmore\nx: 1 2 3").isEmpty)
    }

    @Test(.enabled(if: getuid() == 0)) func theCountersOfANamespaceAreReadFromInsideIt() async throws {
        // A fresh namespace has a loopback and nothing else, whatever this host's own has.
        let unshare = "/usr/bin/unshare"
        let child = try Spawn.run(unshare, arguments: [unshare, "--net", "sleep", "30"])
        defer {
            kill(child, SIGKILL)
            _ = try? ProcessControl.wait(for: child)
        }
        var names: [String] = []
        for _ in 0..<100 where names != ["lo"] {
            // Until unshare has made the namespace, this is the host's.
            names = try Namespaces.interfaceCounters(inNetworkNamespace: "/proc/\(child)/ns/net").map(\.name)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(names == ["lo"])
        #expect(try Namespaces.interfaceCounters(inNetworkNamespace: "/proc/self/ns/net").contains { $0.name == "lo" })
        let failure = #expect(throws: SystemError.self) {
            _ = try Namespaces.interfaceCounters(inNetworkNamespace: "/nonexistent/netns")
        }
        #expect(failure?.errno == ENOENT)
    }
}
