import CorralJSON
import CorralSystem

/// Runs CNI plugins for one pod the way containerd's CRI does through go-cni and libcni.
///
/// Nothing is cached on disk here: ADD returns the result, and the caller (the shim, which
/// owns the pod's state dir) keeps it and hands it back to CHECK and DEL.
public struct CNIClient: Sendable {
    public static let defaultBinDirectories = ["/opt/cni/bin", "/usr/lib/cni"]

    public var binDirectories: [String]
    /// Collects plugin exit statuses; the shim passes its reaper's, so no second waitpid races it.
    public let waiter: ChildWaiter
    /// How long one plugin run may take before it (and whatever it started) is killed and the
    /// command fails; nil: as long as it takes.
    public var pluginTimeLimit: Duration?

    public init(binDirectories: [String] = CNIClient.defaultBinDirectories, pluginTimeLimit: Duration? = nil,
                waiter: ChildWaiter = .blocking) {
        self.binDirectories = binDirectories
        self.pluginTimeLimit = pluginTimeLimit
        self.waiter = waiter
    }

    /// Runs ADD for each plugin in order, each seeing the previous one's result. If any plugin
    /// fails, DEL runs for the whole list before the error is thrown, so a failed pod leaves
    /// no interface, address or rule behind.
    public func add(network: CNINetworkList, pod: CNIPodNetwork) async throws(CNIError) -> CNIResult {
        try validate(pod)
        var previous: JSONValue?
        do throws(CNIError) {
            for plugin in network.plugins {
                let stdout = try await run("ADD", plugin, network: network, pod: pod, netns: pod.netnsPath, prevResult: previous)
                // A plugin that prints nothing passes the chain's result on unchanged.
                guard !String(decoding: stdout, as: UTF8.self).trimmingWhitespace.isEmpty else { continue }
                do {
                    previous = try JSONValue(parsing: stdout)
                } catch {
                    throw CNIError(.invalidResult, "unreadable result: \(error)", plugin: plugin.type, command: "ADD")
                }
            }
            return try CNIResult(json: previous ?? .object([:]))
        } catch {
            var failure = error
            // Like containerd after a failed setup: no cached result exists yet, so DEL runs
            // without one. A plugin that cannot be found set nothing up, so its absence is no
            // cleanup failure.
            do {
                try await deleteEach(network: network, pod: pod, result: nil, skippingMissingPlugins: true)
            } catch {
                failure.cleanupFailure = error.description
            }
            throw failure
        }
    }

    /// Runs CHECK for each plugin in order against the result ADD returned. Returns false,
    /// having run nothing, when the list predates CHECK (cniVersion < 0.4.0) or disables it.
    @discardableResult
    public func check(network: CNINetworkList, pod: CNIPodNetwork, result: CNIResult) async throws(CNIError) -> Bool {
        guard CNIVersion(network.cniVersion) >= .checkAndCachedDelete, !network.disableCheck else { return false }
        try validate(pod)
        for plugin in network.plugins {
            _ = try await run("CHECK", plugin, network: network, pod: pod, netns: pod.netnsPath, prevResult: result.raw)
        }
        return true
    }

    /// Runs DEL for each plugin in reverse order. Safe to repeat: plugins treat what is already
    /// gone as deleted, and a namespace that is no longer pinned is passed as empty (as
    /// containerd does), so the plugins still release addresses and host-side state.
    ///
    /// Unlike libcni, a failing plugin does not stop the others: one broken plugin must not
    /// strand the state of the rest. The first failure is thrown once all have run.
    public func delete(network: CNINetworkList, pod: CNIPodNetwork, result: CNIResult?) async throws(CNIError) {
        try await deleteEach(network: network, pod: pod, result: result, skippingMissingPlugins: false)
    }

    private func deleteEach(network: CNINetworkList, pod: CNIPodNetwork, result: CNIResult?,
                            skippingMissingPlugins: Bool) async throws(CNIError) {
        try validate(pod)
        let netns = NetworkNamespacePath.isNamespace(pod.netnsPath) ? pod.netnsPath : ""
        let prevResult = CNIVersion(network.cniVersion) >= .checkAndCachedDelete ? result?.raw : nil
        var failure: CNIError?
        for plugin in network.plugins.reversed() {
            do {
                _ = try await run("DEL", plugin, network: network, pod: pod, netns: netns, prevResult: prevResult)
            } catch {
                if !(skippingMissingPlugins && error.kind == .pluginNotFound) { failure = failure ?? error }
            }
        }
        if let failure { throw failure }
    }

    /// Brings `lo` up in the pod's namespace with the loopback plugin, as go-cni does first.
    public func setUpLoopback(pod: CNIPodNetwork) async throws(CNIError) {
        var loopback = pod
        loopback.interfaceName = "lo"
        _ = try await add(network: .loopback, pod: loopback)
    }

    public func tearDownLoopback(pod: CNIPodNetwork) async throws(CNIError) {
        var loopback = pod
        loopback.interfaceName = "lo"
        try await delete(network: .loopback, pod: loopback, result: nil)
    }

