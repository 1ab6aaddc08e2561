/// Where a job stands in its lifecycle.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    /// Recorded by job management; not yet handed to a worker.
    case accepted
    /// Handed to the task stream; waiting for a worker.
    case scheduled
    /// A worker is executing it.
    case running
    case succeeded
    case failed
    /// Stopped before completion, with a reason.
    case cancelled

    /// Whether the job has finished. A finished job changes again only through an explicit retry.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .accepted, .scheduled, .running: false
        }
    }
}

/// How a command is executed and what its caller gets back.
public enum ExecutionMode: String, Sendable, CaseIterable, Codable {
    /// Direct synchronous execution; no job record.
    case sync
    /// Synchronous execution with a job record.
    case jobSync
    /// The caller gets a job id at once; workers execute later.
    case jobAsync
    /// Primary work synchronously, continuation tasks asynchronously under the same job.
    case jobSyncWithAsyncCont
}

/// What the caller or the system should do about a failed job.
public enum ErrorAction: String, Sendable, CaseIterable, Codable {
    /// The input is wrong; running it again will fail again.
    case fixInput
    /// A passing condition; running again now may succeed.
    case retryNow
    /// A condition that needs time to clear; run again later.
    case retryLater
    /// Needs a person.
    case escalate
}

/// Why a job failed, as the caller sees it.
public struct JobError: Sendable, Equatable, Error {
    /// A stable snake_case code, e.g. `operation_failed`.
    public var code: String
    public var message: String
    public var action: ErrorAction

    public init(code: String, message: String, action: ErrorAction) {
        self.code = code
        self.message = message
        self.action = action
    }

    public var json: JSONValue {
        ["code": .string(code), "message": .string(message), "action": .string(action.rawValue)]
    }
}
