import Foundation
import JobModel
import RedisClient
import Synchronization

/// Wakes callers waiting for jobs to finish, by following the event stream.
///
/// One dedicated thread tails the event stream with a blocking `XREAD` from where it last was (across
/// reconnects, so no event is skipped) and fires the waiters of every job that reaches a terminal status or
/// settles. Nothing polls the job hashes.
public final class JobWatcher: Sendable {
    /// One caller waiting for one job; fires at most once.
    public final class Waiter: Sendable {
        let jobId: String
        private let fired = Atomic<Bool>(false)
        private let action: @Sendable (_ timedOut: Bool) -> Void

        init(jobId: String, action: @escaping @Sendable (_ timedOut: Bool) -> Void) {
            self.jobId = jobId
            self.action = action
        }

        func fire(timedOut: Bool) {
            guard !fired.exchange(true, ordering: .acquiringAndReleasing) else { return }
            action(timedOut)
        }
    }

    private let configuration: RedisConfiguration
    private let events: String
    private let logger: Logger
    private let waiters = Mutex<[String: [Waiter]]>([:])
    private let stopping = Atomic<Bool>(false)
    private let ready = DispatchSemaphore(value: 0)
    private let isFollowing = Atomic<Bool>(false)

    public init(configuration: RedisConfiguration, events: String, logger: Logger) {
        self.configuration = configuration
        self.events = events
        self.logger = logger
    }

    /// Whether the watcher is connected and following the stream.
    public var isHealthy: Bool { isFollowing.load(ordering: .relaxed) }

    /// Starts following; returns once the starting position is known or after `timeout`.
    public func start(timeout: Duration = .seconds(5)) {
        let thread = Thread { [self] in follow() }
        thread.name = "job-watcher"
        thread.start()
        _ = ready.wait(timeout: .now() + Double(timeout.components.seconds))
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        let all = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters.values.flatMap { $0 }
        }
        all.forEach { $0.fire(timedOut: true) }
    }

    /// Registers `action` to run once when `jobId` reaches a terminal status, or with `timedOut` true after
    /// `timeout`. Register before reading the job's status, so an end that happens in between is not missed.
    public func wait(
        for jobId: String, timeout: Duration, action: @escaping @Sendable (_ timedOut: Bool) -> Void
    )
        -> Waiter
    {
        let waiter = Waiter(jobId: jobId, action: action)
        waiters.withLock { $0[jobId, default: []].append(waiter) }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            remove(waiter)
            waiter.fire(timedOut: true)
        }
        return waiter
    }

    /// Removes a waiter that was answered by other means and fires it with `timedOut` false.
    public func finish(_ waiter: Waiter) {
        remove(waiter)
        waiter.fire(timedOut: false)
    }

    private func remove(_ waiter: Waiter) {
        waiters.withLock { waiters in
            waiters[waiter.jobId]?.removeAll { $0 === waiter }
            if waiters[waiter.jobId]?.isEmpty == true { waiters[waiter.jobId] = nil }
        }
    }

    private func follow() {
        var position: String?
        var connection: RedisConnection?
        var signalledReady = false
        while !stopping.load(ordering: .relaxed) {
            do {
                if connection == nil || connection!.isBroken {
                    connection = try RedisConnection(configuration: configuration, readTimeout: .seconds(15))
                }
                if position == nil {
                    let last = try connection!.command(["XREVRANGE", events, "+", "-", "COUNT", "1"])
                    position = last.array?.first?.array?.first?.string ?? "0-0"
                }
                isFollowing.store(true, ordering: .relaxed)
                if !signalledReady {
                    signalledReady = true
                    ready.signal()
                }
                let reply = try connection!.command([
                    "XREAD", "COUNT", "1000", "BLOCK", "2000", "STREAMS", events, position!,
                ])
                let entries = StreamEntry.entries(fromReadReply: reply)
                guard let last = entries.last else { continue }
                position = last.id
                notify(entries)
            } catch {
                isFollowing.store(false, ordering: .relaxed)
                connection = nil
                logger.warning("event stream unreadable; retrying", ["op": "watch", "error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    private func notify(_ entries: [StreamEntry]) {
        let terminalTypes: Set<String> = [
            LifecycleEventType.jobSucceeded.rawValue, LifecycleEventType.jobFailed.rawValue,
            LifecycleEventType.jobCancelled.rawValue, LifecycleEventType.jobSettled.rawValue,
        ]
        var finished: [Waiter] = []
        waiters.withLock { waiters in
            guard !waiters.isEmpty else { return }
            for entry in entries {
                guard let type = entry.fields["type"], terminalTypes.contains(type), let jobId = entry.fields["jobId"],
                    let waiting = waiters.removeValue(forKey: jobId)
                else { continue }
                finished.append(contentsOf: waiting)
            }
        }
        finished.forEach { $0.fire(timedOut: false) }
    }
}
