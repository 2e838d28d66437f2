import TOMLKit

/// Reads the values of one TOML table with the types the configuration expects, naming the full
/// dotted key in every error. Keys the section does not know are refused up front, so a typo is an
/// error instead of a silently ignored setting.
struct TableReader {
    let table: TOMLTable
    let key: ConfigKey
    let source: String

    init(_ table: TOMLTable, at key: ConfigKey, source: String, known: Set<String>) throws(ConfigError) {
        self.table = table
        self.key = key
        self.source = source
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(source: source, key: key.appending(unknown).description, message: "unknown key")
        }
    }

    var keys: [String] { table.keys }

    func error(_ name: String, _ message: String) -> ConfigError {
        ConfigError(source: source, key: key.appending(name).description, message: message)
    }

    private func value(_ name: String) -> TOMLValue? {
        table[name]?.tomlValue
    }

    func string(_ name: String) throws(ConfigError) -> String? {
        guard let value = value(name) else { return nil }
        guard let string = value.string else { throw error(name, "expected a string, not \(describe(value))") }
        return string
    }

    func bool(_ name: String) throws(ConfigError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard let bool = value.bool else { throw error(name, "expected true or false, not \(describe(value))") }
        return bool
    }

    func int(_ name: String) throws(ConfigError) -> Int? {
        guard let value = value(name) else { return nil }
        guard let int = value.int else { throw error(name, "expected an integer, not \(describe(value))") }
        return int
    }

    func strings(_ name: String) throws(ConfigError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard let array = value.array else {
            throw error(name, "expected an array of strings, not \(describe(value))")
        }
        var strings: [String] = []
        for index in array.indices {
            let element = array[index].tomlValue
            guard let string = element.string else {
                throw ConfigError(source: source, key: key.appending(name).appending(index: index).description,
                                  message: "expected a string, not \(describe(element))")
            }
            strings.append(string)
        }
        return strings
    }

    func duration(_ name: String) throws(ConfigError) -> Duration? {
        guard let value = value(name) else { return nil }
        guard let text = value.string else {
            throw error(name, "expected a duration such as \"10s\", \"500ms\" or \"1m30s\", not \(describe(value))")
        }
        guard let duration = DurationText.parse(text) else { throw error(name, "\(quoted(text)) is not a duration") }
        return duration
    }

    /// The sub-table `name`, read with its own set of known keys.
    func table(_ name: String, known: Set<String>) throws(ConfigError) -> TableReader? {
        guard let value = value(name) else { return nil }
        guard let table = value.table else { throw error(name, "expected a table, not \(describe(value))") }
        return try TableReader(table, at: key.appending(name), source: source, known: known)
    }

    /// The sub-table `name` whose keys are names the user chooses (runtimes, registry hosts): each
    /// value must itself be a table, read with `known` keys.
    func namedTables(_ name: String, known: Set<String>) throws(ConfigError) -> [(name: String, reader: TableReader)]? {
        guard let value = value(name) else { return nil }
        guard let table = value.table else { throw error(name, "expected a table, not \(describe(value))") }
        let outer = key.appending(name)
        var result: [(name: String, reader: TableReader)] = []
        for entry in table.keys.sorted() {
            let inner = table[entry]!.tomlValue
            guard let innerTable = inner.table else {
                throw ConfigError(source: source, key: outer.appending(entry).description,
                                  message: "expected a table, not \(describe(inner))")
            }
            result.append((entry, try TableReader(innerTable, at: outer.appending(entry), source: source, known: known)))
        }
        return result
    }
}

/// A value as a message shows it: scalars as written, containers by kind.
func describe(_ value: TOMLValue) -> String {
    switch value.type {
    case .string: quoted(value.string ?? "")
    case .int: String(value.int ?? 0)
    case .double: String(value.double ?? 0)
    case .bool: String(value.bool ?? false)
    case .table: "a table"
    case .array: "an array"
    case .date, .time, .dateTime: "a \(value.type)"
    }
}
