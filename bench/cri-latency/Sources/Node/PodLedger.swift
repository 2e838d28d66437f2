/// The pods a run made, each entered as soon as the runtime names it, so that whatever fails
/// afterwards can still remove them all; and the numbers of the pods still to start, handed
/// to parallel clients one at a time.
actor PodLedger {
    private var pods: [Int: BenchPod] = [:]
    private var nextIndex = 0
    private var total = 0
    private var stopped = false

    /// Hands out the numbers 0..<count to whoever asks next.
    func plan(_ count: Int) {
        nextIndex = 0
        total = count
        stopped = false
    }

    /// The next pod to start, or nil once all are handed out or a client failed.
    func claim() -> Int? {
        guard !stopped, nextIndex < total else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }

    /// After a failure: the other clients finish the pod in hand and take no more.
    func stop() { stopped = true }

    func add(_ index: Int, _ pod: BenchPod) { pods[index] = pod }

    func addContainer(_ index: Int, _ id: String) { pods[index]?.containers.append(id) }

    func remove(_ index: Int) { pods[index] = nil }

    /// Every pod, in the order of its number.
    var all: [BenchPod] { pods.keys.sorted().compactMap { pods[$0] } }

    var containerCount: Int { pods.values.reduce(0) { $0 + $1.containers.count } }
}
