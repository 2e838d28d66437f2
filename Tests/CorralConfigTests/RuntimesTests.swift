@testable import CorralConfig
import Testing

@Suite("runtimes: order and default")
struct RuntimesTests {
    private func parse(_ toml: String) throws -> DaemonConfig {
        try DaemonConfig.parse(toml, source: "test")
    }

    @Test func theFilesOrderIsKeptAndTheFirstIsTheDefault() throws {
        let config = try parse("""
            [runtimes.zeta]
            path = "runc"
            [runtimes.alpha]
            path = "crun"
            [runtimes.mid]
            path = "/usr/local/bin/youki"
            """)
        #expect(config.runtimes.names == ["zeta", "alpha", "mid"])
        #expect(config.runtimes.map(\.name) == ["zeta", "alpha", "mid"])
        #expect(config.defaultRuntime == "zeta")
    }

    @Test func defaultTrueWins() throws {
        let config = try parse("""
            [runtimes.runc]
            path = "runc"
            [runtimes.crun]
            path = "crun"
            default = true
            """)
        #expect(config.runtimes.names == ["runc", "crun"])
        #expect(config.defaultRuntime == "crun")
    }

    @Test func onlyOneDefault() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse("""
                [runtimes.runc]
                path = "runc"
                default = true
                [runtimes.crun]
                path = "crun"
                default = true
                """)
        }
        #expect(error.key == "runtimes.crun.default")
    }

    @Test func noRuntimesMeansRuncAndCrun() throws {
        #expect(try parse("").runtimes == .standard)
        #expect(try parse("[runtimes]").runtimes == .standard)
        #expect(try parse("").defaultRuntime == "runc")
    }

    @Test func orderFromDottedKeysAndQuotedNames() throws {
        let config = try parse("""
            [runtimes]
            "kata" = { path = "kata-runtime" }
            gvisor.path = "runsc"
            [runtimes."runc"]
            path = "runc"
            """)
        #expect(config.runtimes.names == ["kata", "gvisor", "runc"])
    }

    @Test func anInlineTableFallsBackToNameOrder() throws {
        let config = try parse("runtimes = { runc = { path = \"runc\" }, crun = { path = \"crun\" } }")
        #expect(config.runtimes.names == ["crun", "runc"])
    }

    @Test func multilineStringsDoNotConfuseTheScan() {
        let text = #"""
            [other]
            note = """
            [runtimes.fake]
            """
            [runtimes.b]
            path = "b"
            [runtimes.a]
            path = "a"
            """#
        #expect(KeyOrder.subkeys(of: ["runtimes"], in: text) == ["b", "a"])
    }

    @Test func editingRuntimes() {
        var runtimes = DaemonConfig.Runtimes.standard
        runtimes["youki"] = .init(path: "youki")
        #expect(runtimes.names == ["runc", "crun", "youki"])
        runtimes["runc"] = nil
        #expect(runtimes.names == ["crun", "youki"])
        #expect(runtimes.defaultName == "crun")
        runtimes["youki"]?.isDefault = true
        #expect(runtimes.defaultName == "youki")
        #expect(runtimes.count == 2)
    }
}
