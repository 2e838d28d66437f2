import ArgumentParser

/// `--label k=v` (repeatable), as crictl takes it: every pair must match.
enum LabelSelector {
    static func parse(_ pairs: [String]) throws(ValidationError) -> [String: String] {
        var selector: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("label \"\(pair)\" is not KEY=VALUE")
            }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            if let earlier = selector[key], earlier != value {
                throw ValidationError("label \(key) is given twice (\(earlier), \(value)): no object can match both")
            }
            selector[key] = value
        }
        return selector
    }

    static func matches(_ labels: [String: String], _ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// `--name`: a regular expression matched anywhere in the name, as crictl does.
struct NameFilter {
    private let regex: Regex<AnyRegexOutput>?

    init(_ pattern: String?) throws(ValidationError) {
        guard let pattern, !pattern.isEmpty else {
            regex = nil
            return
        }
        do {
            regex = try Regex(pattern)
        } catch {
            throw ValidationError("--name \"\(pattern)\" is not a regular expression: \(error)")
        }
    }

    func matches(_ name: String) -> Bool {
        guard let regex else { return true }
        return name.contains(regex)
    }
}
