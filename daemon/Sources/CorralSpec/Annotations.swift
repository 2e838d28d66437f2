import CRIAPI

/// The annotations containerd's CRI plugin puts on a container's spec, which tools (and
/// runtimes such as gVisor or Kata) read to find the pod a container belongs to.
public enum CRIAnnotations {
    public static let containerType = "io.kubernetes.cri.container-type"
    public static let containerName = "io.kubernetes.cri.container-name"
    public static let sandboxID = "io.kubernetes.cri.sandbox-id"
    public static let sandboxName = "io.kubernetes.cri.sandbox-name"
    public static let sandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
    public static let sandboxUID = "io.kubernetes.cri.sandbox-uid"
    public static let imageName = "io.kubernetes.cri.image-name"

    /// The request's own annotations, then the CRI ones, which win on a clash.
    static func make(_ input: ContainerSpecInput) -> [String: String] {
        var annotations = input.config.annotations
        let metadata = input.sandboxConfig.metadata
        annotations[containerType] = "container"
        annotations[containerName] = input.config.metadata.name
        annotations[sandboxID] = input.sandboxID
        annotations[sandboxName] = metadata.name
        annotations[sandboxNamespace] = metadata.namespace
        annotations[sandboxUID] = metadata.uid
        annotations[imageName] = input.imageName
        return annotations
    }
}
