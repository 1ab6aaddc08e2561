import Dispatch
import JobModel
import RedisClient
import Synchronization

/// How often and how soon a failed attempt runs again.
///
/// An error whose action is `fixInput` or `escalate` is never retried. `retryNow` runs again at once and
/// `retryLater` after an exponential backoff (`baseDelay` doubling per attempt, at most `maxDelay`, with a
/// random spread of ±`jitter`), as long as fewer than `maxAttempts` attempts have run.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Fraction of the delay by which it is spread at random, 0 to 1.
    public var jitter: Double

    public init(
        maxAttempts: Int, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300),
        jitter: Double = 0.2
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Three attempts, backoff from one second.
    public static let standard = RetryPolicy(maxAttempts: 3)

    /// The delay before attempt `attempt + 1`, after attempt `attempt` failed with `action`; `nil` when the
    /// failure is not to be retried (whatever the attempts left).
    public func delay(after attempt: Int, action: ErrorAction) -> Duration? {
        switch action {
        case .fixInput, .escalate: return nil
        case .retryNow: return .zero
        case .retryLater:
            let exponent = Double(min(max(attempt - 1, 0), 30))
            let base = baseDelay.seconds * pow2(exponent)
            let capped = min(base, maxDelay.seconds)
            let spread = capped * jitter * Double.random(in: -1...1)
            return .milliseconds(Int(max(0, capped + spread) * 1000))
        }
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole milliseconds.
    public var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}

/// A unit of work that workers run by name, e.g. `demo.echo`.
///
/// An operation receives the command's JSON input and returns a JSON result, or throws a `JobError` that says
/// what the caller should do about the failure. Any other error counts as `operation_error` and is escalated.
/// State changes go through `context.stage` and events through `context.publish`: both take effect only when
/// the attempt commits.
public protocol JobOperation: Sendable {
    /// `component.operation`.
    var name: String { get }
    /// One line for `GET /v1/operations`.
    var description: String { get }
    var retryPolicy: RetryPolicy { get }
    /// An attempt that runs longer fails with `timeout` and follows the retry policy.
    var timeout: Duration { get }
    /// True when everything the operation does goes through its context (staged writes, published events, calls
    /// of other transactional operations) or only reads committed state, so that an attempt whose commit is refused
    /// leaves no trace. Then its first attempt may run before its start is recorded, and a short one commits start
    /// and outcome in one step; a job cancelled meanwhile refuses that commit. False (the default) for anything
    /// with effects outside Redis, such as calling another service: its start is recorded before it runs.
    var isTransactional: Bool { get }

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue
}

extension JobOperation {
    public var retryPolicy: RetryPolicy { .standard }
    public var timeout: Duration { .seconds(300) }
    public var isTransactional: Bool { false }
}

/// Whether a subscriber runs inside the publishing task or as a task of its own.
public enum SubscriberDelivery: String, Sendable {
    /// In the publisher's flow, before its commit; its staged work joins the publisher's transaction.
    case sync
    /// As a separate task of the same job, delivered through its own consumer group on the event stream.
    case async
}

/// A domain event: a business fact published by an operation.
public struct DomainEvent: Sendable, Equatable {
    /// e.g. `order.placed`.
    public var type: String
    public var payload: JSONValue
    public var jobId: String
    /// The task that published it.
    public var taskId: String

    public init(type: String, payload: JSONValue, jobId: String, taskId: String) {
        self.type = type
        self.payload = payload
        self.jobId = jobId
        self.taskId = taskId
    }
}

/// Follow-up work for one type of domain event, declared next to the operations.
public protocol EventSubscriber: Sendable {
    /// A unique name, e.g. `order.confirmation`; for async subscribers also the consumer group's name.
    var name: String { get }
    var eventType: String { get }
    var delivery: SubscriberDelivery { get }
    var retryPolicy: RetryPolicy { get }
    var timeout: Duration { get }
    /// As `JobOperation.isTransactional`, for an async subscriber's task.
    var isTransactional: Bool { get }

    func handle(_ event: DomainEvent, context: OperationContext) async throws
}

extension EventSubscriber {
    public var retryPolicy: RetryPolicy { .standard }
    public var timeout: Duration { .seconds(300) }
    public var isTransactional: Bool { false }
}

/// The operations and subscribers one worker process hosts.
public struct OperationRegistry: Sendable {
    public private(set) var operations: [String: any JobOperation] = [:]
    public private(set) var subscribers: [String: any EventSubscriber] = [:]

