/// One observable unit of work of a job: the primary task that runs the command, or a subscriber task started
/// by an event. The primary task lives inside the job record; subscriber tasks have records of their own.
public struct JobTask: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case primary
        case subscriber
    }

    public var id: String
    public var jobId: String
    public var parentTaskId: String?
    public var kind: Kind
    /// The operation (primary) or subscriber name it runs.
    public var runs: String
    public var status: JobStatus
    public var attempt: Int
    public var maxAttempts: Int
    public var createdAt: UInt64
    public var startedAt: UInt64?
    public var completedAt: UInt64?
    public var error: JobError?
    public var eventType: String?
    public var attempts: [JSONValue]
    public var callTree: JSONValue?
    /// When the last attempt's commit was applied, by the Redis server's clock, in microseconds since the epoch.
    public var committedAtMicros: UInt64?
    public var worker: String?

    /// The id of a job's primary task.
    public static func primaryID(of jobId: String) -> String { "\(jobId)/primary" }

    /// The primary task, read from its job.
    public init(primaryOf job: Job) {
        id = Self.primaryID(of: job.id)
        jobId = job.id
        parentTaskId = nil
        kind = .primary
        runs = job.operation
        status = job.status
        attempt = job.attempt
        maxAttempts = job.maxAttempts
        createdAt = job.acceptedAt
        startedAt = job.startedAt
        completedAt = job.completedAt
        error = job.error
        eventType = nil
        attempts = job.attempts
        callTree = job.callTree
        committedAtMicros = job.committedAtMicros
        worker = job.worker
    }

    /// A subscriber task, read from the fields of its hash; `nil` when required fields are missing.
    public init?(fields: [String: String]) {
        guard let id = fields["id"], let jobId = fields["jobId"], let runs = fields["runs"],
            let status = fields["status"].flatMap(JobStatus.init(rawValue:))
        else { return nil }
        self.id = id
        self.jobId = jobId
        parentTaskId = fields["parent"]
        kind = .subscriber
        self.runs = runs
        self.status = status
        attempt = fields["attempt"].flatMap(Int.init) ?? 0
        maxAttempts = fields["maxAttempts"].flatMap(Int.init) ?? 1
        createdAt = fields["createdAt"].flatMap(UInt64.init) ?? 0
        startedAt = fields["startedAt"].flatMap(UInt64.init)
        completedAt = fields["completedAt"].flatMap(UInt64.init)
        if let code = fields["errorCode"], !code.isEmpty {
            error = JobError(
                code: code, message: fields["errorMessage"] ?? "",
                action: fields["errorAction"].flatMap(ErrorAction.init(rawValue:)) ?? .escalate)
        }
        eventType = fields["eventType"]
        attempts = Job.attemptList(fields["attempts"])
        callTree = fields["callTree"].flatMap { $0.isEmpty ? nil : try? JSONValue.parse($0, depthLimit: 256) }
        worker = fields["worker"].flatMap { $0.isEmpty ? nil : $0 }
        committedAtMicros = fields["committedAt"].flatMap(UInt64.init)
    }

    public var json: JSONValue {
        func time(_ milliseconds: UInt64?) -> JSONValue {
            milliseconds.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null
        }
        return .object([
            "id": .string(id), "jobId": .string(jobId), "parentTaskId": parentTaskId.map(JSONValue.string) ?? .null,
            "kind": .string(kind.rawValue), "runs": .string(runs), "status": .string(status.rawValue),
            "attempt": .int(attempt), "maxAttempts": .int(maxAttempts), "createdAt": time(createdAt),
            "startedAt": time(startedAt), "completedAt": time(completedAt), "error": error?.json ?? .null,
            "eventType": eventType.map(JSONValue.string) ?? .null, "attempts": .array(attempts),
            "worker": worker.map(JSONValue.string) ?? .null,
        ])
    }
}
