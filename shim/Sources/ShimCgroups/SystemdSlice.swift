/// systemd's slice names as cgroup paths: `a-b-c.slice` is the cgroup `/a.slice/a-b.slice/a-b-c.slice`.
/// kubelet's systemd driver hands pods such a name as their cgroup parent (`kubepods-besteffort-pod<uid>.slice`).
public enum SystemdSlice {
    /// Whether a CRI cgroup parent names a slice rather than a path.
    public static func isSliceName(_ parent: String) -> Bool {
        !parent.contains("/") && parent.hasSuffix(".slice")
    }

    /// The cgroup path of a slice, or nil for a name systemd would refuse ("-.slice" is the root).
    public static func path(of slice: String) -> String? {
        guard isSliceName(slice) else { return nil }
        let name = slice.dropLast(".slice".count)
        if name == "-" { return "/" }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard !parts.contains(where: \.isEmpty) else { return nil }
        return "/" + (1...parts.count).map { parts.prefix($0).joined(separator: "-") + ".slice" }.joined(separator: "/")
    }
}
