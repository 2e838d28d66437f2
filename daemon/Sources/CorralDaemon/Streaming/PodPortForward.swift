import CorralStreaming
import CorralSystem
import NIOCore
import NIOPosix

extension ShimStreamingBackend {
    /// One forwarded connection: a socket connected to localhost:PORT inside the pod's network
    /// namespace (corrald's own for a pod on the host's network), then handed to NIO, so that
    /// its bytes move on the event loops like the client's, with back-pressure both ways.
    func portForward(podSandboxID: String, port: Int32, connection: StreamConnection) async throws {
        let sandbox = try await service.registry.sandbox(podSandboxID)
        guard sandbox.state == .sandboxReady else { throw CRIError.failedPrecondition("pod sandbox \(sandbox.id) is not ready") }
        let netns = sandbox.namespaces.network.isEmpty ? "/proc/self/ns/net" : sandbox.namespaces.network
        let socket: CorralSystem.FileDescriptor
        do {
            socket = try await BlockingWork.run { () -> Result<CorralSystem.FileDescriptor, SystemError> in
                Result { () throws(SystemError) in try Namespaces.connectToLocalhost(port: port, inNetworkNamespace: netns) }
            }.get()
        } catch {
            throw CRIError.unavailable("failed to connect to localhost:\(port) inside the network namespace of pod \(sandbox.id): \(error)")
        }
        // NIO owns the socket from here, also when this fails.
        let pod = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            // Reads of up to 256 KiB: each read is a hop to the client's connection, and a busy
            // pod fills more than NIO's default 64 KiB between two of them.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 << 10,
                                                                                   maximum: 256 << 10))
            .withConnectedSocket(socket.rawValue) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        try await pod.executeThenClose { fromPod, toPod in
            await Self.forward(fromPod: fromPod, toPod: toPod, connection: connection)
        }
    }

    /// How long a forwarded connection waits for the client's side once the pod's has ended.
    static let clientGrace = Duration.seconds(1)

    private enum ForwardedHalf {
        case fromPod, toPod, graceOver
    }

    private static func forward(fromPod: NIOAsyncChannelInboundStream<ByteBuffer>, toPod: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                                connection: StreamConnection) async {
        await withTaskGroup(of: ForwardedHalf.self) { group in
            group.addTask {
                do {
                    for try await buffer in fromPod { try await connection.outbound.write(Array(buffer.readableBytesView)) }
                } catch {
                    // The pod reset the connection, or the client's stream is gone: this half is over.
                }
                await connection.outbound.close()
                return .fromPod
            }
            group.addTask {
                for await chunk in connection.inbound {
                    do { try await toPod.write(ByteBuffer(bytes: chunk)) } catch { break }
                }
                toPod.finish()
                return .toPod
            }
            // Once the pod's side has ended, the client gets a second to end its own, then the
            // connection ends (as containerd and CRI-O do): client-go's port forwarder closes its
            // local connection, and with it its data stream, only after the error stream ended,
            // so a local client reading to end of file would otherwise wait on us for ever.
            if await group.next() == .fromPod {
                group.addTask {
                    // Cancelled: the grace is over early.
                    try? await Task.sleep(for: clientGrace)
                    return .graceOver
                }
                _ = await group.next()
                group.cancelAll()
            }
            await group.waitForAll()
        }
    }
}
