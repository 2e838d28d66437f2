import ArgumentParser
import CRIAPI
import GRPCCore

/// `corralctl inspect ID`: the verbose status of a container, pod or image (tried in that order,
/// each accepting a unique id prefix), as JSON with corrald's `info` maps opened up.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container, pod or image in full, as JSON.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var cri: CRIOptions

    @Argument(help: "A container or pod id (or unique prefix), or an image name or id.")
    var id: String

    func run() async throws {
        let id = self.id
        let document = try await CRIConnection(global.daemon, cri).run { cri in
            var misses: [String] = []
            do {
                let response = try await cri.runtime.containerStatus(.with { $0.containerID = id; $0.verbose = true },
                                                                      options: cri.options)
                return try Self.document(kind: "container", status: Self.containerJSON(response.status), info: response.info)
            } catch let error as RPCError where error.code == .notFound {
                misses.append(error.message)
            }
            do {
                let response = try await cri.runtime.podSandboxStatus(.with { $0.podSandboxID = id; $0.verbose = true },
                                                                      options: cri.options)
                return try Self.document(kind: "pod", status: Self.podJSON(response.status), info: response.info)
            } catch let error as RPCError where error.code == .notFound {
                misses.append(error.message)
            }
            do {
                let response = try await cri.images.imageStatus(.with { $0.image.image = id; $0.verbose = true },
                                                                options: cri.options)
                if response.hasImage {
                    return try Self.document(kind: "image", status: JSONOutput.object(response.image, filling: []),
                                             info: response.info)
                }
            } catch let error as RPCError where error.code != .unavailable {
                misses.append(error.message)
            }
            throw NothingNamed(id: id, details: misses.filter { $0.contains("ambiguous") })
        }
        print(document)
    }

    static func document(kind: String, status: [String: Any], info: [String: String]) throws -> String {
        try JSONOutput.text(["kind": kind, "status": status, "info": JSONOutput.infoMap(info)])
    }

    static func containerJSON(_ status: Runtime_V1_ContainerStatus) throws -> [String: Any] {
        try JSONOutput.object(status, filling: [
            (["state"], status.state.jsonName), (["metadata", "attempt"], 0), (["exitCode"], 0),
            (["createdAt"], 0), (["startedAt"], 0), (["finishedAt"], 0),
        ])
    }

    static func podJSON(_ status: Runtime_V1_PodSandboxStatus) throws -> [String: Any] {
        try JSONOutput.object(status, filling: [(["state"], status.state.jsonName), (["metadata", "attempt"], 0)])
    }
}

struct NothingNamed: Error, CustomStringConvertible {
    let id: String
    let details: [String]
    var description: String {
        (["no container, pod or image \"\(id)\""] + details).joined(separator: "; ")
    }
}
