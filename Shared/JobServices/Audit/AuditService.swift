import AuditArchive
import Foundation
import JobModel
import RedisClient
import Synchronization

/// Writes the audit trail: one chained entry on the audit stream for every entry of the event stream, copied
/// into a SQLite archive.
///
/// A dedicated thread reads the event stream through the `audit` consumer group in batches and, for each batch,
/// appends the audit entries, moves the chain head and acknowledges the events in one `MULTI`/`EXEC` guarded by
/// `WATCH` on the head, so every event is audited exactly once and two running instances still write a single
/// chain. Afterwards the entries go into the archive, which catches up from the audit stream whenever it is
/// behind (after a crash, or entries written by another instance). See docs/audit.md.
public final class AuditService: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    public let archive: AuditArchive
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private let healthy = Atomic<Bool>(false)
    private let chainSeq = Atomic<Int>(0)
    private let archivedSeq = Atomic<Int>(0)

    static let batchSize = 512
    /// How long the service waits after a batch that was not half full, in seconds.
    static let linger = 0.005
    /// How many times in a row a batch may meet a head moved by another instance before its events are read again.
    static let conflictLimit = 100

    /// - Parameter archive: the archive this service appends to (opened read-write); one service per file.
    public init(configuration: ServiceConfiguration, archive: AuditArchive, metrics: Metrics = Metrics()) {
        self.configuration = configuration
        self.archive = archive
        self.metrics = metrics
        self.logger = Logger(service: "audit", level: configuration.logLevel)
        metrics.describe("cncf_audit_entries_total", type: "counter", help: "Audit entries written, by event type.")
        metrics.describe(
            "cncf_audit_archive_entries", type: "gauge", help: "Entries in the SQLite audit archive.")
        metrics.describe(
            "cncf_audit_chain_conflicts_total", type: "counter",
            help: "Batches linked again because another audit instance moved the chain head first.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
        // Shown as 0 from the start, so that alerts on its rate have a series to look at.
        metrics.increment("cncf_audit_chain_conflicts_total", by: 0)
    }

    /// Whether the last read of the event stream reached Redis.
    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// The last seq known to be on Redis, and the last seq in the archive.
    public var progress: (chain: Int, archived: Int) {
        (chainSeq.load(ordering: .relaxed), archivedSeq.load(ordering: .relaxed))
    }

    /// Starts the service's thread, which reads events until `stop()`.
    public func start() {
        logger.info(
            "audit starting",
            configuration.summary.merging(["op": "start", "archive": archive.path]) { $1 })
        let thread = Thread { [self] in run() }
        thread.name = "audit"
        thread.start()
    }

    /// Stops after the batch in hand (waiting at most one blocking read, 2 seconds) and returns once stopped.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        stopped.wait()
        logger.info("audit stopped", ["op": "stop"])
    }

    private func run() {
        defer { stopped.signal() }
        let keyspace = configuration.keyspace
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: keyspace.events, group: Keyspace.auditGroup,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        reader.adoptAbandonedAfter = .seconds(60)
        guard let writer = openWriter(keyspace: keyspace) else { return }

        // Each round trip sends the transaction of the batch read before, watches and reads the head, and reads the
        // next batch; the batch read is then linked on that head, and its transaction waits for the next round trip.
        // A transaction counts only on the connection whose WATCH guards it.
        var transaction: (batch: AuditChainWriter.Transaction, connection: ObjectIdentifier)?
        var conflicts = 0
        while !stopping.load(ordering: .relaxed) {
            var sent = transaction?.batch
            if let pending = transaction, (try? reader.connection()).map(ObjectIdentifier.init) != pending.connection {
                sent = nil
            }
            transaction = nil
            var outcome: Result<AuditChainWriter.Outcome, any Error>?
            var head: Result<AuditHead, any Error> = .failure(AuditWriteError(description: "no reply"))
            let commands = (sent?.commands ?? []) + writer.watchCommands
            let entries = reader.next(count: Self.batchSize, after: commands) { replies in
                guard let replies else { return }
                let transactionReplies = replies.dropLast(2)
                if let sent { outcome = Result { try writer.outcome(of: sent, replies: transactionReplies) } }
                head = Result { try writer.head(from: replies[replies.count - 1]) }
            }
            guard let connection = try? reader.connection() else {
                healthy.store(false, ordering: .relaxed)
                continue
            }
            healthy.store(true, ordering: .relaxed)

            var relink: [LifecycleEvent] = []
            switch outcome {
            case .success(.written(let written))?:
                conflicts = 0
                logger.debug(
                    "audited events", ["op": "audit", "count": String(written.count), "seq": String(writer.chainSeq)])
                writer.archive(written, on: connection)
            case .success(.conflict(let events))?:
                conflicts += 1
                relink = events
            case .failure(let error)?:
                logger.warning(
                    "audit batch failed; its events stay pending and are read again",
                    ["op": "audit", "error": "\(error)"])
                reader.reset()
                continue
            case nil:
                // The round trip failed before any reply: whatever was sent is read again from the pending entries.
                if sent != nil { continue }
            }
            if conflicts > Self.conflictLimit {
                logger.warning(
                    "the chain head kept moving under this instance; reading its pending events again",
                    ["op": "audit", "conflicts": String(conflicts)])
                conflicts = 0
                reader.reset()
                continue
            }

            do {
                // An idle read is the moment to notice entries other instances wrote, and to repair the archive.
                if entries.isEmpty || writer.archiveIsBehind {
                    try writer.catchUp(on: connection)
                }
                let events = relink + entries.filter { !$0.fields.isEmpty }.map {
                    LifecycleEvent(eventId: $0.id, fields: $0.fields)
                }
                let acknowledged = relink.map(\.eventId) + entries.map(\.id)
                if let batch = writer.transaction(for: events, acknowledging: acknowledged, after: try head.get()) {
                    transaction = (batch, ObjectIdentifier(connection))
                }
            } catch let error as AuditArchiveError {
                logger.error("audit archive failed", ["op": "archive", "error": "\(error)", "path": archive.path])
            } catch {
                logger.warning(
                    "audit batch failed; its events stay pending and are read again",
                    ["op": "audit", "error": "\(error)"])
                reader.reset()
            }
            chainSeq.store(writer.chainSeq, ordering: .relaxed)
            archivedSeq.store(writer.archived.head.seq, ordering: .relaxed)
            // A small batch under load: let the next one grow a little, since every round trip and every archive
            // transaction has a cost of its own, and nobody waits for the audit trail.
            if !entries.isEmpty && entries.count < Self.batchSize / 2 { Thread.sleep(forTimeInterval: Self.linger) }
        }
        // The last batch read: written now, without reading on.
        if let (batch, identity) = transaction, let connection = try? reader.connection(),
            ObjectIdentifier(connection) == identity, let replies = try? connection.pipeline(batch.commands),
            case .written(let written)? = try? writer.outcome(of: batch, replies: replies[...])
        {
            writer.archive(written, on: connection)
        }
    }

    /// The writer, once the archive could be read; retried every few seconds until it works or the service stops.
    private func openWriter(keyspace: Keyspace) -> AuditChainWriter? {
        while !stopping.load(ordering: .relaxed) {
            do {
                let writer = try AuditChainWriter(
                    keyspace: keyspace, archive: archive, metrics: metrics, logger: logger)
                archivedSeq.store(writer.archived.head.seq, ordering: .relaxed)
                chainSeq.store(writer.chainSeq, ordering: .relaxed)
                return writer
            } catch {
                logger.error("cannot read the audit archive; retrying", ["op": "archive", "error": "\(error)"])
                Thread.sleep(forTimeInterval: 2)
            }
        }
        return nil
    }
}
