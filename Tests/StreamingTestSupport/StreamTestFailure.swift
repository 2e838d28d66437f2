/// What the streaming test clients throw when the server does not behave; named apart from the
/// test targets' own failure types, which they keep.
public struct StreamTestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
