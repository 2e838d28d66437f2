import CorralSystem
import Testing

/// What a node without the Swift toolchain can run: corrald and corralctl load only libraries
/// that Debian packages install (under /lib or /usr/lib), none from the toolchain's directory.
@Suite("binaries a node runs without the toolchain", .enabled(if: FileSystem.exists("/usr/bin/ldd")))
struct NodeBinaryTests {
    @Test("corrald and corralctl load no library from the toolchain", arguments: ["corrald", "corralctl"])
    func loadsOnlySystemLibraries(binary: String) async throws {
        let path = DaemonFixture.binDir + "/" + binary
        try #require(FileSystem.exists(path), "\(path) is not built")
        let listing = try await Command.run("/usr/bin/ldd", arguments: [path]).stdoutText
        let libraries = listing.split(separator: "\n").compactMap { line -> String? in
            guard let arrow = line.range(of: "=> ") else { return nil }
            return String(line[arrow.upperBound...].prefix { $0 != " " })
        }
        #expect(!libraries.isEmpty, "ldd listed nothing: \(listing)")
        let foreign = libraries.filter { !$0.hasPrefix("/lib/") && !$0.hasPrefix("/usr/lib/") }
        #expect(foreign == [], "\(binary) loads \(foreign)")
        #expect(!listing.contains("libswift") && !listing.contains("libFoundation"), "\(listing)")
    }
}
