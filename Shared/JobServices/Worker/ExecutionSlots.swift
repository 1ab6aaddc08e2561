import Foundation

/// The execution slots a worker's readers share: at most `WORKER_CONCURRENCY` attempts run at once.
///
/// A reader looks at how many slots are free before it reads, and takes slots only for what it read, so that no
/// reader holds slots while it waits on Redis.
final class ExecutionSlots: @unchecked Sendable {
    // Unchecked: `free` is only touched while `condition` is locked.
    private let condition = NSCondition()
    private var free: Int

    init(count: Int) {
        free = count
    }

    /// How many slots are free, after waiting up to `timeout` seconds for at least one; takes none.
    func waitForFree(timeout: Double) -> Int {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while free == 0 && condition.wait(until: deadline) {}
        return free
    }

    /// Takes `count` slots, waiting for each as long as it takes.
    func take(_ count: Int) {
        condition.lock()
        defer { condition.unlock() }
        for _ in 0..<count {
            while free == 0 { condition.wait() }
            free -= 1
        }
    }

    /// Gives back `count` slots.
    func give(_ count: Int = 1) {
        guard count > 0 else { return }
        condition.lock()
        free += count
        condition.broadcast()
        condition.unlock()
    }
}
