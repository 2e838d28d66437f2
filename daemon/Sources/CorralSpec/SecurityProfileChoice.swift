import CRIAPI

/// The seccomp profile a request asks for, from the SecurityProfile field or else the
/// deprecated seccomp_profile_path string. Neither set means unconfined, as containerd
/// does without an unset_seccomp_profile setting (kubelet always sends one).
enum SeccompChoice: Equatable {
    case unconfined
    case runtimeDefault
    /// An absolute host path of a JSON profile.
    case localhost(String)

    init(_ context: Runtime_V1_LinuxContainerSecurityContext) throws(SpecError) {
        let field = "linux.security_context.seccomp"
        if context.hasSeccomp {
            switch try TypedProfile(context.seccomp, field: field) {
            case .unconfined: self = .unconfined
            case .runtimeDefault: self = .runtimeDefault
            case .localhost(let reference): self = .localhost(try Self.path(reference, field: "\(field).localhost_ref"))
            }
            return
        }
        let path = context.seccompProfilePath
        switch path {
        case "", "unconfined": self = .unconfined
        case "runtime/default", "docker/default": self = .runtimeDefault
        default:
            let field = "linux.security_context.seccomp_profile_path"
            guard path.hasPrefix("localhost/") else {
                throw .invalidArgument("\(field) \(quoted(path)): expected runtime/default, docker/default, unconfined or localhost/<path>")
            }
            self = .localhost(try Self.path(path, field: field))
        }
    }

    private static func path(_ reference: String, field: String) throws(SpecError) -> String {
        let path = reference.hasPrefix("localhost/") ? String(reference.dropFirst("localhost/".count)) : reference
        guard Paths.isAbsolute(path) else {
            throw .invalidArgument("\(field) \(quoted(reference)): not an absolute path of a profile")
        }
        return path
    }
}

/// The AppArmor profile a request asks for; with neither field set, the runtime default
/// (kubernetes#51746), as containerd does.
enum AppArmorChoice: Equatable {
    case unconfined
    case runtimeDefault
    /// The name of a profile loaded on the host.
    case localhost(String)

    init(_ context: Runtime_V1_LinuxContainerSecurityContext) throws(SpecError) {
        let field = "linux.security_context.apparmor"
        if context.hasApparmor {
            switch try TypedProfile(context.apparmor, field: field) {
            case .unconfined: self = .unconfined
            case .runtimeDefault: self = .runtimeDefault
            case .localhost(let reference):
                let name = Self.trimmed(reference)
                guard !name.isEmpty else { throw .invalidArgument("\(field).localhost_ref: empty with profile type Localhost") }
                self = .localhost(name)
            }
            return
        }
        let name = context.apparmorProfile
        switch name {
        case "", "runtime/default": self = .runtimeDefault
        case "unconfined": self = .unconfined
        default:
            guard name.hasPrefix("localhost/"), !Self.trimmed(name).isEmpty else {
                throw .invalidArgument("linux.security_context.apparmor_profile \(quoted(name)): expected runtime/default, unconfined or localhost/<name>")
            }
            self = .localhost(Self.trimmed(name))
        }
    }

    private static func trimmed(_ reference: String) -> String {
        reference.hasPrefix("localhost/") ? String(reference.dropFirst("localhost/".count)) : reference
    }
}

/// A typed SecurityProfile field (seccomp or apparmor), checked the same way for both:
/// localhost_ref belongs to Localhost only, and an unknown type is refused.
private enum TypedProfile {
    case unconfined
    case runtimeDefault
    case localhost(String)

    init(_ profile: Runtime_V1_SecurityProfile, field: String) throws(SpecError) {
        if profile.profileType != .localhost && !profile.localhostRef.isEmpty {
            throw .invalidArgument("\(field).localhost_ref \(quoted(profile.localhostRef)): set for a profile type other than Localhost")
        }
        switch profile.profileType {
        case .unconfined: self = .unconfined
        case .runtimeDefault: self = .runtimeDefault
        case .localhost: self = .localhost(profile.localhostRef)
        case .UNRECOGNIZED(let value): throw .invalidArgument("\(field).profile_type: unknown value \(value)")
        }
    }
}
