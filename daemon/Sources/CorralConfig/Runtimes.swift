extension DaemonConfig {
    /// OCI runtime handlers by name, in the order of the configuration file (the first one is the
    /// default unless another says `default = true`).
    public struct Runtimes: Sendable, Equatable, Sequence {
        public private(set) var names: [String] = []
        private var byName: [String: Runtime] = [:]

        public init() {}

        public init(_ runtimes: [(name: String, runtime: Runtime)]) {
            for (name, runtime) in runtimes { self[name] = runtime }
        }

        /// runc and crun, runc the default: what a file naming no runtime gets.
        public static let standard = Runtimes([("runc", Runtime(path: "runc")), ("crun", Runtime(path: "crun"))])

        public var isEmpty: Bool { names.isEmpty }
        public var count: Int { names.count }

        /// Setting a new name appends it; setting nil removes it.
        public subscript(name: String) -> Runtime? {
            get { byName[name] }
            set {
                if newValue == nil {
                    names.removeAll { $0 == name }
                } else if byName[name] == nil {
                    names.append(name)
                }
                byName[name] = newValue
            }
        }

        public var defaultName: String? {
            names.first { byName[$0]?.isDefault == true } ?? names.first
        }

        public func makeIterator() -> IndexingIterator<[(name: String, runtime: Runtime)]> {
            names.map { (name: $0, runtime: byName[$0]!) }.makeIterator()
        }
    }
}
