#if canImport(Glibc)
import Glibc
#endif
import CorralSystem
import Synchronization

/// Writes a container's stdout and stderr to its CRI log file, in the format kubelet and crictl
/// read: `<RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>\n` (see `LineSplitter` for
/// where records begin and end).
///
/// One lock covers the descriptor and both streams' partial lines, so records reach the file in
/// the order they were made, each inside a single write(2), and `reopen` falls between two
/// records: everything written before it is in the old (renamed) file, everything after in the new.
public final class CRILogWriter: Sendable {
    /// containerd's default `max_container_log_line_size`, which log shippers are tuned for.
    public static let defaultMaxLineLength = 16 * 1024

    public let path: String
    public let maxLineLength: Int
    /// What writing this log may cost the shim in CPU, shared by the pumps of both streams.
    public let budget: CPUBudget
    private let state: Mutex<State>

    private struct State {
        var fd: FileDescriptor?
        var stdout: LineSplitter
        var stderr: LineSplitter
        /// Where records are gathered before each write, reused from write to write.
        let storage: RecordStorage

        /// In place, so a partial line's buffer is never copied on the way.
        mutating func splitter<R>(_ stream: LogStream, _ body: (inout LineSplitter) -> R) -> R {
            switch stream {
            case .stdout: body(&stdout)
            case .stderr: body(&stderr)
            }
        }
    }

    /// Opens (creating, mode 0640 before umask, as containerd does) `path` for appending; its
    /// directory must exist, since kubelet creates it.
    public init(path: String, maxLineLength: Int = CRILogWriter.defaultMaxLineLength,
                budget: CPUBudget = CPUBudget()) throws(SystemError) {
        precondition(maxLineLength > 0, "a CRI log line limit must be positive")
        self.path = path
        self.maxLineLength = maxLineLength
        self.budget = budget
        let fd = try Self.open(path)
        let storage = RecordStorage(bytes: .allocate(byteCount: RecordBatch.storageSize(maxLineLength: maxLineLength),
                                                     alignment: 16))
        state = Mutex(State(fd: fd, stdout: LineSplitter(maxLength: maxLineLength),
                            stderr: LineSplitter(maxLength: maxLineLength), storage: storage))
    }

    deinit {
        close()
        state.withLock { $0.storage.bytes.deallocate() }
    }

    /// Logs output read from `stream`; a line without its newline yet waits for the rest.
    /// On a write error the records are dropped and the error thrown, but the line state moves
    /// on, so a caller can keep draining the container's output as containerd does.
    public func write(_ bytes: some Collection<UInt8>, stream: LogStream) throws(SystemError) {
        let result = bytes.withContiguousStorageIfAvailable { write(contiguous: $0, stream: stream) }
            ?? Array(bytes).withUnsafeBufferPointer { write(contiguous: $0, stream: stream) }
        try result.get()
    }

    /// The stream hit end of file: writes its unfinished line, as partial, the way containerd does.
    public func finish(_ stream: LogStream) throws(SystemError) {
        try state.withLock { state throws(SystemError) in
            // After close() nothing is pending: close wrote it.
            guard let fd = state.fd else { return }
            var writing = BatchWriter(fd: fd, stream: stream, storage: state.storage)
            state.splitter(stream) { splitter in splitter.finish { writing.append($0, $1, $2) } }
            try writing.flush().get()
        }
    }

    /// For kubelet's log rotation (it renames the file, then calls ReopenContainerLog): later
    /// records go to a new file at `path`. Unfinished lines stay buffered and land in the new file.
    /// If the new file cannot be opened, the old one stays in use.
    public func reopen() throws(SystemError) {
        try state.withLock { state throws(SystemError) in
            guard let old = state.fd else { throw closedError("reopen") }
            state.fd = try Self.open(path)
            old.close()
        }
    }

    /// Writes both streams' unfinished lines, then closes the file. Later writes fail with EBADF.
    public func close() {
        state.withLock { state in
            guard let fd = state.fd else { return }
            for stream in [LogStream.stdout, .stderr] {
                var writing = BatchWriter(fd: fd, stream: stream, storage: state.storage)
                state.splitter(stream) { splitter in splitter.finish { writing.append($0, $1, $2) } }
                _ = writing.flush()
            }
            fd.close()
            state.fd = nil
        }
    }

    private func write(contiguous bytes: UnsafeBufferPointer<UInt8>, stream: LogStream) -> Result<Void, SystemError> {
        state.withLock { state in
            guard let fd = state.fd else { return .failure(closedError("write")) }
            var writing = BatchWriter(fd: fd, stream: stream, storage: state.storage)
            state.splitter(stream) { splitter in splitter.feed(bytes) { writing.append($0, $1, $2) } }
            return writing.flush()
        }
    }

    private func closedError(_ call: String) -> SystemError {
        SystemError(call, path, errno: EBADF)
    }

    private static func open(_ path: String) throws(SystemError) -> FileDescriptor {
        try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o640)
    }
}

/// The writer's memory for records; only ever touched under its lock.
private struct RecordStorage: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
}

/// Fills a `RecordBatch` and writes it out whenever it is full, keeping the first error.
private struct BatchWriter {
    let fd: FileDescriptor
    var batch: RecordBatch
    var failure: SystemError?

    init(fd: FileDescriptor, stream: LogStream, storage: RecordStorage) {
        self.fd = fd
        batch = RecordBatch(stream: stream, storage: storage.bytes)
    }

    mutating func append(_ tag: RecordTag, _ head: ArraySlice<UInt8>, _ tail: UnsafeBufferPointer<UInt8>) {
        batch.append(tag, head, tail)
        if batch.isFull { writeOut() }
    }

    mutating func flush() -> Result<Void, SystemError> {
        writeOut()
        return failure.map { .failure($0) } ?? .success(())
    }

    private mutating func writeOut() {
        guard batch.count > 0 else { return }
        // write(2), not send: on the O_APPEND log one call lands as a unit, never interleaved.
        let written = Result { () throws(SystemError) in try fd.writeAll(batch.bytes, using: .write) }
        if case .failure(let error) = written, failure == nil { failure = error }
        batch.removeAll()
    }
}
