/// FNV-1a, 64 bits: a stable short name for a long path (socket names must fit in 107 bytes).
/// Not for anything an attacker chooses to collide.
public enum ShortHash {
    public static func hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
