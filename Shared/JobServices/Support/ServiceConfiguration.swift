import JobModel
import RedisClient

#if canImport(Glibc)
    import Glibc
#endif

/// Settings every service reads from its environment, under the same names everywhere.
public struct ServiceConfiguration: Sendable {
    public var redis: RedisConfiguration
    public var keyspace: Keyspace
    public var logLevel: LogLevel
    public var gatewayHost: String
    public var gatewayPort: Int
    /// Port of `/healthz` and `/metrics` for services other than the gateway; 0 turns it off.
    public var metricsPort: Int
    public var metricsHost: String
    public var workerConcurrency: Int
    /// This process's consumer name in Redis consumer groups; unique per process unless set.
    public var consumerName: String
    /// How long a stopping service lets running work finish, in seconds.
    public var shutdownGraceSeconds: Int
    /// How long a task's lease lasts without renewal; a worker that stops renewing for this long is taken for
    /// dead and its task is run again.
    public var leaseMilliseconds: Int
    /// How long finished jobs, their tasks and idempotency keys are kept.
    public var retentionSeconds: Int
    /// About how many entries the audit stream keeps (older ones are trimmed).
    public var auditStreamLength: Int
    /// A consumer group on a work stream whose consumers have all been silent this long no longer holds back
    /// the stream's trimming.
    public var groupAbandonSeconds: Int
    /// The longest any attempt may run, whatever its operation declares; `nil` leaves each operation's own.
    public var maxAttemptMilliseconds: Int?

    /// A setting that could not be used.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the environment; unset variables take their defaults.
    public static func fromEnvironment(
        _ environment: [String: String] = currentEnvironment()
    ) throws(Invalid)
        -> ServiceConfiguration
    {
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(Invalid) -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw Invalid(
                    description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }

        let redis: RedisConfiguration
        do {
            redis = try RedisConfiguration(url: environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
        } catch {
            throw Invalid(description: "REDIS_URL: \(error)")
        }
        let namespace = environment["CNCF_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "cncf"
        let levelName = environment["LOG_LEVEL"] ?? "info"
        guard let level = LogLevel(name: levelName) else {
            throw Invalid(description: "LOG_LEVEL must be one of trace, debug, info, notice, warning, error")
        }
        let retention = try integer("JOB_RETENTION_SECONDS", 7 * 24 * 3600, 60...366 * 24 * 3600)
        return ServiceConfiguration(
            redis: redis,
            keyspace: Keyspace(namespace: namespace),
            logLevel: level,
            gatewayHost: environment["GATEWAY_HOST"] ?? "127.0.0.1",
            gatewayPort: try integer("GATEWAY_PORT", 8080, 1...65535),
            metricsPort: try integer("METRICS_PORT", 0, 0...65535),
            metricsHost: environment["METRICS_HOST"] ?? "127.0.0.1",
            workerConcurrency: try integer("WORKER_CONCURRENCY", 16, 1...4096),
            consumerName: environment["WORKER_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultConsumerName(),
            shutdownGraceSeconds: try integer("SHUTDOWN_GRACE_SECONDS", 30, 0...3600),
            leaseMilliseconds: try integer("TASK_LEASE_MS", 30_000, 500...3_600_000),
            retentionSeconds: retention,
            auditStreamLength: try integer("AUDIT_STREAM_MAXLEN", 1_000_000, 1000...1_000_000_000),
            groupAbandonSeconds: try integer("GROUP_ABANDON_SECONDS", retention, 1...366 * 24 * 3600),
            maxAttemptMilliseconds: environment["MAX_ATTEMPT_MS"].flatMap { $0.isEmpty ? nil : $0 } == nil
                ? nil : try integer("MAX_ATTEMPT_MS", 0, 100...86_400_000))
    }

    /// The settings worth logging at start, with credentials masked.
    public var summary: [String: String] {
        [
            "redis": redis.description, "namespace": keyspace.namespace, "logLevel": "\(logLevel)",
            "consumer": consumerName,
        ]
    }

    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    private static func defaultConsumerName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let host = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}
