import CorralSystem
import Foundation
import ShimIO
import TestSupport

extension TemporaryDirectory {
    func file(_ name: String) -> String { path + "/" + name }
}

/// One parsed line of a CRI log file.
struct CRIRecord: Equatable, CustomStringConvertible {
    var timestamp: String
    var stream: String
    var tag: String
    var content: [UInt8]

    var text: String { String(decoding: content, as: UTF8.self) }
    var description: String { "\(stream) \(tag) \(text.debugDescription) (\(content.count) bytes)" }

    /// Splits at the first three spaces, as kubelet's parseCRILog does.
    init?(_ line: ArraySlice<UInt8>) {
        var fields: [ArraySlice<UInt8>] = []
        var rest = line
        for _ in 0..<3 {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            fields.append(rest[..<space])
            rest = rest[(space + 1)...]
        }
        timestamp = String(decoding: fields[0], as: UTF8.self)
        stream = String(decoding: fields[1], as: UTF8.self)
        tag = String(decoding: fields[2], as: UTF8.self)
        content = Array(rest)
    }

    init(stream: String, tag: String, _ text: String) {
        self.timestamp = ""
        self.stream = stream
        self.tag = tag
        self.content = Array(text.utf8)
    }

    /// Timestamps differ run to run; compare the rest.
    static func == (a: CRIRecord, b: CRIRecord) -> Bool {
        a.stream == b.stream && a.tag == b.tag && a.content == b.content
    }
}

enum LogFile {
    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Every record of the file; nil if any line is not a record or the file ends mid-record.
    static func records(_ path: String) throws -> [CRIRecord]? {
        let data = try bytes(path)
        if data.isEmpty { return [] }
        guard data.last == UInt8(ascii: "\n") else { return nil }
        var records: [CRIRecord] = []
        for line in data.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let record = CRIRecord(line) else { return nil }
            records.append(record)
        }
        return records
    }

    /// The lines a reader gets back from records the way kubelet joins them: `P` contents run on,
    /// `F` ends the line. Per stream, since the two interleave.
    static func lines(_ records: [CRIRecord], stream: String) -> [String] {
        var lines: [String] = []
        var current: [UInt8] = []
        for record in records where record.stream == stream {
            current += record.content
            if record.tag == "F" {
                lines.append(String(decoding: current, as: UTF8.self))
                current = []
            }
        }
        if !current.isEmpty { lines.append(String(decoding: current, as: UTF8.self)) }
        return lines
    }
}

func out(_ tag: String, _ text: String) -> CRIRecord { CRIRecord(stream: "stdout", tag: tag, text) }
func err(_ tag: String, _ text: String) -> CRIRecord { CRIRecord(stream: "stderr", tag: tag, text) }

extension CRILogWriter {
    func write(_ text: String, stream: LogStream = .stdout) throws {
        try write(Array(text.utf8), stream: stream)
    }
}
