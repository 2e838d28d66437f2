import CorralJSON
import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

extension CNINetworkList {
    /// The extensions go-cni reads from the conf dir.
    public static let configurationExtensions = [".conf", ".conflist", ".json"]

    /// The network the pod joins: the first file by name among *.conf, *.conflist and *.json,
    /// as containerd's CRI picks it. A .conflist is a list; the others hold one plugin and
    /// are wrapped as a list. A broken first file is an error rather than skipped, as in
    /// go-cni, so a typo does not silently move pods to another network.
    public static func load(fromDirectory directory: String) throws(CNIError) -> CNINetworkList {
        // `load(fromDirectory:count:)` returns at least one network or throws.
        try load(fromDirectory: directory, count: 1)[0]
    }

    /// The networks the pod joins: the first `count` files by name (containerd's
    /// `max_conf_num`), fewer when the directory has fewer; a broken one among them is an error.
    public static func load(fromDirectory directory: String, count: Int) throws(CNIError) -> [CNINetworkList] {
        let names: [String]
        do {
            names = try FileSystem.listDirectory(directory)
        } catch {
            throw CNIError(.configuration, "no network config found in \(directory): \(error)")
        }
        let candidates = names
            .filter { name in configurationExtensions.contains { name.hasSuffix($0) } }
            .filter { !isDirectory(directory + "/" + $0) }
            // Go's sort.Strings orders by bytes.
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !candidates.isEmpty else {
            throw CNIError(.configuration, "no network config found in \(directory)")
        }
        var networks: [CNINetworkList] = []
        for name in candidates.prefix(max(count, 1)) { networks.append(try load(file: directory + "/" + name)) }
        return networks
    }

    public static func load(file path: String) throws(CNIError) -> CNINetworkList {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: try FileSystem.readFile(path))
        } catch let error as JSONError {
            throw CNIError(.configuration, "\(path): \(error)")
        } catch {
            throw CNIError(.configuration, "\(error)")
        }
        return path.hasSuffix(".conflist")
            ? try CNINetworkList(json: json, source: path)
            : try CNINetworkList(singlePlugin: json, source: path)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
