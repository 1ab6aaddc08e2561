import JobModel
import JobServices
import RedisClient
import TestSupport
import Testing

/// Runs the job scripts by hand against Redis, with the keys and arguments the gateway, scheduler and worker use.
struct ScriptDriver {
    let keys: Keyspace
    let client: RedisClient
    static let retention = "600"

    init(namespace: String) throws {
        keys = Keyspace(namespace: namespace)
        client = RedisClient(configuration: try sharedRedisConfiguration())
    }

    /// Creates the scheduler and worker consumer groups, as the services do at start.
    func createGroups() async throws {
        try await client.command(["XGROUP", "CREATE", keys.commands, Keyspace.schedulerGroup, "0", "MKSTREAM"])
        try await client.command(["XGROUP", "CREATE", keys.tasks, Keyspace.workerGroup, "0", "MKSTREAM"])
    }

    /// The gateway's submit of a `jobAsync` command: `[outcome, job id]`.
    func submit(_ id: String, operation: String = "demo.echo", input: String = #"{"x":1}"#,
                principal: String = "alice", maxAttempts: Int = 1, now: UInt64 = 1_000) async throws -> [String] {
        try await strings(client.evalScript(
            JobScripts.submit,
            keys: [keys.job(id), keys.jobIndex, keys.commands, keys.events, keys.tasks, keys.due,
                   keys.noIdempotencyKey],
            arguments: [id, operation, principal, "jobAsync", input, String(now), "http", String(maxAttempts), "", "",
                        Self.retention, "0", ""]))
    }

    /// Reads the next command entry as the scheduler group does, leaving it pending.
    func readCommand() async throws -> StreamRecord {
        try await readOne(keys.commands, group: Keyspace.schedulerGroup, consumer: "scheduler-1")
    }

    /// Reads the next task entry as the worker group does, leaving it pending.
    func readTask(consumer: String = "worker-1") async throws -> StreamRecord {
        try await readOne(keys.tasks, group: Keyspace.workerGroup, consumer: consumer)
    }

    /// The scheduler's schedule: `[outcome, detail]`.
    func schedule(entry: String, id: String, operation: String = "demo.echo", input: String = #"{"x":1}"#,
                  principal: String = "unauthenticated", source: String = "http", compareInput: Bool = false,
                  now: UInt64 = 2_000) async throws -> [String] {
        try await strings(client.evalScript(
            JobScripts.schedule,
            keys: [keys.job(id), keys.jobIndex, keys.tasks, keys.events, keys.commands, keys.due,
                   keys.noIdempotencyKey],
            arguments: [entry, Keyspace.schedulerGroup, String(now), id, operation, principal, "jobAsync", input,
                        source, compareInput ? "1" : "0", "1", "", "", Self.retention]))
    }

    /// The worker's start of a job's primary task: `['run', attempt, input, operation, principal, max attempts,
    /// '']`, `['skip', status]` or `['missing']`.
    func start(_ id: String, task: String, worker: String = "worker-1", now: UInt64 = 3_000) async throws -> [String] {
        try await strings(client.evalScript(
            JobScripts.start, keys: [keys.job(id), keys.job(id), keys.events],
            arguments: [worker, String(now), task, "30000", "primary"]))
    }

    /// The worker's finish of a primary task: `['done', status]`, `['retry', delay]`, `['refused', status]` or
    /// `['missing']`. `retryDelay` -1 means the failure is not to be retried.
    /// `outcome` names an outcome that is not a status, such as `handedBack`. `unrecordedStart` is the start time of
    /// an attempt that ran before its start was recorded.
    func finish(_ id: String, task: String, attempt: Int, status: JobStatus = .succeeded, outcome: String? = nil,
                result: String = #"{"x":1}"#, errorCode: String = "", retryDelay: Int = -1,
                unrecordedStart: UInt64? = nil, now: UInt64 = 4_000) async throws -> [String] {
        let failed = status == .failed
        return try await strings(client.evalScript(
            JobScripts.finish,
            keys: [keys.job(id), keys.job(id), keys.events, keys.tasks, keys.tasks, keys.due, keys.deadLetters,
                   keys.subscriptions, keys.jobTasks(id)],
            arguments: [task, Keyspace.workerGroup, String(attempt), outcome ?? status.rawValue, String(now),
                        failed ? "" : result, "", errorCode, failed ? "it broke" : "", failed ? "retryNow" : "",
                        #"{"worker":"worker-1"}"#, "", "5", "worker-1", String(retryDelay), Self.retention,
                        "primary", keys.namespace, unrecordedStart.map(String.init) ?? "", "0", "0"]))
    }

