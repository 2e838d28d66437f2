import Foundation
import OCISpec

/// Image-spec documents in and out of JSON.
package enum JSONCoding {
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(ImageError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw .invalidImage("\(what) is not valid JSON for its type: \(error)")
        }
    }

    package static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(value)) ?? Data())
    }

    /// The media type a manifest or index says it is, when it says so.
    package static func mediaType(of bytes: [UInt8]) -> String? {
        struct Probe: Decodable {
            var mediaType: String?
            var schemaVersion: Int?
            var manifests: [Descriptor]?
            var layers: [Descriptor]?
            var fsLayers: [FSLayer]?
            struct FSLayer: Decodable {}
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) else { return nil }
        if let mediaType = probe.mediaType { return mediaType }
        if probe.schemaVersion == 1 || probe.fsLayers != nil { return MediaType.dockerSchema1 }
        if probe.manifests != nil { return MediaType.ociIndex }
        if probe.layers != nil { return MediaType.ociManifest }
        return nil
    }
}
