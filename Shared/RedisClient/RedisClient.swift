import Dispatch
import Foundation
import Synchronization

/// A Redis client shared by many callers, which pipelines their commands over one connection.
///
/// A dedicated thread owns the connection. Callers queue commands from any thread or task; the thread sends
/// everything queued so far in one write and hands the replies back in order, so concurrent callers share round
/// trips. The client never blocks Swift's cooperative threads: async callers suspend on a continuation.
///
/// When Redis is unreachable, commands fail at once with `RedisError.connection` while the thread reconnects
/// with exponential backoff (50 ms doubling to 2 s); callers decide whether to retry.
public final class RedisClient: Sendable {
    public typealias Completion = @Sendable (Result<[RedisValue], RedisError>) -> Void

    private struct Request {
        let commands: [[String]]
        let completion: Completion
    }

    private struct State {
        var queue: [Request] = []
        var isClosed = false
    }

    /// Connection statistics, for metrics and health checks.
    public struct Statistics: Sendable {
        public var isConnected = false
        public var reconnects = 0
        public var commandsSent = 0
    }

    public let configuration: RedisConfiguration
    /// Called on the client's thread after each reconnect (not the first connect).
    private let onReconnect: @Sendable () -> Void
    private let state = Mutex(State())
    private let statisticsState = Mutex(Statistics())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the client's thread; the first connection is opened when the first command arrives.
    ///
    /// - Parameter onReconnect: called on the client's thread after each reconnect, e.g. to log and count it.
    public init(
        configuration: RedisConfiguration,
        name: String = "redis-client",
        onReconnect: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.onReconnect = onReconnect
        let thread = Thread { [self] in self.serve() }
        thread.name = name
        thread.start()
    }

    /// A snapshot of the connection statistics.
    public var statistics: Statistics { statisticsState.withLock { $0 } }

    /// Queues commands to be sent together; `completion` runs on the client's thread with all their replies.
    /// Error replies are returned in place, not thrown.
    public func send(_ commands: [[String]], completion: @escaping Completion) {
        let accepted = state.withLock { state in
            guard !state.isClosed else { return false }
            state.queue.append(Request(commands: commands, completion: completion))
            return true
        }
        guard accepted else { return completion(.failure(.closed)) }
        wakeUp.signal()
    }

    /// Sends commands together and returns their replies in order; error replies are returned, not thrown.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RedisValue] {
        let result = await withCheckedContinuation { continuation in
            send(commands) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends one command; an error reply is thrown as `RedisError.server`.
    @discardableResult
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisValue {
        try await pipeline([arguments])[0].throwingServerError()
    }

    /// Runs a Lua script by SHA-1, loading it when Redis does not know it yet.
    public func evalScript(
        _ script: RedisScript, keys: [String], arguments: [String]
    ) async throws(RedisError)
        -> RedisValue
    {
        if let digest = script.cachedDigest {
            let reply = try await pipeline([script.evalCommand(digest: digest, keys: keys, arguments: arguments)])[0]
            guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT") else {
                return try reply.throwingServerError()
            }
        }
        guard let digest = try await command(["SCRIPT", "LOAD", script.source]).string else {
            throw .unexpectedReply("SCRIPT LOAD of \(script.name) returned no digest")
        }
        script.remember(digest: digest)
        return try await command(script.evalCommand(digest: digest, keys: keys, arguments: arguments))
    }

    /// Runs a Lua script without waiting: `completion` gets its reply, or the error reply in place, on the client's
    /// thread, where it must not wait for this client in turn. Loads the script when Redis does not know it yet.
    public func evalScript(
        _ script: RedisScript, keys: [String], arguments: [String],
        completion: @escaping @Sendable (Result<RedisValue, RedisError>) -> Void
    ) {
        guard let digest = script.cachedDigest else {
            return loadAndEval(script, keys: keys, arguments: arguments, completion: completion)
        }
        send([script.evalCommand(digest: digest, keys: keys, arguments: arguments)]) { [self] result in
            if case .success(let replies) = result, case .error(let message) = replies[0],
                message.hasPrefix("NOSCRIPT")
            {
                return loadAndEval(script, keys: keys, arguments: arguments, completion: completion)
            }
            completion(result.map { $0[0] })
        }
    }

