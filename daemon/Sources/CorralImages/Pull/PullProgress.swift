import CorralRegistry
import CorralSystem
import OCISpec
import Synchronization

/// How far a pull has come, layer by layer, for a caller that shows it (`corralctl pull`); the
/// CRI's PullImage has no way to report it. Fed by the pull as bytes arrive, read at any time.
public final class PullProgress: Sendable {
    public enum State: Sendable, Equatable {
        /// Not started yet (waiting for a download slot).
        case waiting
        case downloading
        /// Downloaded and verified against its digest.
        case done
        /// In the store already: nothing to download.
        case exists
    }

    public struct Layer: Sendable, Equatable {
        public var digest: String
        public var size: Int64
        public var received: Int64
        public var state: State
    }

    private let state = Mutex<[Layer]>([])

    public init() {}

    /// The layers, in the manifest's order, as they stand now.
    public var layers: [Layer] { state.withLock { $0 } }

    func expect(_ descriptors: [Descriptor]) {
        state.withLock { layers in
            layers = descriptors.map { Layer(digest: $0.digest, size: $0.size, received: 0, state: .waiting) }
        }
    }

    func update(_ digest: String, received: Int64? = nil, _ next: State) {
        state.withLock { layers in
            for index in layers.indices where layers[index].digest == digest {
                layers[index].state = next
                if let received { layers[index].received = received }
                if next == .done || next == .exists { layers[index].received = layers[index].size }
            }
        }
    }
}

/// A blob sink that tells whoever follows the download (a pull's progress, the layer's
/// unpacking) how many bytes have arrived, after each write and after a restart from 0.
final class ObservedSink<Sink: BlobSink>: BlobSink {
    let sink: Sink
    let observe: @Sendable (Int64) -> Void

    init(_ sink: Sink, _ observe: @escaping @Sendable (Int64) -> Void) {
        self.sink = sink
        self.observe = observe
    }

    var written: Int64 { sink.written }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try sink.write(bytes)
        observe(sink.written)
    }

    func reset() throws(SystemError) {
        try sink.reset()
        observe(0)
    }
}
