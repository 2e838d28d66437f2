import CRIAPI

/// The cAdvisor metrics ListPodSandboxMetrics reports, under cAdvisor's names, help texts and
/// labels, since kubelet (PodAndContainerStatsFromCRI) serves them on /metrics/cadvisor as they
/// come: the pod's network, and each running container's CPU, memory, processes, writable layer
/// and limits. Only what corrald has a reading for is listed: a descriptor kubelet registers and
/// never receives a sample of would be a series that is always missing.
enum CadvisorMetric: String, CaseIterable {
    case cpuUsageSecondsTotal = "container_cpu_usage_seconds_total"
    case cpuUserSecondsTotal = "container_cpu_user_seconds_total"
    case cpuSystemSecondsTotal = "container_cpu_system_seconds_total"
    case memoryUsageBytes = "container_memory_usage_bytes"
    case memoryWorkingSetBytes = "container_memory_working_set_bytes"
    case memoryRSS = "container_memory_rss"
    case processes = "container_processes"
    case threadsMax = "container_threads_max"
    case fsUsageBytes = "container_fs_usage_bytes"
    case fsLimitBytes = "container_fs_limit_bytes"
    case fsInodesTotal = "container_fs_inodes_total"
    case fsInodesFree = "container_fs_inodes_free"
    case networkReceiveBytesTotal = "container_network_receive_bytes_total"
    case networkReceivePacketsTotal = "container_network_receive_packets_total"
    case networkReceivePacketsDroppedTotal = "container_network_receive_packets_dropped_total"
    case networkReceiveErrorsTotal = "container_network_receive_errors_total"
    case networkTransmitBytesTotal = "container_network_transmit_bytes_total"
    case networkTransmitPacketsTotal = "container_network_transmit_packets_total"
    case networkTransmitPacketsDroppedTotal = "container_network_transmit_packets_dropped_total"
    case networkTransmitErrorsTotal = "container_network_transmit_errors_total"
    case specCPUPeriod = "container_spec_cpu_period"
    case specCPUQuota = "container_spec_cpu_quota"
    case specCPUShares = "container_spec_cpu_shares"
    case specMemoryLimitBytes = "container_spec_memory_limit_bytes"
    case startTimeSeconds = "container_start_time_seconds"
    case lastSeen = "container_last_seen"

    /// Every metric's labels start with these, in this order (containerd's); a pod's own
    /// metrics have an empty container and image, and the pod's id.
    static let baseLabels = ["pod", "namespace", "container", "id", "image"]

    static var descriptors: [Runtime_V1_MetricDescriptor] {
        allCases.map { metric in
            .with {
                $0.name = metric.rawValue
                $0.help = metric.help
                $0.labelKeys = baseLabels + metric.extraLabels
            }
        }
    }

    var extraLabels: [String] {
        switch self {
        case .networkReceiveBytesTotal, .networkReceivePacketsTotal, .networkReceivePacketsDroppedTotal,
             .networkReceiveErrorsTotal, .networkTransmitBytesTotal, .networkTransmitPacketsTotal,
             .networkTransmitPacketsDroppedTotal, .networkTransmitErrorsTotal:
            ["interface"]
        case .fsUsageBytes, .fsLimitBytes, .fsInodesTotal, .fsInodesFree:
            ["device"]
        default:
            []
        }
    }

    /// Cumulative counts (CPU time, traffic) are counters; levels, sizes and limits are gauges.
    var type: Runtime_V1_MetricType {
        switch self {
        case .cpuUsageSecondsTotal, .cpuUserSecondsTotal, .cpuSystemSecondsTotal: .counter
        default: extraLabels == ["interface"] ? .counter : .gauge
        }
    }

    var help: String {
        switch self {
        case .cpuUsageSecondsTotal: "Cumulative cpu time consumed in seconds."
        case .cpuUserSecondsTotal: "Cumulative user cpu time consumed in seconds."
        case .cpuSystemSecondsTotal: "Cumulative system cpu time consumed in seconds."
        case .memoryUsageBytes: "Current memory usage in bytes, including all memory regardless of when it was accessed"
        case .memoryWorkingSetBytes: "Current working set in bytes."
        case .memoryRSS: "Size of RSS in bytes."
        case .processes: "Number of processes running inside the container."
        case .threadsMax: "Maximum number of threads allowed inside the container, infinity if value is zero"
        case .fsUsageBytes: "Number of bytes that are consumed by the container on this filesystem."
        case .fsLimitBytes: "Number of bytes that can be consumed by the container on this filesystem."
        case .fsInodesTotal: "Number of Inodes"
        case .fsInodesFree: "Number of available Inodes"
        case .networkReceiveBytesTotal: "Cumulative count of bytes received"
        case .networkReceivePacketsTotal: "Cumulative count of packets received"
        case .networkReceivePacketsDroppedTotal: "Cumulative count of packets dropped while receiving"
        case .networkReceiveErrorsTotal: "Cumulative count of errors encountered while receiving"
        case .networkTransmitBytesTotal: "Cumulative count of bytes transmitted"
        case .networkTransmitPacketsTotal: "Cumulative count of packets transmitted"
        case .networkTransmitPacketsDroppedTotal: "Cumulative count of packets dropped while transmitting"
        case .networkTransmitErrorsTotal: "Cumulative count of errors encountered while transmitting"
        case .specCPUPeriod: "CPU period of the container."
        case .specCPUQuota: "CPU quota of the container."
        case .specCPUShares: "CPU share of the container."
        case .specMemoryLimitBytes: "Memory limit for the container."
        case .startTimeSeconds: "Start time of the container since unix epoch in seconds."
        case .lastSeen: "Last time a container was seen by the exporter"
        }
    }
}

/// The samples of one pod or container: each with its labels (the base ones, then the metric's
/// own) and the time of the reading they come from.
struct MetricSamples {
    let labels: [String]
    let timestamp: Int64
    private(set) var metrics: [Runtime_V1_Metric] = []

    init(labels: [String], timestamp: Int64) {
        self.labels = labels
        self.timestamp = timestamp
    }

    mutating func add(_ metric: CadvisorMetric, _ value: UInt64, _ extraLabels: String...) {
        metrics.append(.with {
            $0.name = metric.rawValue
            $0.timestamp = timestamp
            $0.metricType = metric.type
            $0.labelValues = labels + extraLabels
            $0.value.value = value
        })
    }

    /// The CRI carries whole numbers: seconds are whole seconds, as containerd and CRI-O send them.
    static func seconds(_ nanoseconds: UInt64) -> UInt64 { nanoseconds / 1_000_000_000 }
}
