import CorralJSON

/// How to reach the shim that serves a pod, and what it speaks: `bootstrap.json` in its state
/// dir, and the line `corral-shim start` prints.
public struct Bootstrap: StateFile, Equatable {
    public var protocolVersion: UInt32
    public var address: String
    public var pid: Int32

    public init(protocolVersion: UInt32 = ShimProtocol.version, address: String, pid: Int32) {
        self.protocolVersion = protocolVersion
        self.address = address
        self.pid = pid
    }

    public var json: JSONObject {
        ["version": .integer(Int64(protocolVersion)), "address": .string(address), "pid": .integer(Int64(pid))]
    }

    public init?(json: JSONObject) {
        guard let version = json["version"]?.int64, let address = json["address"]?.string,
              let pid = json["pid"]?.int64 else { return nil }
        self.init(protocolVersion: UInt32(clamping: version), address: address, pid: Int32(clamping: pid))
    }

    /// The line `corral-shim start` prints: the record itself, on one line.
    public var line: String { JSONValue.object(json).serialized() }

    /// What `corral-shim start` printed: the record, or (from a shim of before the record was
    /// printed) a bare `unix://` address, whose version is then 1 and pid unknown (0).
    public init?(startOutput: String) {
        let text = String(startOutput.split(whereSeparator: \.isWhitespace).first ?? "")
        if text.hasPrefix("unix://") {
            self.init(protocolVersion: 1, address: text, pid: 0)
        } else if case .object(let object)? = try? JSONValue(parsing: text) {
            self.init(json: object)
        } else {
            return nil
        }
        guard address.hasPrefix("unix://") else { return nil }
    }
}
