import CHiredis
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One blocking connection to Redis, owned by a single thread at a time.
///
/// Every call blocks the calling thread until Redis answers, so a connection belongs on a dedicated thread (a
/// stream reader, a service loop) and never on Swift's cooperative pool. After a connection failure the
/// connection is broken for good: drop it and open another.
public final class RedisConnection {
    /// Commands this process has sent to Redis over all its connections; a script call counts as one.
    public static let commandsSent = Atomic<Int>(0)

    public let configuration: RedisConfiguration
    private let context: UnsafeMutablePointer<redisContext>
    public private(set) var isBroken = false

    /// Connects, authenticates and selects the database.
    ///
    /// - Parameters:
    ///   - readTimeout: how long a reply may take; keep it above the longest `BLOCK` time this connection uses.
    public init(
        configuration: RedisConfiguration, connectTimeout: Duration = .seconds(2),
        readTimeout: Duration = .seconds(30)
    ) throws(RedisError) {
        self.configuration = configuration
        guard
            let context = redisConnectWithTimeout(
                configuration.host, Int32(configuration.port),
                Self.timeval(connectTimeout))
        else {
            throw .connection("cannot allocate a Redis context")
        }
        self.context = context
        // From here on `deinit` frees the context, also when this initializer throws.
        if context.pointee.err != 0 {
            throw .connection("\(configuration.host):\(configuration.port): \(Self.errorText(context))")
        }
        redisSetTimeout(context, Self.timeval(readTimeout))
        _ = redisEnableKeepAlive(context)
        do {
            if let password = configuration.password {
                if let user = configuration.user {
                    _ = try command(["AUTH", user, password])
                } else {
                    _ = try command(["AUTH", password])
                }
            }
            if configuration.database != 0 {
                _ = try command(["SELECT", String(configuration.database)])
            }
        } catch {
            // The server's own message may quote nothing secret, but keep it generic to be sure.
            if case .server = error { throw RedisError.connection("authentication or SELECT was refused") }
            throw error
        }
    }

    deinit {
        redisFree(context)
    }

    /// Sends one command and waits for its reply; an error reply is thrown as `RedisError.server`.
    @discardableResult
    public func command(_ arguments: [String]) throws(RedisError) -> RedisValue {
        try pipeline([arguments])[0].throwingServerError()
    }

    /// Sends all commands at once and reads their replies in order. Error replies are returned, not thrown,
    /// so that one failing command does not hide the others' results.
    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisValue] {
        try send(commands)
        return try receive(commands.count)
    }

    /// Queues commands and writes them out (with any queued before), without waiting for replies; `receive`
    /// reads the replies, in order. Lets a caller act on early replies of a pipeline that ends with a blocking
    /// command.
    public func send(_ commands: [[String]]) throws(RedisError) {
        guard !isBroken else { throw .connection("connection is broken") }
        Self.commandsSent.add(commands.count, ordering: .relaxed)
        for arguments in commands {
            let status = Self.withArgv(arguments) { count, argv, lengths in
                redisAppendCommandArgv(context, count, argv, lengths)
            }
            if status != REDIS_OK { throw brokenConnectionError() }
        }
    }

    /// Reads the next `count` replies of commands sent before, in order; error replies are returned in place.
    public func receive(_ count: Int) throws(RedisError) -> [RedisValue] {
        guard !isBroken else { throw .connection("connection is broken") }
        var replies: [RedisValue] = []
        replies.reserveCapacity(count)
        for _ in 0..<count {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK, let reply else { throw brokenConnectionError() }
            let typed = reply.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.value(of: typed))
            freeReplyObject(reply)
        }
        return replies
    }

    /// Waits for the next reply that arrives without a request, such as a pub/sub message after `SUBSCRIBE`.
    public func nextPushedReply() throws(RedisError) -> RedisValue {
        guard !isBroken else { throw .connection("connection is broken") }
        var reply: UnsafeMutableRawPointer?
        guard redisGetReply(context, &reply) == REDIS_OK, let reply else { throw brokenConnectionError() }
        defer { freeReplyObject(reply) }
        return Self.value(of: reply.assumingMemoryBound(to: redisReply.self))
    }

    /// Runs a Lua script by its SHA-1, loading it first when the server does not know it.
    public func evalScript(
        _ script: RedisScript, keys: [String], arguments: [String]
    ) throws(RedisError)
        -> RedisValue
    {
        try script.run(keys: keys, arguments: arguments) { commands throws(RedisError) in try pipeline(commands) }
    }

    private func brokenConnectionError() -> RedisError {
        isBroken = true
        return .connection(Self.errorText(context))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: &context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "connection lost" : text
    }

    private static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    /// Lays all arguments out in one buffer and hands hiredis pointers and lengths into it.
    private static func withArgv<Result>(
        _ arguments: [String],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        var bytes: [UInt8] = [0]
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(bytes.count)
            bytes.append(contentsOf: argument.utf8)
            lengths.append(bytes.count - offsets[offsets.count - 1])
        }
        return bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var pointers = offsets.map { Optional(base.advanced(by: $0).assumingMemoryBound(to: CChar.self)) }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { body(Int32(arguments.count), argv.baseAddress!, $0.baseAddress!) }
            }
        }
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulk(text(reply.str, reply.len))
        case REDIS_REPLY_STATUS:
            return .status(text(reply.str, reply.len))
        case REDIS_REPLY_ERROR:
            return .error(text(reply.str, reply.len))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(reply.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = reply.element[index] {
                    elements.append(value(of: element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
