import ArgumentParser
@testable import CorralCtl
import Testing

@Suite("options, selectors, endpoints")
struct OptionTests {
    @Test func completionScriptsNameEveryCommand() {
        for shell in [CompletionShell.bash, .zsh] {
            let script = CorralCtlCommand.completionScript(for: shell)
            for command in ["info", "pods", "ps", "images", "pull", "inspect", "shim", "doctor"] {
                #expect(script.contains(command), "the \(shell) script lacks \(command)")
            }
        }
    }

    @Test func labelSelectorsParse() throws {
        #expect(try LabelSelector.parse([]) == [:])
        #expect(try LabelSelector.parse(["app=web", "tier=", "k=v=w"]) == ["app": "web", "tier": "", "k": "v=w"])
        #expect(try LabelSelector.parse(["app=web", "app=web"]) == ["app": "web"])
        #expect(throws: ValidationError.self) { try LabelSelector.parse(["app"]) }
        #expect(throws: ValidationError.self) { try LabelSelector.parse(["=web"]) }
        #expect(throws: ValidationError.self) { try LabelSelector.parse(["app=web", "app=db"]) }
    }

    @Test func labelSelectorsMatchEveryPair() {
        let labels = ["app": "web", "tier": "front"]
        #expect(LabelSelector.matches(labels, [:]))
        #expect(LabelSelector.matches(labels, ["app": "web"]))
        #expect(!LabelSelector.matches(labels, ["app": "web", "tier": "back"]))
        #expect(!LabelSelector.matches(labels, ["zone": ""]))
    }

    @Test func namesMatchAsRegularExpressions() throws {
        #expect(try NameFilter(nil).matches("anything"))
        #expect(try NameFilter("web").matches("my-web-1"))
        #expect(try !NameFilter("^web$").matches("my-web-1"))
        #expect(throws: ValidationError.self) { try NameFilter("(") }
    }

    @Test func endpointsAreUnixSockets() throws {
        #expect(try Endpoint.socketPath("unix:///run/corral/corral.sock") == "/run/corral/corral.sock")
        #expect(try Endpoint.socketPath("/tmp/x.sock") == "/tmp/x.sock")
        #expect(throws: ValidationError.self) { try Endpoint.socketPath("tcp://127.0.0.1:1234") }
        #expect(throws: ValidationError.self) { try Endpoint.socketPath("unix://relative.sock") }
    }

    @Test func flagsOverTheConfigFile() throws {
        let options = try GlobalOptions.parse(["--state", "/tmp/s", "--endpoint", "unix:///tmp/s/c.sock"])
        #expect(try options.resolve() == ResolvedGlobals(state: "/tmp/s", socketPath: "/tmp/s/c.sock"))
        #expect(throws: (any Error).self) { try GlobalOptions.parse(["--config", "/nonexistent/config.toml"]).resolve() }
    }

    @Test func stateIsAFilterUnlessItIsAPath() throws {
        let pods = try #require(try CorralCtlCommand.parseAsRoot(["pods", "--state", "notready"]) as? PodsCommand)
        #expect(pods.state == .notready)
        let before = try #require(try CorralCtlCommand.parseAsRoot(["--state", "ready", "pods"]) as? PodsCommand)
        #expect(before.state == .ready)
        let dir = try #require(try CorralCtlCommand.parseAsRoot(["--state", "/run/corral", "pods"]) as? PodsCommand)
        #expect(dir.state == nil)
        let ps = try #require(try CorralCtlCommand.parseAsRoot(["ps", "--state", "Exited", "-a"]) as? PsCommand)
        #expect(ps.state == .exited)
        #expect(throws: (any Error).self) { try CorralCtlCommand.parseAsRoot(["pods", "--state", "running"]) }
    }

    @Test func globalOptionsStandBeforeTheSubcommand() throws {
        let info = try #require(try CorralCtlCommand.parseAsRoot(["--endpoint", "unix:///x.sock", "info"]) as? InfoCommand)
        #expect(try info.global.daemon.socketPath() == "/x.sock")
        let images = try #require(try CorralCtlCommand.parseAsRoot(["--endpoint", "/y.sock", "images", "-q"]) as? ImagesCommand.List)
        #expect(images.quiet)
        #expect(try images.global.daemon.socketPath() == "/y.sock")
    }

    @Test func tableIsTheDefaultAndTextStillParses() throws {
        #expect(OutputFormat(argument: "text") == .table)
        #expect(OutputFormat(argument: "json") == .json)
        #expect(OutputFormat(argument: "yaml") == nil)
    }
}
