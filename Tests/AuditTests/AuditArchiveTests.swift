import AuditArchive
import Foundation
import Testing

@Suite("Audit archive (SQLite)")
struct AuditArchiveTests {
    /// An archive holding `count` linked sample entries, in a folder of its own.
    private func filledArchive(
        _ count: Int
    ) throws -> (folder: ScratchFolder, archive: AuditArchive, entries: [AuditEntry]) {
        let folder = try ScratchFolder()
        let archive = try AuditArchive(path: folder.path("audit.db"))
        let entries = sampleChain(count)
        #expect(try archive.append(entries) == count)
        return (folder, archive, entries)
    }

    @Test("appending is idempotent and keeps seq order")
    func append() throws {
        let (folder, archive, entries) = try filledArchive(6)
        defer { folder.remove() }
        #expect(try archive.append(Array(entries[3...])) == 0)
        #expect(try archive.count() == 6)
        #expect(try archive.last() == entries[5])
        #expect(try archive.entries(matching: AuditQuery(limit: 100)) == entries)

        let reopened = try AuditArchive(path: archive.path, mode: .readOnly)
        #expect(try reopened.count() == 6)
        #expect(try reopened.verify().summary == "ok: 6 entries, head \(entries[5].hash)")
    }

    @Test("a different entry under an archived seq is refused as a second chain")
    func conflictingEntry() throws {
        let (folder, archive, entries) = try filledArchive(3)
        defer { folder.remove() }
        var forked = AuditChain.link([sampleEvent(99, eventId: "9-9")], after: AuditHead(seq: 2, hash: entries[1].hash))
        forked[0].streamId = "1900000000000-0"
        #expect(throws: AuditArchiveError.self) { try archive.append(forked) }
        #expect(try archive.count() == 3)
        #expect(try archive.last() == entries[2])
    }

    @Test("the database is in WAL mode, with the indexes and append-only triggers")
    func schema() throws {
        let (folder, archive, _) = try filledArchive(1)
        defer { folder.remove() }
        #expect(try sqliteShell(archive.path, "PRAGMA journal_mode").output == "wal\n")
        let objects = try sqliteShell(
            archive.path, "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"
        ).output.split(separator: "\n")
        for name in [
            "audit_entries_at", "audit_entries_job_id", "audit_entries_no_delete", "audit_entries_no_update",
            "audit_entries_principal",
        ] {
            #expect(objects.contains(Substring(name)))
        }
        #expect(!objects.contains("audit_entries_type"), "a type index costs every insert more than it saves")
    }

    @Test("triggers refuse UPDATE and DELETE")
    func appendOnly() throws {
        let (folder, archive, entries) = try filledArchive(3)
        defer { folder.remove() }
        let update = try sqliteShell(archive.path, "UPDATE audit_entries SET principal = 'mallory' WHERE seq = 2")
        #expect(update.status != 0)
        #expect(update.error.contains("append-only"))
        let delete = try sqliteShell(archive.path, "DELETE FROM audit_entries WHERE seq = 2")
        #expect(delete.status != 0)
        #expect(delete.error.contains("append-only"))
        #expect(try archive.entries(matching: AuditQuery(limit: 10)) == entries)
        #expect(try archive.verify().failure == nil)
    }

    /// Each column an attacker could edit, with an SQL value different from the sample's.
    static let edits: [(column: String, value: String)] = [
        ("at", "1700000999999"), ("type", "'job.succeeded2'"), ("job_id", "'job-x'"), ("task_id", "'task-x'"),
        ("operation", "'demo.other'"), ("principal", "'mallory'"), ("status", "'succeeded'"),
        ("details", "'{\"n\":0}'"), ("event_id", "'1-1'"), ("prev_hash", "'\(String(repeating: "a", count: 64))'"),
        ("hash", "'\(String(repeating: "b", count: 64))'"), ("seq", "5000"), ("stream_id", "'1-0'"),
    ]

