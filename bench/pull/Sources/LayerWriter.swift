import CorralSystem
import CorralTar
import Foundation

/// Writes one layer of a recipe into a layout's blob directory: a tar of the Debian files
/// and random files it calls for, compressed with the host's gzip or zstd as image builders
/// do (gzip -6, zstd -3).
struct LayerWriter {
    struct Written: Sendable {
        var mediaType: String
        var digest: String
        var size: Int
        /// sha256 of the uncompressed tar.
        var diffID: String
        var uncompressedSize: Int
    }

    var layout: LayoutWriter

    func write(_ recipe: LayerRecipe, debian: [DebianFiles.File], scratch: String) throws -> Written {
        let tarPath = scratch + "/layer-\(recipe.seed).tar"
        defer { try? FileManager.default.removeItem(atPath: tarPath) }
        try writeTar(recipe, debian: debian, to: tarPath)
        let diffID = try FileDigest.sha256(path: tarPath)
        let uncompressed = try FileDigest.size(path: tarPath)

        let compressedPath = tarPath + "." + recipe.compression.rawValue
        defer { try? FileManager.default.removeItem(atPath: compressedPath) }
        switch recipe.compression {
        case .gzip: try Tool.run("/usr/bin/gzip", ["-n", "-6", "-c", tarPath], stdout: compressedPath)
        case .zstd: try Tool.run("/usr/bin/zstd", ["-3", "-q", "-c", "-T1", tarPath], stdout: compressedPath)
        }
        let (digest, size) = try layout.addBlob(file: compressedPath)
        let mediaType = recipe.compression == .gzip
            ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar+zstd"
        return Written(mediaType: mediaType, digest: digest, size: size, diffID: diffID, uncompressedSize: uncompressed)
    }

    private func writeTar(_ recipe: LayerRecipe, debian: [DebianFiles.File], to path: String) throws {
        let output = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        defer { output.close() }
        let tar = TarWriter(output)
        // Parent directories first, each once, as `tar -c` of a tree lists them.
        var directories = Set<String>()
        func parents(_ name: String) throws {
            var prefix = ""
            for component in name.split(separator: "/").dropLast() {
                prefix += (prefix.isEmpty ? "" : "/") + component
                if directories.insert(prefix).inserted { try tar.directory(prefix) }
            }
        }
        for file in debian {
            let name = String(file.path.drop { $0 == "/" })
            try parents(name)
            try tar.file(name, copying: file.path, size: file.size, mode: file.mode & 0o7777)
        }
        var random = RandomBytes(seed: recipe.seed)
        var written = 0
        var index = 0
        while written < recipe.randomBytes {
            let size = min(random.size(64 << 10, 4 << 20), recipe.randomBytes - written)
            let name = "opt/corralbench/\(recipe.seed)/\(index).bin"
            try parents(name)
            try tar.file(name, bytes: random.bytes(size))
            written += size
            index += 1
        }
        try tar.finish()
    }
}
