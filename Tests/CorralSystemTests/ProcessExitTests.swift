import CorralSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("waiting for any process to go")
struct ProcessExitTests {
    @Test func anExitIsSeenAsItHappens() async throws {
        let pid = try Spawn.run("/bin/sleep", arguments: ["sleep", "0.2"])
        let start = ContinuousClock.now
        #expect(await ProcessControl.waitUntilGone(pid, timeout: .seconds(10)))
        #expect(ContinuousClock.now - start < .seconds(5))
        _ = try ProcessControl.wait(for: pid)
    }

    @Test func aProcessThatStaysOutlastsTheTimeout() async throws {
        let pid = try Spawn.run("/bin/sleep", arguments: ["sleep", "30"])
        #expect(await !ProcessControl.waitUntilGone(pid, timeout: .milliseconds(200)))
        kill(pid, SIGKILL)
        _ = try ProcessControl.wait(for: pid)
    }
}
