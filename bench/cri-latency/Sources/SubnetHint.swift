/// An IPv4 CIDR the first pod's IP should fall in: a cheap check that the runtime used the CNI
/// network the caller configured, not some other conflist left in the directory.
struct SubnetHint: Sendable, CustomStringConvertible {
    let network: UInt32
    let prefixLength: Int
    let description: String

    init?(_ cidr: String) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length),
              let address = Self.ipv4(parts[0]) else { return nil }
        network = address & Self.mask(length)
        prefixLength = length
        description = cidr
    }

    func contains(_ ip: String) -> Bool {
        guard let address = Self.ipv4(Substring(ip)) else { return false }
        return address & Self.mask(prefixLength) == network
    }

    private static func mask(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    private static func ipv4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
