/// A failure talking to Redis. Server replies that are errors (`.server`) are kept apart from failures of the
/// connection itself, since only the latter call for a reconnect.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server is unreachable or the connection broke; the command may or may not have run.
    case connection(String)
    /// The server answered with an error reply, e.g. `NOSCRIPT ...` or `NOGROUP ...`.
    case server(String)
    /// A reply had a shape the caller did not expect.
    case unexpectedReply(String)
    /// The URL or another setting is unusable.
    case configuration(String)
    /// The client was shut down.
    case closed

    public var description: String {
        switch self {
        case .connection(let message): "Redis connection failed: \(message)"
        case .server(let message): "Redis error: \(message)"
        case .unexpectedReply(let message): "unexpected Redis reply: \(message)"
        case .configuration(let message): "Redis configuration: \(message)"
        case .closed: "Redis client is closed"
        }
    }

    /// The server error's first word (`NOSCRIPT`, `NOGROUP`, `BUSYGROUP`, ...), when this is a server error.
    public var serverCode: Substring? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }

    /// Whether the failure was the connection's rather than the command's.
    public var isConnectionFailure: Bool {
        if case .connection = self { return true }
        return false
    }
}
