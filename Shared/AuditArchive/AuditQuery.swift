import JobModel

/// A filter over the archive: `GET /audit`'s parameters, read and checked.
public struct AuditQuery: Sendable, Equatable {
    /// Only entries at or after this time (milliseconds since the epoch).
    public var since: UInt64?
    /// Only entries before this time.
    public var until: UInt64?
    public var principal: String?
    public var type: String?
    public var jobId: String?
    /// At most this many entries.
    public var limit: Int
    /// Only entries with a higher seq: the `nextCursor` of the page before.
    public var afterSeq: Int?

    /// The page size when `limit` is not given, and the largest one allowed.
    public static let defaultLimit = 100
    public static let maxLimit = 500
    /// The parameters `GET /audit` accepts; any other is refused, so a misspelt filter is not silently ignored.
    public static let parameters: Set<String> = ["since", "until", "principal", "type", "jobId", "limit", "cursor"]

    public init(
        since: UInt64? = nil, until: UInt64? = nil, principal: String? = nil, type: String? = nil,
        jobId: String? = nil, limit: Int = defaultLimit, afterSeq: Int? = nil
    ) {
        self.since = since
        self.until = until
        self.principal = principal
        self.type = type
        self.jobId = jobId
        self.limit = limit
        self.afterSeq = afterSeq
    }

    /// A parameter that cannot be used; the message says which and why.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Reads query parameters (already percent-decoded). An empty `since`, `until`, `principal`, `type` or `jobId`
    /// counts as absent; `limit` and `cursor` are numbers and may not be empty. A `since` later than `until` is an
    /// empty range, not a mistake: it matches nothing.
    public init(parameters: [String: String]) throws(Invalid) {
        if let unknown = Set(parameters.keys).subtracting(Self.parameters).sorted().first {
            throw Invalid(
                description: "unknown parameter \(unknown); use \(Self.parameters.sorted().joined(separator: ", "))")
        }
        func value(_ name: String) -> String? {
            parameters[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func time(_ name: String) throws(Invalid) -> UInt64? {
            guard let text = value(name) else { return nil }
            if let milliseconds = UInt64(text) { return milliseconds }
            if let milliseconds = Clock.parseRFC3339(text) { return milliseconds }
            throw Invalid(
                description:
                    "\(name) must be milliseconds since the epoch or an RFC 3339 UTC time such as"
                    + " 2026-01-31T12:00:00Z, not '\(text)'")
        }

        self.init(principal: value("principal"), type: value("type"), jobId: value("jobId"))
        since = try time("since")
        until = try time("until")
        if let text = parameters["limit"] {
            guard let number = Int(text), (1...Self.maxLimit).contains(number) else {
                throw Invalid(description: "limit must be a whole number from 1 to \(Self.maxLimit), not '\(text)'")
            }
            limit = number
        }
        if let text = parameters["cursor"] {
            guard let seq = Int(text), seq >= 0 else {
                throw Invalid(description: "cursor must be a seq returned as nextCursor, not '\(text)'")
            }
            afterSeq = seq
        }
    }
}
