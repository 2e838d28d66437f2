import ArgumentParser
import CRIAPI
import CorralSystem

/// `corralctl pods`: the pod sandboxes corrald knows, as `crictl pods` lists them.
struct PodsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pods", abstract: "List pod sandboxes, newest first.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var cri: CRIOptions

    @Option(help: "Only pods whose name matches this regular expression.")
    var name: String?

    @Option(help: "Only pods whose namespace matches this regular expression.")
    var namespace: String?

    /// `--state`, shared with the global state dir (see `GlobalOptions.stateFilter`).
    var state: PodStateOption? { try? global.stateFilter(PodStateOption.self) }

    @Option(help: "Only pods with this label, KEY=VALUE (repeatable; all must match).")
    var label: [String] = []

    @Option(help: "Only the pod with this id or unique id prefix.")
    var id: String?

    @Flag(name: .shortAndLong, help: "Only print pod ids.")
    var quiet = false

    @Flag(help: "Show whole ids.")
    var noTrunc = false

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func run() async throws {
        let names = try NameFilter(name)
        let namespaces = try NameFilter(namespace)
        let selector = try LabelSelector.parse(label)
        let request = Runtime_V1_ListPodSandboxRequest.with {
            $0.filter.labelSelector = selector
            if let state { $0.filter.state.state = state.state }
            if let id { $0.filter.id = id }
        }
        let pods = try await CRIConnection(global.daemon, cri).run { cri in
            try await cri.runtime.listPodSandbox(request, options: cri.options).items
        }.filter { names.matches($0.metadata.name) && namespaces.matches($0.metadata.namespace) }
            .sorted { $0.createdAt > $1.createdAt }

        if quiet {
            pods.forEach { print($0.id) }
        } else if output == .json {
            try print(JSONOutput.text(["items": pods.map(Self.json)]))
        } else {
            print(PodRow.table(pods.map(PodRow.init), nowNanos: Int64(Clock.wallNanos), wholeIDs: noTrunc))
        }
    }

    func validate() throws {
        _ = try LabelSelector.parse(label)
        _ = try global.stateFilter(PodStateOption.self)
    }

    static func json(_ pod: Runtime_V1_PodSandbox) throws -> [String: Any] {
        try JSONOutput.object(pod, filling: [(["state"], pod.state.jsonName), (["metadata", "attempt"], 0)])
    }
}

/// One line of `corralctl pods`.
struct PodRow: Equatable {
    var id: String
    var createdAtNanos: Int64
    var state: String
    var name: String
    var namespace: String
    var attempt: UInt32
    var runtime: String

    init(id: String, createdAtNanos: Int64, state: String, name: String, namespace: String, attempt: UInt32, runtime: String) {
        self.id = id
        self.createdAtNanos = createdAtNanos
        self.state = state
        self.name = name
        self.namespace = namespace
        self.attempt = attempt
        self.runtime = runtime
    }

    init(_ pod: Runtime_V1_PodSandbox) {
        self.init(id: pod.id, createdAtNanos: pod.createdAt, state: pod.state.word, name: pod.metadata.name,
                  namespace: pod.metadata.namespace, attempt: pod.metadata.attempt,
                  runtime: pod.runtimeHandler.isEmpty ? "(default)" : pod.runtimeHandler)
    }

    static func table(_ rows: [PodRow], nowNanos: Int64, wholeIDs: Bool = false) -> String {
        let header = ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]
        return Table.columns([header] + rows.map {
            [ShortID.truncate($0.id, keepWhole: wholeIDs), Human.age(createdAtNanos: $0.createdAtNanos, nowNanos: nowNanos),
             $0.state, $0.name, $0.namespace, "\($0.attempt)", $0.runtime]
        })
    }
}
