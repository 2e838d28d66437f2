import ArgumentParser
import CRIAPI

/// State words as crictl prints them, and as proto3 JSON spells them (which leaves zero values out,
/// so the JSON outputs put them back).
extension Runtime_V1_PodSandboxState {
    var word: String {
        switch self {
        case .sandboxReady: "Ready"
        case .sandboxNotready: "NotReady"
        case .UNRECOGNIZED(let n): "Unknown(\(n))"
        }
    }

    var jsonName: String {
        switch self {
        case .sandboxReady: "SANDBOX_READY"
        case .sandboxNotready: "SANDBOX_NOTREADY"
        case .UNRECOGNIZED(let n): "\(n)"
        }
    }
}

extension Runtime_V1_ContainerState {
    var word: String {
        switch self {
        case .containerCreated: "Created"
        case .containerRunning: "Running"
        case .containerExited: "Exited"
        case .containerUnknown: "Unknown"
        case .UNRECOGNIZED(let n): "Unknown(\(n))"
        }
    }

    var jsonName: String {
        switch self {
        case .containerCreated: "CONTAINER_CREATED"
        case .containerRunning: "CONTAINER_RUNNING"
        case .containerExited: "CONTAINER_EXITED"
        case .containerUnknown: "CONTAINER_UNKNOWN"
        case .UNRECOGNIZED(let n): "\(n)"
        }
    }
}

/// `--state` of `corralctl pods`.
enum PodStateOption: String, ExpressibleByArgument, CaseIterable {
    case ready, notready

    var state: Runtime_V1_PodSandboxState { self == .ready ? .sandboxReady : .sandboxNotready }
}

/// `--state` of `corralctl ps`.
enum ContainerStateOption: String, ExpressibleByArgument, CaseIterable {
    case created, running, exited, unknown

    var state: Runtime_V1_ContainerState {
        switch self {
        case .created: .containerCreated
        case .running: .containerRunning
        case .exited: .containerExited
        case .unknown: .containerUnknown
        }
    }
}