    /// The job's hash.
    func job(_ id: String) async throws -> [String: String] {
        try await client.command(["HGETALL", keys.job(id)]).fieldDictionary
    }

    /// Every entry of a stream, oldest first.
    func entries(_ stream: String) async throws -> [StreamRecord] {
        let reply = try await client.command(["XRANGE", stream, "-", "+"])
        return streamEntries(reply).map { StreamRecord(id: $0.id, fields: $0.fields) }
    }

    /// The `type` of every lifecycle event, oldest first.
    func eventTypes() async throws -> [String] {
        try await entries(keys.events).map { $0.fields["type"] ?? "?" }
    }

    /// How many entries of `stream` the `group` has delivered but not acknowledged.
    func pendingCount(_ stream: String, group: String) async throws -> Int {
        try await client.command(["XPENDING", stream, group]).array?.first?.int ?? -1
    }

    private func readOne(_ stream: String, group: String, consumer: String) async throws -> StreamRecord {
        let reply = try await client.command(
            ["XREADGROUP", "GROUP", group, consumer, "COUNT", "1", "STREAMS", stream, ">"])
        let items = reply.array?.first?.array?[1] ?? .null
        let entry = try #require(streamEntries(items).first, "no entry to read on \(stream)")
        return StreamRecord(id: entry.id, fields: entry.fields)
    }

    private func strings(_ reply: RedisValue) throws -> [String] {
        try #require(reply.array, "not an array: \(reply)").map { $0.string ?? "<\($0)>" }
    }
}

/// One stream entry.
struct StreamRecord: Sendable, Equatable {
    let id: String
    let fields: [String: String]
}

@Suite("Job scripts against a real Redis")
struct JobScriptsTests {
    let namespace = TestEnvironment.uniqueNamespace()

    /// Runs `body` with a driver on a fresh namespace and removes the namespace's keys afterwards.
    func withDriver(_ body: (ScriptDriver) async throws -> Void) async throws {
        let driver = try ScriptDriver(namespace: namespace)
        defer {
            driver.client.close()
            deleteNamespace(namespace, configuration: driver.client.configuration)
        }
        try await driver.createGroups()
        try await body(driver)
    }

