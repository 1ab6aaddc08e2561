import JobModel
import RedisClient
import Synchronization

/// The operations that workers have registered in Redis (`<ns>:operations`), cached for a short time.
///
/// Workers write their operations when they start, so any service can tell a known operation from an unknown one
/// without linking the components.
public final class OperationCatalog: Sendable {
    /// One registered operation.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let description: String
        /// Attempts the operation's retry policy allows.
        public let maxAttempts: Int
    }

    private struct Cache {
        var entries: [String: Entry] = [:]
        var loadedAt: ContinuousClock.Instant?
    }

    private let keyspace: Keyspace
    private let freshness: Duration
    private let cache = Mutex(Cache())

    public init(keyspace: Keyspace, freshness: Duration = .seconds(2)) {
        self.keyspace = keyspace
        self.freshness = freshness
    }

    /// The registered operation called `name`; an unknown name reloads the catalog once before answering `nil`.
    public func entry(_ name: String, load: () throws(RedisError) -> RedisValue) throws(RedisError) -> Entry? {
        if isFresh, let entry = cache.withLock({ $0.entries[name] }) { return entry }
        try reload(from: try load())
        return cache.withLock { $0.entries[name] }
    }

    /// All registered operations, sorted by name.
    public func all(load: () throws(RedisError) -> RedisValue) throws(RedisError) -> [Entry] {
        if !isFresh { try reload(from: try load()) }
        return cache.withLock { $0.entries.values.sorted { $0.name < $1.name } }
    }

    /// The command that reads the catalog, for the `load` closures.
    public var loadCommand: [String] { ["HGETALL", keyspace.operations] }

    private var isFresh: Bool {
        cache.withLock { cache in
            guard let loadedAt = cache.loadedAt else { return false }
            return ContinuousClock.now - loadedAt < freshness
        }
    }

    private func reload(from reply: RedisValue) throws(RedisError) {
        let fields = try reply.throwingServerError().fieldDictionary
        var entries: [String: Entry] = [:]
        for (name, description) in fields {
            let parsed = try? JSONValue.parse(description)
            entries[name] = Entry(
                name: name, description: parsed?["description"]?.stringValue ?? "",
                maxAttempts: parsed?["maxAttempts"]?.intValue ?? RetryPolicy.standard.maxAttempts)
        }
        cache.withLock {
            $0.entries = entries
            $0.loadedAt = .now
        }
    }
}
