@testable import CorralStore
import Foundation
import Testing
import TestSupport

@Suite("metadata store")
struct MetadataStoreTests {
    @Test func everySandboxFieldRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        let record = SandboxRecord(
            id: String(repeating: "ab", count: 32), name: "web_prod_8f1c_4294967295", podName: "web",
            podNamespace: "prod", podUID: "8f1c", attempt: .max, runtimeHandler: "crun", state: "notready",
            createdAt: .max, config: Data((0...255).map { UInt8($0) }),
            shimAddress: "unix:///run/corral/s/0123456789abcdef.sock", shimStateDir: "/run/corral/pods/x",
            shimPID: .max, ips: ["10.88.0.7", "fd00::7"],
            namespacePaths: ["net": "/run/corral/ns/net/x", "ipc": "/run/corral/ns/ipc/x"],
            labels: ["app": "wéb \"quoted\"", "": "empty key"], annotations: ["a/b": "line\nbreak"],
            extra: ["future": "field"])
        try store.insert(record)
        #expect(try store.sandbox(id: record.id) == record)
        #expect(try store.loadAll().sandboxes == [record])

        var changed = record
        changed.state = "ready"
        changed.ips = []
        changed.config = Data()
        changed.labels = [:]
        changed.shimPID = -1
        changed.createdAt = .min
        try store.update(changed)
        #expect(try store.sandbox(id: record.id) == changed)
    }

    @Test func everyContainerFieldRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        let pod = sandbox(1)
        try store.insert(pod)
        let record = ContainerRecord(
            id: String(repeating: "cd", count: 32), sandboxID: pod.id, name: "app_pod1_default_uid1_3",
            containerName: "app", attempt: 3, image: "docker.io/library/busybox:latest",
            imageRef: "docker.io/library/busybox@sha256:" + String(repeating: "1", count: 64),
            imageID: "sha256:" + String(repeating: "2", count: 64), state: "exited",
            createdAt: 1_700_000_000_000_000_001, startedAt: 1_700_000_000_000_000_002,
            finishedAt: 1_700_000_000_000_000_003, exitCode: -9, reason: "OOMKilled", message: "out of memory ✓",
            pid: .max, logPath: "/var/log/pods/x/app/3.log", bundle: "/run/corral/pods/x/app",
            config: Data([0, 0, 0xff]), labels: ["k": "v"], annotations: ["io.kubernetes.x": "{\"json\": 1}"],
            extra: ["mounts": "[]"])
        try store.insert(record)
        #expect(try store.container(id: record.id) == record)
        #expect(try store.loadAll().containers == [record])

        var changed = record
        changed.state = "unknown"
        changed.exitCode = .min
        changed.config = Data()
        changed.annotations = [:]
        try store.update(changed)
        #expect(try store.container(id: record.id) == changed)
    }

    @Test func aSandboxNameIsReservedOnce() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        try store.insert(sandbox(1, name: "web_default_u_0"))
        #expect(throws: StoreError.nameReserved(name: "web_default_u_0", byID: hexID(1))) {
            try store.insert(sandbox(2, name: "web_default_u_0"))
        }
        #expect(throws: StoreError.idExists(hexID(1))) {
            try store.insert(sandbox(1, name: "other_default_u_0"))
        }
        // Renaming onto a held name is refused as well; keeping one's own name is fine.
        try store.insert(sandbox(3))
        var renamed = sandbox(3, name: "web_default_u_0")
        #expect(throws: StoreError.nameReserved(name: "web_default_u_0", byID: hexID(1))) {
            try store.update(renamed)
        }
        renamed.name = sandbox(3).name
        renamed.state = "notready"
        try store.update(renamed)
        // Once the holder is gone the name is free again.
        try store.deleteSandbox(id: hexID(1))
        try store.insert(sandbox(4, name: "web_default_u_0"))
        #expect(try store.loadAll().sandboxes.map(\.id) == [hexID(3), hexID(4)])
    }

    @Test func aContainerNameIsReservedOnceAndNeedsItsSandbox() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        let pod = sandbox(1)
        try store.insert(pod)
        try store.insert(container(1, in: pod.id, name: "app_p_ns_u_0"))
        #expect(throws: StoreError.nameReserved(name: "app_p_ns_u_0", byID: hexID(0x10001))) {
            try store.insert(container(2, in: pod.id, name: "app_p_ns_u_0"))
        }
        #expect(throws: StoreError.idExists(hexID(0x10001))) {
            try store.insert(container(1, in: pod.id, name: "other_p_ns_u_0"))
        }
        #expect(throws: StoreError.notFound(hexID(99))) {
            try store.insert(container(3, in: hexID(99)))
        }
        #expect(try store.loadAll().containers.count == 1)
    }

    @Test func changesToMissingRecordsAreNotFound() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        #expect(throws: StoreError.notFound(hexID(1))) { try store.update(sandbox(1)) }
        #expect(throws: StoreError.notFound(hexID(1))) { try store.deleteSandbox(id: hexID(1)) }
        try store.insert(sandbox(1))
        #expect(throws: StoreError.notFound(hexID(0x10001))) { try store.update(container(1, in: hexID(1))) }
        #expect(throws: StoreError.notFound(hexID(0x10001))) { try store.deleteContainer(id: hexID(0x10001)) }
        try store.insert(container(1, in: hexID(1)))
        #expect(throws: StoreError.notFound(hexID(2))) { try store.update(container(1, in: hexID(2))) }
    }

    @Test func deletingASandboxDeletesItsContainers() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        try store.insert(sandbox(1))
        try store.insert(sandbox(2))
        for n in 1...3 { try store.insert(container(n, in: hexID(1))) }
        try store.insert(container(4, in: hexID(2)))
        try store.deleteContainer(id: hexID(0x10002))
        #expect(try store.loadAll().containers.count == 3)

        try store.deleteSandbox(id: hexID(1))
        let all = try store.loadAll()
        #expect(all.sandboxes.map(\.id) == [hexID(2)])
        #expect(all.containers.map(\.id) == [hexID(0x10004)])
    }

    @Test func aTransactionKeepsAllOrNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        try store.insert(sandbox(1))
        for n in 1...2 { try store.insert(container(n, in: hexID(1))) }

        // The stop of a pod: the pod and all its containers change together.
        let stopped = try store.transaction { tx throws(StoreError) -> Int in
            guard var pod = try tx.sandbox(id: hexID(1)) else { throw StoreError.notFound(hexID(1)) }
            pod.state = "notready"
            try tx.update(pod)
            let containers = try tx.containers(sandboxID: pod.id)
            for var c in containers {
                c.state = "exited"
                c.exitCode = 137
                try tx.update(c)
            }
            return containers.count
        }
        #expect(stopped == 2)
        var all = try store.loadAll()
        #expect(all.sandboxes.map(\.state) == ["notready"])
        #expect(all.containers.map(\.state) == ["exited", "exited"])

        // A failure half-way leaves nothing of the transaction behind.
        #expect(throws: StoreError.nameReserved(name: container(1, in: "").name, byID: hexID(0x10001))) {
            try store.transaction { tx throws(StoreError) in
                try tx.insert(sandbox(2))
                try tx.deleteContainer(id: hexID(0x10002))
                try tx.insert(container(3, in: hexID(2), name: container(1, in: "").name))
            }
        }
        all = try store.loadAll()
        #expect(all.sandboxes.map(\.id) == [hexID(1)])
        #expect(all.containers.count == 2)
    }

    @Test func reopeningKeepsEverything() throws {
        let dir = try TemporaryDirectory()
        var store = try MetadataStore(path: dir.database)
        try store.insert(sandbox(1))
        try store.insert(container(1, in: hexID(1)))
        let before = try store.loadAll()
        try store.close()
        #expect(throws: StoreError.self) { try store.loadAll() }

        store = try MetadataStore(path: dir.database)
        let after = try store.loadAll()
        #expect(after.sandboxes == before.sandboxes)
        #expect(after.containers == before.containers)
        #expect(after.sandboxes.count == 1 && after.containers.count == 1)
    }

    @Test func aSecondInstanceSeesTheFirstsWritesAndTheOtherWayRound() throws {
        let dir = try TemporaryDirectory()
        let first = try MetadataStore(path: dir.database)
        let second = try MetadataStore(path: dir.database)
        try first.insert(sandbox(1))
        #expect(try second.sandbox(id: hexID(1)) == sandbox(1))
        try second.insert(container(1, in: hexID(1)))
        #expect(try first.loadAll().containers == [container(1, in: hexID(1))])
        // The name reservation holds across instances too.
        #expect(throws: StoreError.nameReserved(name: sandbox(1).name, byID: hexID(1))) {
            try second.insert(sandbox(2, name: sandbox(1).name))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
    func anotherProcessSeesTheDatabaseInWALMode() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        #expect(try store.journalMode() == "wal")
        try store.insert(sandbox(1))

        // sqlite3 is a real second process: it reads what we committed and its write reaches us.
        let output = try sqlite3(dir.database, "PRAGMA journal_mode; SELECT name FROM sandbox; PRAGMA foreign_keys;"
                                 + "UPDATE sandbox SET state = 'notready';")
        #expect(output.split(separator: "\n") == ["wal", Substring(sandbox(1).name), "0"])
        #expect(try store.sandbox(id: hexID(1))?.state == "notready")
    }

    @Test func walAndSynchronousNormalAreOn() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        #expect(try store.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: dir.database + "-wal"))
    }

    @Test func aThousandInsertsEachInItsOwnTransaction() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.database)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for n in 1...1000 { try store.insert(sandbox(n)) }
        }
        // A sanity figure, not a timed assertion: under a second on a 2-core test machine (about 0.8 ms a
        // transaction: the id and name checks and the insert; synchronous=NORMAL means no fsync per commit).
        print("1000 sandbox inserts: \(elapsed)")
        #expect(try store.loadAll().sandboxes.count == 1000)
    }

    @Test func theDirectoryIsCreated() throws {
        let dir = try TemporaryDirectory()
        let store = try MetadataStore(path: dir.path + "/a/b/meta.db")
        try store.insert(sandbox(1))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/a/b/meta.db"))
    }

    @Test func anUnopenableFileIsADatabaseError() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: StoreError.self) { try MetadataStore(path: dir.path) }
    }
}

private func sqlite3(_ database: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [database, sql]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
