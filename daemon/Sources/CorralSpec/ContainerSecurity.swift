import CRIAPI
import OCISpec

/// The confinement of a container beyond capabilities: seccomp, AppArmor, masked and
/// read-only /proc and /sys paths.
enum ContainerSecurity {
    /// nil for unconfined and for privileged containers, which containerd never filters.
    static func seccomp(_ context: Runtime_V1_LinuxContainerSecurityContext,
                        capabilities: [String]) throws(SpecError) -> LinuxSeccomp? {
        let choice = try SeccompChoice(context)
        if context.privileged { return nil }
        switch choice {
        case .unconfined:
            return nil
        case .runtimeDefault:
            return DefaultSeccompProfile.make(capabilities: capabilities)
        case .localhost(let path):
            let field = context.hasSeccomp ? "linux.security_context.seccomp.localhost_ref"
                                           : "linux.security_context.seccomp_profile_path"
            return try LocalhostSeccompProfile.load(path: path, field: field, capabilities: capabilities)
        }
    }

    /// The profile name for runc; nil without AppArmor on the host, where a request for a profile
    /// is accepted and has no effect.
    static func appArmorProfile(_ context: Runtime_V1_LinuxContainerSecurityContext,
                                hostHasAppArmor: Bool) throws(SpecError) -> String? {
        let choice = try AppArmorChoice(context)
        guard hostHasAppArmor else { return nil }
        switch choice {
        case .unconfined: return nil
        case .runtimeDefault: return context.privileged ? nil : AppArmor.defaultProfile
        case .localhost(let name): return name
        }
    }

    /// The request's lists, else containerd's defaults; privileged containers have none.
    static func maskedPaths(_ context: Runtime_V1_LinuxContainerSecurityContext) -> [String]? {
        if context.privileged { return nil }
        return context.maskedPaths.isEmpty ? ContainerDefaults.maskedPaths : context.maskedPaths
    }

    static func readonlyPaths(_ context: Runtime_V1_LinuxContainerSecurityContext) -> [String]? {
        if context.privileged { return nil }
        return context.readonlyPaths.isEmpty ? ContainerDefaults.readonlyPaths : context.readonlyPaths
    }
}

public enum AppArmor {
    /// The profile RuntimeDefault names on an AppArmor host; the daemon must have loaded it
    /// (containerd generates and loads its own "cri-containerd.apparmor.d").
    public static let defaultProfile = "corral-default"
}
