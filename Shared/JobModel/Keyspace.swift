/// The names of every Redis key and stream, under one namespace.
///
/// A namespace written with braces (`{cncf}`) puts all of its keys in one Redis Cluster hash slot, which
/// the Lua scripts need, since each touches a job hash and shared streams together.
public struct Keyspace: Sendable, Equatable {
    public let namespace: String

    public init(namespace: String = "cncf") {
        self.namespace = namespace
    }

    /// The hash of one job.
    public func job(_ id: String) -> String { "\(namespace):job:\(id)" }

    /// The hash of one subscriber task.
    public func task(_ id: String) -> String { "\(namespace):task:\(id)" }

    /// The ids of a job's subscriber tasks.
    public func jobTasks(_ jobId: String) -> String { "\(namespace):job:\(jobId):tasks" }

    /// Remembers the job of one principal's idempotency key. Keys are per principal, so that nobody reaches
    /// another caller's job by repeating its key; the principal's length keeps `a:b` + `c` apart from `a` + `b:c`.
    public func idempotency(_ key: String, principal: String) -> String {
        "\(namespace):idem:\(principal.utf8.count):\(principal):\(key)"
    }

    /// Stands in for the idempotency key of a command that has none (scripts take a fixed list of keys).
    public var noIdempotencyKey: String { "\(namespace):idem:-" }

    /// Replies to one gateway instance's synchronous requests.
    public func replies(_ gatewayId: String) -> String { "\(namespace):replies:\(gatewayId)" }

    /// Event type → async subscribers, written by workers.
    public var subscriptions: String { "\(namespace):subscriptions" }

    /// Work waiting for its time: retries with backoff and delayed starts; score = due time in milliseconds.
    public var due: String { "\(namespace):due" }

    /// Retries of one async subscriber's tasks: read, like its first deliveries, only by the workers hosting it.
    public func subscriberTasks(_ subscriber: String) -> String { "\(namespace):tasks:sub:\(subscriber)" }

    /// Tasks whose attempts ran out.
    public var deadLetters: String { "\(namespace):tasks:dead" }

    /// Worker heartbeats: consumer name → JSON.
    public var workers: String { "\(namespace):workers" }

    /// Pub/sub channel on which cancellations of running jobs are announced to workers.
    public var cancelChannel: String { "\(namespace):cancel" }

    /// Every job id, ordered by id (and so by acceptance time).
    public var jobIndex: String { "\(namespace):jobs" }

    /// Operation name → JSON description, written by workers.
    public var operations: String { "\(namespace):operations" }

    /// Commands to run, from the gateway and from outside producers.
    public var commands: String { "\(namespace):commands" }

    /// Command entries refused by validation, with the reason.
    public var rejectedCommands: String { "\(namespace):commands:rejected" }

    /// Tasks for workers.
    public var tasks: String { "\(namespace):tasks" }

    /// Lifecycle events.
    public var events: String { "\(namespace):events" }

    /// The audit trail.
    public var audit: String { "\(namespace):audit" }

    /// Consumer group of the schedulers on `commands`.
    public static let schedulerGroup = "scheduler"
    /// Consumer group of the workers on `tasks`.
    public static let workerGroup = "workers"
    /// Consumer group of the audit service on `events`.
    public static let auditGroup = "audit"

    /// The consumer group on `events` through which an async subscriber receives its events.
    public static func subscriberGroup(_ subscriber: String) -> String { "sub:\(subscriber)" }
}
