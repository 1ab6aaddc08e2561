import Dispatch
import Foundation
import JobModel
import RedisClient
import Synchronization

extension Worker {
    /// How long a reader waits for the attempts of its batch. Attempts that end sooner commit with its next read,
    /// in the same round trip; a transactional attempt still running then has its start recorded, and whatever
    /// still runs commits by itself when it ends.
    static let batchWait = Duration.milliseconds(5)

    /// Reads one stream through its consumer group and runs what it reads, batch after batch, until the worker
    /// stops; then sends the commits still in hand.
    func readLoop(stream: String, group: String, subscriber: (any EventSubscriber)?) {
        let reader = StreamGroupReader(
            configuration: configuration.redis, stream: stream, group: group,
            consumer: configuration.consumerName, logger: logger)
        reader.onReconnect = { [metrics] in metrics.increment("cncf_redis_reconnects_total") }
        let batchLimit = min(configuration.workerConcurrency, Self.maxBatch)
        var outbox = Outbox()
        while !stopping.load(ordering: .relaxed) {
            // The task reader reads no more entries than there are free slots. A subscriber's reader sees every
            // event, most of them not for it, so it reads a full batch. Both take slots only for what they run.
            var count = Self.maxBatch
            if subscriber == nil {
                let free = slots.waitForFree(timeout: outbox.isEmpty ? 0.5 : 0)
                guard free > 0 else {
                    if !outbox.isEmpty { reader.flush(&outbox) }
                    continue
                }
                count = min(free, batchLimit)
            }
            let entries = reader.next(count: count, sending: &outbox)
            if subscriber == nil { healthy.store((try? reader.connection()) != nil, ordering: .relaxed) }
            outbox.append(contentsOf: runBatch(entries, stream: stream, group: group, subscriber: subscriber, reader))
        }
        for _ in 0..<3 where !outbox.isEmpty { reader.flush(&outbox) }
        if !outbox.isEmpty {
            logger.warning(
                "commits could not be sent before stopping; their deliveries stay pending and run again",
                ["op": "stop", "count": String(outbox.calls.count)])
        }
    }