    @Test("submit creates the job hash, indexes it, queues its command and records job.accepted")
    func submitCreates() async throws {
        try await withDriver { driver in
            #expect(try await driver.submit("J1", now: 1_234) == ["created", "J1"])

            let job = try await driver.job("J1")
            #expect(job["id"] == "J1")
            #expect(job["operation"] == "demo.echo")
            #expect(job["principal"] == "alice")
            #expect(job["status"] == "accepted")
            #expect(job["acceptedAt"] == "1234")
            #expect(job["input"] == #"{"x":1}"#)
            #expect(job["attempt"] == "0")
            #expect(job["maxAttempts"] == "1")
            #expect(job["source"] == "http")
            #expect(try await driver.client.command(["ZSCORE", driver.keys.jobIndex, "J1"]) == .bulk("1234"))
            let commands = try await driver.entries(driver.keys.commands)
            #expect(commands.map(\.fields) == [["jobId": "J1", "operation": "demo.echo", "source": "http"]])
            let events = try await driver.entries(driver.keys.events)
            #expect(events.map(\.fields) == [[
                "type": "job.accepted", "jobId": "J1", "taskId": "", "operation": "demo.echo", "principal": "alice",
                "status": "accepted", "at": "1234", "details": #"{"source":"http"}"#,
            ]])
            #expect(try await driver.entries(driver.keys.tasks).isEmpty, "a jobAsync job waits for the scheduler")
        }
    }

    @Test("submitting the same id again is idempotent with the same content and a conflict otherwise")
    func submitIdempotence() async throws {
        try await withDriver { driver in
            _ = try await driver.submit("J1")

            #expect(try await driver.submit("J1", now: 9_999) == ["exists", "J1"])
            #expect(try await driver.submit("J1", input: #"{"x":2}"#) == ["conflict", "J1"])
            #expect(try await driver.submit("J1", operation: "demo.sleep") == ["conflict", "J1"])

            #expect(try await driver.job("J1")["acceptedAt"] == "1000")
            #expect(try await driver.entries(driver.keys.commands).count == 1)
            #expect(try await driver.eventTypes() == ["job.accepted"])
            #expect(try await driver.client.command(["ZCARD", driver.keys.jobIndex]) == .integer(1))
        }
    }

    @Test("schedule moves an accepted job to scheduled once, queues one task and acknowledges the command")
    func scheduleOnce() async throws {
        try await withDriver { driver in
            _ = try await driver.submit("J1")
            let command = try await driver.readCommand()
            #expect(try await driver.pendingCount(driver.keys.commands, group: Keyspace.schedulerGroup) == 1)

            #expect(try await driver.schedule(entry: command.id, id: "J1", now: 2_222) == ["scheduled", ""])

            let job = try await driver.job("J1")
            #expect(job["status"] == "scheduled")
            #expect(job["scheduledAt"] == "2222")
            #expect(try await driver.pendingCount(driver.keys.commands, group: Keyspace.schedulerGroup) == 0)
            let tasks = try await driver.entries(driver.keys.tasks)
            #expect(
                tasks.map(\.fields) == [[
                    "jobId": "J1", "kind": "primary", "operation": "demo.echo", "principal": "alice",
                    "input": #"{"x":1}"#,
                ]],
                "a first delivery carries what a worker needs to run the job without reading it")
            let scheduled = try await driver.entries(driver.keys.events).last?.fields
            #expect(scheduled?["type"] == "job.scheduled")
            #expect(scheduled?["principal"] == "alice", "the principal comes from the job, not the command")

            #expect(try await driver.schedule(entry: command.id, id: "J1") == ["skipped", "scheduled"])
            #expect(try await driver.entries(driver.keys.tasks).count == 1)
            #expect(try await driver.eventTypes() == ["job.accepted", "job.scheduled"])
        }
    }

    @Test("schedule creates the job of a raw stream entry, then schedules it")
    func scheduleCreatesStreamJob() async throws {
        try await withDriver { driver in
            let entry = try #require(try await driver.client.command(
                ["XADD", driver.keys.commands, "*", "operation", "demo.echo", "input", "[1]"]).string)
            _ = try await driver.readCommand()

            let reply = try await driver.schedule(
                entry: entry, id: "S1", input: "[1]", principal: "importer", source: "stream", compareInput: true)

            #expect(reply == ["scheduled", ""])
            let job = try await driver.job("S1")
            #expect(job["status"] == "scheduled")
            #expect(job["source"] == "stream")
            #expect(job["principal"] == "importer")
            #expect(job["input"] == "[1]")
            #expect(try await driver.eventTypes() == ["job.accepted", "job.scheduled"])
            #expect(try await driver.client.command(["ZSCORE", driver.keys.jobIndex, "S1"]) == .bulk("2000"))
        }
    }

    @Test("schedule reports a conflict, without acknowledging, when the id is taken by other content")
    func scheduleConflict() async throws {
        try await withDriver { driver in
            _ = try await driver.submit("J1")
            let entry = try #require(try await driver.client.command(
                ["XADD", driver.keys.commands, "*", "operation", "demo.echo", "jobId", "J1", "input", "[2]"]).string)
            _ = try await driver.readCommand()
            _ = try await driver.readCommand()

            let otherInput = try await driver.schedule(entry: entry, id: "J1", input: "[2]", compareInput: true)
            let otherOperation = try await driver.schedule(entry: entry, id: "J1", operation: "demo.fail")

            #expect(otherInput == ["conflict", "accepted"])
            #expect(otherOperation == ["conflict", "accepted"])
            #expect(try await driver.job("J1")["status"] == "accepted")
            #expect(try await driver.pendingCount(driver.keys.commands, group: Keyspace.schedulerGroup) == 2)
            #expect(try await driver.entries(driver.keys.tasks).isEmpty)
        }
    }

    @Test("start moves a scheduled job to running under a lease and returns what the worker needs")
    func startRuns() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1")

            let reply = try await driver.start("J1", task: task.id, worker: "worker-7", now: 3_333)

            #expect(reply == ["run", "1", #"{"x":1}"#, "demo.echo", "alice", "1", ""])
            let job = try await driver.job("J1")
            #expect(job["status"] == "running")
            #expect(job["attempt"] == "1")
            #expect(job["retryCount"] == "0")
            #expect(job["worker"] == "worker-7")
            #expect(job["startedAt"] == "3333")
            #expect(job["lease"] == "\(task.id)/1")
            #expect(job["leaseUntil"] == "33333")
            let running = try #require(try await driver.entries(driver.keys.events).last?.fields)
            #expect(running["type"] == "job.running")
            #expect(try JSONValue.parse(running["details"] ?? "") == ["attempt": 1, "worker": "worker-7"])

            #expect(try await driver.start("J1", task: task.id) == ["skip", "running"])
            #expect(try await driver.job("J1")["attempt"] == "1")
            #expect(try await driver.start("NOPE", task: task.id) == ["missing"])
        }
    }

    @Test("finish with a wrong attempt or task is refused and leaves the job running and the task pending")
    func finishWithWrongLease() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1")
            _ = try await driver.start("J1", task: task.id)
            let before = try await driver.job("J1")

            #expect(try await driver.finish("J1", task: task.id, attempt: 2) == ["refused", "running"])
            #expect(try await driver.finish("J1", task: "0-1", attempt: 1) == ["refused", "running"])

            #expect(try await driver.job("J1") == before)
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 1)
            #expect(try await driver.eventTypes() == ["job.accepted", "job.scheduled", "job.running"])
        }
    }

    @Test("finish with the lease records success, acknowledges the task, and a later finish is refused")
    func finishSucceeds() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1")
            _ = try await driver.start("J1", task: task.id)
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 1)

            #expect(try await driver.finish("J1", task: task.id, attempt: 1, now: 4_444) == ["done", "succeeded"])

            let job = try await driver.job("J1")
            #expect(job["status"] == "succeeded")
            #expect(job["completedAt"] == "4444")
            #expect(job["result"] == #"{"x":1}"#)
            #expect(job["lease"] == nil && job["leaseUntil"] == nil)
            #expect(job["errorCode"] == nil)
            let history = try JSONValue.parse("[" + (job["attempts"] ?? "") + "]")
            #expect(history.arrayValue?.count == 1)
            #expect(history.arrayValue?.first?["outcome"] == "succeeded")
            #expect(history.arrayValue?.first?["attempt"] == 1)
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
            let events = try await driver.entries(driver.keys.events)
            let types = events.map { $0.fields["type"] ?? "?" }
            #expect(types == ["job.accepted", "job.scheduled", "job.running", "job.succeeded"])
            #expect(try JSONValue.parse(events.last?.fields["details"] ?? "") == ["attempt": 1, "durationMs": 5])
            let ttl = try await driver.client.command(["TTL", driver.keys.job("J1")]).int ?? -1
            #expect(ttl > 0 && ttl <= 600, "a finished job is kept for the retention time, TTL \(ttl)")

            #expect(try await driver.finish("J1", task: task.id, attempt: 1) == ["refused", "succeeded"])
            let failingLate = try await driver.finish("J1", task: task.id, attempt: 1, status: .failed)
            #expect(failingLate == ["refused", "succeeded"])
            #expect(try await driver.job("J1") == job)
            #expect(try await driver.entries(driver.keys.events).count == 4)
        }
    }

    @Test("a failure that is not to be retried ends the job failed, with its error and no result")
    func finishFailsWithoutRetry() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1", maxAttempts: 3)
            _ = try await driver.start("J1", task: task.id)

            let reply = try await driver.finish(
                "J1", task: task.id, attempt: 1, status: .failed, errorCode: "demo_failure", retryDelay: -1)

            #expect(reply == ["done", "failed"])
            let job = try await driver.job("J1")
            #expect(job["status"] == "failed")
            #expect(job["errorCode"] == "demo_failure")
            #expect(job["errorMessage"] == "it broke")
            #expect(job["errorAction"] == "retryNow")
            #expect(job["result"] == nil)
            #expect(job["conclusion"]?.hasPrefix("not retried") == true, "\(job["conclusion"] ?? "none")")
            #expect(try await driver.eventTypes().last == "job.failed")
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
            #expect(try await driver.entries(driver.keys.deadLetters).isEmpty)
        }
    }

    @Test("a retryable failure with attempts left schedules the next attempt on a new task entry")
    func finishRetries() async throws {
        try await withDriver { driver in
            let first = try await scheduledTask(driver, id: "J1", maxAttempts: 2)
            _ = try await driver.start("J1", task: first.id)

            let reply = try await driver.finish(
                "J1", task: first.id, attempt: 1, status: .failed, errorCode: "demo_failure", retryDelay: 0)

            #expect(reply == ["retry", "0"])
            #expect(try await driver.job("J1")["status"] == "scheduled")
            #expect(try await driver.eventTypes().last == "job.retry_scheduled")
            let second = try await driver.readTask()
            #expect(second.id != first.id)
            #expect(try await driver.start("J1", task: second.id).prefix(2) == ["run", "2"])
            let last = try await driver.finish(
                "J1", task: second.id, attempt: 2, status: .failed, errorCode: "demo_failure", retryDelay: 0)
            #expect(last == ["done", "failed"])
            let job = try await driver.job("J1")
            #expect(job["conclusion"] == "attempts exhausted: 2 of 2")
            let history = try JSONValue.parse("[" + (job["attempts"] ?? "") + "]").arrayValue ?? []
            #expect(history.compactMap { $0["attempt"]?.intValue } == [1, 2])
            let deadLetters = try await driver.entries(driver.keys.deadLetters)
            #expect(deadLetters.map { $0.fields["jobId"] } == ["J1"])
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
        }
    }

    @Test("an attempt handed back by a stopping worker runs again at once without using up an attempt")
    func finishHandsBack() async throws {
        try await withDriver { driver in
            let first = try await scheduledTask(driver, id: "J1", maxAttempts: 1)
            _ = try await driver.start("J1", task: first.id)

            let reply = try await driver.finish(
                "J1", task: first.id, attempt: 1, status: .failed, outcome: "handedBack", errorCode: "worker_stopped")

            #expect(reply == ["retry", "0"])
            var job = try await driver.job("J1")
            #expect(job["status"] == "scheduled")
            #expect(job["maxAttempts"] == "2", "the handed-back attempt does not count against the budget")
            #expect(job["lease"] == nil)
            #expect(try await driver.eventTypes().last == "job.retry_scheduled")
            #expect(try await driver.entries(driver.keys.deadLetters).isEmpty)
            let second = try await driver.readTask()
            #expect(try await driver.start("J1", task: second.id).prefix(2) == ["run", "2"])
            #expect(try await driver.finish("J1", task: second.id, attempt: 2) == ["done", "succeeded"])
            job = try await driver.job("J1")
            let history = try JSONValue.parse("[" + (job["attempts"] ?? "") + "]").arrayValue ?? []
            #expect(history.compactMap { $0["outcome"]?.stringValue } == ["handedBack", "succeeded"])
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
        }
    }

    @Test("an attempt run before its start was recorded commits start and outcome together")
    func finishRecordsAnUnrecordedStart() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1", maxAttempts: 1)

            let reply = try await driver.finish("J1", task: task.id, attempt: 1, unrecordedStart: 3_500)

            #expect(reply == ["done", "succeeded"])
            let job = try await driver.job("J1")
            #expect(job["status"] == "succeeded")
            #expect(job["startedAt"] == "3500")
            #expect(job["attempt"] == "1")
            #expect(job["retryCount"] == "0")
            #expect(job["worker"] == "worker-1")
            let events = try await driver.entries(driver.keys.events).suffix(2)
            #expect(events.map { $0.fields["type"] } == ["job.running", "job.succeeded"])
            #expect(events.first?.fields["at"] == "3500")
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
        }
    }

    @Test("an unrecorded attempt's commit is refused once the job was cancelled or started by another attempt")
    func unrecordedStartIsFenced() async throws {
        try await withDriver { driver in
            let first = try await scheduledTask(driver, id: "J1", maxAttempts: 1)
            _ = try await driver.start("J1", task: first.id)
            #expect(try await driver.finish("J1", task: first.id, attempt: 1, unrecordedStart: 3_500)
                == ["refused", "running"])
            #expect(try await driver.job("J1")["status"] == "running", "the started attempt is left alone")

            let second = try await scheduledTask(driver, id: "J2", maxAttempts: 1)
            _ = try await driver.client.evalScript(
                JobScripts.cancel, keys: [driver.keys.job("J2"), driver.keys.events, driver.keys.due],
                arguments: ["stop", "3000", ScriptDriver.retention, driver.keys.cancelChannel])
            #expect(try await driver.finish("J2", task: second.id, attempt: 1, unrecordedStart: 3_500)
                == ["refused", "cancelled"])
            let job = try await driver.job("J2")
            #expect(job["status"] == "cancelled")
            #expect(job["result"] == nil && job["startedAt"] == nil, "nothing of the attempt is applied")
        }
    }

    @Test("finish for a job that no longer exists acknowledges the task and says missing")
    func finishMissing() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1")
            try await driver.client.command(["DEL", driver.keys.job("J1")])

            #expect(try await driver.finish("J1", task: task.id, attempt: 1) == ["missing"])
            #expect(try await driver.pendingCount(driver.keys.tasks, group: Keyspace.workerGroup) == 0)
        }
    }

    @Test("backwards moves are refused and leave the job exactly as it was")
    func backwardsMovesRefused() async throws {
        try await withDriver { driver in
            let task = try await scheduledTask(driver, id: "J1")
            _ = try await driver.start("J1", task: task.id)
            _ = try await driver.finish("J1", task: task.id, attempt: 1)
            let finished = try await driver.job("J1")
            let eventCount = try await driver.entries(driver.keys.events).count

            #expect(try await driver.start("J1", task: task.id) == ["skip", "succeeded"])
            let command = try #require(try await driver.client.command(
                ["XADD", driver.keys.commands, "*", "operation", "demo.echo", "jobId", "J1"]).string)
            _ = try await driver.readCommand()
            #expect(try await driver.schedule(entry: command, id: "J1") == ["skipped", "succeeded"])

            #expect(try await driver.job("J1") == finished)
            #expect(try await driver.entries(driver.keys.events).count == eventCount)
            #expect(try await driver.entries(driver.keys.tasks).count == 1)
        }
    }

    @Test("the Lua transition table allows exactly the moves the Swift table allows")
    func luaAgreesWithSwift() async throws {
        let client = RedisClient(configuration: try sharedRedisConfiguration())
        defer { client.close() }
        let statuses = JobStatus.allCases.map(\.rawValue)
        let source = JobTransitions.luaTable + """

            local allowed = {}
            for _, from in ipairs(ARGV) do
              for _, to in ipairs(ARGV) do
                if can_move(from, to) then table.insert(allowed, from .. '>' .. to) end
              end
            end
            if can_move('unknown', 'running') or can_move('running', 'unknown') then
              table.insert(allowed, 'unknown')
            end
            return allowed
            """

        let reply = try await client.command(["EVAL", source, "0"] + statuses)

        let fromLua = Set(reply.array?.compactMap(\.string) ?? [])
        var fromSwift: Set<String> = []
        for from in JobStatus.allCases {
            for to in JobStatus.allCases where JobTransitions.allows(from, to: to) {
                fromSwift.insert("\(from.rawValue)>\(to.rawValue)")
            }
        }
        #expect(fromLua == fromSwift)
        #expect(!fromLua.isEmpty)
    }

    /// Submits `id`, schedules it and reads its task as a worker would, returning the task entry.
    private func scheduledTask(_ driver: ScriptDriver, id: String, maxAttempts: Int = 1) async throws -> StreamRecord {
        _ = try await driver.submit(id, maxAttempts: maxAttempts)
        let command = try await driver.readCommand()
        _ = try await driver.schedule(entry: command.id, id: id)
        return try await driver.readTask()
    }
}
