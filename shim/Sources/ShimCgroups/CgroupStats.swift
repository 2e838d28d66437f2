/// One reading of a cgroup's counters. Counters a kernel or hierarchy lacks read as zero.
public struct CgroupStats: Sendable, Equatable {
    public var cpu = CPU()
    public var memory = Memory()
    public var pids = Pids()

    public init(cpu: CPU = CPU(), memory: Memory = Memory(), pids: Pids = Pids()) {
        self.cpu = cpu
        self.memory = memory
        self.pids = pids
    }

    public struct CPU: Sendable, Equatable {
        public var usageNanos: UInt64 = 0
        public var userNanos: UInt64 = 0
        public var systemNanos: UInt64 = 0
        /// CFS quota enforcement: periods elapsed, periods throttled, time throttled.
        public var periods: UInt64 = 0
        public var throttledPeriods: UInt64 = 0
        public var throttledNanos: UInt64 = 0

        public init() {}
    }

    public struct Memory: Sendable, Equatable {
        /// All memory charged, page cache included.
        public var usageBytes: UInt64 = 0
        /// What kubelet evicts on and reports: usage minus inactive file pages, never below zero.
        public var workingSetBytes: UInt64 = 0
        public var rssBytes: UInt64 = 0
        public var cacheBytes: UInt64 = 0
        public var swapBytes: UInt64 = 0
        /// nil when unlimited.
        public var limitBytes: UInt64?
        public var pageFaults: UInt64 = 0
        public var majorPageFaults: UInt64 = 0

        public init() {}

        /// What is left before the limit, as kubelet's `availableBytes`; nil when unlimited.
        public var availableBytes: UInt64? {
            limitBytes.map { $0 > workingSetBytes ? $0 - workingSetBytes : 0 }
        }
    }

    public struct Pids: Sendable, Equatable {
        public var current: UInt64 = 0
        /// nil when unlimited.
        public var limit: UInt64?

        public init() {}
    }
}