    private func loadAndEval(
        _ script: RedisScript, keys: [String], arguments: [String],
        completion: @escaping @Sendable (Result<RedisValue, RedisError>) -> Void
    ) {
        send([["SCRIPT", "LOAD", script.source]]) { [self] result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let replies):
                guard let digest = replies[0].string else {
                    let reply = replies[0]
                    return completion(.failure(.unexpectedReply("SCRIPT LOAD of \(script.name) returned \(reply)")))
                }
                script.remember(digest: digest)
                send([script.evalCommand(digest: digest, keys: keys, arguments: arguments)]) { result in
                    completion(result.map { $0[0] })
                }
            }
        }
    }

    /// The blocking form of `pipeline`, for threads outside the cooperative pool (HTTP handler threads).
    public func pipelineBlocking(_ commands: [[String]]) throws(RedisError) -> [RedisValue] {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<[RedisValue], RedisError>?>(nil)
        send(commands) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }

    /// The blocking form of `command`.
    @discardableResult
    public func commandBlocking(_ arguments: [String]) throws(RedisError) -> RedisValue {
        try pipelineBlocking([arguments])[0].throwingServerError()
    }

    /// The blocking form of `evalScript`.
    public func evalScriptBlocking(
        _ script: RedisScript, keys: [String], arguments: [String]
    ) throws(RedisError)
        -> RedisValue
    {
        try script.run(keys: keys, arguments: arguments) { commands throws(RedisError) in
            try pipelineBlocking(commands)
        }
    }

    /// Fails queued commands with `RedisError.closed` once they are sent, and stops the thread.
    public func close() {
        state.withLock { $0.isClosed = true }
        wakeUp.signal()
        finished.wait()
    }

    private func serve() {
        var connection: RedisConnection?
        var retryAt: ContinuousClock.Instant?
        var backoff = Duration.milliseconds(50)
        var hasConnectedBefore = false

        while true {
            wakeUp.wait()
            let (batch, isClosed) = state.withLock { state in
                defer { state.queue.removeAll(keepingCapacity: true) }
                return (state.queue, state.isClosed)
            }
            if batch.isEmpty {
                if isClosed { break }
                continue
            }

            if connection == nil {
                if let retryAt, ContinuousClock.now < retryAt {
                    fail(batch, with: .connection("\(configuration.host):\(configuration.port) is unreachable"))
                    continue
                }
                do {
                    connection = try RedisConnection(configuration: configuration)
                    retryAt = nil
                    backoff = .milliseconds(50)
                    statisticsState.withLock { statistics in
                        statistics.isConnected = true
                        if hasConnectedBefore { statistics.reconnects += 1 }
                    }
                    if hasConnectedBefore { onReconnect() }
                    hasConnectedBefore = true
                } catch {
                    retryAt = ContinuousClock.now + backoff
                    backoff = min(backoff * 2, .seconds(2))
                    fail(batch, with: error)
                    continue
                }
            }

            let commands = batch.flatMap(\.commands)
            do {
                let replies = try connection!.pipeline(commands)
                statisticsState.withLock { $0.commandsSent += commands.count }
                var start = 0
                for request in batch {
                    let end = start + request.commands.count
                    request.completion(.success(Array(replies[start..<end])))
                    start = end
                }
            } catch {
                connection = nil
                statisticsState.withLock { $0.isConnected = false }
                fail(batch, with: error)
            }
            if isClosed { break }
        }

        let leftovers = state.withLock { state in
            defer { state.queue.removeAll() }
            return state.queue
        }
        fail(leftovers, with: .closed)
        finished.signal()
    }

    private func fail(_ batch: [Request], with error: RedisError) {
        for request in batch { request.completion(.failure(error)) }
    }
}
