import CRIAPI

/// Signal names as images (`STOPSIGNAL`) and the CRI's `Signal` enum spell them, and their
/// numbers on Linux. The CRI enum is the names in this order, so one table serves both.
enum StopSignals {
    /// Index = the CRI enum's raw value; 0 is RUNTIME_DEFAULT.
    private static let criOrder: [(name: String, number: Int32)] = {
        var table: [(String, Int32)] = [
            ("", 0), ("ABRT", 6), ("ALRM", 14), ("BUS", 7), ("CHLD", 17), ("CLD", 17), ("CONT", 18), ("FPE", 8),
            ("HUP", 1), ("ILL", 4), ("INT", 2), ("IO", 29), ("IOT", 6), ("KILL", 9), ("PIPE", 13), ("POLL", 29),
            ("PROF", 27), ("PWR", 30), ("QUIT", 3), ("SEGV", 11), ("STKFLT", 16), ("STOP", 19), ("SYS", 31),
            ("TERM", 15), ("TRAP", 5), ("TSTP", 20), ("TTIN", 21), ("TTOU", 22), ("URG", 23), ("USR1", 10),
            ("USR2", 12), ("VTALRM", 26), ("WINCH", 28), ("XCPU", 24), ("XFSZ", 25), ("RTMIN", 34),
        ]
        table += (1...15).map { ("RTMIN+\($0)", 34 + Int32($0)) }
        table += (1...14).reversed().map { ("RTMAX-\($0)", 64 - Int32($0)) }
        table.append(("RTMAX", 64))
        return table
    }()

    /// An image's STOPSIGNAL: a number, or a name with or without SIG, any case.
    static func number(named text: String?) -> Int32? {
        guard var name = text?.uppercased(), !name.isEmpty else { return nil }
        if let number = Int32(name) { return (1...64).contains(number) ? number : nil }
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        return criOrder.first { $0.name == name && $0.number > 0 }?.number
    }

    /// The number of a CRI `Signal`; nil for RUNTIME_DEFAULT and values this table lacks.
    static func number(of signal: Runtime_V1_Signal) -> Int32? {
        let index = signal.rawValue
        guard index > 0, index < criOrder.count else { return nil }
        return criOrder[index].number
    }

    /// The CRI `Signal` for a number, by its first name (SIGABRT before SIGIOT).
    static func criSignal(_ number: Int32) -> Runtime_V1_Signal {
        guard let index = criOrder.firstIndex(where: { $0.number == number && $0.number > 0 }) else { return .runtimeDefault }
        return Runtime_V1_Signal(rawValue: index) ?? .runtimeDefault
    }
}
