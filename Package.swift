// swift-tools-version:6.2
import PackageDescription

// The shim runs once per pod, so it links the Swift runtime statically and pulls in
// nothing heavier than SwiftProtobuf (without its Foundation traits).
// Statically linked FoundationEssentials (pulled in by SwiftProtobuf) needs its helper
// archives named after it: the toolchain's static link line lists them too early.
let staticShimFlags = ["-static-executable", "-use-ld=lld"] + ["FoundationEssentials", "_FoundationCollections", "_FoundationCShims"]
    .flatMap { ["-Xlinker", "-l\($0)"] }

// corrald and corralctl carry the Swift runtime and Foundation too, so that a node needs no
// toolchain: the same helper archives, ICU's after the Foundation that uses it.
let staticStdlibFlags = ["-static-stdlib", "-use-ld=lld"]
    + ["Foundation", "CoreFoundation", "FoundationInternationalization", "_FoundationICU", "FoundationEssentials",
       "_FoundationCollections", "_FoundationCShims", "swiftDispatch", "dispatch", "BlocksRuntime", "stdc++"]
    .flatMap { ["-Xlinker", "-l\($0)"] }

let package = Package(
    name: "Corral",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "corrald", targets: ["corrald"]),
        .executable(name: "corral-shim", targets: ["corral-shim"]),
        .executable(name: "corralctl", targets: ["corralctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The daemon's side only: the shim links none of these.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.38.0"),
    ],
    targets: [
        // System layer: C for what Swift cannot import, Swift names over it.
        .target(name: "CCorral", path: "Sources/CCorral"),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CorralSystem", dependencies: ["CCorral"], path: "Sources/CorralSystem"),
        // tar archives written member by member (image export, checkpoint archives).
        .target(name: "CorralTar", dependencies: ["CorralSystem"], path: "Sources/CorralTar"),
        // libsystemd with Swift names (notify, socket activation, journal); the daemon's side only.
        .target(name: "CorralSystemd", dependencies: ["CSystemd"], path: "Sources/CorralSystemd"),

        // The wire protocol: codec (no I/O), transport over unix sockets, the shim API.
        .target(name: "TTRPCWire",
                dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "protocol/Wire"),
        .target(name: "TTRPC",
                dependencies: ["TTRPCWire", "CorralSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "protocol/Transport"),
        .target(name: "ShimAPI",
                dependencies: ["TTRPC", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "protocol/ShimAPI"),

        // JSON without Foundation, for what the shim reads and writes (CNI, runc, OCI, its state files).
        .target(name: "CorralJSON", path: "Sources/CorralJSON"),
        // The daemon–shim contract beside the wire: protocol version, bootstrap record, state files.
        .target(name: "ShimContract", dependencies: ["CorralSystem", "CorralJSON"], path: "protocol/Contract"),

        // corral-shim
        .target(name: "ShimIO", dependencies: ["CorralSystem"], path: "shim/Sources/ShimIO"),
        .target(name: "ShimCgroups", dependencies: ["CorralSystem", "CCorral"], path: "shim/Sources/ShimCgroups"),
        .target(name: "ShimNetwork", dependencies: ["CorralSystem", "CorralJSON"], path: "shim/Sources/ShimNetwork"),
        .target(name: "CorralShim",
                dependencies: ["ShimAPI", "ShimContract", "TTRPC", "CorralSystem", "CorralJSON", "CorralTar", "ShimIO",
                               "ShimNetwork", "ShimCgroups", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "shim/Sources/CorralShim"),
        .executableTarget(name: "corral-shim", dependencies: ["CorralShim"], path: "shim/main",
                          linkerSettings: [.unsafeFlags(staticShimFlags)]),

        // The CRI: messages alone (spec generation and stores need only these), then the gRPC stubs.
        .target(name: "CRIAPI", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "protocol/CRIAPI"),
        .target(name: "CRIGRPC",
                dependencies: ["CRIAPI", .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")],
                path: "protocol/CRIGRPC"),

        // corrald's admin services beside the CRI (image import/export), for corralctl.
        .target(name: "AdminAPI",
                dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")],
                path: "protocol/AdminAPI"),

        // OCI runtime-spec and image-spec models (Codable; the daemon's side).
        .target(name: "OCISpec", path: "Sources/OCISpec"),

        // corrald
        .target(name: "CorralConfig", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")],
                path: "daemon/Sources/CorralConfig"),
        .target(name: "CorralStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
                path: "daemon/Sources/CorralStore"),
        .target(name: "CorralSpec", dependencies: ["CRIAPI", "OCISpec", "CSeccomp", "CorralSystem"],
                path: "daemon/Sources/CorralSpec"),
        // The OCI distribution client (endpoints and mirrors, TLS, auth, retries) and the words it
        // shares with the store: references, digests, image errors.
        .target(name: "CorralRegistry",
                dependencies: ["OCISpec", "CorralSystem",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "Logging", package: "swift-log")],
                path: "daemon/Sources/CorralRegistry"),
        // The image store: content, layer extraction, snapshots, import/export; pulls through CorralRegistry.
        .target(name: "CorralImages",
                dependencies: ["CorralRegistry", "OCISpec", "CorralSystem", "CorralTar", "CorralConfig", "CZlib", "CZstd",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Metrics", package: "swift-metrics")],
                path: "daemon/Sources/CorralImages"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CorralDaemon",
                dependencies: ["ShimAPI", "ShimContract", "TTRPC", "CorralSystem", "CorralSystemd", "CRIAPI", "CRIGRPC", "AdminAPI", "OCISpec",
                               "CorralConfig", "CorralStore", "CorralSpec", "CorralRegistry", "CorralImages", "CorralStreaming",
                               .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                               .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Metrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                               .product(name: "NIOHPACK", package: "swift-nio-http2"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "daemon/Sources/CorralDaemon"),
        .executableTarget(name: "corrald", dependencies: ["CorralDaemon"], path: "daemon/main",
                          linkerSettings: [.unsafeFlags(staticStdlibFlags)]),

        // kubelet's streaming server (exec, attach, port-forward over SPDY/3.1 and WebSocket).
        .target(name: "CorralStreaming",
                dependencies: ["CZlib", "CorralSystem", "CorralJSON",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOWebSocket", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "Logging", package: "swift-log")],
                path: "daemon/Sources/CorralStreaming"),

        // corralctl
        .target(name: "CorralCtl",
                dependencies: ["ShimAPI", "ShimContract", "TTRPC", "CorralSystem", "CRIAPI", "CRIGRPC", "AdminAPI", "CorralConfig", "CSeccomp",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Sources/CorralCtl"),
        .executableTarget(name: "corralctl", dependencies: ["CorralCtl"], path: "Sources/corralctl",
                          linkerSettings: [.unsafeFlags(staticStdlibFlags)]),

        // Benchmarks (bench/): pods through the shim protocol, next to bare runc.
        .executableTarget(name: "corral-bench",
                          dependencies: ["ShimAPI", "ShimContract", "TTRPC", "CorralSystem", "ShimNetwork",
                                         .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                          path: "bench/corral-bench"),

        // bench/cri-latency: a persistent CRI client timing kubelet's calls, against corrald or containerd.
        // What both CRI benches share: progress on stderr, their cgroup parent's cleanup.
        .target(name: "BenchSupport", path: "bench/Support"),
        // What the CRI benches share of the CRI: a connection held as kubelet holds it, image calls,
        // the server's CPU time and memory.
        .target(name: "BenchCRIClient",
                dependencies: ["CRIAPI", "CRIGRPC",
                               .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport")],
                path: "bench/CRIClient"),
        .executableTarget(name: "corral-cri-bench",
                          dependencies: ["CRIAPI", "CRIGRPC", "BenchSupport", "BenchCRIClient",
                                         .product(name: "GRPCCore", package: "grpc-swift-2"),
                                         .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "bench/cri-latency/Sources"),

        // bench/pull: cold image pulls (big, many layers, many at once) against corrald or containerd,
        // of images it builds and pushes to the lab registry itself.
        .executableTarget(name: "corral-pull-bench",
                          dependencies: ["CRIAPI", "BenchSupport", "BenchCRIClient", "CorralTar", "CorralSystem",
                                         .product(name: "Crypto", package: "swift-crypto"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "bench/pull/Sources"),

        // bench/stream: exec round trips and port-forward throughput through a CRI streaming server.
        .executableTarget(name: "corral-stream-bench",
                          dependencies: ["CRIAPI", "CRIGRPC", "CorralStreaming", "CZlib", "BenchSupport", "StreamingTestSupport",
                                         .product(name: "GRPCCore", package: "grpc-swift-2"),
                                         .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                                         .product(name: "NIOCore", package: "swift-nio"),
                                         .product(name: "NIOPosix", package: "swift-nio"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "bench/stream/Sources"),

        // Tests
        .testTarget(name: "TTRPCWireTests",
                    dependencies: ["TTRPCWire", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/TTRPCWireTests"),
        .testTarget(name: "TTRPCTests",
                    dependencies: ["TTRPC", "ShimAPI", "CorralSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/TTRPCTests"),
        .testTarget(name: "CorralSystemTests", dependencies: ["CorralSystem", "CSeccomp", "CSystemd"],
                    path: "Tests/CorralSystemTests"),
        .testTarget(name: "CorralJSONTests", dependencies: ["CorralJSON"], path: "Tests/CorralJSONTests"),
        .testTarget(name: "CorralTarTests", dependencies: ["CorralTar", "CorralSystem", "TestSupport"], path: "Tests/CorralTarTests"),
        .testTarget(name: "ShimIOTests", dependencies: ["ShimIO", "CorralSystem", "TestSupport"], path: "Tests/ShimIOTests"),
        .testTarget(name: "ShimNetworkTests", dependencies: ["ShimNetwork", "CorralJSON", "CorralSystem", "TestSupport"],
                    path: "Tests/ShimNetworkTests"),
        .testTarget(name: "ShimCgroupsTests", dependencies: ["ShimCgroups", "CorralSystem", "TestSupport"], path: "Tests/ShimCgroupsTests"),
        .testTarget(name: "CorralCtlTests", dependencies: ["CorralCtl", "CorralSystem"], path: "Tests/CorralCtlTests"),
        .testTarget(name: "CorralConfigTests", dependencies: ["CorralConfig"], path: "Tests/CorralConfigTests"),
        .testTarget(name: "CorralStoreTests", dependencies: ["CorralStore", "TestSupport"], path: "Tests/CorralStoreTests"),
        .testTarget(name: "CorralSpecTests", dependencies: ["CorralSpec", "CRIAPI", "OCISpec", "TestSupport"], path: "Tests/CorralSpecTests"),
        .testTarget(name: "CorralImagesTests", dependencies: ["CorralImages", "CorralRegistry", "OCISpec", "CorralSystem", "TestSupport"],
                    path: "Tests/CorralImagesTests"),
        // What several test targets share: temporary directories.
        .target(name: "TestSupport", dependencies: ["CorralSystem"], path: "Tests/TestSupport"),
        // What the daemon's unit and integration tests share of the CRI: container events as lines.
        .target(name: "CRITestSupport", dependencies: ["CRIAPI"], path: "Tests/CRITestSupport"),
        // SPDY/3.1 and WebSocket clients written apart from the server, for the tests that stream.
        .target(name: "StreamingTestSupport",
                dependencies: ["CorralStreaming", "CZlib",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOWebSocket", package: "swift-nio")],
                path: "Tests/StreamingTestSupport"),
        .testTarget(name: "CorralStreamingTests",
                    dependencies: ["CorralStreaming", "StreamingTestSupport", "CorralSystem",
                                   .product(name: "Logging", package: "swift-log")],
                    path: "Tests/CorralStreamingTests"),
        .testTarget(name: "DaemonIntegrationTests",
                    dependencies: ["CRIAPI", "CRIGRPC", "AdminAPI", "CorralSystem", "CorralRegistry", "CorralImages", "StreamingTestSupport",
                                   "CRITestSupport", "ShimAPI", "ShimCgroups", "ShimContract", "TTRPC", "TestSupport",
                                   .product(name: "Crypto", package: "swift-crypto"),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "GRPCCore", package: "grpc-swift-2"),
                                   .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport")],
                    path: "Tests/DaemonIntegrationTests"),
        .testTarget(name: "ShimIntegrationTests",
                    dependencies: ["ShimAPI", "ShimContract", "TTRPC", "CorralSystem", "CorralJSON", "CorralShim", "CorralSpec", "OCISpec",
                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/ShimIntegrationTests"),
        .testTarget(name: "CorralDaemonTests",
                    dependencies: ["CorralDaemon", "CorralImages", "CorralRegistry", "CorralSpec", "CorralSystem", "CRIAPI", "OCISpec", "ShimAPI",
                                   "TTRPC", "TestSupport", "CRITestSupport", .product(name: "Logging", package: "swift-log"),
                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/CorralDaemonTests"),
        .testTarget(name: "ShimContractTests", dependencies: ["ShimContract", "CorralJSON", "CorralSystem", "TestSupport"],
                    path: "Tests/ShimContractTests"),
    ],
    swiftLanguageModes: [.v6]
)
