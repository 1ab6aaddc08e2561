import Foundation
import JobModel
import RedisClient
import Synchronization

/// Writes the audit trail: one entry on the audit stream for every entry of the event stream.
///
/// A dedicated thread reads the event stream through the `audit` consumer group in batches and, for each batch,
/// appends the audit entries and acknowledges the events in one `MULTI`/`EXEC`, so every event is audited
/// exactly once even when the service or Redis restarts in between.
public final class AuditService: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private let healthy = Atomic<Bool>(false)

    static let batchSize = 512

    public init(configuration: ServiceConfiguration, metrics: Metrics = Metrics()) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = Logger(service: "audit", level: configuration.logLevel)
        metrics.describe("cncf_audit_entries_total", type: "counter", help: "Audit entries written, by event type.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
    }

    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    public func start() {
        logger.info("audit starting", configuration.summary.merging(["op": "start"]) { $1 })
        let thread = Thread { [self] in run() }
        thread.name = "audit"
        thread.start()
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        stopped.wait()
        logger.info("audit stopped", ["op": "stop"])
    }

    private func run() {
        let keyspace = configuration.keyspace
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: keyspace.events, group: Keyspace.auditGroup,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        while !stopping.load(ordering: .relaxed) {
            let entries = reader.next(count: Self.batchSize)
            healthy.store((try? reader.connection()) != nil, ordering: .relaxed)
            guard !entries.isEmpty else { continue }
            do {
                try record(entries, on: try reader.connection())
            } catch {
                logger.warning(
                    "audit batch failed; its events stay pending and are read again",
                    ["op": "audit", "error": "\(error)"])
                reader.reset()
            }
        }
        stopped.signal()
    }

    private func record(_ entries: [StreamEntry], on connection: RedisConnection) throws(RedisError) {
        let keyspace = configuration.keyspace
        var commands: [[String]] = [["MULTI"]]
        var written: [LifecycleEvent] = []
        for entry in entries where !entry.fields.isEmpty {
            let event = LifecycleEvent(eventId: entry.id, fields: entry.fields)
            commands.append(["XADD", keyspace.audit, "*"] + event.auditFields)
            written.append(event)
        }
        commands.append(["XACK", keyspace.events, Keyspace.auditGroup] + entries.map(\.id))
        commands.append(["EXEC"])
        let replies = try connection.pipeline(commands)
        _ = try replies[replies.count - 1].throwingServerError()
        for event in written {
            metrics.increment("cncf_audit_entries_total", ["type": event.type])
        }
        logger.debug("audited events", ["op": "audit", "count": String(written.count)])
    }
}
