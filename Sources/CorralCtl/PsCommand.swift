import ArgumentParser
import CRIAPI
import CorralSystem

/// `corralctl ps`: containers, as `crictl ps` lists them (running ones unless -a or --state).
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers, newest first; running ones unless -a.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var cri: CRIOptions

    @Flag(name: .shortAndLong, help: "Show containers in every state.")
    var all = false

    @Option(help: "Only containers of the pod with this id or unique id prefix.")
    var pod: String?

    @Option(help: "Only containers whose name matches this regular expression.")
    var name: String?

    /// `--state`, shared with the global state dir (see `GlobalOptions.stateFilter`).
    var state: ContainerStateOption? { try? global.stateFilter(ContainerStateOption.self) }

    @Option(help: "Only containers with this label, KEY=VALUE (repeatable; all must match).")
    var label: [String] = []

    @Option(help: "Only the container with this id or unique id prefix.")
    var id: String?

    @Flag(name: .shortAndLong, help: "Only print container ids.")
    var quiet = false

    @Flag(help: "Show whole ids and image digests.")
    var noTrunc = false

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func validate() throws {
        _ = try LabelSelector.parse(label)
        _ = try global.stateFilter(ContainerStateOption.self)
    }

    func run() async throws {
        let names = try NameFilter(name)
        let selector = try LabelSelector.parse(label)
        let wanted = state?.state ?? (all ? nil : .containerRunning)
        let request = Runtime_V1_ListContainersRequest.with {
            $0.filter.labelSelector = selector
            if let wanted { $0.filter.state.state = wanted }
            if let pod { $0.filter.podSandboxID = pod }
            if let id { $0.filter.id = id }
        }
        let needPods = !quiet && output == .table
        let (listed, pods) = try await CRIConnection(global.daemon, cri).run { cri in
            let containers = try await cri.runtime.listContainers(request, options: cri.options).containers
            let pods = needPods ? try await cri.runtime.listPodSandbox(.init(), options: cri.options).items : []
            return (containers, pods)
        }
        let containers = listed.filter { names.matches($0.metadata.name) }.sorted { $0.createdAt > $1.createdAt }
        let podNames = Dictionary(pods.map { ($0.id, $0.metadata.name) }, uniquingKeysWith: { first, _ in first })

        if quiet {
            containers.forEach { print($0.id) }
        } else if output == .json {
            try print(JSONOutput.text(["containers": containers.map(Self.json)]))
        } else {
            let rows = containers.map { ContainerRow($0, podName: podNames[$0.podSandboxID] ?? "") }
            print(ContainerRow.table(rows, nowNanos: Int64(Clock.wallNanos), wholeIDs: noTrunc))
        }
    }

    static func json(_ container: Runtime_V1_Container) throws -> [String: Any] {
        try JSONOutput.object(container, filling: [(["state"], container.state.jsonName), (["metadata", "attempt"], 0)])
    }
}

/// One line of `corralctl ps`.
struct ContainerRow: Equatable {
    var id: String
    var image: String
    var createdAtNanos: Int64
    var state: String
    var name: String
    var attempt: UInt32
    var podID: String
    var podName: String

    init(id: String, image: String, createdAtNanos: Int64, state: String, name: String, attempt: UInt32,
         podID: String, podName: String) {
        self.id = id
        self.image = image
        self.createdAtNanos = createdAtNanos
        self.state = state
        self.name = name
        self.attempt = attempt
        self.podID = podID
        self.podName = podName
    }

    init(_ container: Runtime_V1_Container, podName: String) {
        self.init(id: container.id, image: container.image.image, createdAtNanos: container.createdAt,
                  state: container.state.word, name: container.metadata.name, attempt: container.metadata.attempt,
                  podID: container.podSandboxID, podName: podName)
    }

    /// An image named by its digest is shortened like an id; a name is shown as it is.
    static func image(_ image: String, whole: Bool) -> String {
        image.hasPrefix("sha256:") ? ShortID.truncate(image, keepWhole: whole) : image
    }

    static func table(_ rows: [ContainerRow], nowNanos: Int64, wholeIDs: Bool = false) -> String {
        let header = ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]
        return Table.columns([header] + rows.map {
            [ShortID.truncate($0.id, keepWhole: wholeIDs), image($0.image, whole: wholeIDs),
             Human.age(createdAtNanos: $0.createdAtNanos, nowNanos: nowNanos), $0.state, $0.name, "\($0.attempt)",
             ShortID.truncate($0.podID, keepWhole: wholeIDs), $0.podName]
        })
    }
}
