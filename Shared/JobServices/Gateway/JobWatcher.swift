import Foundation
import JobModel
import Synchronization

/// Keeps the callers waiting for jobs and wakes them when their job is done.
///
/// Waits are registered on the jobs themselves (the `watch` and `submit` scripts add this gateway's reply stream
/// to a job's `waiters`); whichever script ends or settles the job then appends the job's fields to that stream,
/// and the gateway's reply follower hands them to `deliver`. Nothing follows the event stream and nothing polls.
public final class JobWatcher: Sendable {
    /// One caller waiting for one job; fires at most once.
    public final class Waiter: Sendable {
        let jobId: String
        let isDone: @Sendable (Job) -> Bool
        private let fired = Atomic<Bool>(false)
        private let action: @Sendable (_ job: Job?) -> Void

        init(jobId: String, isDone: @escaping @Sendable (Job) -> Bool, action: @escaping @Sendable (Job?) -> Void) {
            self.jobId = jobId
            self.isDone = isDone
            self.action = action
        }

        /// Runs the action, unless the waiter already fired or was cancelled; `nil` means the time ran out.
        func fire(_ job: Job?) {
            guard claim() else { return }
            action(job)
        }

        /// Marks the waiter as done without running its action; false when it already fired.
        func claim() -> Bool { !fired.exchange(true, ordering: .acquiringAndReleasing) }
    }

    private let waiters = Mutex<[String: [Waiter]]>([:])

    public init() {}

    /// Registers `action` to run once, with the job, when a notice shows the job done by `isDone`, or with `nil`
    /// after `timeout`. Register before asking Redis to watch the job, so that a notice cannot come first.
    public func wait(
        for jobId: String, timeout: Duration, isDone: @escaping @Sendable (Job) -> Bool,
        action: @escaping @Sendable (_ job: Job?) -> Void
    ) -> Waiter {
        let waiter = Waiter(jobId: jobId, isDone: isDone, action: action)
        waiters.withLock { $0[jobId, default: []].append(waiter) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { [self] in
            remove(waiter)
            waiter.fire(nil)
        }
        return waiter
    }

    /// Fires a waiter with a job known by other means (the reply of the script that registered the wait).
    public func finish(_ waiter: Waiter, with job: Job) {
        remove(waiter)
        waiter.fire(job)
    }

    /// Forgets a waiter without firing it; false when it already fired.
    @discardableResult
    public func cancel(_ waiter: Waiter) -> Bool {
        remove(waiter)
        return waiter.claim()
    }

    /// Hands a job notice from the reply stream to the waiters of its job whose condition it meets.
    public func deliver(_ fields: [String: String]) {
        guard let jobId = fields["id"], let job = Job(fields: fields) else { return }
        let ready = waiters.withLock { waiters -> [Waiter] in
            guard let waiting = waiters[jobId] else { return [] }
            let ready = waiting.filter { $0.isDone(job) }
            guard !ready.isEmpty else { return [] }
            let rest = waiting.filter { !$0.isDone(job) }
            waiters[jobId] = rest.isEmpty ? nil : rest
            return ready
        }
        ready.forEach { $0.fire(job) }
    }

    /// Fires every waiter with `nil`, as if its time had run out.
    public func stop() {
        let all = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters.values.flatMap { $0 }
        }
        all.forEach { $0.fire(nil) }
    }

    private func remove(_ waiter: Waiter) {
        waiters.withLock { waiters in
            waiters[waiter.jobId]?.removeAll { $0 === waiter }
            if waiters[waiter.jobId]?.isEmpty == true { waiters[waiter.jobId] = nil }
        }
    }
}
