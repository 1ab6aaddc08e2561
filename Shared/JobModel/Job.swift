/// A job: one execution of a command, with everything needed to check, wait for and explain it later.
public struct Job: Sendable, Equatable {
    public var id: String
    public var operation: String
    /// Who asked for the work.
    public var principal: String
    public var mode: ExecutionMode
    public var status: JobStatus
    /// The saga this job belongs to, when it is a step of one.
    public var sagaId: String?
    /// Times in milliseconds since the Unix epoch.
    public var acceptedAt: UInt64
    public var scheduledAt: UInt64?
    public var startedAt: UInt64?
    public var completedAt: UInt64?
    public var input: JSONValue
    public var result: JSONValue?
    public var resultSummary: String?
    public var error: JobError?
    public var diagnostics: JSONValue?
    /// How many times the work was run again after a first attempt.
    public var retryCount: Int
    /// The number of the current or last attempt, from 1.
    public var attempt: Int
    public var cancellationReason: String?
    public var callTree: JSONValue?
    /// When the last attempt's commit was applied, by the Redis server's clock, in microseconds since the epoch.
    public var committedAtMicros: UInt64?
    /// The worker that ran the last attempt.
    public var worker: String?
    /// `http` for the gateway, `stream` for entries written straight onto the command stream.
    public var source: String
    /// Attempts allowed before the job fails for good.
    public var maxAttempts: Int
    /// One entry per finished attempt: attempt, worker, startedAt, endedAt, outcome and error.
    public var attempts: [JSONValue]
    /// When a delayed job or a retry is due (milliseconds since the epoch).
    public var runAt: UInt64?
    /// Why the job ended as it did, when that needs saying (attempts exhausted, not retried, worker crashed).
    public var conclusion: String?
    /// The reason of a cancellation asked for while the job runs.
    public var cancelRequested: String?
    /// Subscriber tasks created for the job, and how many of them have finished.
    public var tasksTotal: Int
    public var tasksFinished: Int

    /// True once the primary work and every continuation task have finished.
    public var settled: Bool { status.isTerminal && tasksFinished >= tasksTotal }

    public init(
        id: String, operation: String, principal: String, mode: ExecutionMode = .jobAsync,
        status: JobStatus = .accepted, acceptedAt: UInt64, input: JSONValue, source: String
    ) {
        self.id = id
        self.operation = operation
        self.principal = principal
        self.mode = mode
        self.status = status
        self.acceptedAt = acceptedAt
        self.input = input
        self.retryCount = 0
        self.attempt = 0
        self.source = source
        self.maxAttempts = 1
        self.attempts = []
        self.tasksTotal = 0
        self.tasksFinished = 0
    }

    /// Reads a job from the fields of its Redis hash; `nil` when required fields are missing.
    public init?(fields: [String: String]) {
        guard let id = fields["id"], let operation = fields["operation"],
            let status = fields["status"].flatMap(JobStatus.init(rawValue:)),
            let acceptedAt = fields["acceptedAt"].flatMap(UInt64.init)
        else { return nil }
        self.init(
            id: id, operation: operation, principal: fields["principal"] ?? "",
            mode: fields["mode"].flatMap(ExecutionMode.init(rawValue:)) ?? .jobAsync, status: status,
            acceptedAt: acceptedAt, input: Self.json(fields["input"]) ?? .object([:]), source: fields["source"] ?? "")
        sagaId = Self.text(fields["sagaId"])
        scheduledAt = fields["scheduledAt"].flatMap(UInt64.init)
        startedAt = fields["startedAt"].flatMap(UInt64.init)
        completedAt = fields["completedAt"].flatMap(UInt64.init)
        result = Self.json(fields["result"])
        resultSummary = Self.text(fields["resultSummary"])
        if let code = Self.text(fields["errorCode"]) {
            error = JobError(
                code: code, message: fields["errorMessage"] ?? "",
                action: fields["errorAction"].flatMap(ErrorAction.init(rawValue:)) ?? .escalate)
        }
        diagnostics = Self.json(fields["diagnostics"])
        retryCount = fields["retryCount"].flatMap(Int.init) ?? 0
        attempt = fields["attempt"].flatMap(Int.init) ?? 0
        cancellationReason = Self.text(fields["cancellationReason"])
        callTree = Self.json(fields["callTree"])
        committedAtMicros = fields["committedAt"].flatMap(UInt64.init)
        worker = Self.text(fields["worker"])
        maxAttempts = fields["maxAttempts"].flatMap(Int.init) ?? 1
        attempts = Self.attemptList(fields["attempts"])
        runAt = fields["runAt"].flatMap(UInt64.init)
        conclusion = Self.text(fields["conclusion"])
        cancelRequested = Self.text(fields["cancelRequested"])
        tasksTotal = fields["tasksTotal"].flatMap(Int.init) ?? 0
        tasksFinished = fields["tasksDone"].flatMap(Int.init) ?? 0
        if resultSummary == nil, let result { resultSummary = Self.summary(of: result) }
    }

    /// Reads the attempt history, stored as JSON objects joined by commas so a script can append cheaply.
    static func attemptList(_ text: String?) -> [JSONValue] {
        guard let text, !text.isEmpty else { return [] }
        return (try? JSONValue.parse("[" + text + "]", depthLimit: 16))?.arrayValue ?? []
    }

    /// The job as the HTTP API shows it.
    public var json: JSONValue {
        func time(_ milliseconds: UInt64?) -> JSONValue {
            milliseconds.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null
        }
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        return .object([
            "id": .string(id),
            "operation": .string(operation),
            "principal": .string(principal),
            "mode": .string(mode.rawValue),
            "status": .string(status.rawValue),
            "sagaId": optional(sagaId),
            "acceptedAt": time(acceptedAt),
            "scheduledAt": time(scheduledAt),
            "startedAt": time(startedAt),
            "completedAt": time(completedAt),
            "input": input,
            "result": result ?? .null,
            "resultSummary": optional(resultSummary),
            "error": error?.json ?? .null,
            "diagnostics": diagnostics ?? .null,
            "retryCount": .int(retryCount),
            "attempt": .int(attempt),
            "cancellationReason": optional(cancellationReason),
            "callTree": callTree ?? .null,
            "worker": optional(worker),
            "source": .string(source),
            "maxAttempts": .int(maxAttempts),
            "attempts": .array(attempts),
            "runAt": time(runAt),
            "conclusion": optional(conclusion),
            "cancelRequested": optional(cancelRequested),
            "tasks": [
                "total": .int(tasksTotal + 1), "continuations": .int(tasksTotal),
                "continuationsFinished": .int(tasksFinished),
            ],
            "settled": .bool(settled),
        ])
    }

    private static func text(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    private static func json(_ value: String?) -> JSONValue? {
        guard let value, !value.isEmpty else { return nil }
        return try? JSONValue.parse(value, depthLimit: 256)
    }

    /// A one-line summary of a result for lists and logs: the JSON text, shortened to `limit` characters.
    public static func summary(of result: JSONValue, limit: Int = 200) -> String {
        let text = result.encoded
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