    public init() {}

    /// Adds an operation; a second operation with the same name replaces the first.
    public mutating func register(_ operation: any JobOperation) {
        operations[operation.name] = operation
    }

    /// Adds an event subscriber; a second subscriber with the same name replaces the first.
    public mutating func register(_ subscriber: any EventSubscriber) {
        subscribers[subscriber.name] = subscriber
    }

    public func operation(named name: String) -> (any JobOperation)? { operations[name] }

    /// The subscribers of `eventType` delivered `delivery`, in name order.
    public func subscribers(of eventType: String, delivery: SubscriberDelivery) -> [any EventSubscriber] {
        subscribers.values.filter { $0.eventType == eventType && $0.delivery == delivery }.sorted { $0.name < $1.name }
    }
}

/// A change to application state, applied only when the task commits.
///
/// Keys are relative to the namespace: `demo:counters` means `<namespace>:demo:counters`.
public enum StagedWrite: Sendable, Equatable {
    case hashSet(key: String, field: String, value: String)
    case hashIncrement(key: String, field: String, by: Int)
    case set(key: String, value: String)
    case delete(key: String)
    case listPush(key: String, value: String)
    case setAdd(key: String, member: String)

    var key: String {
        switch self {
        case .hashSet(let key, _, _), .hashIncrement(let key, _, _), .set(let key, _), .delete(let key),
            .listPush(let key, _), .setAdd(let key, _):
            key
        }
    }

    /// The operation name and arguments after the key, as the commit script reads them.
    var scriptArguments: [String] {
        switch self {
        case .hashSet(_, let field, let value): ["hset", field, value]
        case .hashIncrement(_, let field, let amount): ["hincrby", field, String(amount)]
        case .set(_, let value): ["set", value, ""]
        case .delete: ["del", "", ""]
        case .listPush(_, let value): ["rpush", value, ""]
        case .setAdd(_, let member): ["sadd", member, ""]
        }
    }

    /// Key prefixes that belong to job management itself and cannot be written by operations.
    static let reservedPrefixes = [
        "job:", "jobs", "task:", "operations", "subscriptions", "commands", "tasks",
        "events", "audit", "due", "idem:", "dead", "replies", "workers",
    ]
}

/// What a running operation or subscriber knows about its job, where it stages its writes and events, and
/// where it records its call tree.
public final class OperationContext: Sendable {
    public let jobId: String
    /// `<job id>/primary` for the command's own work, `<job id>.<n>` for subscriber tasks.
    public let taskId: String
    public let attempt: Int
    public let principal: String
    public let logger: Logger
    let calls: CallTreeRecorder
    private let registry: OperationRegistry
    private let keyspace: Keyspace
    private let client: RedisClient
    private let staged = Mutex<(writes: [StagedWrite], events: [DomainEvent])>(([], []))

    init(
        jobId: String, taskId: String, attempt: Int, principal: String, spanName: String, logger: Logger,
        registry: OperationRegistry, keyspace: Keyspace, client: RedisClient
    ) {
        self.jobId = jobId
        self.taskId = taskId
        self.attempt = attempt
        self.principal = principal
        self.logger = logger
        self.calls = CallTreeRecorder(rootName: spanName)
        self.registry = registry
        self.keyspace = keyspace
        self.client = client
    }

    /// Whether the task was cancelled; long operations check it, or simply let `Task.sleep` and other
    /// cancellable calls throw.
    public var isCancelled: Bool { Task.isCancelled }

    /// Stages a write to application state. Throws when the key is empty or belongs to job management.
    public func stage(_ write: StagedWrite) throws {
        let key = write.key
        guard !key.isEmpty, !StagedWrite.reservedPrefixes.contains(where: { key.hasPrefix($0) }) else {
            throw JobError(code: "invalid_write", message: "key '\(key)' is reserved or empty", action: .escalate)
        }
        staged.withLock { $0.writes.append(write) }
    }

    /// Publishes a domain event when the task commits. Synchronous subscribers run now, inside this task: if one
    /// fails, the error propagates and the task fails with nothing of its staged work applied.
    public func publish(_ type: String, payload: JSONValue) async throws {
        let event = DomainEvent(type: type, payload: payload, jobId: jobId, taskId: taskId)
        staged.withLock { $0.events.append(event) }
        try await span("publish \(type)") {
            for subscriber in registry.subscribers(of: type, delivery: .sync) {
                try await span("subscriber \(subscriber.name)") {
                    try await subscriber.handle(event, context: self)
                }
            }
        }
    }

