import CRIAPI
import OCISpec

/// Who the container's process runs as: the security context's user and group, else the
/// image's USER ("name", "uid", "name:group", "uid:gid", …), with names looked up in the
/// image's own /etc/passwd and /etc/group. The groups are the primary one, the image's
/// memberships of the user (unless the policy is Strict) and the requested supplemental ones.
enum ContainerUser {
    static func resolve(_ context: Runtime_V1_LinuxContainerSecurityContext, image: ImageExecutionConfig?,
                        readImageFile: (String) -> [UInt8]?) throws(SpecError) -> User {
        let request = try requested(context, image: image)
        var files: AccountFiles?
        func accounts() -> AccountFiles {
            if let files { return files }
            let loaded = AccountFiles(passwd: readImageFile("/etc/passwd"), group: readImageFile("/etc/group"))
            files = loaded
            return loaded
        }

        let uid: UInt32
        var gid: UInt32 = 0
        if let number = try numericID(request.user, field: request.field) {
            uid = number
            if request.group == nil { gid = accounts().account(uid: number)?.gid ?? 0 }
        } else {
            guard let account = accounts().account(named: request.user) else {
                throw .invalidArgument("\(request.field) \(quoted(request.user)): no such user in the image's /etc/passwd")
            }
            uid = account.uid
            if request.group == nil { gid = account.gid }
        }
        if let group = request.group {
            if let number = try numericID(group, field: request.field) {
                gid = number
            } else if let entry = accounts().group(named: group) {
                gid = entry.gid
            } else {
                throw .invalidArgument("\(request.field) \(quoted(group)): no such group in the image's /etc/group")
            }
        }

        // Groups that list the user by name; a uid without a passwd entry has none. Strict
        // keeps the image's /etc/group out: the pod spec alone decides (KEP-3619).
        let listed: [UInt32]
        if context.supplementalGroupsPolicy == .strict {
            listed = []
        } else {
            let name = UInt32(request.user) == nil ? request.user : accounts().account(uid: uid)?.name
            listed = name.map { accounts().supplementaryGIDs(of: $0) } ?? []
        }
        let supplemental = context.supplementalGroups.map { UInt32(truncatingIfNeeded: $0) }
        let additional = Set([gid] + listed + supplemental).sorted()
        return User(uid: uid, gid: gid, additionalGids: additional)
    }

    private struct Request {
        var user: String
        var group: String?
        var field: String
    }

    private static func requested(_ context: Runtime_V1_LinuxContainerSecurityContext,
                                  image: ImageExecutionConfig?) throws(SpecError) -> Request {
        let group = context.hasRunAsGroup ? String(context.runAsGroup.value) : nil
        if !context.runAsUsername.isEmpty {
            return Request(user: context.runAsUsername, group: group,
                           field: "linux.security_context.run_as_username")
        }
        if context.hasRunAsUser {
            return Request(user: String(context.runAsUser.value), group: group,
                           field: "linux.security_context.run_as_user")
        }
        guard let text = image?.user, !text.isEmpty else { return Request(user: "0", field: "image user") }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw .invalidArgument("image user \(quoted(text)): expected user, uid, user:group or uid:gid")
        }
        return Request(user: parts[0], group: parts.count == 2 ? parts[1] : nil, field: "image user")
    }

    /// The number in `text` when it is one; runc takes IDs up to Int32.max only.
    private static func numericID(_ text: String, field: String) throws(SpecError) -> UInt32? {
        guard text.allSatisfy(\.isASCIIDigit) else { return nil }
        guard let value = UInt32(text), value <= UInt32(Int32.max) else {
            throw .invalidArgument("\(field) \(quoted(text)): ID out of range")
        }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
