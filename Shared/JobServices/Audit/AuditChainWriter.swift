import AuditArchive
import JobModel
import RedisClient

/// Why the audit service could not write a batch. The batch's events stay pending and are read again.
struct AuditWriteError: Error, CustomStringConvertible {
    let description: String
}

/// Links events into the audit chain on Redis and copies the chain into the SQLite archive.
///
/// Used by one thread only (the audit service's), on the connection of its stream reader. Redis holds the truth
/// about the chain (the audit stream and its head); the archive follows it and catches up from the stream
/// whenever it is behind, whoever wrote the entries.
final class AuditChainWriter {
    let keyspace: Keyspace
    let archive: AuditArchive
    private let metrics: Metrics
    private let logger: Logger
    /// The archive's last entry.
    private(set) var archived: (head: AuditHead, streamId: String)
    private var archivedCount: Int
    /// The highest seq known to be on Redis.
    private(set) var chainSeq: Int

    /// How often a batch is redone because another instance moved the head, before giving up for now.
    static let conflictAttempts = 100
    /// Audit-stream entries read per `XRANGE` while catching up.
    static let catchUpPage = 512

    init(keyspace: Keyspace, archive: AuditArchive, metrics: Metrics, logger: Logger) throws(AuditArchiveError) {
        self.keyspace = keyspace
        self.archive = archive
        self.metrics = metrics
        self.logger = logger
        let last = try archive.last()
        archived = (last.map { AuditHead(seq: $0.seq, hash: $0.hash) } ?? .empty, last?.streamId ?? "")
        archivedCount = try archive.count()
        chainSeq = archived.head.seq
        metrics.set("cncf_audit_archive_entries", to: Double(archivedCount))
    }

    /// Whether the archive misses entries that are on Redis.
    var archiveIsBehind: Bool { archived.head.seq < chainSeq }

    /// Writes one audit entry per event of `entries` to the audit stream, moves the head and acknowledges the
    /// events, all in one `MULTI`/`EXEC` guarded by `WATCH` on the head; then appends the entries to the archive.
    ///
    /// Entries without fields (deleted while pending) are acknowledged without an audit entry. Throws only when
    /// the Redis transaction did not happen; a failure to archive is logged and repaired by a later catch-up.
    @discardableResult
    func record(_ entries: [StreamEntry], on connection: RedisConnection) throws -> [AuditEntry] {
        let events = entries.filter { !$0.fields.isEmpty }.map { LifecycleEvent(eventId: $0.id, fields: $0.fields) }
        let acknowledge = ["XACK", keyspace.events, Keyspace.auditGroup] + entries.map(\.id)
        guard !events.isEmpty else {
            try connection.command(acknowledge)
            return []
        }

        for _ in 0..<Self.conflictAttempts {
            let head = try watchHead(on: connection)
            var written = AuditChain.link(events, after: head)
            let last = written[written.count - 1]
            var commands: [[String]] = [["MULTI"]]
            commands += written.map { ["XADD", keyspace.audit, "*"] + $0.streamFields }
            commands.append(["HSET", keyspace.auditHead, "seq", String(last.seq), "hash", last.hash])
            commands.append(acknowledge)
            commands.append(["EXEC"])
            let replies = try connection.pipeline(commands)
            let outcome = replies[replies.count - 1]
            if outcome.isNull {
                metrics.increment("cncf_audit_chain_conflicts_total")
                logger.notice(
                    "another audit instance moved the chain head; linking the batch again",
                    ["op": "audit", "seq": String(head.seq)])
                continue
            }
            guard let results = try outcome.throwingServerError().array, results.count == written.count + 2 else {
                throw AuditWriteError(description: "EXEC of an audit batch returned \(outcome)")
            }
            for index in written.indices {
                if case .error(let message) = results[index] {
                    // Redis does not roll back: the head moved without this entry. Say so loudly; verify shows it.
                    logger.error(
                        "XADD of an audit entry failed inside its transaction; the chain has a hole",
                        ["op": "audit", "seq": String(written[index].seq), "error": message])
                }
                written[index].streamId = results[index].string ?? ""
            }
            chainSeq = max(chainSeq, last.seq)
            var writtenByType: [String: Int] = [:]
            for entry in written { writtenByType[entry.type, default: 0] += 1 }
            for (type, count) in writtenByType {
                metrics.increment("cncf_audit_entries_total", ["type": type], by: Double(count))
            }
            logger.debug("audited events", ["op": "audit", "count": String(written.count), "seq": String(last.seq)])
            archiveWritten(written, on: connection)
            return written
        }
        throw AuditWriteError(
            description: "the audit chain head moved \(Self.conflictAttempts) times in a row while linking a batch")
    }

