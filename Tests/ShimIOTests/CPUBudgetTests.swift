@testable import ShimIO
import Testing

/// The share of a core a container's log may cost: spent within a window, the pumps sleep out the rest.
@Suite("log CPU budget")
struct CPUBudgetTests {
    static let ms: UInt64 = 1_000_000
    static let start: UInt64 = 5_000 * ms

    @Test func withinTheShareNothingWaits() {
        let budget = CPUBudget(share: 0.5)
        #expect(budget.charge(20 * Self.ms, now: Self.start) == 0)
        #expect(budget.charge(20 * Self.ms, now: Self.start + 30 * Self.ms) == 0)
        // A new window starts afresh.
        #expect(budget.charge(45 * Self.ms, now: Self.start + 100 * Self.ms) == 0)
    }

    @Test func overTheShareWaitsForTheNextWindowAndCarriesTheOverdraft() {
        let budget = CPUBudget(share: 0.5)
        #expect(budget.charge(30 * Self.ms, now: Self.start) == 0)
        // 60 ms of a 50 ms allowance, 10 ms into the window: sleep the 90 ms left of it.
        #expect(budget.charge(30 * Self.ms, now: Self.start + 10 * Self.ms) == 90 * Self.ms)
        // The next window begins with the 10 ms overdrawn: 40 ms more fit, then it waits again.
        #expect(budget.charge(35 * Self.ms, now: Self.start + 100 * Self.ms) == 0)
        #expect(budget.charge(10 * Self.ms, now: Self.start + 140 * Self.ms) == 60 * Self.ms)
    }

    @Test func aShareIsAtMostAWholeCore() {
        let budget = CPUBudget(share: 4)
        #expect(budget.charge(99 * Self.ms, now: Self.start) == 0)
        #expect(budget.charge(1 * Self.ms, now: Self.start + 99 * Self.ms) == 1 * Self.ms)
    }
}
