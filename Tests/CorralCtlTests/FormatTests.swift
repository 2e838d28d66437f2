@testable import CorralCtl
import Testing

@Suite("tables, ages, sizes, ids")
struct FormatTests {
    @Test func columnsAlignWithoutTrailingBlanks() {
        let text = Table.columns([["A", "LONGER", "C"], ["wide value", "x", "last"]])
        #expect(text == """
            A            LONGER   C
            wide value   x        last
            """)
        #expect(!text.split(separator: "\n").contains { $0.hasSuffix(" ") })
    }

    @Test func agesReadLikeCrictl() {
        let now: Int64 = 1_000_000 * 1_000_000_000
        func ago(_ seconds: Double) -> String {
            Human.age(createdAtNanos: now - Int64(seconds * 1e9), nowNanos: now)
        }
        #expect(ago(0.2) == "Less than a second ago")
        #expect(ago(1) == "1 second ago")
        #expect(ago(42) == "42 seconds ago")
        #expect(ago(61) == "About a minute ago")
        #expect(ago(3 * 60 + 5) == "3 minutes ago")
        #expect(ago(3600) == "About an hour ago")
        #expect(ago(5 * 3600) == "5 hours ago")
        #expect(ago(3 * 86400) == "3 days ago")
        #expect(ago(20 * 86400) == "2 weeks ago")
        #expect(ago(100 * 86400) == "3 months ago")
        #expect(ago(800 * 86400) == "2 years ago")
        // A clock that runs behind the daemon's never shows a negative age.
        #expect(Human.age(createdAtNanos: now + 5_000_000_000, nowNanos: now) == "Less than a second ago")
    }

    @Test func sizesAreDecimalWithThreeDigits() {
        #expect(Human.size(0) == "0B")
        #expect(Human.size(999) == "999B")
        #expect(Human.size(1000) == "1kB")
        #expect(Human.size(1_234_567) == "1.23MB")
        #expect(Human.size(4_270_000) == "4.27MB")
        #expect(Human.size(123_456_789) == "123MB")
        #expect(Human.size(2_500_000_000) == "2.5GB")
    }

    @Test func idsAreCutToThirteenWithoutTheAlgorithm() {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        #expect(ShortID.truncate(digest) == "ababababababa")
        #expect(ShortID.truncate(digest, keepWhole: true) == String(repeating: "ab", count: 32))
        #expect(ShortID.truncate("0123456789abcdef0123") == "0123456789abc")
        #expect(ShortID.truncate("short") == "short")
    }

    @Test func imageNamesSplitAtTheTagNotThePort() {
        #expect(ImageName.split("docker.io/library/busybox:1.36") == ("docker.io/library/busybox", "1.36"))
        #expect(ImageName.split("127.0.0.1:5000/team/app") == ("127.0.0.1:5000/team/app", "<none>"))
        #expect(ImageName.split("127.0.0.1:5000/team/app:v2") == ("127.0.0.1:5000/team/app", "v2"))
        #expect(ImageName.repository(ofDigest: "docker.io/library/busybox@sha256:abc") == "docker.io/library/busybox")
    }

    @Test func podTable() {
        let now: Int64 = 10_000 * 1_000_000_000
        let rows = [
            PodRow(id: "6f3a9c1e2b7d4a5f8e0c1d2b3a4f5e6d", createdAtNanos: now - 180 * 1_000_000_000, state: "Ready",
                   name: "web", namespace: "default", attempt: 0, runtime: "(default)"),
            PodRow(id: "0badc0ffee0badc0ffee", createdAtNanos: now - 7200 * 1_000_000_000, state: "NotReady",
                   name: "batch-job", namespace: "jobs", attempt: 2, runtime: "crun"),
        ]
        #expect(PodRow.table(rows, nowNanos: now) == """
            POD ID          CREATED         STATE      NAME        NAMESPACE   ATTEMPT   RUNTIME
            6f3a9c1e2b7d4   3 minutes ago   Ready      web         default     0         (default)
            0badc0ffee0ba   2 hours ago     NotReady   batch-job   jobs        2         crun
            """)
    }

    @Test func containerTableShortensDigestsButNotNames() {
        let now: Int64 = 10_000 * 1_000_000_000
        let digest = "sha256:" + String(repeating: "c", count: 64)
        let rows = [
            ContainerRow(id: String(repeating: "1", count: 64), image: digest, createdAtNanos: now - 30 * 1_000_000_000,
                         state: "Running", name: "app", attempt: 1, podID: String(repeating: "2", count: 64), podName: "web"),
            ContainerRow(id: String(repeating: "3", count: 64), image: "docker.io/library/busybox:latest",
                         createdAtNanos: now - 90 * 1_000_000_000, state: "Exited", name: "init", attempt: 0,
                         podID: String(repeating: "2", count: 64), podName: "web"),
        ]
        let lines = ContainerRow.table(rows, nowNanos: now).split(separator: "\n")
        #expect(lines[0].split(separator: " ", omittingEmptySubsequences: true)
            == ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD", "ID", "POD"])
        #expect(lines[1].hasPrefix("1111111111111   ccccccccccccc"))
        #expect(lines[1].contains("30 seconds ago"))
        #expect(lines[2].contains("docker.io/library/busybox:latest"))
        #expect(lines[2].hasSuffix("2222222222222   web"))
        #expect(ContainerRow.table(rows, nowNanos: now, wholeIDs: true).contains(String(repeating: "c", count: 64)))
    }

    @Test func imageRowsOnePerTag() {
        let id = "sha256:" + String(repeating: "d", count: 64)
        let rows = ImageRow.rows(id: id, repoTags: ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"],
                                 repoDigests: [], size: 4_270_000)
        #expect(rows.map(\.tag) == ["latest", "1.36"])
        let untagged = ImageRow.rows(id: id, repoTags: [], repoDigests: ["docker.io/library/alpine@sha256:ee"], size: 1)
        #expect(untagged == [ImageRow(repository: "docker.io/library/alpine", tag: "<none>", id: id, size: 1)])
        #expect(ImageRow.table(rows) == """
            IMAGE                       TAG      IMAGE ID        SIZE
            docker.io/library/busybox   latest   ddddddddddddd   4.27MB
            docker.io/library/busybox   1.36     ddddddddddddd   4.27MB
            """)
    }

    @Test func spinnerShowsTenths() {
        #expect(Spinner.seconds(.milliseconds(12_345)) == "12.3s")
        #expect(Spinner.seconds(.zero) == "0.0s")
    }
}
