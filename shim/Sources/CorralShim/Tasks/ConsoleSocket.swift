import CorralSystem

/// The socket runc sends a container's pty master over (`--console-socket`). runc connects and
/// sends during `create`; the message waits in the socket until the shim accepts it after.
struct ConsoleSocket: Sendable {
    let path: String
    private let listener: FileDescriptor

    init(path: String) throws(SystemError) {
        self.path = path
        listener = try UnixSocket.listen(path: path, mode: 0o600, backlog: 1)
        UnixSocket.setNonBlocking(listener)
    }

    func receiveMaster() throws(SystemError) -> FileDescriptor {
        guard let connection = try UnixSocket.accept(listener) else {
            throw SystemError("accept", "\(path): the runtime sent no terminal", errno: 61 /* ENODATA */)
        }
        defer { connection.close() }
        return try Terminal.receiveMaster(over: connection)
    }

    func close() {
        listener.close()
        FileSystem.remove(path)
    }
}
