import CorralRegistry
import OCISpec

/// The names an image in an OCI layout gets: containerd's own name annotation, else
/// `org.opencontainers.image.ref.name` (a full reference, or just a tag of `defaultName`),
/// else `defaultName` itself.
enum LayoutNames {
    static let containerdName = "io.containerd.image.name"

    static func names(for descriptor: Descriptor, defaultName: String?) throws(ImageError) -> (tags: [String], digests: [String]) {
        let annotations = descriptor.annotations ?? [:]
        var reference: ImageReference?
        if let full = annotations[containerdName] {
            reference = try ImageReference.parse(full)
        } else if let refName = annotations[ImageAnnotation.refName], !refName.isEmpty {
            if ImageReference.isTag(refName) {
                if let defaultName {
                    let base = try ImageReference.parse(defaultName)
                    reference = ImageReference(domain: base.domain, path: base.path, tag: refName, digest: nil)
                }
            } else {
                reference = try ImageReference.parse(refName)
            }
        } else if let defaultName {
            reference = try ImageReference.parse(defaultName)
        }
        guard let reference else { return ([], []) }
        let tags = reference.digest == nil ? reference.tagged.map { [$0] } ?? [] : []
        return (tags, [reference.name + "@" + descriptor.digest])
    }
}
