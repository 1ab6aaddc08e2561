import Foundation
import RedisClient

/// One entry read from a stream.
public struct StreamEntry: Sendable, Equatable {
    public let id: String
    /// The entry's fields; empty when the entry was deleted or trimmed while still pending.
    public let fields: [String: String]

    /// Reads the entries of an `XREAD`/`XREADGROUP` reply for a single stream.
    static func entries(fromReadReply reply: RedisValue) -> [StreamEntry] {
        guard let streams = reply.array, let stream = streams.first?.array, stream.count == 2,
            let items = stream[1].array
        else { return [] }
        return items.compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
            return StreamEntry(id: id, fields: pair[1].fieldDictionary)
        }
    }
}

/// Reads a stream through a consumer group on a dedicated blocking connection, on the caller's thread.
///
/// It creates the group when missing (also after a Redis restart lost it), reconnects with backoff when the
/// connection breaks, and after every (re)connect first hands back this consumer's own pending entries, so
/// work read but not acknowledged before a failure is not forgotten.
public final class StreamGroupReader {
    public let stream: String
    public let group: String
    public let consumer: String
    private let configuration: RedisConfiguration
    private let blockMilliseconds: Int
    private let logger: Logger
    private var current: RedisConnection?
    /// While set, the reader walks this consumer's own pending entries, from this id on.
    private var pendingPosition: String? = "0"
    private var readingPending: Bool {
        get { pendingPosition != nil }
        set { pendingPosition = newValue ? "0" : nil }
    }
    private var backoff = Duration.milliseconds(100)
    /// Called after each successful reconnect (not the first connect).
    public var onReconnect: (() -> Void)?
    /// When set, entries that another consumer of the group has held unacknowledged for longer than this are
    /// claimed and handled here: that consumer is taken for dead. Only for groups whose consumers finish an entry
    /// in far less time (the scheduler's and the audit service's); workers' tasks are reclaimed under leases.
    public var adoptAbandonedAfter: Duration?
    private var lastAdoption = ContinuousClock.now
    private var hasConnected = false

    public init(
        configuration: RedisConfiguration, stream: String, group: String, consumer: String,
        blockMilliseconds: Int = 2000, logger: Logger
    ) {
        self.configuration = configuration
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.blockMilliseconds = blockMilliseconds
        self.logger = logger
    }

    /// The reader's connection, for writes made on the same thread; opened when needed.
    public func connection() throws(RedisError) -> RedisConnection {
        if let current, !current.isBroken { return current }
        current = nil
        let opened = try RedisConnection(
            configuration: configuration, readTimeout: .milliseconds(blockMilliseconds + 10_000))
        try ensureGroup(on: opened)
        current = opened
        readingPending = true
        if hasConnected {
            logger.notice("reconnected to Redis", ["op": "reconnect", "stream": stream])
            onReconnect?()
        }
        hasConnected = true
        backoff = .milliseconds(100)
        return opened
    }

    /// Drops the connection after a failure seen by the caller, so the next call reconnects and re-reads
    /// pending entries.
    public func reset() {
        current = nil
    }

    /// The next entries for this consumer: first its pending ones, then new ones, waiting up to the block time.
    /// Returns an empty list on timeout; on failure waits with backoff and returns an empty list, so callers
    /// can check whether to stop between calls.
    public func next(count: Int) -> [StreamEntry] {
        next(count: count, after: []) { _ in }
    }

    /// Sends `commands` and then reads the next entries, in one round trip. `handle` gets the commands' replies
    /// in order (error replies in place) as soon as they arrive, before the read has waited for entries; or `nil`
    /// when the round trip failed first: then whether the commands took effect is unknown, and the caller sends
    /// them again once the reader has reconnected. `handle` is called exactly once.
    public func next(
        count: Int, after commands: [[String]], handle: ([RedisValue]?) -> Void
    ) -> [StreamEntry] {
        var handled = false
        func handleOnce(_ replies: [RedisValue]?) {
            guard !handled else { return }
            handled = true
            handle(replies)
        }
        defer { handleOnce(nil) }
        do {
            let connection = try connection()
            if let idle = adoptAbandonedAfter, ContinuousClock.now - lastAdoption > .seconds(10) {
                lastAdoption = .now
                let claimed = try connection.command([
                    "XAUTOCLAIM", stream, group, consumer, String(idle.milliseconds), "0-0", "COUNT", "1000", "JUSTID",
                ])
                if let ids = claimed.array?.dropFirst().first?.array, !ids.isEmpty {
                    logger.notice(
                        "adopted entries of a silent consumer",
                        [
                            "op": "adopt", "stream": stream,
                            "count": String(ids.count),
                        ])
                    readingPending = true
                }
            }
            let position = pendingPosition ?? ">"
            var command = ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(count)]
            if !readingPending { command += ["BLOCK", String(blockMilliseconds)] }
            command += ["STREAMS", stream, position]
            try connection.send(commands + [command])
            handleOnce(try connection.receive(commands.count))
            let reply = try connection.receive(1)[0]
            if case .error(let message) = reply {
                if message.hasPrefix("NOGROUP") {
                    try ensureGroup(on: connection)
                    return []
                }
                throw RedisError.server(message)
            }
            let entries = StreamEntry.entries(fromReadReply: reply)
            if pendingPosition != nil {
                // Walk on past what was handed out, so an entry the caller leaves pending does not come back
                // on every read; the walk starts again from the beginning after a reconnect or an adoption.
                pendingPosition = entries.last?.id
            }
            return entries
        } catch {
            current = nil
            logger.warning("stream read failed; retrying", ["op": "read", "stream": stream, "error": "\(error)"])
            Thread.sleep(
                forTimeInterval: Double(backoff.components.attoseconds) / 1e18 + Double(backoff.components.seconds))
            backoff = min(backoff * 2, .seconds(2))
            return []
        }
    }

    private func ensureGroup(on connection: RedisConnection) throws(RedisError) {
        let reply = try connection.pipeline([["XGROUP", "CREATE", stream, group, "0", "MKSTREAM"]])[0]
        if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") {
            throw RedisError.server(message)
        }
        readingPending = true
    }
}

extension RedisConnection {
    /// Runs one script many times in one pipeline: one `EVALSHA` per call, in order. Calls that meet `NOSCRIPT`
    /// are run again after loading the script. Error replies are returned in place.
    public func evalScriptBatch(
        _ script: RedisScript, calls: [(keys: [String], arguments: [String])]
    )
        throws(RedisError) -> [RedisValue]
    {
        guard !calls.isEmpty else { return [] }
        var digest = script.cachedDigest
        if digest == nil {
            digest = try command(["SCRIPT", "LOAD", script.source]).string
            guard let digest else { throw .unexpectedReply("SCRIPT LOAD of \(script.name) returned no digest") }
            script.remember(digest: digest)
        }
        var replies = try pipeline(
            calls.map { script.evalCommand(digest: digest!, keys: $0.keys, arguments: $0.arguments) })
        let missing = replies.indices.filter { index in
            if case .error(let message) = replies[index] { return message.hasPrefix("NOSCRIPT") }
            return false
        }
        if !missing.isEmpty {
            guard let reloaded = try command(["SCRIPT", "LOAD", script.source]).string else {
                throw .unexpectedReply("SCRIPT LOAD of \(script.name) returned no digest")
            }
            script.remember(digest: reloaded)
            let again = try pipeline(
                missing.map {
                    script.evalCommand(digest: reloaded, keys: calls[$0].keys, arguments: calls[$0].arguments)
                })
            for (offset, index) in missing.enumerated() { replies[index] = again[offset] }
        }
        return replies
    }
}