    /// Reads the head (and learns how far the chain goes); when the archive is behind it, copies the missing
    /// entries from the audit stream.
    func catchUp(on connection: RedisConnection) throws {
        let head = try connection.command(["HGET", keyspace.auditHead, "seq"])
        if let seq = head.int { chainSeq = max(chainSeq, seq) }
        guard archiveIsBehind else { return }
        try copyFromStream(on: connection, through: chainSeq)
    }

    // MARK: Private

    /// `WATCH`es the head and reads it. A missing head starts the chain, unless the archive already holds
    /// entries (Redis lost its data): then the chain goes on from the archive's last entry.
    private func watchHead(on connection: RedisConnection) throws -> AuditHead {
        let replies = try connection.pipeline([
            ["WATCH", keyspace.auditHead], ["HMGET", keyspace.auditHead, "seq", "hash"],
        ])
        do {
            _ = try replies[0].throwingServerError()
            let fields = try replies[1].throwingServerError().array ?? []
            let seqText = fields.first?.string
            let hash = fields.count > 1 ? fields[1].string : nil
            var head = AuditHead.empty
            if seqText != nil || hash != nil {
                guard let seqText, let seq = Int(seqText), seq >= 0, let hash, hash.utf8.count == 64 else {
                    throw AuditWriteError(
                        description:
                            "the audit head \(keyspace.auditHead) is malformed (seq \(seqText ?? "missing"), hash"
                            + " \(hash ?? "missing")); not starting a second chain. Repair or delete it.")
                }
                head = AuditHead(seq: seq, hash: hash)
            }
            if archived.head.seq > head.seq {
                logger.warning(
                    "the audit head on Redis is behind the archive (Redis lost data?); continuing from the archive",
                    ["op": "audit", "redisSeq": String(head.seq), "archiveSeq": String(archived.head.seq)])
                head = archived.head
            }
            return head
        } catch {
            _ = try? connection.command(["UNWATCH"])
            throw error
        }
    }

    /// Appends a batch just written to Redis, or catches up when the archive is not right behind it.
    private func archiveWritten(_ written: [AuditEntry], on connection: RedisConnection) {
        do {
            if written[0].seq == archived.head.seq + 1 {
                try append(written)
            } else {
                try copyFromStream(on: connection, through: written[written.count - 1].seq)
            }
        } catch {
            logger.error(
                "could not archive audit entries; the archive catches up from the audit stream later",
                ["op": "archive", "error": "\(error)", "path": archive.path])
        }
    }

    /// Copies audit-stream entries with seqs above the archive's into the archive, up to `target`.
    private func copyFromStream(on connection: RedisConnection, through target: Int) throws {
        var start = archived.streamId.isEmpty ? "-" : "(" + archived.streamId
        while archived.head.seq < target {
            let reply = try connection.command([
                "XRANGE", keyspace.audit, start, "+", "COUNT", String(Self.catchUpPage),
            ])
            let items = Self.streamItems(reply)
            guard let lastId = items.last?.id else { break }
            start = "(" + lastId
            let missing = items.compactMap { AuditEntry(streamId: $0.id, fields: $0.fields) }.filter {
                $0.seq > archived.head.seq
            }
            guard let first = missing.first else { continue }
            if first.seq != archived.head.seq + 1 {
                logger.error(
                    "audit entries are gone from the audit stream before they were archived; the archive has a gap",
                    ["op": "archive", "from": String(archived.head.seq + 1), "to": String(first.seq - 1)])
            }
            try append(missing)
        }
        if archived.head.seq < target {
            logger.warning(
                "the audit stream ends before the chain head; the archive stays behind",
                ["op": "archive", "archiveSeq": String(archived.head.seq), "headSeq": String(target)])
        } else {
            logger.debug("archive caught up from the audit stream", ["op": "archive", "seq": String(target)])
        }
    }

    private func append(_ entries: [AuditEntry]) throws(AuditArchiveError) {
        archivedCount += try archive.append(entries)
        let last = entries[entries.count - 1]
        archived = (AuditHead(seq: last.seq, hash: last.hash), last.streamId)
        chainSeq = max(chainSeq, last.seq)
        metrics.set("cncf_audit_archive_entries", to: Double(archivedCount))
    }

    /// The `(id, fields)` pairs of an `XRANGE` reply.
    static func streamItems(_ reply: RedisValue) -> [(id: String, fields: [String: String])] {
        (reply.array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
            return (id, pair[1].fieldDictionary)
        }
    }
}
