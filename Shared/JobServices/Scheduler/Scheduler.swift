import Foundation
import JobModel
import RedisClient
import Synchronization

/// Turns command-stream entries into scheduled tasks.
///
/// One dedicated thread reads the command stream through the `scheduler` consumer group in batches, checks each
/// entry, and runs the `schedule` script for the whole batch in one pipeline. An entry that fails validation is
/// copied with its reason to the rejected stream, reported as a `command.rejected` event and acknowledged, so a
/// bad entry never stops the scheduler. Several schedulers may run at once; the group shares the entries out.
public final class Scheduler: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    let logger: Logger
    private let catalog: OperationCatalog
    let stopping = Atomic<Bool>(false)
    let loopsRunning = Atomic<Int>(0)
    private let healthy = Atomic<Bool>(false)
    /// Consumer groups seen without any consumer, by `"<stream> <group>"`, with when this process first saw them so.
    let groupsWithoutConsumers = Mutex<[String: Int]>([:])

    /// How many entries one read takes.
    static let batchSize = 256

    public init(configuration: ServiceConfiguration, metrics: Metrics = Metrics()) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = Logger(service: "scheduler", level: configuration.logLevel)
        self.catalog = OperationCatalog(keyspace: configuration.keyspace)
        metrics.describe(
            "cncf_commands_scheduled_total", type: "counter", help: "Commands turned into scheduled tasks.")
        metrics.describe(
            "cncf_commands_rejected_total", type: "counter", help: "Command entries refused by validation.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
        metrics.describe(
            "cncf_group_pending", type: "gauge", help: "Entries delivered to a consumer group, not yet acknowledged.")
        metrics.describe(
            "cncf_group_lag", type: "gauge", help: "Entries of a stream not yet delivered to a consumer group.")
        metrics.describe("cncf_stream_length", type: "gauge", help: "Entries in a stream.")
        metrics.describe("cncf_due_items", type: "gauge", help: "Retries and delayed starts waiting for their time.")
        metrics.describe(
            "cncf_reclaims_total", type: "counter", help: "Abandoned deliveries handed out again, by outcome.")
        metrics.describe(
            "cncf_jobs_finished_total", type: "counter",
            help: "Tasks ended here, by operation and status: those whose worker died on their last attempt.")
        metrics.describe(
            "cncf_dead_letters_total", type: "counter", help: "Tasks that used up their attempts, dead-lettered here.")
        metrics.describe(
            "cncf_abandoned_groups", type: "gauge",
            help: "Consumer groups silent for longer than GROUP_ABANDON_SECONDS, which no longer hold back trimming.")
    }

    /// Whether the scheduler is connected and reading.
    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Starts the scheduling threads: commands, due work, reclaiming, housekeeping and queue metrics.
    public func start() {
        logger.info("scheduler starting", configuration.summary.merging(["op": "start"]) { $1 })
        for (name, loop) in [
            ("scheduler-commands", run), ("scheduler-due", promoteDueWork),
            ("scheduler-reclaim", reclaimAbandonedWork), ("scheduler-housekeeping", keepHouse),
            ("scheduler-queue-metrics", measureQueues),
        ] {
            loopsRunning.add(1, ordering: .relaxed)
            let thread = Thread { [self] in
                loop()
                loopsRunning.subtract(1, ordering: .relaxed)
            }
            thread.name = name
            thread.start()
        }
    }

    /// Stops after the current batches and waits for the threads to end.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        while loopsRunning.load(ordering: .relaxed) > 0 { Thread.sleep(forTimeInterval: 0.01) }
        logger.info("scheduler stopped", ["op": "stop"])
    }

    private func run() {
        let keyspace = configuration.keyspace
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: keyspace.commands, group: Keyspace.schedulerGroup,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        reader.adoptAbandonedAfter = .seconds(60)
        // The schedule calls of one batch go out with the next read; conflicts they report are rejected after it.
        var outbox = Outbox()
        let conflicts = Conflicts()
        while !stopping.load(ordering: .relaxed) {
            let entries = reader.next(count: Self.batchSize, sending: &outbox)
            healthy.store((try? reader.connection()) != nil, ordering: .relaxed)
            do {
                let connection = try reader.connection()
                try rejectConflicts(conflicts, on: connection)
                guard !entries.isEmpty else { continue }
                outbox.append(contentsOf: try handle(entries, conflicts: conflicts, on: connection))
            } catch {
                logger.warning(
                    "batch failed; its entries stay pending and are read again",
                    ["op": "schedule", "error": "\(error)"])
                reader.reset()
            }
        }
        for _ in 0..<3 where !outbox.isEmpty { reader.flush(&outbox) }
    }

    /// Rejects the entries whose schedule call found their job id taken by other content.
    private func rejectConflicts(
        _ conflicts: Conflicts, on connection: RedisConnection
    ) throws(RedisError) {
        let found = conflicts.found.withLock { found in
            defer { found.removeAll() }
            return found
        }
        for (entry, jobId) in found {
            try reject(
                entry,
                CommandRejection(
                    code: "job_exists", reason: "job \(jobId) already exists with another operation or input"),
                on: connection)
        }
    }

    /// Validates a batch (rejecting what breaks the rules at once) and returns the schedule calls for the rest.
    private func handle(
        _ entries: [StreamEntry], conflicts: Conflicts, on connection: RedisConnection
    ) throws(RedisError) -> [ScriptCall] {
        let keyspace = configuration.keyspace
        let now = String(Clock.milliseconds())
        var calls: [ScriptCall] = []

        for entry in entries {
            switch validate(entry, on: connection) {
            case .failure(let rejection):
                try reject(entry, rejection, on: connection)
            case .success(let (command, maxAttempts)):
                if let replyTo = command.replyTo, !replyTo.hasPrefix(keyspace.replies("")) {
                    try reject(
                        entry,
                        CommandRejection(
                            code: "invalid_reply_to",
                            reason: "replyTo must name a stream under \(keyspace.replies(""))"),
                        on: connection)
                    continue
                }
                if command.mode == .sync {
                    calls.append(forwardSync(entry, command))
                    continue
                }
                let jobId = command.jobId ?? JobID.derived(fromStreamEntry: entry.id) ?? JobID.make()
                // A job the gateway made exists already; any job made here came from a stream producer, whose
                // principal is a claim nobody checked (a `source` field on the entry proves nothing).
                let principal = command.principal ?? "unauthenticated"
                let idempotency =
                    command.idempotencyKey.map { keyspace.idempotency($0, principal: principal) }
                    ?? keyspace.noIdempotencyKey
                let call = ScriptCall(
                    script: JobScripts.schedule,
                    keys: [
                        keyspace.job(jobId), keyspace.jobIndex, keyspace.tasks, keyspace.events, keyspace.commands,
                        keyspace.due, idempotency,
                    ],
                    arguments: [
                        entry.id, Keyspace.schedulerGroup, now, jobId, command.operation,
                        principal, command.mode.rawValue, command.input.encoded, "stream",
                        entry.fields["input"] == nil ? "0" : "1", String(command.maxAttempts ?? maxAttempts),
                        command.runAt.map(String.init) ?? "", command.idempotencyKey ?? "",
                        String(configuration.retentionSeconds), command.replyTo ?? "",
                    ]
                ) { [self] reply in
                    scheduled(entry, jobId: jobId, reply: reply, conflicts: conflicts)
                }
                calls.append(call)
            }
        }
        return calls
    }

    /// The call that hands a `sync` command to the workers; its answer goes to the producer's reply stream.
    private func forwardSync(_ entry: StreamEntry, _ command: CommandSubmission) -> ScriptCall {
        let keyspace = configuration.keyspace
        return ScriptCall(
            script: JobScripts.forwardSync, keys: [keyspace.commands, keyspace.tasks],
            arguments: [
                Keyspace.schedulerGroup, entry.id, command.operation, command.input.encoded,
                command.principal ?? "unauthenticated", command.replyTo ?? "", command.requestId ?? entry.id,
            ]
        ) { [logger] reply in
            if case .error(let message) = reply {
                logger.error("forwarding a sync command failed", ["op": "schedule", "error": message])
            }
        }
    }

    /// Counts and logs what a schedule call did; a conflict is left for `rejectConflicts`.
    private func scheduled(
        _ entry: StreamEntry, jobId: String, reply: RedisValue, conflicts: Conflicts
    ) {
        switch reply.array?.first?.string {
        case "scheduled":
            metrics.increment("cncf_commands_scheduled_total")
            logger.debug("job scheduled", ["op": "schedule", "job": jobId])
        case "skipped":
            logger.debug("entry for a job already past accepted", ["op": "schedule", "job": jobId])
        case "duplicate":
            logger.debug("entry repeats an idempotency key", ["op": "schedule", "job": jobId])
        case "conflict":
            conflicts.found.withLock { $0.append((entry, jobId)) }
        default:
            // A script error leaves the entry pending; it is read again after the next reconnect.
            logger.error("schedule script failed", ["op": "schedule", "job": jobId, "error": "\(reply)"])
        }
    }

    /// Checks an entry and finds its operation's default number of attempts.
    private func validate(
        _ entry: StreamEntry, on connection: RedisConnection
    )
        -> Result<(CommandSubmission, Int), CommandRejection>
    {
        guard !entry.fields.isEmpty else {
            return .failure(CommandRejection(code: "entry_deleted", reason: "the entry was deleted before it was read"))
        }
        let command: CommandSubmission
        do {
            command = try CommandValidation.parse(streamFields: entry.fields)
        } catch {
            return .failure(error)
        }
        do {
            guard
                let operation = try catalog.entry(
                    command.operation,
                    load: { () throws(RedisError) in
                        try connection.command(catalog.loadCommand)
                    })
            else {
                return .failure(
                    CommandRejection(
                        code: "unknown_operation",
                        reason: "operation '\(command.operation)' is not registered by any worker"))
            }
            return .success((command, operation.maxAttempts))
        } catch {
            // Unreachable Redis is not the entry's fault: the batch's writes fail too and the entry is read again.
            return .success((command, RetryPolicy.standard.maxAttempts))
        }
    }

    private func reject(
        _ entry: StreamEntry, _ rejection: CommandRejection, on connection: RedisConnection
    )
        throws(RedisError)
    {
        let keyspace = configuration.keyspace
        let now = String(Clock.milliseconds())
        var rejected = [
            "XADD", keyspace.rejectedCommands, "*", "entryId", entry.id, "code", rejection.code,
            "reason", rejection.reason, "at", now,
        ]
        for key in entry.fields.keys.sorted() { rejected += ["original.\(key)", entry.fields[key]!] }
        let details = JSONValue.object([
            "entryId": .string(entry.id), "code": .string(rejection.code), "reason": .string(rejection.reason),
        ]).encoded
        let event = [
            "XADD", keyspace.events, "*", "type", LifecycleEventType.commandRejected.rawValue,
            "jobId", entry.fields["jobId"] ?? "", "operation", entry.fields["operation"] ?? "",
            "principal", entry.fields["principal"] ?? "", "status", "rejected", "at", now, "details", details,
        ]
        let replies = try connection.pipeline([
            ["MULTI"], rejected, event, ["XACK", keyspace.commands, Keyspace.schedulerGroup, entry.id], ["EXEC"],
        ])
        _ = try replies[4].throwingServerError()
        metrics.increment("cncf_commands_rejected_total", ["code": rejection.code])
        logger.notice(
            "command entry rejected",
            [
                "op": "reject", "entry": entry.id, "code": rejection.code,
                "reason": rejection.reason,
            ])
    }
}

/// Command entries whose schedule call found their job id taken by other content, to be rejected once the
/// reader's connection is free again.
final class Conflicts: Sendable {
    let found = Mutex<[(entry: StreamEntry, jobId: String)]>([])
}
