#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCISpec

/// A seccomp profile from a JSON file on the host: the OCI form (`names`) or Docker's
/// (`name`, `archMap`, `includes`/`excludes` by capability and architecture). Every name is
/// checked against libseccomp here, so a bad profile fails CreateContainer with the syscall
/// named instead of failing later inside runc.
public enum LocalhostSeccompProfile {
    public static func load(path: String, field: String, capabilities: [String],
                            isKnown: (String) -> Bool = SyscallNames.isKnown) throws(SpecError) -> LinuxSeccomp {
        let bytes: [UInt8]
        switch HostFiles.read(path).mapError(SpecFailure.init) {
        case .success(let content): bytes = content
        case .failure(.missing(let reason)): throw .notFound("\(field) \(quoted(path)): \(reason)")
        case .failure(.unusable(let reason)): throw .invalidArgument("\(field) \(quoted(path)): \(reason)")
        }
        return try decode(bytes, field: "\(field) \(quoted(path))", capabilities: capabilities, isKnown: isKnown)
    }

    public static func decode(_ bytes: [UInt8], field: String, capabilities: [String],
                              isKnown: (String) -> Bool = SyscallNames.isKnown) throws(SpecError) -> LinuxSeccomp {
        let file: ProfileFile
        do {
            file = try JSONDecoder().decode(ProfileFile.self, from: Data(bytes))
        } catch {
            throw .invalidArgument("\(field): not a seccomp profile (\(describe(error)))")
        }
        try check(action: file.defaultAction, field: "\(field): defaultAction")

        var architectures = file.architectures ?? []
        if architectures.isEmpty, let map = file.archMap {
            architectures = map.flatMap { [$0.architecture] + ($0.subArchitectures ?? []) }
        }
        for architecture in architectures where !knownArchitectures.contains(architecture) {
            throw .invalidArgument("\(field): unknown architecture \(quoted(architecture))")
        }
        for flag in file.flags ?? [] where !knownFlags.contains(flag) {
            throw .invalidArgument("\(field): unknown flag \(quoted(flag))")
        }

        var syscalls: [LinuxSyscall] = []
        for (index, rule) in (file.syscalls ?? []).enumerated() {
            let ruleField = "\(field): syscalls[\(index)]"
            let names = (rule.names ?? []) + (rule.name.map { [$0] } ?? [])
            guard !names.isEmpty else { throw .invalidArgument("\(ruleField): no syscall names") }
            for name in names where !isKnown(name) {
                throw .invalidArgument("\(ruleField): unknown syscall \(quoted(name))")
            }
            try check(action: rule.action, field: "\(ruleField).action")
            for argument in rule.args ?? [] where !knownOperators.contains(argument.op) {
                throw .invalidArgument("\(ruleField): unknown operator \(quoted(argument.op))")
            }
            guard applies(rule, capabilities: capabilities) else { continue }
            syscalls.append(LinuxSyscall(names: names, action: rule.action, errnoRet: rule.errnoRet,
                                         args: rule.args?.map { LinuxSeccompArg(index: $0.index, value: $0.value,
                                                                                valueTwo: $0.valueTwo, op: $0.op) }))
        }
        return LinuxSeccomp(defaultAction: file.defaultAction, defaultErrnoRet: file.defaultErrnoRet,
                            architectures: architectures.isEmpty ? nil : architectures,
                            flags: file.flags, listenerPath: file.listenerPath,
                            syscalls: syscalls.isEmpty ? nil : syscalls)
    }

    /// Docker's conditions: every capability in `includes` granted, none in `excludes`, and the
    /// host's architecture (amd64) listed or not as they ask. `minKernel` is not checked.
    private static func applies(_ rule: ProfileFile.Rule, capabilities: [String]) -> Bool {
        let granted = Set(capabilities)
        let architecture = "amd64"
        if let includes = rule.includes {
            if let caps = includes.caps, !caps.allSatisfy(granted.contains) { return false }
            if let arches = includes.arches, !arches.isEmpty, !arches.contains(architecture) { return false }
        }
        if let excludes = rule.excludes {
            if let caps = excludes.caps, caps.contains(where: granted.contains) { return false }
            if let arches = excludes.arches, arches.contains(architecture) { return false }
        }
        return true
    }

    private static func check(action: String, field: String) throws(SpecError) {
        guard knownActions.contains(action) else { throw .invalidArgument("\(field) \(quoted(action)): unknown action") }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context): context.debugDescription
        default: "\(error)"
        }
    }

    static let knownActions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    static let knownOperators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]
    static let knownFlags: Set<String> = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]
    static let knownArchitectures: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
        "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]
}

/// The file as written; only what the runtime uses is read, other keys are ignored.
private struct ProfileFile: Decodable {
    struct ArchMap: Decodable {
        var architecture: String
        var subArchitectures: [String]?
    }

    struct Condition: Decodable {
        var caps: [String]?
        var arches: [String]?
    }

    struct Argument: Decodable {
        var index: UInt
        var value: UInt64
        var valueTwo: UInt64?
        var op: String
    }

    struct Rule: Decodable {
        var names: [String]?
        var name: String?
        var action: String
        var errnoRet: UInt32?
        var args: [Argument]?
        var includes: Condition?
        var excludes: Condition?
    }

    var defaultAction: String
    var defaultErrnoRet: UInt32?
    var architectures: [String]?
    var archMap: [ArchMap]?
    var flags: [String]?
    var listenerPath: String?
    var syscalls: [Rule]?
}