    /// Calls another operation hosted by this worker, inside this task and its transaction.
    public func call(_ operation: String, input: JSONValue) async throws -> JSONValue {
        guard let callee = registry.operation(named: operation) else {
            throw JobError(
                code: "unknown_operation", message: "this worker does not host \(operation)", action: .escalate)
        }
        return try await span(operation) { try await callee.run(input: input, context: self) }
    }

    /// Reads one field of a committed application hash (staged writes of this task are not visible). A Redis
    /// failure is thrown as a `JobError` to retry later.
    public func readHashField(key: String, field: String) async throws -> String? {
        do {
            return try await client.command(["HGET", "\(keyspace.namespace):\(key)", field]).string
        } catch {
            throw JobError(code: "storage_unavailable", message: "reading \(key) failed: \(error)", action: .retryLater)
        }
    }

    /// Runs `body` as a named span of the call tree, recording its start, duration and outcome.
    public func span<Result: Sendable>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        let index = calls.open(name)
        do {
            let result = try await body()
            calls.close(index, outcome: "ok")
            return result
        } catch {
            calls.close(index, outcome: "error")
            throw error
        }
    }

    /// The staged writes and events, in the order they were made.
    var stagedWork: (writes: [StagedWrite], events: [DomainEvent]) { staged.withLock { $0 } }
}

/// Spans of one attempt, nested by the order they open and close.
final class CallTreeRecorder: Sendable {
    private struct Span {
        var name: String
        var parent: Int?
        var startNanoseconds: UInt64
        var durationNanoseconds: UInt64?
        var outcome: String?
    }

    private struct State {
        var spans: [Span]
        var open: [Int]
    }

    private let state: Mutex<State>
    /// Wall-clock start of the root span, in microseconds since the epoch.
    let startedAtMicroseconds = Clock.microseconds()

    init(rootName: String) {
        state = Mutex(State(spans: [Span(name: rootName, parent: nil, startNanoseconds: Self.now())], open: [0]))
    }

    func open(_ name: String) -> Int {
        state.withLock { state in
            state.spans.append(Span(name: name, parent: state.open.last, startNanoseconds: Self.now()))
            state.open.append(state.spans.count - 1)
            return state.spans.count - 1
        }
    }

    func close(_ index: Int, outcome: String) {
        state.withLock { state in
            guard state.spans[index].durationNanoseconds == nil else { return }
            state.spans[index].durationNanoseconds = Self.now() - state.spans[index].startNanoseconds
            state.spans[index].outcome = outcome
            state.open.removeAll { $0 == index }
        }
    }

    /// Adds a finished span under the root, e.g. the commit measured by the caller.
    func record(_ name: String, startNanoseconds: UInt64, durationNanoseconds: UInt64, outcome: String) {
        state.withLock { state in
            state.spans.append(
                Span(
                    name: name, parent: 0, startNanoseconds: startNanoseconds,
                    durationNanoseconds: durationNanoseconds, outcome: outcome))
        }
    }

    /// The root's duration so far, in microseconds.
    var elapsedMicroseconds: Int {
        state.withLock { Int((Self.now() - $0.spans[0].startNanoseconds) / 1000) }
    }

    /// Whether anything beyond the root span was recorded.
    var hasChildren: Bool { state.withLock { $0.spans.count > 1 } }

    /// The finished tree as JSON, closing the root with `outcome`.
    func tree(rootOutcome: String) -> JSONValue {
        close(0, outcome: rootOutcome)
        let spans = state.withLock { $0.spans }
        let origin = spans[0].startNanoseconds
        func node(_ index: Int) -> JSONValue {
            let span = spans[index]
            let children = spans.indices.filter { spans[$0].parent == index }.map(node)
            var members: [String: JSONValue] = [
                "name": .string(span.name),
                "startOffsetMicros": .int(Int((span.startNanoseconds &- origin) / 1000)),
                "durationMicros": .int(Int((span.durationNanoseconds ?? 0) / 1000)),
                "outcome": .string(span.outcome ?? "unfinished"),
            ]
            if !children.isEmpty { members["children"] = .array(children) }
            if index == 0 {
                members["startedAt"] = .string(Clock.rfc3339(milliseconds: startedAtMicroseconds / 1000))
                members["startedAtMicros"] = .int(Int(startedAtMicroseconds))
            }
            return .object(members)
        }
        return node(0)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
