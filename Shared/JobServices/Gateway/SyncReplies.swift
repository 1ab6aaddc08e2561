import Foundation
import JobModel
import RedisClient
import Synchronization

/// Routes the answers of `sync` requests back to the callers waiting for them.
///
/// Each gateway process has its own reply stream (`<ns>:replies:<gateway id>`), which workers append to. One
/// dedicated thread follows it with a blocking `XREAD` and completes the waiting request with the same id.
public final class SyncReplies: Sendable {
    public typealias Completion = @Sendable (_ reply: (outcome: String, body: String)?) -> Void

    public let stream: String
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let waiting = Mutex<[String: Completion]>([:])
    private let stopping = Atomic<Bool>(false)

    public init(configuration: RedisConfiguration, stream: String, logger: Logger) {
        self.configuration = configuration
        self.stream = stream
        self.logger = logger
    }

    public func start() {
        let thread = Thread { [self] in follow() }
        thread.name = "sync-replies"
        thread.start()
    }

    /// Answers every waiting request with `nil` (no reply) and stops following.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        let all = waiting.withLock { waiting in
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        all.forEach { $0(nil) }
    }

    /// Waits for the reply to `requestId`; `completion` gets `nil` when `timeout` passes first.
    public func expect(_ requestId: String, timeout: Duration, completion: @escaping Completion) {
        waiting.withLock { $0[requestId] = completion }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { [self] in
            if let completion = waiting.withLock({ $0.removeValue(forKey: requestId) }) { completion(nil) }
        }
    }

    /// Forgets a request whose submission failed.
    public func forget(_ requestId: String) {
        _ = waiting.withLock { $0.removeValue(forKey: requestId) }
    }

    private func follow() {
        var position = "$"
        var connection: RedisConnection?
        while !stopping.load(ordering: .relaxed) {
            do throws(RedisError) {
                if connection == nil || connection!.isBroken {
                    connection = try RedisConnection(configuration: configuration, readTimeout: .seconds(15))
                    if position == "$" {
                        let last = try connection!.command(["XREVRANGE", stream, "+", "-", "COUNT", "1"])
                        position = last.array?.first?.array?.first?.string ?? "0-0"
                    }
                }
                let reply = try connection!.command([
                    "XREAD", "COUNT", "1000", "BLOCK", "2000", "STREAMS", stream, position,
                ])
                let entries = StreamEntry.entries(fromReadReply: reply)
                guard let last = entries.last else { continue }
                position = last.id
                for entry in entries {
                    guard let requestId = entry.fields["requestId"],
                        let completion = waiting.withLock({ $0.removeValue(forKey: requestId) })
                    else { continue }
                    completion((entry.fields["outcome"] ?? "failed", entry.fields["body"] ?? "null"))
                }
            } catch {
                connection = nil
                logger.warning("reply stream unreadable; retrying", ["op": "sync", "error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        _ = try? connection?.command(["DEL", stream])
    }
}
