import Foundation
import JobModel
import RedisClient
import Synchronization

/// Runs tasks: the primary work of jobs, retries and continuations from the task stream, async subscriber tasks
/// from their consumer groups on the event stream, and `sync` requests.
///
/// Dedicated threads read the streams in batches, taking only as many entries as there are free execution slots
/// (`WORKER_CONCURRENCY`), and run each attempt as a Swift task. The `start` script moves a task to running under
/// a lease, the operation runs while the lease is renewed, and the `finish` script commits the outcome, its staged
/// writes and events and acknowledges the delivery in one step, only while the lease still holds. A transactional
/// operation's first attempt runs before its start is recorded: when it ends quickly, `finish` records start and
/// outcome together; otherwise its start is recorded once the batch's wait is over. The commits of the attempts that
/// ended while the reader waited go out with its next read, in one round trip. Start as many worker processes as
/// needed: the consumer groups hand each entry to one of them.
public final class Worker: Sendable {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    let registry: OperationRegistry
    let logger: Logger
    let client: RedisClient
    let slots: ExecutionSlots
    let stopping = Atomic<Bool>(false)
    private let readersRunning = Atomic<Int>(0)
    /// Deliveries being worked on, by entry id, with the Swift task running them.
    let running = Mutex<[String: RunningTask]>([:])
    let healthy = Atomic<Bool>(false)
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
        let logger = self.logger
        self.client = RedisClient(configuration: configuration.redis, name: "worker-redis") { [metrics] in
            metrics.increment("cncf_redis_reconnects_total")
            logger.notice("reconnected to Redis", ["op": "reconnect"])
        }
        self.slots = ExecutionSlots(count: configuration.workerConcurrency)
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
            // Its retries come on a stream of its own, so that only workers hosting it take them.
            startReader(
                name: "worker-\(subscriber.name)-retries",
                stream: configuration.keyspace.subscriberTasks(subscriber.name),
                group: Keyspace.subscriberGroup(subscriber.name))
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
    var attempt: Int
    let deadline: ContinuousClock.Instant
    /// When the lease is next due for renewal; `nil` while the attempt holds no lease (its start is not recorded
    /// yet, or it is a `sync` request).
    var renewAfter: ContinuousClock.Instant?
}

/// Lets the supervisor, the cancellation listener and a stopping worker end an attempt, and remembers why it
/// ended.
final class AttemptControl: Sendable {
    enum Reason: Sendable, Equatable {
        case cancelled(String?)
        case timedOut
        case leaseLost
        case handedBack
        /// The task was cancelled, or run elsewhere, before this attempt's start could be recorded.
        case superseded
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

    /// The attempt's start is now recorded under a lease for attempt `number`: renew it from now on.
    func leased(attempt number: Int, renewAfter: ContinuousClock.Instant) {
        state.withLock { state in
            state.supervision?.attempt = number
            state.supervision?.renewAfter = renewAfter
        }
    }

    var reason: Reason? { state.withLock { $0.reason } }

    func requestCancellation(reason: String?) { end(.cancelled(reason)) }
    func timeOut() { end(.timedOut) }
    func loseLease() { end(.leaseLost) }
    func handBack() { end(.handedBack) }
    func supersede() { end(.superseded) }

    private func end(_ reason: Reason) {
        let task = state.withLock { state -> Task<JSONValue, any Error>? in
            if state.reason == nil { state.reason = reason }
            return state.task
        }
        task?.cancel()
    }
}
