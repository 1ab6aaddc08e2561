import CSQLite
import Synchronization

/// The audit trail on disk: one SQLite file with the table `audit_entries`, kept append-only by triggers.
///
/// The database runs in WAL mode, so readers (the query API, `cncf-audit verify`) never block the writer, with
/// `synchronous=NORMAL`: a crash of the machine may lose the last transactions, which the audit stream still holds
/// and the writer appends again at its next start. One process writes; any number read.
public final class AuditArchive: @unchecked Sendable {
    // Unchecked: the sqlite3 handle, and every statement prepared on it, is used only inside `lock`, so no two
    // threads ever touch the connection at once (it is opened with SQLITE_OPEN_NOMUTEX).

    /// How the file is opened.
    public enum Mode: Sendable {
        /// Creates the file and its schema when missing; needed to append.
        case readWrite
        /// Reads an existing archive and never changes it.
        case readOnly
    }

    /// The file name used when `CNCF_AUDIT_DB` is not set.
    public static let defaultPath = "./cncf-audit.db"

    /// The archive's path: `CNCF_AUDIT_DB`, or `defaultPath` when it is unset or empty.
    public static func configuredPath(environment: [String: String]) -> String {
        environment["CNCF_AUDIT_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
    }

    /// The SQLite file.
    public let path: String
    private let database: OpaquePointer
    private let lock = Mutex(())

    static let columns =
        "seq, stream_id, at, type, job_id, task_id, operation, principal, status, details, event_id, prev_hash, hash"

    static let schema = """
        CREATE TABLE IF NOT EXISTS audit_entries(
            seq INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, at INTEGER NOT NULL, type TEXT NOT NULL,
            job_id TEXT NOT NULL, task_id TEXT NOT NULL, operation TEXT NOT NULL, principal TEXT NOT NULL,
            status TEXT NOT NULL, details TEXT NOT NULL, event_id TEXT NOT NULL UNIQUE, prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_entries_job_id ON audit_entries(job_id);
        CREATE INDEX IF NOT EXISTS audit_entries_principal ON audit_entries(principal);
        CREATE INDEX IF NOT EXISTS audit_entries_at ON audit_entries(at);
        DROP INDEX IF EXISTS audit_entries_type;
        CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: rows cannot be updated'); END;
        CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: rows cannot be deleted'); END;
        """

    /// Opens (in `.readWrite` mode creating) the archive at `path`.
    public init(path: String, mode: Mode = .readWrite) throws(AuditArchiveError) {
        self.path = path
        var opened: OpaquePointer?
        let flags =
            (mode == .readWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY)
            | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &opened, flags, nil) == SQLITE_OK, let opened else {
            let error = AuditArchiveError.sqlite("cannot open the audit archive \(path)", opened)
            sqlite3_close_v2(opened)
            throw error
        }
        database = opened
        // From here on `deinit` closes the handle, also when this initializer throws.
        sqlite3_busy_timeout(database, 10_000)
        if mode == .readWrite {
            try execute("PRAGMA journal_mode=WAL", what: "cannot switch \(path) to WAL mode")
            // A crash of the machine may lose the last transactions, never the file: the audit stream on Redis
            // still holds those entries, and the archive catches up from it at the next start.
            try execute("PRAGMA synchronous=NORMAL", what: "cannot set synchronous=NORMAL on \(path)")
            try execute(Self.schema, what: "cannot create the audit archive schema in \(path)")
        } else {
            try execute("PRAGMA synchronous=FULL", what: "cannot open \(path)")
            _ = try withStatement("SELECT count(*) FROM sqlite_master WHERE name = 'audit_entries'") {
                statement throws(AuditArchiveError) in
                guard try statement.step(), statement.int64(0) == 1 else {
                    throw AuditArchiveError("\(path) is not an audit archive (it has no table audit_entries)")
                }
            }
        }
    }

    deinit {
        sqlite3_close_v2(database)
    }

    /// Appends entries in one transaction, in the order given.
    ///
    /// An entry whose seq or event id is already archived with the same hash is skipped, so appending a batch
    /// again after a crash does no harm; one archived with a different hash is a second chain and refused.
    /// - Returns: how many entries were new.
    @discardableResult
    public func append(_ entries: [AuditEntry]) throws(AuditArchiveError) -> Int {
        guard !entries.isEmpty else { return 0 }
        return try locked { () throws(AuditArchiveError) -> Int in
            try execute("BEGIN IMMEDIATE", what: "cannot start an archive transaction in \(path)")
            do throws(AuditArchiveError) {
                let inserted = try insert(entries)
                try execute("COMMIT", what: "cannot commit to the audit archive \(path)")
                return inserted
            } catch {
                try? execute("ROLLBACK", what: "cannot roll back")
                throw error
            }
        }
    }

    /// The entry with the highest seq, or `nil` when the archive is empty.
    public func last() throws(AuditArchiveError) -> AuditEntry? {
        try locked { () throws(AuditArchiveError) -> AuditEntry? in
            try withStatement("SELECT \(Self.columns) FROM audit_entries ORDER BY seq DESC LIMIT 1") {
                statement throws(AuditArchiveError) -> AuditEntry? in
                try statement.step() ? Self.entry(from: statement) : nil
            }
        }
    }

