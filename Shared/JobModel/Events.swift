/// The kinds of entries on the event stream.
public enum LifecycleEventType: String, Sendable, CaseIterable {
    case jobAccepted = "job.accepted"
    case jobScheduled = "job.scheduled"
    case jobRunning = "job.running"
    case jobSucceeded = "job.succeeded"
    case jobFailed = "job.failed"
    case jobCancelled = "job.cancelled"
    case commandRejected = "command.rejected"

    /// The event that records a move into `status`.
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
    public var operation: String
    public var principal: String
    public var status: String
    /// Milliseconds since the Unix epoch.
    public var at: UInt64
    /// JSON text with event-specific details, or empty.
    public var details: String

    public init(eventId: String, fields: [String: String]) {
        self.eventId = eventId
        type = fields["type"] ?? "unknown"
        jobId = fields["jobId"] ?? ""
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
        [
            "at", String(at), "type", type, "jobId", jobId, "operation", operation, "principal", principal,
            "status", status, "details", details, "eventId", eventId,
        ]
    }
}
