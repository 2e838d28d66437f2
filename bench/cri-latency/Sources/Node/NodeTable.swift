import BenchCRIClient
import Foundation

/// Node reports as one table: every figure of the candidate's run and, given a baseline, of the
/// baseline's with the ratio candidate/baseline; the steady state's call latencies; the targets.
enum NodeTable {
    static func render(baseline: NodeReport?, candidate: NodeReport) -> String {
        let reports = [baseline, candidate].compactMap { $0 }
        let pods = candidate.burst.pods
        var lines = [baseline.map {
            "node at \(pods) pods: \(candidate.name) (\(candidate.runtime)) / \($0.name) (\($0.runtime)); ratio = \(candidate.name)/\($0.name)"
        } ?? "node at \(pods) pods: \(candidate.name) (\(candidate.runtime)) at \(candidate.endpoint)"]
        lines.append(ReportTable.pad("figure", width)
                     + ComparisonTable.columns(reports.map { ComparisonTable.short($0.name) } + (baseline == nil ? [] : ["ratio"])))
        func row(_ label: String, _ format: String, _ figure: (NodeReport) -> Double?) {
            let cells = reports.map { figure($0).map { String(format: format, $0) } ?? "n/a" }
            let ratio = baseline.map { ComparisonTable.ratio(figure(candidate), figure($0)) }
            lines.append(ReportTable.pad(label, width) + ComparisonTable.columns(cells + (ratio.map { [$0] } ?? [])))
        }
        func count(_ value: Int) -> Double { Double(value) }

        row("burst: \(pods) pods running, \(candidate.burst.clients) clients, s", "%.2f") { $0.burst.seconds }
        row("  pod start under the burst, median ms", "%.1f") { $0.burst.podStart.summary.medianMs }
        row("  pod start under the burst, p99 ms", "%.1f") { $0.burst.podStart.summary.p99Ms }

        let window = Int(candidate.steady.cpu.seconds.rounded())
        row("steady state: CPU s a minute, all", "%.2f") { $0.steady.cpu.totalPerMinute }
        row("  CPU s over \(window) s, daemon", "%.2f") { $0.steady.cpu.daemonCPUSeconds }
        row("  CPU s over \(window) s, shims", "%.2f") { $0.steady.cpu.shimCPUSeconds }
        row("  CPU s over \(window) s, pod processes", "%.2f") { $0.steady.cpu.podProcessCPUSeconds }
        row("  processes counted", "%.0f") { count($0.steady.cpu.processes) }
        row("  of them started / ended in the window", "%.0f") { count($0.steady.cpu.appeared + $0.steady.cpu.vanished) }
        row("  ticks started over 100 ms late", "%.0f") { count($0.steady.lateTicks) }

        for (kind, usage) in [("Pss", \ServerMemory.Usage.pssKiB), ("Rss", \ServerMemory.Usage.rssKiB)] {
            row("memory at \(pods) pods, \(kind) kB, all", "%.0f") { count($0.memory.total[keyPath: usage]) }
            row("  daemon", "%.0f") { count($0.memory.daemon[keyPath: usage]) }
            row("  shims (\(reports.map { "\($0.memory.shimCount)" }.joined(separator: " / ")))", "%.0f") {
                count($0.memory.shims[keyPath: usage])
            }
            row("  pod processes (\(reports.map { "\($0.memory.podProcessCount)" }.joined(separator: " / ")))", "%.0f") {
                count($0.memory.podProcesses[keyPath: usage])
            }
        }

        row("restart: kill -9 until the daemon is gone, s", "%.3f") { $0.restart?.goneSeconds }
        row("  (then until init reaped it, left out), s", "%.3f") { $0.restart?.reapWaitSeconds }
        row("  until its socket accepts, s", "%.3f") { $0.restart?.acceptingSeconds }
        row("  until every pod and container listed, s", "%.3f") { $0.restart?.listedSeconds }
        row("  until an ExecSync into the last pod, s", "%.3f") { $0.restart?.reconciledSeconds }

        let listed = "ListContainers at \(reports.map { "\($0.list.containers)" }.joined(separator: " / "))"
        row("\(listed): server CPU µs a call", "%.0f") { $0.list.serverMicrosPerCall.map(count) }
        row("  client CPU µs a call", "%.0f") { count($0.list.clientMicrosPerCall) }
        row("  median ms over \(candidate.list.calls) calls", "%.2f") { $0.list.latency.summary.medianMs }
        row("  p99 ms", "%.2f") { $0.list.latency.summary.p99Ms }

        lines.append("")
        lines.append("kubelet's calls in the steady state (\(window) s), ms:")
        if let baseline {
            lines.append(ComparisonTable.latencyHeader(ComparisonTable.short(baseline.name), ComparisonTable.short(candidate.name)))
            for theirs in baseline.steady.calls {
                guard let mine = candidate.steady.entry(theirs.metric) else { continue }
                lines.append(ComparisonTable.latencyRow("\(theirs.metric.rawValue) (n=\(mine.summary.count))", theirs, mine))
            }
        } else {
            lines.append(ReportTable.latencyHeader)
            for entry in candidate.steady.calls { lines.append(ReportTable.latencyRow(entry.metric.rawValue, entry)) }
        }
        for report in reports where !report.steady.unimplemented.isEmpty {
            lines.append("\(report.name) answered UNIMPLEMENTED to \(report.steady.unimplemented.joined(separator: ", "))")
        }
        if candidate.steady.calls.contains(where: \.summary.p99IsMax) {
            lines.append("p99 is the nearest rank: with fewer than 100 samples, the slowest sample.")
        }
        if let baseline {
            lines.append("")
            lines += Target<NodeReport>.lines(NodeTargets.all, candidate: candidate, baseline: baseline,
                                  candidateName: candidate.name, baselineName: baseline.name)
        }
        return lines.joined(separator: "\n")
    }

    private static let width = 50
}
