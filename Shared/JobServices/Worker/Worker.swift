import Foundation
import JobModel
import RedisClient
import Synchronization

/// Runs tasks: the primary work of jobs, retries and continuations from the task stream, async subscriber tasks
/// from their consumer groups on the event stream, and `sync` requests.
///
/// Dedicated threads read the streams, taking only as many entries as there are free execution slots
/// (`WORKER_CONCURRENCY`). Each task runs as a Swift task: the `start` script moves it to running under a lease,
/// the operation runs while the lease is renewed, and the `finish` script commits the outcome, its staged writes
/// and events and acknowledges the delivery in one step, only while the lease still holds. Start as many worker
/// processes as needed: the consumer groups hand each entry to one of them.
public final class Worker: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    let registry: OperationRegistry
    let logger: Logger
    let client: RedisClient
    private let slots: DispatchSemaphore
    let stopping = Atomic<Bool>(false)
    private let readersRunning = Atomic<Int>(0)
    /// Deliveries being worked on, by entry id, with the Swift task running them.
    let running = Mutex<[String: RunningTask]>([:])
    private let healthy = Atomic<Bool>(false)
    let processed = Atomic<Int>(0)

    /// The most entries one read takes.
    static let maxBatch = 64

    /// One delivery being worked on.
    struct RunningTask: Sendable {
        let jobId: String
        let kind: String
        let control: AttemptControl
    }

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
        metrics.describe("cncf_retries_total", type: "counter", help: "Failed attempts scheduled to run again.")
        metrics.describe("cncf_dead_letters_total", type: "counter", help: "Tasks that used up their attempts.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
    }

    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Registers the hosted operations and subscriptions in Redis and starts reading.
    public func start() async throws(RedisError) {
        logger.info(
            "worker starting",
            configuration.summary.merging([
                "op": "start", "concurrency": String(configuration.workerConcurrency),
                "operations": registry.operations.keys.sorted().joined(separator: ","),
                "subscribers": registry.subscribers.keys.sorted().joined(separator: ","),
            ]) { $1 })
        try await register()

        startReader(name: "worker-tasks", stream: configuration.keyspace.tasks, group: Keyspace.workerGroup)
        for subscriber in registry.subscribers.values where subscriber.delivery == .async {
            startReader(
                name: "worker-\(subscriber.name)", stream: configuration.keyspace.events,
                group: Keyspace.subscriberGroup(subscriber.name), subscriber: subscriber)
        }
        startCancellationListener()
        startHeartbeat()
        Task.detached { [self] in await superviseAttempts() }
    }

    /// Stops taking work, lets running tasks finish within the grace period, then hands the rest back: each is
    /// cancelled and committed as a failed attempt to be run again at once, elsewhere.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        while readersRunning.load(ordering: .relaxed) > 0 { Thread.sleep(forTimeInterval: 0.01) }
        let deadline = Date().addingTimeInterval(Double(configuration.shutdownGraceSeconds))
        while !running.withLock({ $0.isEmpty }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let leftovers = running.withLock { $0.values.map(\.control) }
        for control in leftovers { control.handBack() }
        let handBackDeadline = Date().addingTimeInterval(5)
        while !running.withLock({ $0.isEmpty }) && Date() < handBackDeadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        _ = try? client.commandBlocking(["HDEL", configuration.keyspace.workers, configuration.consumerName])
        logger.info("worker stopped", ["op": "stop", "handedBack": String(leftovers.count)])
    }

    private func register() async throws(RedisError) {
        let keyspace = configuration.keyspace
        var commands: [[String]] = []
        var operations = ["HSET", keyspace.operations]
        for (name, operation) in registry.operations.sorted(by: { $0.key < $1.key }) {
            let description = JSONValue.object([
                "description": .string(operation.description), "maxAttempts": .int(operation.retryPolicy.maxAttempts),
            ])
            operations += [name, description.encoded]
        }
        if operations.count > 2 { commands.append(operations) }
        var byEvent: [String: [String]] = [:]
        for subscriber in registry.subscribers.values.sorted(by: { $0.name < $1.name })
        where subscriber.delivery == .async {
            byEvent[subscriber.eventType, default: []].append(
                "\(subscriber.name)=\(subscriber.retryPolicy.maxAttempts)")
        }
        if !byEvent.isEmpty {
            commands.append(
                ["HSET", keyspace.subscriptions] + byEvent.flatMap { [$0.key, $0.value.joined(separator: ",")] })
        }
        for subscriber in registry.subscribers.values where subscriber.delivery == .async {
            commands.append([
                "XGROUP", "CREATE", keyspace.events, Keyspace.subscriberGroup(subscriber.name), "$", "MKSTREAM",
            ])
        }
        guard !commands.isEmpty else { return }
        var delay = Duration.milliseconds(100)
        while true {
            do throws(RedisError) {
                let replies = try await client.pipeline(commands)
                for reply in replies {
                    if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") {
                        throw RedisError.server(message)
                    }
                }
                return
            } catch  where error.isConnectionFailure && !stopping.load(ordering: .relaxed) {
                logger.warning("cannot register with Redis yet; retrying", ["op": "register", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    private func startReader(name: String, stream: String, group: String, subscriber: (any EventSubscriber)? = nil) {
        readersRunning.add(1, ordering: .relaxed)
        let thread = Thread { [self] in
            readLoop(stream: stream, group: group, subscriber: subscriber)
            readersRunning.subtract(1, ordering: .relaxed)
        }
        thread.name = name
        thread.start()
    }

    private func readLoop(stream: String, group: String, subscriber: (any EventSubscriber)?) {
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: stream, group: group,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        let batchLimit = min(configuration.workerConcurrency, Self.maxBatch)
        while !stopping.load(ordering: .relaxed) {
            // The task reader reads only as many entries as it has slots for. A subscriber's reader sees every
            // event, most of them not for it, so it reads first and takes slots only for its own tasks: it must
            // not sit in a blocking read holding slots the task reader needs.
            var taken = 0
            if subscriber == nil {
                guard slots.wait(timeout: .now() + 0.5) == .success else { continue }
                taken = 1
                while taken < batchLimit, slots.wait(timeout: .now()) == .success { taken += 1 }
            }

            let entries = reader.next(count: subscriber == nil ? taken : Self.maxBatch)
            if subscriber == nil { healthy.store((try? reader.connection()) != nil, ordering: .relaxed) }
            var work: [Delivery] = []
            var unrelated: [String] = []
            for entry in entries {
                if let delivery = Delivery(entry: entry, stream: stream, group: group, subscriber: subscriber) {
                    work.append(delivery)
                } else {
                    unrelated.append(entry.id)
                }
            }
            if !unrelated.isEmpty, let connection = try? reader.connection() {
                _ = try? connection.command(["XACK", stream, group] + unrelated)
            }
            let fresh = running.withLock { running in
                work.filter { running[$0.runningKey] == nil }
            }
            while taken < fresh.count {
                guard slots.wait(timeout: .now() + 0.5) == .success else { continue }
                taken += 1
            }
            // Start every task of the batch in one round trip on this thread's own connection; a failure leaves
            // the entries pending, to be read again after the reconnect.
            let starts: [RedisValue?]
            do {
                starts = try startAll(fresh, on: try reader.connection())
            } catch {
                logger.warning(
                    "starting a batch failed; its entries stay pending", ["op": "start", "error": "\(error)"])
                reader.reset()
                for _ in 0..<taken { slots.signal() }
                continue
            }
            for _ in fresh.count..<taken { slots.signal() }
            for (delivery, started) in zip(fresh, starts) {
                let control = AttemptControl()
                running.withLock {
                    $0[delivery.runningKey] = RunningTask(
                        jobId: delivery.jobId, kind: delivery.kind.rawValue, control: control)
                }
                Task {
                    await self.execute(delivery, started: started, control: control)
                    self.running.withLock { _ = $0.removeValue(forKey: delivery.runningKey) }
                    self.processed.add(1, ordering: .relaxed)
                    self.slots.signal()
                }
            }
            metrics.set("cncf_tasks_in_flight", to: Double(running.withLock { $0.count }))
        }
    }

    /// Runs the `start` script for every task delivery of a batch in one pipeline; `nil` for `sync` requests.
    private func startAll(_ deliveries: [Delivery], on connection: RedisConnection) throws(RedisError) -> [RedisValue?]
    {
        let keyspace = configuration.keyspace
        let now = String(Clock.milliseconds())
        let tasks = deliveries.filter { $0.kind != .sync }
        let calls = tasks.map { delivery in
            let jobKey = keyspace.job(delivery.jobId)
            let taskKey = delivery.kind == .primary ? jobKey : keyspace.task(delivery.taskId)
            return (
                keys: [taskKey, jobKey, keyspace.events],
                arguments: [
                    configuration.consumerName, now, delivery.entryId,
                    String(configuration.leaseMilliseconds), delivery.kind.rawValue,
                ]
            )
        }
        var replies = try connection.evalScriptBatch(JobScripts.start, calls: calls).makeIterator()
        return deliveries.map { $0.kind == .sync ? nil : replies.next() }
    }

    /// Listens on the cancellation channel and cancels the running attempts of the jobs announced there.
    private func startCancellationListener() {
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                do {
                    // A quiet channel times the read out after a minute; the loop then simply reconnects. Lease
                    // renewal also reports cancellations, so one missed while reconnecting is still seen.
                    let connection = try RedisConnection(configuration: configuration.redis, readTimeout: .seconds(60))
                    _ = try connection.command(["SUBSCRIBE", configuration.keyspace.cancelChannel])
                    while !stopping.load(ordering: .relaxed) {
                        guard let parts = try connection.nextPushedReply().array, parts.count == 3,
                            parts[0].string == "message", let jobId = parts[2].string
                        else { continue }
                        let controls = running.withLock { running in
                            running.values.filter { $0.jobId == jobId && $0.kind == "primary" }.map(\.control)
                        }
                        controls.forEach { $0.requestCancellation(reason: nil) }
                    }
                } catch {
                    if stopping.load(ordering: .relaxed) { break }
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
        }
        thread.name = "worker-cancellations"
        thread.start()
    }

    /// Publishes what this worker is doing every two seconds, for `jobctl top`.
    private func startHeartbeat() {
        Task.detached { [self] in
            while !stopping.load(ordering: .relaxed) {
                let state = JSONValue.object([
                    "running": .int(running.withLock { $0.count }),
                    "concurrency": .int(configuration.workerConcurrency),
                    "processed": .int(processed.load(ordering: .relaxed)), "at": .int(Int(Clock.milliseconds())),
                ])
                _ = try? await client.command([
                    "HSET", configuration.keyspace.workers, configuration.consumerName, state.encoded,
                ])
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}

/// One entry handed to this worker: where it came from and what it asks for.
struct Delivery: Sendable {
    enum Kind: String, Sendable {
        case primary
        case subscriber
        case sync
    }

    let stream: String
    let group: String
    let entryId: String
    let kind: Kind
    let jobId: String
    /// The subscriber task's id; empty for the primary task.
    let taskId: String
    let fields: [String: String]

    /// Identifies the delivery among those running: one event entry reaches every subscriber's group.
    var runningKey: String { "\(group)|\(entryId)" }

    /// Reads an entry of the task stream, or of an async subscriber's group on the event stream (where only the
    /// events that created a task for this subscriber concern it); `nil` for entries to acknowledge and skip.
    init?(entry: StreamEntry, stream: String, group: String, subscriber: (any EventSubscriber)?) {
        self.stream = stream
        self.group = group
        entryId = entry.id
        fields = entry.fields
        if let subscriber {
            guard entry.fields["type"] == subscriber.eventType, let jobId = entry.fields["jobId"],
                let created = entry.fields["subscriberTasks"]
            else { return nil }
            let prefix = subscriber.name + "="
            guard let pair = created.split(separator: ",").first(where: { $0.hasPrefix(prefix) }) else { return nil }
            kind = .subscriber
            self.jobId = jobId
            taskId = String(pair.dropFirst(prefix.count))
            return
        }
        switch entry.fields["kind"] {
        case "sync":
            kind = .sync
            jobId = ""
            taskId = ""
        case "subscriber":
            guard let jobId = entry.fields["jobId"], let taskId = entry.fields["taskId"] else { return nil }
            kind = .subscriber
            self.jobId = jobId
            self.taskId = taskId
        default:
            guard let jobId = entry.fields["jobId"], !jobId.isEmpty else { return nil }
            kind = .primary
            self.jobId = jobId
            taskId = ""
        }
    }
}

/// What the supervisor needs to renew an attempt's lease and to end it on time.
struct Supervision: Sendable {
    let taskKey: String
    let stream: String
    let group: String
    let entryId: String
    let attempt: Int
    let deadline: ContinuousClock.Instant
    var renewAfter: ContinuousClock.Instant
}

/// Lets the supervisor, the cancellation listener and a stopping worker end an attempt, and remembers why it
/// ended.
final class AttemptControl: Sendable {
    enum Reason: Sendable, Equatable {
        case cancelled(String?)
        case timedOut
        case leaseLost
        case handedBack
    }

    private struct State {
        var task: Task<JSONValue, any Error>?
        var reason: Reason?
        var supervision: Supervision?
    }

    private let state = Mutex(State())

    func attach(_ task: Task<JSONValue, any Error>) {
        let cancelNow = state.withLock { state -> Bool in
            state.task = task
            return state.reason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Puts the attempt under supervision: lease renewal and timeout.
    func supervise(_ supervision: Supervision) { state.withLock { $0.supervision = supervision } }

    var supervision: Supervision? { state.withLock { $0.reason == nil ? $0.supervision : nil } }

    func renewed(until next: ContinuousClock.Instant) { state.withLock { $0.supervision?.renewAfter = next } }

    var reason: Reason? { state.withLock { $0.reason } }

    func requestCancellation(reason: String?) { end(.cancelled(reason)) }
    func timeOut() { end(.timedOut) }
    func loseLease() { end(.leaseLost) }
    func handBack() { end(.handedBack) }

    private func end(_ reason: Reason) {
        let task = state.withLock { state -> Task<JSONValue, any Error>? in
            if state.reason == nil { state.reason = reason }
            return state.task
        }
        task?.cancel()
    }
}