    /// The pod's whole network: loopback and the network list at the same time, as go-cni's
    /// Setup attaches its networks (they touch different interfaces), which takes a plugin's
    /// start-up off a pod's start. If loopback fails, the network list is deleted again before
    /// the failure is thrown; a failed list has deleted itself. `lo` left up in a namespace
    /// the failed sandbox releases needs no undoing.
    public func setUp(network: CNINetworkList, pod: CNIPodNetwork) async throws(CNIError) -> CNIResult {
        async let loopbackFailure: CNIError? = {
            do throws(CNIError) { try await setUpLoopback(pod: pod); return nil } catch { return error }
        }()
        let result: Result<CNIResult, CNIError>
        do throws(CNIError) { result = .success(try await add(network: network, pod: pod)) } catch { result = .failure(error) }
        guard var failure = await loopbackFailure else { return try result.get() }
        if case .success(let added) = result {
            do { try await delete(network: network, pod: pod, result: added) } catch { failure.cleanupFailure = error.description }
        }
        throw failure
    }

    /// Undoes `setUp`. Both parts run even if the first fails; the first failure is thrown.
    public func tearDown(network: CNINetworkList, pod: CNIPodNetwork, result: CNIResult?) async throws(CNIError) {
        try await tearDown(networks: [(network, result)], pod: pod)
    }

    /// A pod on several networks (containerd's `max_conf_num`): `networks[i]` as `eth<i>`, the
    /// first with loopback at the same time, the rest in order after it. If one fails, those
    /// already up are deleted again before the failure is thrown. The results are in order.
    public func setUp(networks: [CNINetworkList], pod: CNIPodNetwork) async throws(CNIError) -> [CNIResult] {
        guard let first = networks.first else { return [] }
        var results = [try await setUp(network: first, pod: Self.attachment(0, of: pod))]
        for (index, network) in networks.enumerated().dropFirst() {
            do throws(CNIError) {
                results.append(try await add(network: network, pod: Self.attachment(index, of: pod)))
            } catch {
                var failure = error
                let up = Array(zip(networks, results.map(Optional.some)))
                do { try await tearDown(networks: up, pod: pod) } catch { failure.cleanupFailure = error.description }
                throw failure
            }
        }
        return results
    }

    /// Undoes `setUp(networks:pod:)`, the last network first; every network and loopback are
    /// deleted even if one fails, and the first failure is thrown.
    public func tearDown(networks: [(network: CNINetworkList, result: CNIResult?)], pod: CNIPodNetwork) async throws(CNIError) {
        var failure: CNIError?
        for (index, attached) in networks.enumerated().reversed() {
            do {
                try await delete(network: attached.network, pod: Self.attachment(index, of: pod), result: attached.result)
            } catch {
                failure = failure ?? error
            }
        }
        do { try await tearDownLoopback(pod: pod) } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// The pod as its `index`th network sees it: interface eth<index>, as go-cni names them;
    /// the capability arguments are the same for every network, as go-cni passes them.
    public static func attachment(_ index: Int, of pod: CNIPodNetwork) -> CNIPodNetwork {
        guard index > 0 else { return pod }
        var other = pod
        other.interfaceName = interfaceName(ofNetwork: index)
        return other
    }

    public static func interfaceName(ofNetwork index: Int) -> String { "eth\(index)" }

    /// The path of the plugin binary for `type`, searched in the bin dirs in order.
    public func pluginPath(for type: String) throws(CNIError) -> String {
        try CNIPluginInvocation.find(type, in: binDirectories)
    }

    private func run(_ command: String, _ plugin: CNIPluginConfig, network: CNINetworkList, pod: CNIPodNetwork,
                     netns: String, prevResult: JSONValue?) async throws(CNIError) -> [UInt8] {
        let input = plugin.input(network: network, prevResult: prevResult, capabilityArguments: pod.capabilityArguments)
        let invocation = CNIPluginInvocation(command: command, plugin: plugin, stdin: input, containerID: pod.containerID,
                                             netns: netns, interfaceName: pod.interfaceName, cniArgs: pod.cniArgs)
        return try await invocation.run(binDirectories: binDirectories, timeLimit: pluginTimeLimit, waiter: waiter)
    }

    /// The checks libcni makes before running anything, so a bad request fails with our words
    /// rather than a plugin's: ids match [a-zA-Z0-9][a-zA-Z0-9_.-]*, interface names are
    /// what the kernel accepts.
    private func validate(_ pod: CNIPodNetwork) throws(CNIError) {
        let isAlphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let id = pod.containerID
        guard let first = id.first, isAlphanumeric(first),
              id.allSatisfy({ isAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" })
        else { throw CNIError(.configuration, "invalid container id \"\(id)\"") }
        let name = pod.interfaceName
        guard !name.isEmpty, name.utf8.count <= 15, name != ".", name != "..",
              !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace })
        else { throw CNIError(.configuration, "invalid interface name \"\(name)\"") }
    }
}
