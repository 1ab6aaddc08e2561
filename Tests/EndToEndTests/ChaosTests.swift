import Foundation
import JobModel
import RedisClient
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs many jobs whose committed effect increments a counter while workers are killed with SIGKILL at random,
/// the scheduler is restarted and Redis is restarted once; afterwards every job must be terminal, none lost, and
/// the counter must equal the number of succeeded jobs (no effect applied twice, none applied without its job
/// succeeding). A job that did not succeed must have failed because crashes used up its attempts.
/// `CNCF_CHAOS_JOBS` sets the number of jobs (default 20,000); `ops/chaos` runs this test alone.
@Suite(.serialized, .timeLimit(.minutes(20)))
struct ChaosTests {
    static let jobCount = Int(ProcessInfo.processInfo.environment["CNCF_CHAOS_JOBS"] ?? "") ?? 20_000

    @Test(.timeLimit(.minutes(15)))
    func everyJobEndsOnceDespiteKilledWorkersAndRestarts() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let namespace = TestEnvironment.uniqueNamespace("chaos")
        let keyspace = Keyspace(namespace: namespace)
        let logs = redis.directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let cast = Cast(redisURL: redis.url, namespace: namespace, logs: logs)
        defer { cast.stopAll() }

        try cast.startScheduler()
        try cast.startAudit()
        for _ in 0..<3 { try cast.startWorker() }
        try await waitForRegistration(redis: redis.configuration, keyspace: keyspace)

        let submitted = Task.detached { try submitAll(redis: redis.configuration, keyspace: keyspace) }
        let chaos = Task.detached { () -> Int in
            var round = 0
            var redisRestarted = false
            // However quickly the jobs go through, every kind of disruption happens at least once.
            while !Task.isCancelled || round < 6 {
                try? await Task.sleep(for: .milliseconds(300))
                round += 1
                cast.killRandomWorker()
                try? cast.startWorker()
                if round % 4 == 0 { try? cast.restartScheduler() }
                if round == 3 && !redisRestarted {
                    redisRestarted = true
                    try? redis.restart()
                }
            }
            return round
        }

        try await submitted.value
        let deadline = ContinuousClock.now + .seconds(600)
        var statuses: [String: Int] = [:]
        // Keep the chaos going until nine jobs in ten are finished, then let the survivors finish the rest.
        repeat {
            try await Task.sleep(for: .seconds(1))
            statuses = (try? countStatuses(redis: redis.configuration, keyspace: keyspace)) ?? [:]
        } while statuses.filter({ isTerminal($0.key) }).values.reduce(0, +) < Self.jobCount * 9 / 10
            && ContinuousClock.now < deadline
        chaos.cancel()
        let rounds = await chaos.value
        repeat {
            try await Task.sleep(for: .seconds(1))
            statuses = (try? countStatuses(redis: redis.configuration, keyspace: keyspace)) ?? [:]
        } while statuses.filter({ !isTerminal($0.key) }).values.reduce(0, +) > 0 && ContinuousClock.now < deadline

