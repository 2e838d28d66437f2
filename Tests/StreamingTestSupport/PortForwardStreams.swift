/// One forwarded connection as client-go's port forwarder opens it: an error stream (closed at
/// once on the client's side), then a data stream, both naming the port and the request.
public func openPortForwardPair(_ client: SPDYTestClient, port: Int, requestID: Int) async throws
    -> (data: ClientStream, error: ClientStream) {
    let error = try await client.openStream([("streamType", "error"), ("port", "\(port)"), ("requestID", "\(requestID)")])
    try await error.close()
    let data = try await client.openStream([("streamType", "data"), ("port", "\(port)"), ("requestID", "\(requestID)")])
    return (data, error)
}
