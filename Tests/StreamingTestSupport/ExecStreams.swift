/// The streams kubectl opens for an exec, in its order: error first.
public func openExecStreams(_ client: SPDYTestClient, stdin: Bool = false, stdout: Bool = true, stderr: Bool = true,
                            resize: Bool = false) async throws -> [String: ClientStream] {
    var opened: [String: ClientStream] = [:]
    for (type, wanted) in [("error", true), ("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("resize", resize)] where wanted {
        opened[type] = try await client.openStream([("streamType", type)])
    }
    return opened
}
