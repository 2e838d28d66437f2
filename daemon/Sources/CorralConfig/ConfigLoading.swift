import Foundation

extension DaemonConfig {
    /// The configuration at `path`. With no path, `/etc/corral/config.toml` when it exists, else the
    /// defaults; a path given explicitly must exist.
    public static func load(path: String?) throws(ConfigError) -> DaemonConfig {
        let file = path ?? defaultPath
        guard FileManager.default.fileExists(atPath: file) else {
            if path == nil { return DaemonConfig() }
            throw ConfigError(source: file, key: "", message: "no such file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ConfigError(source: file, key: "", message: "cannot read: \((error as NSError).localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(source: file, key: "", message: "not UTF-8 text")
        }
        return try parse(text, source: file)
    }
}
