// swift-tools-version:6.2
import PackageDescription

// The shim runs once per pod, so it links the Swift runtime statically and pulls in
// nothing heavier than SwiftProtobuf (without its Foundation traits).
// Statically linked FoundationEssentials (pulled in by SwiftProtobuf) needs its helper
// archives named after it: the toolchain's static link line lists them too early.
let staticShimFlags = ["-static-executable", "-use-ld=lld"] + ["FoundationEssentials", "_FoundationCollections", "_FoundationCShims"]
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
    ],
    targets: [
        // System layer: C for what Swift cannot import, Swift names over it.
        .target(name: "CCorral", path: "Sources/CCorral"),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CorralSystem", dependencies: ["CCorral"], path: "Sources/CorralSystem"),

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

        // JSON without Foundation, for what the shim reads and writes (CNI, runc, OCI).
        .target(name: "CorralJSON", path: "Sources/CorralJSON"),

        // corral-shim
        .target(name: "ShimIO", dependencies: ["CorralSystem"], path: "shim/Sources/ShimIO"),
        .target(name: "ShimCgroups", dependencies: ["CorralSystem", "CCorral"], path: "shim/Sources/ShimCgroups"),
        .target(name: "ShimNetwork", dependencies: ["CorralSystem", "CorralJSON"], path: "shim/Sources/ShimNetwork"),
        .target(name: "CorralShim",
                dependencies: ["ShimAPI", "TTRPC", "CorralSystem", "CorralJSON", "ShimIO", "ShimNetwork", "ShimCgroups",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                path: "shim/Sources/CorralShim"),
        .executableTarget(name: "corral-shim", dependencies: ["CorralShim"], path: "shim/main",
                          linkerSettings: [.unsafeFlags(staticShimFlags)]),

        // corrald
        .target(name: "CorralDaemon", dependencies: ["ShimAPI", "TTRPC", "CorralSystem", "CSystemd"],
                path: "daemon/Sources/CorralDaemon"),
        .executableTarget(name: "corrald", dependencies: ["CorralDaemon"], path: "daemon/main"),

        // corralctl
        .target(name: "CorralCtl",
                dependencies: ["ShimAPI", "TTRPC", "CorralSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Sources/CorralCtl"),
        .executableTarget(name: "corralctl", dependencies: ["CorralCtl"], path: "Sources/corralctl"),

        // Benchmarks (bench/): pods through the shim protocol, next to bare runc.
        .executableTarget(name: "corral-bench",
                          dependencies: ["ShimAPI", "TTRPC", "CorralSystem", "ShimNetwork", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                          path: "bench/corral-bench"),

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
        .testTarget(name: "ShimIOTests", dependencies: ["ShimIO", "CorralSystem"], path: "Tests/ShimIOTests"),
        .testTarget(name: "ShimNetworkTests", dependencies: ["ShimNetwork", "CorralJSON", "CorralSystem"],
                    path: "Tests/ShimNetworkTests"),
        .testTarget(name: "ShimCgroupsTests", dependencies: ["ShimCgroups", "CorralSystem"], path: "Tests/ShimCgroupsTests"),
        .testTarget(name: "ShimIntegrationTests",
                    dependencies: ["ShimAPI", "TTRPC", "CorralSystem", "CorralShim",
                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/ShimIntegrationTests"),
    ],
    swiftLanguageModes: [.v6]
)
