import CorralSystem

/// Where `RegistryRepository.fetchBlob` streams a blob's bytes: the content store's writer,
/// which hashes what it takes and keeps it only once its owner commits it verified.
package protocol BlobSink: AnyObject {
    /// Bytes taken so far: where a resumed download asks the server to start.
    var written: Int64 { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError)
    /// Drops everything taken, for a server that answered from the start instead of resuming.
    func reset() throws(SystemError)
}
