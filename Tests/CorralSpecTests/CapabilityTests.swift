import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Capabilities: containerd's default set, add/drop, ALL, privileged")
struct CapabilityTests {
    static let defaults = Capabilities.defaults

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var add: [String] = []
        var drop: [String] = []
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "defaults", expected: defaults),
        Case(name: "add one, any spelling", add: ["net_admin", "CAP_SYS_TIME", "Sys_Nice"],
             expected: defaults + ["CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_SYS_NICE"]),
        Case(name: "add one already there", add: ["CHOWN"], expected: defaults),
        Case(name: "drop some", drop: ["NET_RAW", "cap_mknod"],
             expected: defaults.filter { $0 != "CAP_NET_RAW" && $0 != "CAP_MKNOD" }),
        Case(name: "drop ALL", drop: ["ALL"], expected: []),
        Case(name: "drop ALL, add back", add: ["NET_BIND_SERVICE"], drop: ["all"], expected: ["CAP_NET_BIND_SERVICE"]),
        Case(name: "add ALL", add: ["ALL"], expected: Capabilities.known),
        Case(name: "add ALL, drop one", add: ["ALL"], drop: ["SYS_ADMIN"],
             expected: Capabilities.known.filter { $0 != "CAP_SYS_ADMIN" }),
        Case(name: "add and drop the same: dropped", add: ["NET_ADMIN"], drop: ["NET_ADMIN"], expected: defaults),
    ]

    @Test(arguments: cases)
    func sets(_ test: Case) throws {
        let input = makeInput {
            $0.linux.securityContext.capabilities.addCapabilities = test.add
            $0.linux.securityContext.capabilities.dropCapabilities = test.drop
        }
        let capabilities = try #require(try spec(input).process?.capabilities)
        #expect(capabilities.bounding == test.expected)
        #expect(capabilities.effective == test.expected)
        #expect(capabilities.permitted == test.expected)
        #expect(capabilities.inheritable == [])
        #expect(capabilities.ambient == [])
    }

    @Test func allMeansWhatTheHostHas() throws {
        var input = makeInput { $0.linux.securityContext.capabilities.addCapabilities = ["ALL"] }
        input.host.capabilities = Capabilities.known.filter { $0 != "CAP_SYS_RESOURCE" }
        let bounding = try spec(input).process?.capabilities?.bounding ?? []
        #expect(!bounding.contains("CAP_SYS_RESOURCE"))
        #expect(bounding.contains("CAP_SYS_ADMIN"))
    }

    @Test func nonRootUserGetsTheSameSetsAsContainerd() throws {
        let input = makeInput {
            $0.linux.securityContext.runAsUser = int64Value(1000)
            $0.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"]
        }
        let capabilities = try #require(try spec(input).process?.capabilities)
        #expect(capabilities.bounding == Self.defaults + ["CAP_NET_ADMIN"])
        #expect(capabilities.effective == capabilities.bounding)
        #expect(capabilities.ambient == [])
    }

    @Test func ambientCapabilitiesAreRaisedEverywhere() throws {
        let input = makeInput {
            $0.linux.securityContext.runAsUser = int64Value(1000)
            $0.linux.securityContext.capabilities.addAmbientCapabilities = ["NET_BIND_SERVICE", "NET_ADMIN"]
        }
        let capabilities = try #require(try spec(input).process?.capabilities)
        #expect(capabilities.ambient == ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"])
        #expect(capabilities.inheritable == ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"])
        #expect(capabilities.permitted?.contains("CAP_NET_ADMIN") == true)
        #expect(capabilities.bounding?.contains("CAP_NET_ADMIN") == true)
    }

    @Test(arguments: [
        ("add_capabilities", "NET_FLY"),
        ("drop_capabilities", "CAP_BOGUS"),
        ("add_ambient_capabilities", "ALL"),
    ])
    func unknownNamesAreRefused(list: String, name: String) {
        let input = makeInput {
            switch list {
            case "add_capabilities": $0.linux.securityContext.capabilities.addCapabilities = ["CHOWN", name]
            case "drop_capabilities": $0.linux.securityContext.capabilities.dropCapabilities = ["CHOWN", name]
            default: $0.linux.securityContext.capabilities.addAmbientCapabilities = ["CHOWN", name]
            }
        }
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("linux.security_context.capabilities.\(list)[1] \"\(name)\": unknown capability"))
    }

    @Test func canonicalNames() {
        #expect(Capabilities.canonical("sys_admin") == "CAP_SYS_ADMIN")
        #expect(Capabilities.canonical("CAP_SYS_ADMIN") == "CAP_SYS_ADMIN")
        #expect(Capabilities.canonical("cap_bpf") == "CAP_BPF")
        #expect(Capabilities.canonical("ALL") == nil)
        #expect(Capabilities.canonical("") == nil)
    }

    @Test func maskDecoding() {
        // This machine's CapEff: everything but CAP_SYS_RESOURCE (bit 24).
        let names = Capabilities.names(inMask: 0x1_fffe_ffffff)
        #expect(names.count == 40)
        #expect(!names.contains("CAP_SYS_RESOURCE"))
        #expect(Capabilities.names(inMask: 0b101) == ["CAP_CHOWN", "CAP_DAC_READ_SEARCH"])
    }
}
