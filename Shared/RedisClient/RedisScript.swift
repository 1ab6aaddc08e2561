import Synchronization

/// A Lua script run with `EVALSHA`. The SHA-1 is learned from `SCRIPT LOAD` on first use and kept for the whole
/// process; a `NOSCRIPT` reply (Redis restarted or flushed its script cache) loads it again transparently.
public struct RedisScript: Sendable {
    /// A short name for logs and errors.
    public let name: String
    public let source: String

    /// The digest learned so far, shared by every copy of this script.
    private let digest = DigestCache()

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }

    package var cachedDigest: String? { digest.value.withLock { $0 } }

    package func remember(digest: String) {
        self.digest.value.withLock { $0 = digest }
    }

    package func evalCommand(digest: String, keys: [String], arguments: [String]) -> [String] {
        var command = ["EVALSHA", digest, String(keys.count)]
        command.reserveCapacity(3 + keys.count + arguments.count)
        command.append(contentsOf: keys)
        command.append(contentsOf: arguments)
        return command
    }

    /// Runs the script through a synchronous pipeline function, loading it when needed.
    func run(
        keys: [String], arguments: [String],
        through execute: ([[String]]) throws(RedisError) -> [RedisValue]
    ) throws(RedisError) -> RedisValue {
        if let digest = cachedDigest {
            let reply = try execute([evalCommand(digest: digest, keys: keys, arguments: arguments)])[0]
            guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT") else {
                return try reply.throwingServerError()
            }
        }
        let replies = try execute([["SCRIPT", "LOAD", source]])
        guard let digest = try replies[0].throwingServerError().string else {
            throw .unexpectedReply("SCRIPT LOAD of \(name) returned no digest")
        }
        remember(digest: digest)
        return try execute([evalCommand(digest: digest, keys: keys, arguments: arguments)])[0].throwingServerError()
    }
}

/// Where a script keeps its digest: looked up on every call, so a lock around one optional rather than a
/// process-wide table keyed by the script's text.
private final class DigestCache: Sendable {
    let value = Mutex<String?>(nil)
}
