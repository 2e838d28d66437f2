import CorralSystem
import Dispatch
import Synchronization
import TTRPCWire

#if canImport(Glibc)
import Glibc
#endif

/// A ttrpc server on a unix socket.
///
/// Only peers whose uid is in `allowedUIDs` are served (root alone by default); others are
/// disconnected before a byte is read. Each request runs as its own task; a deadline sent as
/// timeout_nano is enforced here too, answering DEADLINE_EXCEEDED even if the handler is stuck.
public final class Server: Sendable {
    public let path: String
    public let allowedUIDs: Set<UInt32>
    private let services: [String: Service]
    private let state = Mutex(ServerState())
    private let queue = DispatchQueue(label: "ttrpc.accept")
    private let log: @Sendable (String) -> Void
    private let onCall: @Sendable (CallRecord) -> Void

    /// One finished call, for a debug view of recent RPCs.
    public struct CallRecord: Sendable {
        public let service: String
        public let method: String
        public let code: StatusCode
        public let durationNanos: UInt64
        public let finishedAtWallNanos: UInt64
    }

    struct ServerState {
        var listener: FileDescriptor?
        var source: ReadSource?
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        var stopped = false
    }

    public init(path: String, services: [Service], allowedUIDs: Set<UInt32> = [0],
                log: @escaping @Sendable (String) -> Void = { _ in },
                onCall: @escaping @Sendable (CallRecord) -> Void = { _ in }) {
        self.path = path
        self.services = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.allowedUIDs = allowedUIDs
        self.log = log
        self.onCall = onCall
    }

    /// As deep a listen queue as the kernel allows (net.core.somaxconn caps it): a burst of
    /// connections from a misbehaving local client must not push out the daemon's.
    static let backlog: Int32 = 4096

    /// Binds the socket (mode 0600) and starts accepting. A stale socket file is replaced.
    public func start() throws(SystemError) {
        FileSystem.remove(path)
        let listener = try UnixSocket.listen(path: path, mode: 0o600, backlog: Self.backlog)
        UnixSocket.setNonBlocking(listener)
        let source = DispatchSource.makeReadSource(fileDescriptor: listener.rawValue, queue: queue)
        source.setEventHandler { [self] in acceptPending(listener) }
        source.setCancelHandler { listener.close() }
        state.withLock {
            $0.listener = listener
            $0.source = ReadSource(source)
        }
        source.resume()
    }

    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops accepting, drops every connection and removes the socket file.
    public func stop() {
        let (source, connections) = state.withLock { s in
            s.stopped = true
            let result = (s.source, Array(s.connections.values))
            s.source = nil
            s.listener = nil
            return result
        }
        source?.source.cancel()
        FileSystem.remove(path)
        connections.forEach { $0.close() }
    }

    private func acceptPending(_ listener: FileDescriptor) {
        while true {
            let accepted: FileDescriptor?
            do {
                accepted = try UnixSocket.accept(listener)
            } catch {
                log("accept failed: \(error)")
                if error.errno == EMFILE || error.errno == ENFILE { pauseAccepting() }
                return
            }
            guard let fd = accepted else { return }
            guard let peer = try? UnixSocket.peerCredentials(fd), allowedUIDs.contains(peer.uid) else {
                let who = (try? UnixSocket.peerCredentials(fd)).map { "uid \($0.uid) pid \($0.pid)" } ?? "unknown peer"
                log("refused connection from \(who): not in the allowed uids")
                fd.close()
                continue
            }
            let connection = ServerConnection(fd: fd, peer: peer, services: services, log: log, onCall: onCall)
            let id = ObjectIdentifier(connection)
            let kept = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.connections[id] = connection
                return true
            }
            guard kept else {
                fd.close()
                return
            }
            connection.start { [weak self] in
                _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
            }
        }
    }

    /// Out of descriptors, the pending connection stays queued and the listener stays readable:
    /// accepting again at once would spin. A moment later some may have closed.
    private func pauseAccepting() {
        guard let source = state.withLock({ $0.source }) else { return }
        source.source.suspend()
        queue.asyncAfter(deadline: .now() + .milliseconds(100)) { source.source.resume() }
    }
}
