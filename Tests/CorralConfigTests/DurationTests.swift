import CorralConfig
import Testing

@Suite("durations")
struct DurationTests {
    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("500ms", .milliseconds(500)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("1.5h", .seconds(5400)), ("2h45m10s", .seconds(9910)), ("0", .zero), ("0s", .zero),
        ("100us", .microseconds(100)), ("100µs", .microseconds(100)), ("7ns", .nanoseconds(7)), (".5s", .milliseconds(500)),
        ("1.000000001s", .nanoseconds(1_000_000_001)), ("4h", .seconds(14400)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "ten", "10", "10 s", "-1s", "1d", "s", "1.s.", "1m30", "99999999999h", ".s", "1e3s", "+1s"])
    func refuses(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.seconds(10), "10s"), (.milliseconds(500), "500ms"), (.seconds(90), "1m30s"), (.seconds(3600), "1h"),
        (.zero, "0s"), (.milliseconds(1500), "1.5s"), (.nanoseconds(7), "7ns"), (.seconds(14400), "4h"),
        (.seconds(3661), "1h1m1s"),
    ])
    func formats(_ duration: Duration, _ expected: String) {
        #expect(DurationText.format(duration) == expected)
        #expect(DurationText.parse(expected) == duration)
    }
}
