import CorralImages

/// What creating and removing a container takes of the image store: the image, the container's
/// rootfs over its layers, and files read from it (/etc/passwd, /etc/group). `ImageStore` on the
/// host; a fake in the daemon's unit tests.
protocol ContainerImages: Sendable {
    func image(_ reference: String) -> Image?
    func prepareRootfs(containerID: String, image: Image) throws -> RootfsMount
    func readFile(_ path: String, in image: Image) -> [UInt8]?
    func removeRootfs(containerID: String)
    /// Every container that has a writable layer here, recorded or not.
    func containersWithRootfs() -> [String]
}

extension ImageStore: ContainerImages {}
