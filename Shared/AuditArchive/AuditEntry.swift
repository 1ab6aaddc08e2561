import JobModel

/// One entry of the audit trail: a lifecycle event, its place in the chain and the hashes that link it.
///
/// The same entry lives on the Redis audit stream and, once written there, in the SQLite archive.
public struct AuditEntry: Sendable, Equatable {
    /// Position in the chain: 1 for the first entry ever written, then one more for each entry, with no gaps.
    public var seq: Int
    /// Where the entry sits on the audit stream; assigned by Redis when the entry is written, so not hashed.
    public var streamId: String
    /// When the event happened, in milliseconds since the Unix epoch.
    public var at: UInt64
    public var type: String
    public var jobId: String
    /// Empty for job-level events.
    public var taskId: String
    public var operation: String
    public var principal: String
    public var status: String
    /// JSON text with event-specific details, or empty.
    public var details: String
    /// The id of the event-stream entry this entry records; unique across the trail.
    public var eventId: String
    /// The previous entry's hash, or `AuditChain.genesisHash` for seq 1.
    public var prevHash: String
    /// `AuditChain.hash(of:)` of this entry.
    public var hash: String

    public init(
        seq: Int, streamId: String = "", at: UInt64, type: String, jobId: String, taskId: String, operation: String,
        principal: String, status: String, details: String, eventId: String, prevHash: String, hash: String = ""
    ) {
        self.seq = seq
        self.streamId = streamId
        self.at = at
        self.type = type
        self.jobId = jobId
        self.taskId = taskId
        self.operation = operation
        self.principal = principal
        self.status = status
        self.details = details
        self.eventId = eventId
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The entry recording `event` at position `seq`, after an entry whose hash is `prevHash`, with its hash set.
    public init(event: LifecycleEvent, seq: Int, prevHash: String) {
        self.init(
            seq: seq, at: event.at, type: event.type, jobId: event.jobId, taskId: event.taskId,
            operation: event.operation, principal: event.principal, status: event.status, details: event.details,
            eventId: event.eventId, prevHash: prevHash)
        hash = AuditChain.hash(of: self)
    }
}

extension AuditEntry {
    /// The fields of the entry on the audit stream: those of `LifecycleEvent.auditFields` (`taskId` only when
    /// set) plus `seq`, `prevHash` and `hash`.
    public var streamFields: [String] {
        var fields = [
            "seq", String(seq), "at", String(at), "type", type, "jobId", jobId, "operation", operation,
            "principal", principal, "status", status, "details", details, "eventId", eventId,
        ]
        if !taskId.isEmpty { fields += ["taskId", taskId] }
        return fields + ["prevHash", prevHash, "hash", hash]
    }

    /// Reads an audit-stream entry; `nil` for an entry written before the chain existed (no `seq` or `hash`).
    ///
    /// Missing content fields read as empty and a malformed `at` as 0, so that verification reports them as a
    /// hash mismatch instead of skipping the entry.
    public init?(streamId: String, fields: [String: String]) {
        guard let seqText = fields["seq"], let hash = fields["hash"] else { return nil }
        self.init(
            seq: Int(seqText) ?? -1, streamId: streamId, at: fields["at"].flatMap { UInt64($0) } ?? 0,
            type: fields["type"] ?? "", jobId: fields["jobId"] ?? "", taskId: fields["taskId"] ?? "",
            operation: fields["operation"] ?? "", principal: fields["principal"] ?? "", status: fields["status"] ?? "",
            details: fields["details"] ?? "", eventId: fields["eventId"] ?? "", prevHash: fields["prevHash"] ?? "",
            hash: hash)
    }
}

extension Keyspace {
    /// The head of the audit chain: a hash with `seq` and `hash` of the last entry written.
    public var auditHead: String { "\(namespace):audit:head" }
}
