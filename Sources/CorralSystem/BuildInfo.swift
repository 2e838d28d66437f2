/// What every Corral binary reports about itself.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let runtime: String = {
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        #if compiler(>=6.3)
        return "swift-6.3 linux/\(arch)"
        #else
        return "swift-6 linux/\(arch)"
        #endif
    }()
}

extension BuildInfo {
    /// The source revision; builds from a work tree say "dev".
    public static let revision = "dev"
}
