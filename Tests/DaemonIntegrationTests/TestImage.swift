import CorralSystem
import Crypto
import Foundation

/// An OCI image layout built from Debian's busybox-static: one gzip layer with busybox, its
/// applet links, /etc/passwd and /etc/group (with a non-root user for the user tests).
enum TestImage {
    static let name = "docker.io/library/busybox:latest"
    static let layout = "/tmp/corral-daemon-test-image"
    static var available: Bool { FileSystem.exists("/bin/busybox") }

    /// Builds the layout once per machine; later runs reuse it.
    static func prepare() throws -> String {
        if FileSystem.exists(layout + "/index.json") { return layout }
        // Suites run in parallel, and on a new machine the first of them all come here at once.
        let lock = try FileSystem.lockExclusively(layout + ".lock")
        defer { lock.close() }
        if FileSystem.exists(layout + "/index.json") { return layout }
        let work = layout + ".tmp"
        FileSystem.removeTree(work)
        let rootfs = work + "/rootfs"
        for dir in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/nobody"] {
            try FileSystem.makeDirectories(rootfs + "/" + dir, mode: 0o755)
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        let applets = try run("/bin/busybox", ["--list"]).split(separator: "\n")
        for applet in applets where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/sh\ntester:x:1234:2345::/tmp:/bin/sh\n"
            .write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\ntesters:x:2345:\nextra:x:3456:tester\n"
            .write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        _ = try run("/bin/chmod", ["1777", rootfs + "/tmp"])

        let blobs = work + "/blobs/sha256"
        try FileSystem.makeDirectories(blobs, mode: 0o755)
        _ = try run("/bin/tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", rootfs, "-cf", work + "/layer.tar", "."])
        let tar = try Data(contentsOf: URL(fileURLWithPath: work + "/layer.tar"))
        let diffID = "sha256:" + hex(SHA256.hash(data: tar))
        _ = try run("/bin/gzip", ["-n", work + "/layer.tar"])
        let gz = try Data(contentsOf: URL(fileURLWithPath: work + "/layer.tar.gz"))
        let layerDigest = try store(gz, in: blobs)

        let config = """
            {"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],\
            "Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["\(diffID)"]}}
            """
        let configDigest = try store(Data(config.utf8), in: blobs)
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.utf8.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layerDigest)","size":\(gz.count)}]}
            """
        let manifestDigest = try store(Data(manifest.utf8), in: blobs)
        let index = """
            {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "digest":"\(manifestDigest)","size":\(manifest.utf8.count),\
            "annotations":{"org.opencontainers.image.ref.name":"latest"}}]}
            """
        try index.write(toFile: work + "/index.json", atomically: true, encoding: .utf8)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: work + "/oci-layout", atomically: true, encoding: .utf8)
        FileSystem.removeTree(rootfs)
        try? FileManager.default.removeItem(atPath: work + "/layer.tar.gz")
        FileSystem.removeTree(layout)
        try FileManager.default.moveItem(atPath: work, toPath: layout)
        return layout
    }

    private static func store(_ data: Data, in blobs: String) throws -> String {
        let digest = hex(SHA256.hash(data: data))
        try data.write(to: URL(fileURLWithPath: blobs + "/" + digest))
        return "sha256:" + digest
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
