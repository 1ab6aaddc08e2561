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
///
/// A batch's transaction goes out with the read of the next batch and the `WATCH` and read of the head, in one
/// round trip: `MULTI`, one `XADD` per entry, the head, the acknowledgements, `EXEC`, then `WATCH` and `HMGET` of
/// the head, then `XREADGROUP`.
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

    /// A batch linked into the chain, ready to be written in one `MULTI`/`EXEC` (guarded by the `WATCH` on the head
    /// that was sent before the head was read).
    struct Transaction {
        /// The events, to link again should another instance move the head first.
        let events: [LifecycleEvent]
        /// The entries the transaction writes, numbered and hashed.
        let entries: [AuditEntry]
        /// The ids the transaction acknowledges: every event's, and those of entries deleted while pending.
        let acknowledged: [String]
        let commands: [[String]]
    }

    /// What came of a transaction.
    enum Outcome {
        /// Written: the entries with the stream ids Redis gave them.
        case written([AuditEntry])
        /// Another instance moved the head since it was watched: nothing was written; link the events again.
        case conflict([LifecycleEvent])
    }

    /// The commands that watch the head and read it; sent at the end of every round trip, so that the next batch
    /// links on the head as it is and its `EXEC` fails if another instance moves it meanwhile.
    var watchCommands: [[String]] { [["WATCH", keyspace.auditHead], ["HMGET", keyspace.auditHead, "seq", "hash"]] }

    /// Links `events` after `head` into the transaction that appends them, moves the head and acknowledges
    /// `acknowledged` (their ids and those of entries to pass over); `nil` when there is nothing to do.
    func transaction(
        for events: [LifecycleEvent], acknowledging acknowledged: [String], after head: AuditHead
    ) -> Transaction? {
        guard !acknowledged.isEmpty else { return nil }
        let entries = AuditChain.link(events, after: head)
        var commands: [[String]] = [["MULTI"]]
        commands.reserveCapacity(entries.count + 4)
        for entry in entries { commands.append(["XADD", keyspace.audit, "*"] + entry.streamFields) }
        if let last = entries.last {
            commands.append(["HSET", keyspace.auditHead, "seq", String(last.seq), "hash", last.hash])
        }
        commands.append(["XACK", keyspace.events, Keyspace.auditGroup] + acknowledged)
        commands.append(["EXEC"])
        return Transaction(events: events, entries: entries, acknowledged: acknowledged, commands: commands)
    }

    /// Reads the replies of a transaction's commands.
    func outcome(of transaction: Transaction, replies: ArraySlice<RedisValue>) throws -> Outcome {
        let exec = replies[replies.endIndex - 1]
        if exec.isNull {
            metrics.increment("cncf_audit_chain_conflicts_total")
            logger.notice("another audit instance moved the chain head; linking the batch again", ["op": "audit"])
            return .conflict(transaction.events)
        }
        let expected = transaction.entries.count + (transaction.entries.isEmpty ? 1 : 2)
        guard let results = try exec.throwingServerError().array, results.count == expected else {
            throw AuditWriteError(description: "EXEC of an audit batch returned \(exec)")
        }
        var written = transaction.entries
        for index in written.indices {
            if case .error(let message) = results[index] {
                // Redis does not roll back: the head moved without this entry. Say so loudly; verify shows it.
                logger.error(
                    "XADD of an audit entry failed inside its transaction; the chain has a hole",
                    ["op": "audit", "seq": String(written[index].seq), "error": message])
            }
            written[index].streamId = results[index].string ?? ""
        }
        if let last = written.last { chainSeq = max(chainSeq, last.seq) }
        var writtenByType: [String: Int] = [:]
        for entry in written { writtenByType[entry.type, default: 0] += 1 }
        for (type, count) in writtenByType {
            metrics.increment("cncf_audit_entries_total", ["type": type], by: Double(count))
        }
        return .written(written)
    }

    /// The head as the reply to `HMGET head seq hash` gives it. A missing head starts the chain, unless the archive
    /// already holds entries (Redis lost its data): then the chain goes on from the archive's last entry.
    func head(from reply: RedisValue) throws -> AuditHead {
        let fields = try reply.throwingServerError().array ?? []
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
    }

    /// Appends a batch just written to Redis to the archive, or catches up when the archive is not right behind
    /// it. A failure is logged; a later catch-up repairs it.
    func archive(_ written: [AuditEntry], on connection: RedisConnection) {
        guard let first = written.first, let last = written.last else { return }
        do {
            if first.seq == archived.head.seq + 1 {
                try append(written)
            } else {
                try copyFromStream(on: connection, through: last.seq)
            }
        } catch {
            logger.error(
                "could not archive audit entries; the archive catches up from the audit stream later",
                ["op": "archive", "error": "\(error)", "path": archive.path])
        }
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
