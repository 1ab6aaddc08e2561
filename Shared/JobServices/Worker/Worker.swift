import Foundation
import JobModel
import RedisClient
import Synchronization

/// Runs tasks from the task stream.
///
/// A dedicated thread reads the `workers` consumer group, taking only as many entries as there are free
/// execution slots (`WORKER_CONCURRENCY`). Each task runs as a Swift task: the `start` script moves the job to
/// running under a lease, the operation runs, and the `finish` script records the outcome and acknowledges the
/// entry in one step, only while the lease still holds. Start as many worker processes as needed: the consumer
/// group hands each entry to one of them.
public final class Worker: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    private let registry: OperationRegistry
    private let logger: Logger
    private let client: RedisClient
    private let slots: DispatchSemaphore
    private let stopping = Atomic<Bool>(false)
    private let readerStopped = DispatchSemaphore(value: 0)
    private let inFlight = Mutex<Set<String>>([])
    private let healthy = Atomic<Bool>(false)

    /// The most entries one read takes.
    static let maxBatch = 64

    public init(configuration: ServiceConfiguration, registry: OperationRegistry, metrics: Metrics = Metrics()) {
        self.configuration = configuration
        self.registry = registry
        self.metrics = metrics
        self.logger = Logger(
            service: "worker", level: configuration.logLevel, metadata: ["worker": configuration.consumerName])
        self.client = RedisClient(configuration: configuration.redis, name: "worker-redis")
        self.slots = DispatchSemaphore(value: configuration.workerConcurrency)
        metrics.describe(
            "cncf_jobs_finished_total", type: "counter", help: "Attempts finished, by operation and status.")
        metrics.describe("cncf_task_duration_seconds", type: "histogram", help: "Time an operation ran, by operation.")
        metrics.describe("cncf_tasks_in_flight", type: "gauge", help: "Tasks this worker is running now.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
    }

    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Registers the hosted operations in Redis and starts reading tasks.
    public func start() async throws(RedisError) {
        logger.info(
            "worker starting",
            configuration.summary.merging([
                "op": "start", "concurrency": String(configuration.workerConcurrency),
                "operations": registry.operations.keys.sorted().joined(separator: ","),
            ]) { $1 })
        try await registerOperations()
        let thread = Thread { [self] in readLoop() }
        thread.name = "worker-reader"
        thread.start()
    }

    /// Stops taking tasks, then waits up to the grace period for running ones. Tasks still running afterwards
    /// stay pending in the consumer group, to be run again elsewhere.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        readerStopped.wait()
        let deadline = Date().addingTimeInterval(Double(configuration.shutdownGraceSeconds))
        while !inFlight.withLock({ $0.isEmpty }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let abandoned = inFlight.withLock { $0.count }
        logger.info("worker stopped", ["op": "stop", "abandoned": String(abandoned)])
    }

    private func registerOperations() async throws(RedisError) {
        var command = ["HSET", configuration.keyspace.operations]
        for (name, operation) in registry.operations.sorted(by: { $0.key < $1.key }) {
            command += [name, JSONValue.object(["description": .string(operation.description)]).encoded]
        }
        guard command.count > 2 else { return }
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await client.command(command)
                return
            } catch where error.isConnectionFailure && !stopping.load(ordering: .relaxed) {
                logger.warning("cannot register operations yet; retrying", ["op": "register", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    private func readLoop() {
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: configuration.keyspace.tasks, group: Keyspace.workerGroup,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        let batchLimit = min(configuration.workerConcurrency, Self.maxBatch)
        while !stopping.load(ordering: .relaxed) {
            guard slots.wait(timeout: .now() + 0.5) == .success else { continue }
            var taken = 1
            while taken < batchLimit, slots.wait(timeout: .now()) == .success { taken += 1 }

            let entries = reader.next(count: taken)
            healthy.store((try? reader.connection()) != nil, ordering: .relaxed)
            let fresh = inFlight.withLock { running in
                let fresh = entries.filter { !running.contains($0.id) }
                running.formUnion(fresh.map(\.id))
                return fresh
            }
            for _ in fresh.count..<taken { slots.signal() }
            metrics.set("cncf_tasks_in_flight", to: Double(inFlight.withLock { $0.count }))
            for entry in fresh {
                Task {
                    await self.execute(entry)
                    self.inFlight.withLock { _ = $0.remove(entry.id) }
                    self.slots.signal()
                }
            }
        }
        readerStopped.signal()
    }

    private func execute(_ entry: StreamEntry) async {
        let keyspace = configuration.keyspace
        guard let jobId = entry.fields["jobId"], !jobId.isEmpty else {
            logger.warning("task entry without a job id; acknowledged", ["op": "start", "task": entry.id])
            await acknowledge(entry)
            return
        }
        let logger = self.logger.with(["job": jobId, "task": entry.id])

        guard
            let started = await retrying(
                "start", logger: logger,
                { () async throws(RedisError) -> RedisValue in
                    try await self.client.evalScript(
                        JobScripts.start, keys: [keyspace.job(jobId), keyspace.events],
                        arguments: [self.configuration.consumerName, String(Clock.milliseconds()), entry.id])
                })
        else { return }
        guard let fields = started.array, fields.first?.string == "run", fields.count >= 5,
            let attempt = fields[1].int, let inputText = fields[2].string, let operationName = fields[3].string
        else {
            logger.debug("task not runnable; acknowledged", ["op": "start", "reply": "\(started)"])
            await acknowledge(entry)
            return
        }
        let principal = fields[4].string ?? ""

        let context = OperationContext(
            jobId: jobId, attempt: attempt, principal: principal, operation: operationName,
            logger: logger.with(["op": operationName]))
        let clock = ContinuousClock()
        let began = clock.now
        var outcome: Result<JSONValue, JobError>
        if let operation = registry.operation(named: operationName) {
            do {
                let input = (try? JSONValue.parse(inputText, depthLimit: 256)) ?? .object([:])
                outcome = .success(try await operation.run(input: input, context: context))
            } catch let error as JobError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(JobError(code: "operation_error", message: "\(error)", action: .escalate))
            }
        } else {
            outcome = .failure(
                JobError(
                    code: "unknown_operation", message: "this worker does not host \(operationName)", action: .escalate)
            )
        }
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let durationMillis = Int(seconds * 1000)

        let status: JobStatus
        var result = "", summary = "", errorCode = "", errorMessage = "", errorAction = ""
        var details: [String: JSONValue] = ["attempt": .int(attempt), "durationMs": .int(durationMillis)]
        switch outcome {
        case .success(let value):
            status = .succeeded
            result = value.encoded
            summary = Job.summary(of: value)
        case .failure(let error):
            status = .failed
            errorCode = error.code
            errorMessage = error.message
            errorAction = error.action.rawValue
            details["error"] = error.json
            logger.notice("attempt failed", ["op": operationName, "code": error.code])
        }
        let diagnostics = JSONValue.object([
            "worker": .string(configuration.consumerName), "attempt": .int(attempt),
            "durationMicros": .int(Int(seconds * 1_000_000)),
        ]).encoded
        let callTree = context.calls.tree(rootOutcome: status == .succeeded ? "ok" : "error").encoded

        let finishArguments = [
            entry.id, Keyspace.workerGroup, String(attempt), status.rawValue,
            String(Clock.milliseconds()), result, summary, errorCode, errorMessage, errorAction,
            diagnostics, callTree, JSONValue.object(details).encoded,
        ]
        guard
            let finished = await retrying(
                "finish", logger: logger,
                { () async throws(RedisError) -> RedisValue in
                    try await self.client.evalScript(
                        JobScripts.finish, keys: [keyspace.job(jobId), keyspace.events, keyspace.tasks],
                        arguments: finishArguments)
                })
        else { return }
        if finished.array?.first?.string == "done" {
            metrics.increment("cncf_jobs_finished_total", ["operation": operationName, "status": status.rawValue])
            metrics.observe("cncf_task_duration_seconds", ["operation": operationName], seconds: seconds)
            logger.debug("attempt finished", ["op": operationName, "status": status.rawValue])
        } else {
            logger.notice(
                "commit refused: the attempt no longer holds its lease", ["op": operationName, "reply": "\(finished)"])
        }
    }

    private func acknowledge(_ entry: StreamEntry) async {
        _ = await retrying("ack", logger: logger) { () async throws(RedisError) -> RedisValue in
            try await self.client.command(["XACK", self.configuration.keyspace.tasks, Keyspace.workerGroup, entry.id])
        }
    }

    /// Runs a Redis step until it gets through, backing off while Redis is unreachable. Gives up (returning
    /// `nil`) on a server error or when the worker stops; the task entry then stays pending to be run again.
    private func retrying(
        _ step: String, logger: Logger, _ body: @Sendable () async throws(RedisError) -> RedisValue
    )
        async -> RedisValue?
    {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try await body()
            } catch where error.isConnectionFailure {
                if stopping.load(ordering: .relaxed) && delay > .seconds(1) { return nil }
                logger.warning("Redis unreachable; retrying", ["op": step, "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            } catch {
                logger.error("Redis refused a step; the task stays pending", ["op": step, "error": "\(error)"])
                return nil
            }
        }
    }
}
