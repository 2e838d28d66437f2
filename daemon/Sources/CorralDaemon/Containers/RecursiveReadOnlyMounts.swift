import CorralSystem
import OCISpec

/// Recursive read-only binds (the runtime-spec's `rro` option), made so that they hold with
/// any runtime: corrald stages a copy of the host path's whole mount tree with every mount in
/// it read-only (`mount_setattr` with AT_RECURSIVE), and the runtime binds that copy. runc
/// before 1.2, Debian 12's among them, would drop the option and leave submounts writable.
enum RecursiveReadOnlyMounts {
    static let option = "rro"

    /// The staging directory of a bundle's read-only copies.
    static func directory(bundle: String) -> String { bundle + "/rro" }

    /// Stages a copy for each `rro` mount of `spec` and points the mount at it. On failure
    /// what was staged is released and the error names the mount.
    static func stage(_ spec: inout Spec, bundle: String, staging: any MountStaging) throws(CRIError) {
        guard var mounts = spec.mounts, mounts.contains(where: { $0.options?.contains(option) == true }) else { return }
        let directory = directory(bundle: bundle)
        for index in mounts.indices where mounts[index].options?.contains(option) == true {
            let target = directory + "/\(index)"
            let source = mounts[index].source ?? ""
            do {
                try staging.stageRecursiveReadOnly(source, at: target)
            } catch {
                _ = staging.release(directory)
                throw .internalError("recursive read-only mount of \(source) at \(mounts[index].destination): \(error)")
            }
            mounts[index].source = target
            mounts[index].options?.removeAll { $0 == option }
        }
        spec.mounts = mounts
    }
}
