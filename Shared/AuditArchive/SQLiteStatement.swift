import CSQLite

/// A failure of the audit archive, with the path and what SQLite said.
public struct AuditArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `what: SQLite's message for the database's last error`.
    static func sqlite(_ what: String, _ database: OpaquePointer?) -> AuditArchiveError {
        let message = database.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "out of memory"
        return AuditArchiveError("\(what): \(message)")
    }
}

/// One prepared SQLite statement; finalized when the object goes away.
///
/// A statement belongs to the connection it was prepared on and is used only while the archive's lock is held.
final class SQLiteStatement {
    private let database: OpaquePointer
    private let statement: OpaquePointer

    /// SQLite copies bound text at once (SQLITE_TRANSIENT), so Swift's temporary buffers may go away after binding.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ sql: String, on database: OpaquePointer) throws(AuditArchiveError) {
        self.database = database
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw .sqlite("cannot prepare \(sql.prefix(60))", database)
        }
        statement = prepared
    }

    deinit {
        sqlite3_finalize(statement)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, Self.transient)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    /// Runs the statement until its next row: true when a row is there, false when it is done.
    func step() throws(AuditArchiveError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .sqlite("audit archive statement failed", database)
        }
    }

    /// Makes the statement ready to run again with new bindings.
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    /// The column as text; NULL reads as empty.
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }
}
