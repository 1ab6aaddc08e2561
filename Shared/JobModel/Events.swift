/// The kinds of lifecycle entries on the event stream. Domain events published by operations share the stream
/// under their own type names (e.g. `order.placed`).
public enum LifecycleEventType: String, Sendable, CaseIterable {
    case jobAccepted = "job.accepted"
    case jobScheduled = "job.scheduled"
    case jobRunning = "job.running"
    case jobSucceeded = "job.succeeded"
    case jobFailed = "job.failed"
    case jobCancelled = "job.cancelled"
    case jobRetryScheduled = "job.retry_scheduled"
    case jobCancelRequested = "job.cancel_requested"
    case jobRetried = "job.retried"
    /// Every task of the job, continuations included, has finished.
    case jobSettled = "job.settled"
    case taskRunning = "task.running"
    case taskSucceeded = "task.succeeded"
    case taskFailed = "task.failed"
    case taskCancelled = "task.cancelled"
    case taskRetryScheduled = "task.retry_scheduled"
    case taskRetried = "task.retried"
    case commandRejected = "command.rejected"
    /// A `sync` command ran: no job was kept, so this event is its only record.
    case syncExecuted = "sync.executed"

    /// The event that records a job's move into `status`.
    public init(enteredStatus status: JobStatus) {
        switch status {
        case .accepted: self = .jobAccepted
        case .scheduled: self = .jobScheduled
        case .running: self = .jobRunning
        case .succeeded: self = .jobSucceeded
        case .failed: self = .jobFailed
        case .cancelled: self = .jobCancelled
        }
    }
}

/// One entry of the event stream, as the audit service and other consumers read it.
public struct LifecycleEvent: Sendable, Equatable {
    /// The stream entry id.
    public var eventId: String
    public var type: String
    public var jobId: String
    /// The task the event concerns or was published by; empty for job-level events.
    public var taskId: String
    public var operation: String
    public var principal: String
    public var status: String
    /// Milliseconds since the Unix epoch.
    public var at: UInt64
    /// JSON text with event-specific details (the payload of a domain event), or empty.
    public var details: String

    public init(eventId: String, fields: [String: String]) {
        self.eventId = eventId
        type = fields["type"] ?? "unknown"
        jobId = fields["jobId"] ?? ""
        taskId = fields["taskId"] ?? ""
        operation = fields["operation"] ?? ""
        principal = fields["principal"] ?? ""
        status = fields["status"] ?? ""
        at = fields["at"].flatMap(UInt64.init) ?? 0
        details = fields["details"] ?? ""
    }

    /// Whether the event ends its job (until an explicit retry).
    public var isTerminal: Bool {
        type == LifecycleEventType.jobSucceeded.rawValue || type == LifecycleEventType.jobFailed.rawValue
            || type == LifecycleEventType.jobCancelled.rawValue
    }

    /// The fields of the audit-trail entry recording this event.
    public var auditFields: [String] {
        var fields = [
            "at", String(at), "type", type, "jobId", jobId, "operation", operation, "principal", principal,
            "status", status, "details", details, "eventId", eventId,
        ]
        if !taskId.isEmpty { fields += ["taskId", taskId] }
        return fields
    }
}
