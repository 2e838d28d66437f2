/// Lexical path handling, as Go's filepath.Clean: the mount rules compare destinations this way.
enum Paths {
    static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() }
                else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func depth(_ path: String) -> Int {
        clean(path).filter { $0 == "/" }.count
    }

    static func isAbsolute(_ path: String) -> Bool {
        path.hasPrefix("/")
    }
}
