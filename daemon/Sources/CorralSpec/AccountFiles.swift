/// The image's /etc/passwd and /etc/group, parsed the way libc reads them.
struct AccountFiles {
    struct Account: Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
    }

    struct Group: Equatable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    var accounts: [Account]
    var groups: [Group]

    init(passwd: [UInt8]?, group: [UInt8]?) {
        accounts = Self.lines(passwd).compactMap { fields in
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return Account(name: String(fields[0]), uid: uid, gid: gid)
        }
        groups = Self.lines(group).compactMap { fields in
            guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map { String($0.trimmingSpaces) } : []
            return Group(name: String(fields[0]), gid: gid, members: members.filter { !$0.isEmpty })
        }
    }

    func account(named name: String) -> Account? { accounts.first { $0.name == name } }
    func account(uid: UInt32) -> Account? { accounts.first { $0.uid == uid } }
    func group(named name: String) -> Group? { groups.first { $0.name == name } }

    /// GIDs of the groups that list `user` as a member, not counting a group of the same name
    /// (the user's own group comes in as the primary GID), as containerd does.
    func supplementaryGIDs(of user: String) -> [UInt32] {
        groups.filter { $0.name != user && $0.members.contains(user) }.map(\.gid)
    }

    private static func lines(_ bytes: [UInt8]?) -> [[Substring]] {
        guard let bytes else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let text = line.trimmingSpaces
            guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
            return text.split(separator: ":", omittingEmptySubsequences: false)
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
