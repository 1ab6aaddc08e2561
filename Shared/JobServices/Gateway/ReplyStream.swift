import Foundation
import JobModel
import RedisClient
import Synchronization

/// The gateway's own reply stream (`<ns>:replies:<gateway id>`): answers to its `sync` requests, and notices of
/// the jobs its callers wait for.
///
/// Workers append the answer of a `sync` request; the scripts that end or settle a job append a notice with the
/// job's fields when this gateway registered a wait on it. One dedicated thread follows the stream with a
/// blocking `XREAD`, completes the waiting `sync` request with the same id, and hands job notices to the
/// `JobWatcher`.
public final class ReplyStream: Sendable {
    public typealias Completion = @Sendable (_ reply: (outcome: String, body: String)?) -> Void

    public let stream: String
    private let configuration: RedisConfiguration
    private let watcher: JobWatcher
    private let logger: Logger
    private let waiting = Mutex<[String: Completion]>([:])
    private let stopping = Atomic<Bool>(false)
    private let isFollowing = Atomic<Bool>(false)

    public init(configuration: RedisConfiguration, stream: String, watcher: JobWatcher, logger: Logger) {
        self.configuration = configuration
        self.stream = stream
        self.watcher = watcher
        self.logger = logger
    }

    /// Whether the follower is connected and reading.
    public var isHealthy: Bool { isFollowing.load(ordering: .relaxed) }

    public func start() {
        let thread = Thread { [self] in follow() }
        thread.name = "reply-stream"
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
        // The stream is this process's own (its name is made at start), so everything on it is for this process.
        var position = "0-0"
        var connection: RedisConnection?
        while !stopping.load(ordering: .relaxed) {
            do throws(RedisError) {
                if connection == nil || connection!.isBroken {
                    connection = try RedisConnection(configuration: configuration, readTimeout: .seconds(15))
                }
                isFollowing.store(true, ordering: .relaxed)
                let reply = try connection!.command([
                    "XREAD", "COUNT", "1000", "BLOCK", "2000", "STREAMS", stream, position,
                ])
                let entries = StreamEntry.entries(fromReadReply: reply)
                guard let last = entries.last else { continue }
                position = last.id
                for entry in entries {
                    if entry.fields["notice"] == "job" {
                        watcher.deliver(entry.fields)
                        continue
                    }
                    guard let requestId = entry.fields["requestId"],
                        let completion = waiting.withLock({ $0.removeValue(forKey: requestId) })
                    else { continue }
                    completion((entry.fields["outcome"] ?? "failed", entry.fields["body"] ?? "null"))
                }
            } catch {
                isFollowing.store(false, ordering: .relaxed)
                connection = nil
                logger.warning("reply stream unreadable; retrying", ["op": "replies", "error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        _ = try? connection?.command(["DEL", stream])
    }
}
