import GRDB

/// The schema as a sequence of migrations. Never edit a migration once released: append a new one.
/// Fields that come and go are better kept in the `extra` JSON column than added here.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sandboxes and containers") { db in
            // STRICT so a value of the wrong type is an error instead of being silently stored.
            try db.execute(sql: """
                CREATE TABLE sandbox (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    pod_name TEXT NOT NULL,
                    pod_namespace TEXT NOT NULL,
                    pod_uid TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    runtime_handler TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    config BLOB NOT NULL,
                    shim_address TEXT NOT NULL,
                    shim_state_dir TEXT NOT NULL,
                    shim_pid INTEGER NOT NULL,
                    ips TEXT NOT NULL,
                    namespace_paths TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    annotations TEXT NOT NULL,
                    extra TEXT NOT NULL
                ) STRICT;
                CREATE TABLE container (
                    id TEXT PRIMARY KEY NOT NULL,
                    sandbox_id TEXT NOT NULL REFERENCES sandbox(id) ON DELETE CASCADE,
                    name TEXT NOT NULL UNIQUE,
                    container_name TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    image TEXT NOT NULL,
                    image_ref TEXT NOT NULL,
                    image_id TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER NOT NULL,
                    exit_code INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    message TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    log_path TEXT NOT NULL,
                    bundle TEXT NOT NULL,
                    config BLOB NOT NULL,
                    labels TEXT NOT NULL,
                    annotations TEXT NOT NULL,
                    extra TEXT NOT NULL
                ) STRICT;
                CREATE INDEX container_by_sandbox ON container(sandbox_id);
                """)
        }
        return migrator
    }
}
