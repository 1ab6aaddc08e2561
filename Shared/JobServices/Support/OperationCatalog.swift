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

    /// Whether `name` is registered; an unknown name reloads the catalog once before answering no.
    public func contains(_ name: String, load: () throws(RedisError) -> RedisValue) throws(RedisError) -> Bool {
        if isFresh, cache.withLock({ $0.entries[name] != nil }) { return true }
        try reload(from: try load())
        return cache.withLock { $0.entries[name] != nil }
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
            let text = (try? JSONValue.parse(description))?["description"]?.stringValue ?? ""
            entries[name] = Entry(name: name, description: text)
        }
        cache.withLock {
            $0.entries = entries
            $0.loadedAt = .now
        }
    }
}