    /// Runs the deliveries of one read: waits a moment for the attempts, records the start of the transactional
    /// ones still running, and returns the commits and acknowledgements to send with the next read.
    private func runBatch(
        _ entries: [StreamEntry], stream: String, group: String, subscriber: (any EventSubscriber)?,
        _ reader: StreamGroupReader
    ) -> [ScriptCall] {
        var outbox: [ScriptCall] = []
        var deliveries: [Delivery] = []
        var unrelated: [String] = []
        for entry in entries {
            if let delivery = Delivery(entry: entry, stream: stream, group: group, subscriber: subscriber) {
                deliveries.append(delivery)
            } else {
                unrelated.append(entry.id)
            }
        }
        if !unrelated.isEmpty { outbox.append(ScriptCall(command: ["XACK", stream, group] + unrelated)) }
        // An entry read again while walking this consumer's pending entries may be running here already.
        let fresh = running.withLock { running in deliveries.filter { running[$0.runningKey] == nil } }
        slots.take(fresh.count)

        var attempts: [Attempt] = []
        var toStart: [Delivery] = []
        let commit = { (attempt: Attempt, outcome: Outcome) in
            if let call = self.commitCall(attempt, outcome) { outbox.append(call) }
        }
        for delivery in fresh {
            if delivery.kind == .sync {
                if let attempt = syncAttempt(for: delivery, reply: commit) {
                    attempts.append(attempt)
                } else {
                    slots.give()
                }
            } else if let attempt = unrecordedAttempt(for: delivery, subscriber: subscriber) {
                attempts.append(attempt)
            } else {
                toStart.append(delivery)
            }
        }
        if !toStart.isEmpty {
            // The other tasks start in one round trip on this thread's own connection; a failure leaves their
            // entries pending, to be read again after the reconnect.
            do {
                let starts = try startAll(toStart, on: try reader.connection())
                for (delivery, started) in zip(toStart, starts) {
                    let attempt = recordedAttempt(
                        for: delivery, started: started,
                        acknowledge: { outbox.append(ScriptCall(acknowledging: delivery)) }, commit: commit)
                    if let attempt { attempts.append(attempt) } else { slots.give() }
                }
            } catch {
                logger.warning(
                    "starting a batch failed; its entries stay pending", ["op": "start", "error": "\(error)"])
                reader.reset()
                slots.give(toStart.count)
            }
        }
        guard !attempts.isEmpty else { return outbox }

        let ended = DispatchSemaphore(value: 0)
        var launchedAttempts: [LaunchedAttempt] = []
        for attempt in attempts {
            running.withLock {
                $0[attempt.delivery.runningKey] = RunningTask(
                    jobId: attempt.delivery.jobId, kind: attempt.delivery.kind.rawValue, control: attempt.control)
            }
            let launched = LaunchedAttempt(attempt)
            launchedAttempts.append(launched)
            // Runs on this thread until the work first suspends: a short operation ends before the reader waits.
            Task.immediate { await self.execute(launched, ended: ended) }
        }
        metrics.set("cncf_tasks_in_flight", to: Double(running.withLock { $0.count }))
        let deadline = DispatchTime.now() + Self.batchWait.seconds
        for _ in launchedAttempts where ended.wait(timeout: deadline) == .timedOut { break }

        var unrecorded: [LaunchedAttempt] = []
        for launched in launchedAttempts {
            switch launched.release(keeping: launched.attempt.start.withLock { $0.unrecordedAt != nil }) {
            case .ended(let outcome):
                commit(launched.attempt, outcome)
                attemptDone(launched.attempt)
            case .kept:
                unrecorded.append(launched)
            case .released:
                break
            }
        }
        if !unrecorded.isEmpty { recordStarts(of: unrecorded, on: reader, into: &outbox) }
        return outbox
    }

    /// Records the start of transactional attempts still running after the batch's wait, so that they hold a lease
    /// and show as running. One whose task was cancelled or run elsewhere meanwhile is ended without a commit.
    private func recordStarts(
        of attempts: [LaunchedAttempt], on reader: StreamGroupReader, into outbox: inout [ScriptCall]
    ) {
        let starts: [RedisValue]
        do {
            starts = try startAll(attempts.map(\.attempt.delivery), on: try reader.connection()) { delivery in
                attempts.first { $0.attempt.delivery.runningKey == delivery.runningKey }?.attempt.start
                    .withLock { $0.unrecordedAt }
            }
        } catch {
            // Unrecorded, they can still commit start and outcome together when they end.
            logger.warning("recording the start of attempts failed", ["op": "start", "error": "\(error)"])
            reader.reset()
            for launched in attempts { handOver(launched, outbox: &outbox) }
            return
        }
        let lease = configuration.leaseMilliseconds
        for (launched, started) in zip(attempts, starts) {
            let attempt = launched.attempt
            let fields = started.array ?? []
            if fields.first?.string == "run", let number = fields.dropFirst().first?.int {
                attempt.start.withLock { $0 = Attempt.Start(number: number, unrecordedAt: nil) }
                attempt.control.leased(attempt: number, renewAfter: .now + .milliseconds(lease / 3))
                handOver(launched, outbox: &outbox)
                continue
            }
            let status = fields.dropFirst().first?.string ?? "missing"
            attempt.logger.info(
                "task cancelled or run elsewhere before this attempt's start was recorded; its outcome is dropped",
                ["op": attempt.name, "status": status])
            attempt.control.supersede()
            if status != "running" { outbox.append(ScriptCall(acknowledging: attempt.delivery)) }
            if launched.drop() { attemptDone(attempt) }
        }
    }

    /// Gives an attempt the reader kept over to itself: committed now when it has ended, by itself otherwise.
    private func handOver(_ launched: LaunchedAttempt, outbox: inout [ScriptCall]) {
        if case .ended(let outcome) = launched.release(keeping: false) {
            if let call = commitCall(launched.attempt, outcome) { outbox.append(call) }
            attemptDone(launched.attempt)
        }
    }

