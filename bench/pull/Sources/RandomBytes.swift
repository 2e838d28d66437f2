/// Deterministic random bytes (SplitMix64): incompressible, fast, the same for the same seed.
struct RandomBytes {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            let words = count / 8
            for i in 0..<words { raw.storeBytes(of: next(), toByteOffset: i * 8, as: UInt64.self) }
            var tail = next()
            for i in (words * 8)..<count {
                raw[i] = UInt8(truncatingIfNeeded: tail)
                tail >>= 8
            }
        }
        return out
    }

    /// A size between `low` and `high`, both included.
    mutating func size(_ low: Int, _ high: Int) -> Int {
        low + Int(next() % UInt64(high - low + 1))
    }
}
