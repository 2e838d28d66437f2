import CRIAPI
import CorralSystem
import OCISpec

/// The uid, gid and groups a container's process runs with, as ContainerStatus.user reports
/// them: read from the running process where there is one (what the kernel says, not what
/// was asked), else what the spec asked for.
struct ProcessIdentity: Sendable, Equatable {
    var uid: Int64
    var gid: Int64
    var groups: [Int64]

    init(uid: Int64, gid: Int64, groups: [Int64]) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    init(_ user: User) {
        self.init(uid: Int64(user.uid), gid: Int64(user.gid), groups: (user.additionalGids ?? []).map(Int64.init))
    }

    var cri: Runtime_V1_ContainerUser {
        .with {
            $0.linux.uid = uid
            $0.linux.gid = gid
            $0.linux.supplementalGroups = groups
        }
    }

    /// `uid:gid:g1,g2`, as the store keeps it.
    var recordText: String { "\(uid):\(gid):" + groups.map(String.init).joined(separator: ",") }

    init?(recordText text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let uid = Int64(parts[0]), let gid = Int64(parts[1]) else { return nil }
        let groups = parts[2].split(separator: ",").compactMap { Int64($0) }
        self.init(uid: uid, gid: gid, groups: groups)
    }

    /// The process `pid`'s real uid and gid and its groups, seen from inside its user namespace.
    static func of(pid: UInt32) -> ProcessIdentity? {
        let proc = "/proc/\(pid)/"
        guard pid > 0, let status = try? FileSystem.readFile(proc + "status"),
              let uidMap = try? FileSystem.readFile(proc + "uid_map"),
              let gidMap = try? FileSystem.readFile(proc + "gid_map") else { return nil }
        return parse(status: String(decoding: status, as: UTF8.self), uidMap: String(decoding: uidMap, as: UTF8.self),
                     gidMap: String(decoding: gidMap, as: UTF8.self))
    }

    /// /proc/PID/status gives ids as the host sees them; the maps turn them into the
    /// container's own (the identity map leaves them as they are).
    static func parse(status: String, uidMap: String, gidMap: String) -> ProcessIdentity? {
        var fields: [Substring: [Int64]] = [:]
        for line in status.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            guard key == "Uid" || key == "Gid" || key == "Groups" else { continue }
            fields[key] = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                .compactMap { Int64($0) }
        }
        let uids = IDMap(uidMap), gids = IDMap(gidMap)
        guard let uid = fields["Uid"]?.first.flatMap(uids.inside), let gid = fields["Gid"]?.first.flatMap(gids.inside)
        else { return nil }
        return ProcessIdentity(uid: uid, gid: gid, groups: (fields["Groups"] ?? []).compactMap(gids.inside))
    }

    /// The lines of a uid_map or gid_map: inside, outside, count.
    struct IDMap {
        var ranges: [(inside: Int64, outside: Int64, count: Int64)]

        init(_ text: String) {
            ranges = text.split(separator: "\n").compactMap { line in
                let numbers = line.split(separator: " ", omittingEmptySubsequences: true).compactMap { Int64($0) }
                return numbers.count == 3 ? (numbers[0], numbers[1], numbers[2]) : nil
            }
        }

        func inside(_ outside: Int64) -> Int64? {
            ranges.first { outside >= $0.outside && outside - $0.outside < $0.count }
                .map { $0.inside + outside - $0.outside }
        }
    }
}
