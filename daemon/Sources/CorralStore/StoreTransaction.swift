import GRDB

/// The changes one transaction may make. It is non-copyable and handed to the body borrowed, so it
/// cannot outlive the transaction it belongs to.
public struct StoreTransaction: ~Copyable {
    let db: Database

    // MARK: sandboxes

    public func insert(_ sandbox: SandboxRecord) throws(StoreError) {
        try mappingErrors {
            if try SandboxRecord.exists(db, key: sandbox.id) { throw StoreError.idExists(sandbox.id) }
            try checkName(sandbox.name, table: SandboxRecord.databaseTableName, except: nil)
            try sandbox.insert(db)
        }
    }

    public func update(_ sandbox: SandboxRecord) throws(StoreError) {
        try mappingErrors {
            guard try SandboxRecord.exists(db, key: sandbox.id) else { throw StoreError.notFound(sandbox.id) }
            try checkName(sandbox.name, table: SandboxRecord.databaseTableName, except: sandbox.id)
            try sandbox.update(db)
        }
    }

    /// Deletes the sandbox and its containers.
    public func deleteSandbox(id: String) throws(StoreError) {
        try mappingErrors {
            // Explicit rather than left to ON DELETE CASCADE alone, so it holds even on a connection
            // where someone turned foreign keys off.
            try db.execute(sql: "DELETE FROM container WHERE sandbox_id = ?", arguments: [id])
            guard try SandboxRecord.deleteOne(db, key: id) else { throw StoreError.notFound(id) }
        }
    }

    public func sandbox(id: String) throws(StoreError) -> SandboxRecord? {
        try mappingErrors { try SandboxRecord.fetchOne(db, key: id) }
    }

    // MARK: containers

    public func insert(_ container: ContainerRecord) throws(StoreError) {
        try mappingErrors {
            if try ContainerRecord.exists(db, key: container.id) { throw StoreError.idExists(container.id) }
            guard try SandboxRecord.exists(db, key: container.sandboxID) else {
                throw StoreError.notFound(container.sandboxID)
            }
            try checkName(container.name, table: ContainerRecord.databaseTableName, except: nil)
            try container.insert(db)
        }
    }

    public func update(_ container: ContainerRecord) throws(StoreError) {
        try mappingErrors {
            guard try ContainerRecord.exists(db, key: container.id) else { throw StoreError.notFound(container.id) }
            guard try SandboxRecord.exists(db, key: container.sandboxID) else {
                throw StoreError.notFound(container.sandboxID)
            }
            try checkName(container.name, table: ContainerRecord.databaseTableName, except: container.id)
            try container.update(db)
        }
    }

    public func deleteContainer(id: String) throws(StoreError) {
        try mappingErrors {
            guard try ContainerRecord.deleteOne(db, key: id) else { throw StoreError.notFound(id) }
        }
    }

    public func container(id: String) throws(StoreError) -> ContainerRecord? {
        try mappingErrors { try ContainerRecord.fetchOne(db, key: id) }
    }

    public func containers(sandboxID: String) throws(StoreError) -> [ContainerRecord] {
        try mappingErrors {
            try ContainerRecord
                .filter(Column(ContainerRecord.CodingKeys.sandboxID) == sandboxID)
                .order(Column(ContainerRecord.CodingKeys.createdAt), Column(ContainerRecord.CodingKeys.id))
                .fetchAll(db)
        }
    }

    // MARK: -

    /// The UNIQUE constraint would refuse the row too, but could not say who holds the name.
    private func checkName(_ name: String, table: String, except id: String?) throws {
        let holder = try String.fetchOne(db, sql: "SELECT id FROM \(table) WHERE name = ? AND id IS NOT ?",
                                         arguments: [name, id])
        if let holder { throw StoreError.nameReserved(name: name, byID: holder) }
    }
}

/// Runs GRDB code, keeping a StoreError as it is and wrapping anything else.
func mappingErrors<T>(_ body: () throws -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch let error as StoreError {
        throw error
    } catch {
        throw StoreError.database(String(describing: error))
    }
}