    /// Runs one launched attempt; commits it by itself when its reader has gone on.
    private func execute(_ launched: LaunchedAttempt, ended: DispatchSemaphore) async {
        let outcome = await run(launched.attempt)
        switch launched.end(with: outcome) {
        case .toReader:
            ended.signal()
        case .byItself:
            await commitOnItsOwn(launched.attempt, outcome)
            attemptDone(launched.attempt)
        case .dropped:
            attemptDone(launched.attempt)
        }
    }

    /// Frees what an attempt held once its outcome is committed or dropped.
    private func attemptDone(_ attempt: Attempt) {
        running.withLock { _ = $0.removeValue(forKey: attempt.delivery.runningKey) }
        processed.add(1, ordering: .relaxed)
        slots.give()
    }

    /// Runs the `start` script for every delivery in one pipeline. `startedAt` gives the time to record for an
    /// attempt that began before its start was recorded.
    private func startAll(
        _ deliveries: [Delivery], on connection: RedisConnection,
        startedAt: (Delivery) -> UInt64? = { _ in nil }
    ) throws(RedisError) -> [RedisValue] {
        let keyspace = configuration.keyspace
        let now = Clock.milliseconds()
        let calls = deliveries.map { delivery in
            let jobKey = keyspace.job(delivery.jobId)
            let taskKey = delivery.kind == .primary ? jobKey : keyspace.task(delivery.taskId)
            return (
                keys: [taskKey, jobKey, keyspace.events],
                arguments: [
                    configuration.consumerName, String(startedAt(delivery) ?? now), delivery.entryId,
                    String(configuration.leaseMilliseconds), delivery.kind.rawValue,
                ]
            )
        }
        return try connection.evalScriptBatch(JobScripts.start, calls: calls)
    }
}

/// An attempt launched by a reader, and who commits its outcome: the reader, while it still waits for the batch
/// or records the attempt's start, or else the attempt itself.
final class LaunchedAttempt: Sendable {
    enum Phase {
        /// Running; the reader will take its outcome.
        case running
        case ended(Worker.Outcome)
        /// Running; it commits by itself when it ends.
        case onItsOwn
        /// Its task went elsewhere: it ends without a commit.
        case dropped
    }

    /// What the reader got when it let go of the attempt.
    enum Release {
        case ended(Worker.Outcome)
        /// Still running, and still the reader's.
        case kept
        /// Still running, now on its own.
        case released
    }

    /// Where an ending attempt's outcome goes.
    enum Destination {
        case toReader
        case byItself
        case dropped
    }

    let attempt: Worker.Attempt
    private let phase = Mutex(Phase.running)

    init(_ attempt: Worker.Attempt) {
        self.attempt = attempt
    }

    /// The reader takes the outcome if the attempt has ended; otherwise it keeps the attempt (`keeping`) or leaves
    /// it to commit by itself.
    func release(keeping: Bool) -> Release {
        phase.withLock { phase in
            switch phase {
            case .ended(let outcome):
                phase = .dropped
                return .ended(outcome)
            case .running:
                if keeping { return .kept }
                phase = .onItsOwn
                return .released
            case .onItsOwn, .dropped:
                return .released
            }
        }
    }

    /// The reader gives up on the attempt; true when it had already ended (so nothing else will finish it).
    func drop() -> Bool {
        phase.withLock { phase in
            defer { phase = .dropped }
            if case .ended = phase { return true }
            return false
        }
    }

    /// Called once, by the attempt, when its work ends.
    func end(with outcome: Worker.Outcome) -> Destination {
        phase.withLock { phase in
            switch phase {
            case .running:
                phase = .ended(outcome)
                return .toReader
            case .onItsOwn:
                return .byItself
            case .ended, .dropped:
                return .dropped
            }
        }
    }
}
