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

        while !stopping.load(ordering: .relaxed) {
            let entries = reader.next(count: Self.batchSize)
            guard let connection = try? reader.connection() else {
                healthy.store(false, ordering: .relaxed)
                continue
            }
            healthy.store(true, ordering: .relaxed)
            do {
                // An idle read is the moment to notice entries other instances wrote, and to repair the archive.
                if entries.isEmpty || writer.archiveIsBehind {
                    try writer.catchUp(on: connection)
                }
                if !entries.isEmpty {
                    try writer.record(entries, on: connection)
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
