import CSeccomp
import CorralSystem
import OCISpec
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A spec's seccomp filter compiled to BPF with libseccomp, the way runc compiles it, for the
/// shim to load into the processes it execs in the container (the shim carries no compiler).
public enum SeccompProgram {
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    /// Compiling the default profile takes libseccomp about 13 ms, on every CreateContainer of a
    /// node where kubelet defaults to RuntimeDefault; the few profiles a node uses are kept.
    private static let cache = Mutex<[(profile: LinuxSeccomp, program: [UInt8])]>([])
    private static let cacheSize = 16

    /// `compile`, from the cache when the same profile was compiled before.
    public static func compiled(_ profile: LinuxSeccomp) throws(Unsupported) -> [UInt8] {
        if let known = cache.withLock({ $0.first { $0.profile == profile }?.program }) { return known }
        let program = try compile(profile)
        cache.withLock {
            $0.insert((profile, program), at: 0)
            if $0.count > cacheSize { $0.removeLast() }
        }
        return program
    }

    /// The BPF instructions (struct sock_filter, 8 bytes each).
    public static func compile(_ profile: LinuxSeccomp) throws(Unsupported) -> [UInt8] {
        guard let defaultAction = action(profile.defaultAction, errno: profile.defaultErrnoRet) else {
            throw Unsupported(description: "default action \(profile.defaultAction)")
        }
        guard let context = seccomp_init(defaultAction) else { throw Unsupported(description: "seccomp_init failed") }
        defer { seccomp_release(context) }
        for name in profile.architectures ?? [] {
            let short = name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst("SCMP_ARCH_".count)).lowercased() : name
            let architecture = seccomp_arch_resolve_name(short)
            guard architecture != 0 else { throw Unsupported(description: "architecture \(name)") }
            let rc = seccomp_arch_add(context, architecture)
            guard rc == 0 || rc == -EEXIST else { throw Unsupported(description: "architecture \(name): \(-rc)") }
        }
        for rule in profile.syscalls ?? [] {
            guard let ruleAction = action(rule.action, errno: rule.errnoRet) else {
                throw Unsupported(description: "action \(rule.action)")
            }
            // libseccomp refuses a rule that repeats the default; runc skips it.
            if ruleAction == defaultAction { continue }
            var conditions: [scmp_arg_cmp] = []
            for argument in rule.args ?? [] {
                guard let op = comparisons[argument.op] else { throw Unsupported(description: "operator \(argument.op)") }
                conditions.append(scmp_arg_cmp(arg: UInt32(argument.index), op: scmp_compare(rawValue: op),
                                               datum_a: argument.value, datum_b: argument.valueTwo ?? 0))
            }
            // Two conditions on one argument mean either, in runc: a rule for each.
            let repeated = Set(conditions.map(\.arg)).count < conditions.count
            let groups = repeated ? conditions.map { [$0] } : [conditions]
            for name in rule.names {
                let number = seccomp_syscall_resolve_name(name)
                if number == __NR_SCMP_ERROR { continue }  // unknown here; runc skips these too
                for group in groups {
                    let rc = group.withUnsafeBufferPointer {
                        seccomp_rule_add_array(context, ruleAction, number, UInt32($0.count), $0.baseAddress)
                    }
                    guard rc == 0 else { throw Unsupported(description: "rule for \(name): \(String(cString: strerror(-rc)))") }
                }
            }
        }
        guard let scratch = tmpfile() else { throw Unsupported(description: "tmpfile: \(String(cString: strerror(errno)))") }
        defer { fclose(scratch) }
        let memory = fileno(scratch)
        let file = FileDescriptor(rawValue: memory)
        guard seccomp_export_bpf(context, memory) == 0, lseek(memory, 0, SEEK_SET) == 0 else {
            throw Unsupported(description: "seccomp_export_bpf failed")
        }
        var program: [UInt8] = []
        while let chunk = try? file.read(upTo: 65536), !chunk.isEmpty { program += chunk }
        guard !program.isEmpty else { throw Unsupported(description: "seccomp_export_bpf wrote nothing") }
        return program
    }

    private static let comparisons: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4, "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6,
        "SCMP_CMP_MASKED_EQ": 7,
    ]

    /// libseccomp's action values (its SCMP_ACT_* macros, which Swift cannot import); nil for
    /// NOTIFY, which needs a listener the shim does not have.
    static func action(_ name: String, errno: UInt32?) -> UInt32? {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": 0x0000_0000
        case "SCMP_ACT_KILL_PROCESS": 0x8000_0000
        case "SCMP_ACT_TRAP": 0x0003_0000
        case "SCMP_ACT_ERRNO": 0x0005_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)
        case "SCMP_ACT_TRACE": 0x7ff0_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)
        case "SCMP_ACT_LOG": 0x7ffc_0000
        case "SCMP_ACT_ALLOW": 0x7fff_0000
        default: nil
        }
    }
}