    @Test("verify fails at the row whose field was edited with the triggers dropped", arguments: edits)
    func editedRow(edit: (column: String, value: String)) throws {
        let (folder, archive, entries) = try filledArchive(8)
        defer { folder.remove() }
        let tampered = try sqliteShell(
            archive.path,
            "DROP TRIGGER audit_entries_no_update;"
                + " UPDATE audit_entries SET \(edit.column) = \(edit.value) WHERE seq = 5"
        )
        #expect(tampered.status == 0, "\(tampered.error)")

        let result = try AuditArchive(path: archive.path, mode: .readOnly).verify()
        let failure = try #require(result.failure, "editing \(edit.column) went unnoticed")
        #expect(failure.seq == 5)
        #expect(result.count == 4)
        #expect(result.summary.hasPrefix("broken at seq 5 (stream id "))
        if edit.column != "seq" && edit.column != "stream_id" {
            #expect(failure.streamId == entries[4].streamId)
        }
    }

    @Test("verify finds a deleted row as a gap")
    func deletedRow() throws {
        let (folder, archive, _) = try filledArchive(8)
        defer { folder.remove() }
        let tampered = try sqliteShell(
            archive.path, "DROP TRIGGER audit_entries_no_delete; DELETE FROM audit_entries WHERE seq = 3")
        #expect(tampered.status == 0, "\(tampered.error)")
        let failure = try #require(try archive.verify().failure)
        #expect(failure.seq == 3)
        #expect(failure.reason.contains("seq 3 is missing"))

        let first = try sqliteShell(archive.path, "DELETE FROM audit_entries WHERE seq = 1")
        #expect(first.status == 0)
        #expect(try archive.verify().failure?.seq == 1)
    }

    @Test(
        "cncf-audit verify prints the outcome and exits 0, 1 or 2", .enabled(if: builtExecutable("cncf-audit") != nil))
    func verifyCommand() throws {
        let (folder, archive, entries) = try filledArchive(4)
        defer { folder.remove() }
        let program = try #require(builtExecutable("cncf-audit"))
        let sound = try run(program, ["verify", "--db", archive.path])
        #expect(sound.status == 0)
        #expect(sound.output == "ok: 4 entries, head \(entries[3].hash)\n")
        let fromEnvironment = try run(program, ["verify"], environment: ["CNCF_AUDIT_DB": archive.path])
        #expect(fromEnvironment.status == 0)

        _ = try sqliteShell(
            archive.path, "DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET details = '{}' WHERE seq = 2")
        let broken = try run(program, ["verify", "--db", archive.path])
        #expect(broken.status == 1)
        #expect(broken.output.hasPrefix("broken at seq 2 (stream id \(entries[1].streamId)): "))

        let missing = try run(program, ["verify", "--db", folder.path("nothing-here.db")])
        #expect(missing.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.path("nothing-here.db")))
    }

    @Test("queries filter by time, principal, type and job, and page by seq")
    func queries() throws {
        let (folder, archive, entries) = try filledArchive(20)
        defer { folder.remove() }
        let alice = try archive.entries(matching: AuditQuery(principal: "alice", limit: 100))
        #expect(alice == entries.filter { $0.principal == "alice" })
        let job = try archive.entries(matching: AuditQuery(type: "job.accepted", jobId: "job-1", limit: 100))
        #expect(job == entries.filter { $0.type == "job.accepted" && $0.jobId == "job-1" })
        let window = try archive.entries(
            matching: AuditQuery(since: entries[4].at, until: entries[9].at, limit: 100))
        #expect(window.map(\.seq) == [5, 6, 7, 8, 9])

        var pages: [[Int]] = []
        var cursor: Int?
        repeat {
            let page = try archive.entries(matching: AuditQuery(limit: 7, afterSeq: cursor))
            pages.append(page.map(\.seq))
            cursor = page.count == 7 ? page.last?.seq : nil
        } while cursor != nil
        #expect(pages == [Array(1...7), Array(8...14), Array(15...20)])
    }
}
