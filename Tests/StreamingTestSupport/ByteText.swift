extension Array where Element == UInt8 {
    /// The bytes as UTF-8 text, for comparing what a stream carried.
    public var text: String { String(decoding: self, as: UTF8.self) }
}
