import CorralSystem
import Foundation

/// An OCI image layout on disk (blobs, index.json, oci-layout), written for skopeo to push.
struct LayoutWriter: Sendable {
    let path: String
    var blobs: String { path + "/blobs/sha256" }

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
    }

    /// Moves a file into the blobs; answers its digest and size.
    func addBlob(file: String) throws -> (digest: String, size: Int) {
        let digest = try FileDigest.sha256(path: file)
        let size = try FileDigest.size(path: file)
        let target = blobs + "/" + digest.dropFirst("sha256:".count)
        if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
        try FileManager.default.moveItem(atPath: file, toPath: target)
        return (digest, size)
    }

    func addBlob(bytes: [UInt8]) throws -> (digest: String, size: Int) {
        let digest = FileDigest.sha256(bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: blobs + "/" + digest.dropFirst("sha256:".count)))
        return (digest, bytes.count)
    }

    /// The config and manifest of an image of `layers` (bottom first); answers the manifest's
    /// descriptor as index.json lists it.
    func image(_ layers: [LayerWriter.Written], refName: String) throws -> String {
        let architecture = HostArchitecture.oci
        let diffIDs = layers.map { "\"\($0.diffID)\"" }.joined(separator: ",")
        let config = """
            {"architecture":"\(architecture)","os":"linux","config":{"Cmd":["/bin/sh"]},\
            "rootfs":{"type":"layers","diff_ids":[\(diffIDs)]}}
            """
        let (configDigest, configSize) = try addBlob(bytes: Array(config.utf8))
        let layerList = layers.map {
            #"{"mediaType":"\#($0.mediaType)","digest":"\#($0.digest)","size":\#($0.size)}"#
        }.joined(separator: ",")
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(configSize)},\
            "layers":[\(layerList)]}
            """
        let (manifestDigest, manifestSize) = try addBlob(bytes: Array(manifest.utf8))
        return #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifestDigest)","size":\#(manifestSize),"#
            + #""annotations":{"org.opencontainers.image.ref.name":"\#(refName)"}}"#
    }

    func index(_ manifests: [String]) throws {
        let index = #"{"schemaVersion":2,"manifests":["# + manifests.joined(separator: ",") + "]}"
        try Data(index.utf8).write(to: URL(fileURLWithPath: path + "/index.json"))
    }
}

/// The host's architecture as image configs name it.
enum HostArchitecture {
    static var oci: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
