import ArgumentParser
import CRIAPI

/// `corralctl info`: who answers on the CRI socket, whether it is ready, and how it is configured
/// (Version, verbose Status and RuntimeConfig).
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "corrald's version, readiness conditions, cgroup driver and settings.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var cri: CRIOptions

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func run() async throws {
        let report = try await CRIConnection(global.daemon, cri).run { cri in
            let version = try await cri.runtime.version(.init(), options: cri.options)
            let status = try await cri.runtime.status(.with { $0.verbose = true }, options: cri.options)
            // RuntimeConfig is recent in the CRI; a runtime without it still has the rest to say.
            let config = try? await cri.runtime.runtimeConfig(.init(), options: cri.options)
            return RuntimeReport(version: version, status: status, runtimeConfig: config)
        }
        switch output {
        case .json: print(try report.json())
        case .table: print(report.table())
        }
    }
}

/// What `corralctl info` shows.
struct RuntimeReport: Sendable {
    var version: Runtime_V1_VersionResponse
    var status: Runtime_V1_StatusResponse
    var runtimeConfig: Runtime_V1_RuntimeConfigResponse?

    var cgroupDriver: String {
        guard let runtimeConfig else { return "unknown (no RuntimeConfig)" }
        switch runtimeConfig.linux.cgroupDriver {
        case .systemd: return "systemd"
        case .cgroupfs: return "cgroupfs"
        case .UNRECOGNIZED(let n): return "unknown (\(n))"
        }
    }

    func table() -> String {
        var pairs = [
            ("runtime", "\(version.runtimeName) \(version.runtimeVersion)"),
            ("CRI", "\(version.runtimeApiVersion) (version \(version.version))"),
            ("cgroup driver", cgroupDriver),
        ]
        for condition in status.status.conditions {
            var text = condition.status ? "true" : "false"
            if !condition.reason.isEmpty { text += " (\(condition.reason))" }
            if !condition.message.isEmpty { text += ": \(condition.message)" }
            pairs.append((condition.type, text))
        }
        var lines = [Table.render(pairs)]
        for key in status.info.keys.sorted() {
            let value = JSONOutput.parseLoosely(status.info[key]!)
            lines.append("\(key):")
            lines.append(((try? JSONOutput.text(value)) ?? status.info[key]!).split(separator: "\n")
                .map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }

    /// Conditions written out in full: proto3 JSON would drop `"status": false`, the one that matters.
    func json() throws -> String {
        var document: [String: Any] = [
            "version": [
                "version": version.version, "runtimeName": version.runtimeName,
                "runtimeVersion": version.runtimeVersion, "runtimeApiVersion": version.runtimeApiVersion,
            ],
            "status": ["conditions": status.status.conditions.map {
                ["type": $0.type, "status": $0.status, "reason": $0.reason, "message": $0.message] as [String: Any]
            }],
            "info": JSONOutput.infoMap(status.info),
        ]
        if let runtimeConfig {
            document["runtimeConfig"] = try JSONOutput.object(runtimeConfig, filling: [(["linux", "cgroupDriver"], "SYSTEMD")])
        }
        return try JSONOutput.text(document)
    }
}
