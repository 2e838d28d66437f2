import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("Process: argv, environment, working directory")
struct ProcessTests {
    struct ArgvCase: Sendable, CustomTestStringConvertible {
        var name: String
        var command: [String]
        var args: [String]
        var entrypoint: [String]?
        var cmd: [String]?
        var expected: [String]?
        var testDescription: String { name }
    }

    static let argvCases: [ArgvCase] = [
        ArgvCase(name: "image only", command: [], args: [], entrypoint: ["/bin/app"], cmd: ["--serve"],
                 expected: ["/bin/app", "--serve"]),
        ArgvCase(name: "request command replaces both", command: ["/bin/sh", "-c"], args: ["echo hi"],
                 entrypoint: ["/bin/app"], cmd: ["--serve"], expected: ["/bin/sh", "-c", "echo hi"]),
        ArgvCase(name: "command without args drops image cmd", command: ["/bin/true"], args: [],
                 entrypoint: ["/bin/app"], cmd: ["--serve"], expected: ["/bin/true"]),
        ArgvCase(name: "args replace cmd, keep entrypoint", command: [], args: ["--debug"],
                 entrypoint: ["/bin/app"], cmd: ["--serve"], expected: ["/bin/app", "--debug"]),
        ArgvCase(name: "args without entrypoint", command: [], args: ["/bin/ls", "-l"],
                 entrypoint: nil, cmd: ["/bin/sh"], expected: ["/bin/ls", "-l"]),
        ArgvCase(name: "cmd only", command: [], args: [], entrypoint: nil, cmd: ["/bin/sh"], expected: ["/bin/sh"]),
        ArgvCase(name: "empty-string entrypoint means none", command: [], args: [], entrypoint: [""],
                 cmd: ["/bin/sh"], expected: ["/bin/sh"]),
        ArgvCase(name: "nothing at all", command: [], args: [], entrypoint: nil, cmd: nil, expected: nil),
        ArgvCase(name: "empty-string entrypoint and no cmd", command: [], args: [], entrypoint: [""], cmd: [],
                 expected: nil),
    ]

    @Test(arguments: argvCases)
    func argv(_ test: ArgvCase) throws {
        let input = makeInput(image: ImageExecutionConfig(entrypoint: test.entrypoint, cmd: test.cmd)) {
            $0.command = test.command
            $0.args = test.args
        }
        if let expected = test.expected {
            #expect(try spec(input).process?.args == expected)
        } else {
            let error = specError { try makeContainerSpec(input) }
            #expect(error == .invalidArgument("no command specified: the request has no command or args and the image no entrypoint or cmd"))
        }
    }

    @Test func environmentMergesByName() throws {
        let input = makeInput(image: ImageExecutionConfig(env: ["PATH=/opt/bin", "LANG=C", "MODE=image"], cmd: ["x"])) {
            $0.envs = [keyValue("MODE", "request"), keyValue("EXTRA", "1"), keyValue("LANG", "C.UTF-8")]
        }
        #expect(try spec(input).process?.env == [
            "PATH=/opt/bin", "HOSTNAME=web", "LANG=C.UTF-8", "MODE=request", "EXTRA=1",
        ])
    }

    @Test func defaultPathAndNodeHostname() throws {
        let input = makeInput(image: ImageExecutionConfig(cmd: ["x"]), sandbox: { $0.hostname = "" })
        #expect(try spec(input).process?.env == [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=node-1",
        ])
    }

    @Test func requestVariableOverridesHostname() throws {
        let input = makeInput { $0.envs = [keyValue("HOSTNAME", "mine")] }
        let env = try spec(input).process?.env ?? []
        #expect(env.filter { $0.hasPrefix("HOSTNAME=") } == ["HOSTNAME=mine"])
    }

    @Test(arguments: [
        ("/srv", "/app", "/srv"),
        ("", "/app", "/app"),
        ("", "", "/"),
        ("", "relative", "/relative"),
    ])
    func workingDirectory(request: String, image: String, expected: String) throws {
        let input = makeInput(image: ImageExecutionConfig(cmd: ["x"], workingDir: image)) { $0.workingDir = request }
        #expect(try spec(input).process?.cwd == expected)
    }

    @Test(arguments: [true, false])
    func terminalFollowsTTY(_ tty: Bool) throws {
        let input = makeInput { $0.tty = tty }
        #expect(try spec(input).process?.terminal == tty)
    }

    @Test func rlimitsDefaultToContainerdsSpec() throws {
        #expect(try spec(makeInput()).process?.rlimits == [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        var input = makeInput()
        input.rlimits = []
        #expect(try spec(input).process?.rlimits == nil)
    }

    @Test(arguments: [
        (Int64(0), -999, 0),
        (Int64(-998), -999, -998),
        (Int64(-1000), -999, -999),
        (Int64(500), 0, 500),
        (Int64(-500), 0, 0),
        (Int64(1000), 200, 1000),
    ])
    func oomScoreAdjNeverBelowTheDaemons(requested: Int64, daemon: Int, expected: Int) throws {
        var input = makeInput { $0.linux.resources.oomScoreAdj = requested }
        input.daemonOOMScoreAdj = daemon
        #expect(try spec(input).process?.oomScoreAdj == expected)
    }

    @Test func execProcessKeepsTheContainersIdentity() throws {
        let input = makeInput {
            $0.linux.securityContext.runAsUser = int64Value(1000)
            $0.linux.securityContext.noNewPrivs = true
            $0.workingDir = "/srv"
            $0.tty = true
        }
        let container = try spec(input)
        let exec = makeExecProcess(container: container, command: ["/bin/sh", "-c", "id"], terminal: false)
        #expect(exec.args == ["/bin/sh", "-c", "id"])
        #expect(exec.terminal == false)
        #expect(exec.user == container.process?.user)
        #expect(exec.env == container.process?.env)
        #expect(exec.cwd == "/srv")
        #expect(exec.capabilities == container.process?.capabilities)
        #expect(exec.noNewPrivileges == true)
        #expect(exec.apparmorProfile == container.process?.apparmorProfile)
    }
}