        let connection = try RedisConnection(configuration: redis.configuration)
        let counter = try connection.command(["HGET", "\(namespace):demo:counters", "chaos"]).int ?? 0
        let total = statuses.values.reduce(0, +)
        print(
            "chaos: \(Self.jobCount) jobs, \(rounds) rounds, \(cast.killed) workers killed;"
                + " statuses \(statuses); counter \(counter)")
        let unfinished = statuses.filter { !isTerminal($0.key) }
        #expect(rounds >= 6, "the chaos loop ran \(rounds) rounds; it must kill workers and restart Redis")
        #expect(total == Self.jobCount, "jobs found: \(total) of \(Self.jobCount) (\(statuses))\n\(cast.logTail())")
        #expect(unfinished.isEmpty, "jobs not terminal: \(unfinished)\n\(cast.logTail())")
        #expect(counter == statuses["succeeded", default: 0],
                "counter \(counter) but \(statuses["succeeded", default: 0]) jobs succeeded (\(statuses))")
        #expect(statuses["succeeded", default: 0] > Self.jobCount / 2, "most jobs should succeed: \(statuses)")
        #expect(cast.killed > 0, "no worker was killed")

        // Nobody cancels, so a job that did not succeed can only have failed, and only because SIGKILLed workers
        // used up its attempts: the last attempt crashed and the conclusion says so.
        let unexpected = statuses.keys.filter { $0 != "succeeded" && $0 != "failed" }.sorted()
        #expect(unexpected.isEmpty, "jobs neither succeeded nor failed: \(unexpected) (\(statuses))")
        let failures = try failedJobs(redis: redis.configuration, keyspace: keyspace)
        #expect(failures.count == statuses["failed", default: 0], "failed jobs read: \(failures.count) (\(statuses))")
        let unexplained = failures.filter { !$0.crashedOnItsLastAttempt }
        let examples = unexplained.prefix(5).map { "\($0)" }.joined(separator: "\n")
        #expect(
            unexplained.isEmpty, "\(unexplained.count) failed jobs did not crash through their attempts:\n\(examples)")
    }

    /// What the job record of a failed job says about why it failed.
    struct Failure: CustomStringConvertible {
        let id: String
        let errorCode: String?
        let conclusion: String?
        let attempt: Int?
        let maxAttempts: Int?
        let outcomes: [String]

        /// Whether the job failed the way a job of this test legitimately can: every attempt it was allowed was
        /// used, the last one was lost with its worker (`worker_lost`), and the conclusion says exactly that.
        var crashedOnItsLastAttempt: Bool {
            guard let attempt, let maxAttempts, attempt == maxAttempts else { return false }
            return errorCode == "worker_lost" && outcomes.count == attempt && outcomes.last == "crashed"
                && conclusion == "attempts exhausted: \(attempt) of \(maxAttempts), the last one crashed"
        }

        var description: String {
            "\(id): errorCode \(errorCode ?? "-"), conclusion \(conclusion ?? "-"), attempt \(attempt ?? -1)"
                + " of \(maxAttempts ?? -1), attempts \(outcomes)"
        }
    }

    /// The failed jobs among those submitted, with the fields that say why they failed.
    private func failedJobs(redis: RedisConfiguration, keyspace: Keyspace) throws -> [Failure] {
        let connection = try RedisConnection(configuration: redis)
        var failures: [Failure] = []
        var start = 0
        while start < Self.jobCount {
            let end = min(start + 2_000, Self.jobCount)
            let replies = try connection.pipeline(
                (start..<end).map {
                    [
                        "HMGET", keyspace.job("chaos-\($0)"), "id", "status", "errorCode", "conclusion", "attempt",
                        "maxAttempts", "attempts",
                    ]
                })
            for reply in replies {
                let fields = reply.array?.map(\.string) ?? []
                guard fields.count == 7, fields[1] == "failed" else { continue }
                // The record keeps its attempts as JSON objects separated by commas, without the brackets.
                let attempts = fields[6].flatMap { try? JSONValue.parse("[\($0)]") }?.arrayValue ?? []
                failures.append(
                    Failure(
                        id: fields[0] ?? "?", errorCode: fields[2], conclusion: fields[3],
                        attempt: fields[4].flatMap { Int($0) }, maxAttempts: fields[5].flatMap { Int($0) },
                        outcomes: attempts.map { $0["outcome"]?.stringValue ?? "?" }))
            }
            start = end
        }
        return failures
    }

    /// Waits until a worker has registered `demo.increment`.
    private func waitForRegistration(redis: RedisConfiguration, keyspace: Keyspace) async throws {
        let connection = try RedisConnection(configuration: redis)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try connection.command(["HEXISTS", keyspace.operations, "demo.increment"]).int) == 1 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("no worker registered demo.increment")
    }

    /// Writes every command onto the command stream with a fixed job id, so a batch that may have been half
    /// written when Redis went away can simply be written again.
    private func submitAll(redis: RedisConfiguration, keyspace: Keyspace) throws {
        var connection: RedisConnection?
        var next = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while next < Self.jobCount {
            guard ContinuousClock.now < deadline else { throw TestSupportError("could not submit every job") }
            do {
                if connection == nil || connection!.isBroken { connection = try RedisConnection(configuration: redis) }
                let end = min(next + 500, Self.jobCount)
                let commands = (next..<end).map { index in
                    ["XADD", keyspace.commands, "*", "operation", "demo.increment", "input", #"{"counter":"chaos"}"#,
                     "jobId", "chaos-\(index)"]
                }
                let replies = try connection!.pipeline(commands)
                guard !replies.contains(where: { if case .error = $0 { true } else { false } }) else {
                    let refusal = replies.first { if case .error = $0 { true } else { false } }!
                    throw RedisError.server("XADD refused: \(refusal)")
                }
                next = end
            } catch {
                connection = nil
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// How many of the submitted jobs are in each status (`missing` for ids without a job).
    private func countStatuses(redis: RedisConfiguration, keyspace: Keyspace) throws -> [String: Int] {
        let connection = try RedisConnection(configuration: redis)
        var counts: [String: Int] = [:]
        var start = 0
        while start < Self.jobCount {
            let end = min(start + 2_000, Self.jobCount)
            let replies = try connection.pipeline((start..<end).map { ["HGET", keyspace.job("chaos-\($0)"), "status"] })
            for reply in replies { counts[reply.string ?? "missing", default: 0] += 1 }
            start = end
        }
        return counts
    }

    private func isTerminal(_ status: String) -> Bool {
        status == "succeeded" || status == "failed" || status == "cancelled"
    }
}

/// The services of the chaos run, started, killed and restarted by PID.
private final class Cast: Sendable {
    private let environment: [String: String]
    private let logs: URL
    private let state = Mutex<(workers: [ServiceProcess], scheduler: ServiceProcess?, audit: ServiceProcess?,
                               everyone: [ServiceProcess], nextWorker: Int, killed: Int)>(([], nil, nil, [], 0, 0))

    init(redisURL: String, namespace: String, logs: URL) {
        environment = [
            "REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace, "LOG_LEVEL": "notice", "TASK_LEASE_MS": "1500",
            "WORKER_CONCURRENCY": "16", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        self.logs = logs
    }

    var killed: Int { state.withLock { $0.killed } }

    func startWorker() throws {
        let index = state.withLock { state in
            state.nextWorker += 1
            return state.nextWorker
        }
        var environment = self.environment
        environment["WORKER_ID"] = "chaos-worker-\(index)"
        let worker = try ServiceProcess.service("cncf-worker", environment: environment, logDirectory: logs,
                                                label: "worker-\(index)")
        state.withLock {
            $0.workers.append(worker)
            $0.everyone.append(worker)
        }
    }

    func killRandomWorker() {
        let victim = state.withLock { state -> ServiceProcess? in
            guard !state.workers.isEmpty else { return nil }
            state.killed += 1
            return state.workers.remove(at: Int.random(in: 0..<state.workers.count))
        }
        victim?.kill()
    }

    func startScheduler() throws {
        let scheduler = try ServiceProcess.service("cncf-scheduler", environment: environment, logDirectory: logs,
                                                   label: "scheduler-\(Int.random(in: 0..<1_000_000))")
        state.withLock {
            $0.scheduler = scheduler
            $0.everyone.append(scheduler)
        }
    }

    func restartScheduler() throws {
        state.withLock { $0.scheduler }?.terminate(grace: .seconds(5))
        try startScheduler()
    }

    func startAudit() throws {
        let audit = try ServiceProcess.service(
            "cncf-audit",
            environment: environment.merging(["CNCF_AUDIT_DB": logs.appendingPathComponent("audit.db").path]) { $1 },
            logDirectory: logs)
        state.withLock {
            $0.audit = audit
            $0.everyone.append(audit)
        }
    }

    func stopAll() {
        for process in state.withLock({ $0.everyone }) where process.isRunning { process.terminate(grace: .seconds(5)) }
    }

    /// The end of the scheduler's and the newest worker's logs, for failure messages.
    func logTail() -> String {
        let (scheduler, worker) = state.withLock { ($0.scheduler, $0.workers.last) }
        return "scheduler:\n\(scheduler?.logTail(lines: 15) ?? "")\nworker:\n\(worker?.logTail(lines: 15) ?? "")"
    }
}