    /// How many entries the archive holds.
    public func count() throws(AuditArchiveError) -> Int {
        try locked { () throws(AuditArchiveError) -> Int in
            try withStatement("SELECT count(*) FROM audit_entries") { statement throws(AuditArchiveError) -> Int in
                _ = try statement.step()
                return Int(statement.int64(0))
            }
        }
    }

    /// The entries that match `query`, by seq ascending, at most `query.limit` of them.
    public func entries(matching query: AuditQuery) throws(AuditArchiveError) -> [AuditEntry] {
        var conditions: [String] = []
        var texts: [String] = []
        var numbers: [Int64] = []
        if let after = query.afterSeq {
            conditions.append("seq > ?")
            numbers.append(Int64(after))
        }
        if let since = query.since {
            conditions.append("at >= ?")
            numbers.append(Int64(clamping: since))
        }
        if let until = query.until {
            conditions.append("at < ?")
            numbers.append(Int64(clamping: until))
        }
        for (column, value) in [("principal", query.principal), ("type", query.type), ("job_id", query.jobId)] {
            if let value {
                conditions.append("\(column) = ?")
                texts.append(value)
            }
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(Self.columns) FROM audit_entries\(filter) ORDER BY seq LIMIT ?"
        return try locked { () throws(AuditArchiveError) -> [AuditEntry] in
            try withStatement(sql) { statement throws(AuditArchiveError) -> [AuditEntry] in
                // Numbers come first in `conditions`, then texts, then the limit: bind in that order.
                var index: Int32 = 1
                for number in numbers {
                    statement.bind(index, number)
                    index += 1
                }
                for text in texts {
                    statement.bind(index, text)
                    index += 1
                }
                statement.bind(index, Int64(query.limit))
                var found: [AuditEntry] = []
                while try statement.step() { found.append(Self.entry(from: statement)) }
                return found
            }
        }
    }

    /// Re-reads every entry in seq order and checks the chain from seq 1: seq continuity, prevHash links and
    /// each entry's hash.
    public func verify() throws(AuditArchiveError) -> AuditChainVerifier {
        try locked { () throws(AuditArchiveError) -> AuditChainVerifier in
            try withStatement("SELECT \(Self.columns) FROM audit_entries ORDER BY seq") {
                statement throws(AuditArchiveError) -> AuditChainVerifier in
                var verifier = AuditChainVerifier(fromGenesis: true)
                while try statement.step() {
                    if !verifier.check(Self.entry(from: statement)) { break }
                }
                return verifier
            }
        }
    }

    // MARK: Helpers; callers hold the lock, except during init.

    private func insert(_ entries: [AuditEntry]) throws(AuditArchiveError) -> Int {
        let insert = try SQLiteStatement(
            "INSERT OR IGNORE INTO audit_entries(\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            on: database)
        let existing = try SQLiteStatement(
            "SELECT seq, event_id, hash FROM audit_entries WHERE seq = ? OR event_id = ?", on: database)
        var inserted = 0
        for entry in entries {
            insert.reset()
            insert.bind(1, Int64(entry.seq))
            insert.bind(2, entry.streamId)
            insert.bind(3, Int64(clamping: entry.at))
            let texts = [
                entry.type, entry.jobId, entry.taskId, entry.operation, entry.principal, entry.status, entry.details,
                entry.eventId, entry.prevHash, entry.hash,
            ]
            for (offset, text) in texts.enumerated() {
                insert.bind(Int32(offset + 4), text)
            }
            _ = try insert.step()
            if sqlite3_changes(database) == 1 {
                inserted += 1
                continue
            }
            existing.reset()
            existing.bind(1, Int64(entry.seq))
            existing.bind(2, entry.eventId)
            while try existing.step() {
                guard existing.int64(0) == Int64(entry.seq), existing.text(1) == entry.eventId,
                    existing.text(2) == entry.hash
                else {
                    throw AuditArchiveError(
                        "audit archive \(path) already holds seq \(existing.int64(0)) (event \(existing.text(1)),"
                            + " hash \(existing.text(2))), which conflicts with seq \(entry.seq) (event"
                            + " \(entry.eventId), hash \(entry.hash)): two chains were written")
                }
            }
        }
        return inserted
    }

    private func locked<Result>(
        _ body: () throws(AuditArchiveError) -> Result
    ) throws(AuditArchiveError) -> Result {
        try lock.withLock { _ throws(AuditArchiveError) -> Result in try body() }
    }

    private func execute(_ sql: String, what: String) throws(AuditArchiveError) {
        guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else { throw .sqlite(what, database) }
    }

    private func withStatement<Result>(
        _ sql: String, _ body: (SQLiteStatement) throws(AuditArchiveError) -> Result
    ) throws(AuditArchiveError) -> Result {
        let statement = try SQLiteStatement(sql, on: database)
        return try body(statement)
    }

    private static func entry(from row: SQLiteStatement) -> AuditEntry {
        AuditEntry(
            seq: Int(row.int64(0)), streamId: row.text(1), at: UInt64(clamping: max(0, row.int64(2))),
            type: row.text(3), jobId: row.text(4), taskId: row.text(5), operation: row.text(6),
            principal: row.text(7), status: row.text(8), details: row.text(9), eventId: row.text(10),
            prevHash: row.text(11), hash: row.text(12))
    }
}
