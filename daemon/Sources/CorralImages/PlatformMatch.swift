import CorralSystem
import OCISpec

/// The platform images are chosen for: linux and this machine's architecture, in the
/// image-spec's (Go's) spelling.
struct PlatformMatch: Sendable, Equatable {
    var os: String
    var architecture: String
    var variant: String?

    static let host: PlatformMatch = {
        PlatformMatch(machine: HostInfo.machine())
    }()

    init(os: String = "linux", architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    init(machine: String) {
        switch machine {
        case "x86_64", "amd64": self.init(architecture: "amd64")
        case "aarch64", "arm64": self.init(architecture: "arm64", variant: "v8")
        case "armv7l", "armv7": self.init(architecture: "arm", variant: "v7")
        case "armv6l": self.init(architecture: "arm", variant: "v6")
        case "i386", "i686": self.init(architecture: "386")
        case "ppc64le": self.init(architecture: "ppc64le")
        case "s390x": self.init(architecture: "s390x")
        case "riscv64": self.init(architecture: "riscv64")
        default: self.init(architecture: machine)
        }
    }

    var description: String {
        os + "/" + architecture + (variant.map { "/" + $0 } ?? "")
    }

    /// How well a descriptor's platform fits: nil when not at all, higher is better.
    func score(_ platform: Platform?) -> Int? {
        guard let platform else { return nil }
        guard platform.os == os, platform.architecture == architecture else { return nil }
        if platform.variant == variant { return 2 }
        // arm64 images rarely name v8; amd64 variants (v2, v3) are refinements we can't check.
        if platform.variant == nil || variant == nil { return 1 }
        return nil
    }

    /// The best manifest of an index for this platform.
    func select(from index: ImageIndex) -> Descriptor? {
        var best: (Descriptor, Int)?
        for descriptor in index.manifests where MediaType.isManifest(descriptor.mediaType) || MediaType.isIndex(descriptor.mediaType) {
            if let score = score(descriptor.platform), score > (best?.1 ?? 0) {
                best = (descriptor, score)
            }
        }
        return best?.0
    }
}
