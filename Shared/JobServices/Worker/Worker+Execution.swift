import Foundation
import JobModel
import RedisClient
import Synchronization

extension Worker {
    /// What to run and under which rules.
    struct Work: Sendable {
        let policy: RetryPolicy
        let timeout: Duration
        let body: @Sendable (OperationContext) async throws -> JSONValue
    }

    /// The outcome of an attempt, before it is committed.
    struct Outcome: Sendable {
        var status: JobStatus
        /// The worker stopped before the attempt finished: it is run again without using up an attempt.
        var handedBack = false
        var result: JSONValue = .null
        var error: JobError?
        var seconds: Double
    }

    /// One attempt of a task (or one `sync` request) this worker runs, from its launch to its commit.
    final class Attempt: Sendable {
        /// How far the attempt's start is recorded in Redis.
        struct Start: Sendable {
            /// The attempt's number, from 1.
            var number: Int
            /// When the attempt began, while its start is not recorded yet (milliseconds since the epoch).
            var unrecordedAt: UInt64?
        }

        let delivery: Delivery
        /// The operation or subscriber it runs.
        let name: String
        let work: Work
        let context: OperationContext
        let control = AttemptControl()
        let logger: Logger
        /// The task's record: the job hash for a primary task, the task hash for a subscriber task.
        let taskKey: String
        let start: Mutex<Start>

        init(
            delivery: Delivery, name: String, work: Work, context: OperationContext, logger: Logger,
            taskKey: String, start: Start
        ) {
            self.delivery = delivery
            self.name = name
            self.work = work
            self.context = context
            self.logger = logger
            self.taskKey = taskKey
            self.start = Mutex(start)
        }
    }

    // MARK: Preparing attempts

    /// The attempt of a delivery that may run before its start is recorded: the first attempt of a transactional
    /// operation whose entry carries its input, or of a transactional async subscriber. `nil` for any other.
    func unrecordedAttempt(for delivery: Delivery, subscriber: (any EventSubscriber)?) -> Attempt? {
        let now = Clock.milliseconds()
        switch delivery.kind {
        case .primary where delivery.fields["input"] != nil:
            guard let name = delivery.fields["operation"], let operation = registry.operation(named: name),
                operation.isTransactional
            else { return nil }
            let input = (try? JSONValue.parse(delivery.fields["input"] ?? "{}", depthLimit: 256)) ?? .object([:])
            return attempt(
                delivery, name: name, principal: delivery.fields["principal"] ?? "", number: 1, unrecordedAt: now,
                work: work(of: operation, input: input))
        case .subscriber where subscriber != nil && delivery.stream == configuration.keyspace.events:
            guard let subscriber, subscriber.isTransactional else { return nil }
            let payload = (try? JSONValue.parse(delivery.fields["details"] ?? "{}", depthLimit: 256)) ?? .object([:])
            return attempt(
                delivery, name: subscriber.name, principal: delivery.fields["principal"] ?? "", number: 1,
                unrecordedAt: now, work: work(of: subscriber, eventType: delivery.fields["type"], payload: payload))
        default:
            return nil
        }
    }

    /// The attempt a `start` reply allows, or `nil` when there is nothing to run (then the delivery is
    /// acknowledged through `acknowledge` unless the task is running elsewhere) or the work is not hosted here
    /// (then its failure is committed through `commit`).
    func recordedAttempt(
        for delivery: Delivery, started: RedisValue, acknowledge: () -> Void, commit: (Attempt, Outcome) -> Void
    ) -> Attempt? {
        let taskId = delivery.kind == .primary ? JobTask.primaryID(of: delivery.jobId) : delivery.taskId
        if case .error(let message) = started {
            logger.error(
                "start refused; the delivery stays pending",
                ["op": "start", "job": delivery.jobId, "task": taskId, "error": message])
            return nil
        }
        guard let fields = started.array, fields.first?.string == "run", fields.count >= 7,
            let number = fields[1].int, let name = fields[3].string
        else {
            let status = started.array?.dropFirst().first?.string ?? "missing"
            if status != "running" { acknowledge() }
            logger.debug("delivery not runnable", ["op": "start", "job": delivery.jobId, "status": status])
            return nil
        }
        let payload = (try? JSONValue.parse(fields[2].string ?? "{}", depthLimit: 256)) ?? .object([:])
        let principal = fields[4].string ?? ""
        let work: Work?
        if delivery.kind == .primary {
            work = registry.operation(named: name).map { self.work(of: $0, input: payload) }
        } else {
            work = registry.subscribers[name].map { self.work(of: $0, eventType: fields[6].string, payload: payload) }
        }
        guard let work else {
            let unrunnable = attempt(
                delivery, name: name, principal: principal, number: number, unrecordedAt: nil,
                work: Work(policy: RetryPolicy(maxAttempts: 1), timeout: .seconds(1)) { _ in .null })
            let error = JobError(
                code: "unknown_operation", message: "worker \(configuration.consumerName) does not host \(name)",
                action: .escalate)
            commit(unrunnable, Outcome(status: .failed, error: error, seconds: 0))
            return nil
        }
        return attempt(delivery, name: name, principal: principal, number: number, unrecordedAt: nil, work: work)
    }

    /// The attempt of a `sync` request; `nil` (after answering the caller) when the request cannot be run.
    func syncAttempt(for delivery: Delivery, reply: (Attempt, Outcome) -> Void) -> Attempt? {
        let fields = delivery.fields
        let name = fields["operation"] ?? ""
        let input = (try? JSONValue.parse(fields["input"] ?? "{}")) ?? .object([:])
        guard let operation = registry.operation(named: name) else {
            let attempt = attempt(
                delivery, name: name, principal: fields["principal"] ?? "", number: 1, unrecordedAt: nil,
                work: Work(policy: RetryPolicy(maxAttempts: 1), timeout: .seconds(1)) { _ in .null })
            let error = JobError(
                code: "unknown_operation", message: "this worker does not host \(name)", action: .escalate)
            reply(attempt, Outcome(status: .failed, error: error, seconds: 0))
            return nil
        }
        return attempt(
            delivery, name: name, principal: fields["principal"] ?? "", number: 1, unrecordedAt: nil,
            work: Work(policy: RetryPolicy(maxAttempts: 1), timeout: operation.timeout) { context in
                try await operation.run(input: input, context: context)
            })
    }

    private func attempt(
        _ delivery: Delivery, name: String, principal: String, number: Int, unrecordedAt: UInt64?, work: Work
    ) -> Attempt {
        let keyspace = configuration.keyspace
        let taskId: String
        let taskKey: String
        switch delivery.kind {
        case .primary:
            taskId = JobTask.primaryID(of: delivery.jobId)
            taskKey = keyspace.job(delivery.jobId)
        case .subscriber:
            taskId = delivery.taskId
            taskKey = keyspace.task(delivery.taskId)
        case .sync:
            taskId = "sync"
            taskKey = ""
        }
        let logger = delivery.kind == .sync
            ? self.logger.with(["op": name, "request": delivery.fields["requestId"] ?? ""])
            : self.logger.with(["job": delivery.jobId, "task": taskId])
        let context = OperationContext(
            jobId: delivery.jobId, taskId: taskId, attempt: number, principal: principal, spanName: name,
            logger: logger.with(["op": name]), registry: registry, keyspace: keyspace, client: client)
        return Attempt(
            delivery: delivery, name: name, work: work, context: context, logger: logger, taskKey: taskKey,
            start: Attempt.Start(number: number, unrecordedAt: unrecordedAt))
    }

    private func work(of operation: any JobOperation, input: JSONValue) -> Work {
        Work(policy: operation.retryPolicy, timeout: attemptTimeout(operation.timeout)) { context in
            try await operation.run(input: input, context: context)
        }
    }

    private func work(of subscriber: any EventSubscriber, eventType: String?, payload: JSONValue) -> Work {
        Work(policy: subscriber.retryPolicy, timeout: attemptTimeout(subscriber.timeout)) { context in
            let event = DomainEvent(
                type: eventType ?? subscriber.eventType, payload: payload, jobId: context.jobId,
                taskId: context.taskId)
            try await subscriber.handle(event, context: context)
            return .null
        }
    }

    /// An operation's timeout, capped by `MAX_ATTEMPT_MS` when that is set.
    private func attemptTimeout(_ declared: Duration) -> Duration {
        guard let cap = configuration.maxAttemptMilliseconds else { return declared }
        return min(declared, .milliseconds(cap))
    }

    // MARK: Running

    /// Runs the work as its own Swift task, ending it on timeout, cancellation, lost lease or hand-back. The
    /// supervisor renews the lease meanwhile, once the attempt's start is recorded.
    func run(_ attempt: Attempt) async -> Outcome {
        let clock = ContinuousClock()
        let began = clock.now
        let work = attempt.work
        let context = attempt.context
        let operation = Task<JSONValue, any Error>.immediate { try await work.body(context) }
        attempt.control.attach(operation)
        attempt.control.supervise(supervision(of: attempt, deadline: .now + work.timeout))
        let result = await operation.result
        let seconds = (clock.now - began).seconds

        switch result {
        case .success(let value):
            return Outcome(status: .succeeded, result: value, seconds: seconds)
        case .failure(let error):
            switch attempt.control.reason {
            case .cancelled(let reason):
                return Outcome(
                    status: .cancelled,
                    error: JobError(
                        code: "cancelled", message: reason ?? "cancelled while running", action: .fixInput),
                    seconds: seconds)
            case .timedOut:
                return Outcome(
                    status: .failed,
                    error: JobError(
                        code: "timeout", message: "the attempt ran longer than \(work.timeout)", action: .retryLater),
                    seconds: seconds)
            case .handedBack:
                return Outcome(
                    status: .failed, handedBack: true,
                    error: JobError(
                        code: "worker_stopped", message: "the worker stopped before the attempt finished",
                        action: .retryNow),
                    seconds: seconds)
            case .leaseLost, .superseded, nil:
                if let jobError = error as? JobError {
                    return Outcome(status: .failed, error: jobError, seconds: seconds)
                }
                return Outcome(
                    status: .failed,
                    error: JobError(
                        code: "operation_error", message: "\(error)", action: .escalate), seconds: seconds)
            }
        }
    }

    /// What the supervisor watches: the timeout always, and the lease once the start is recorded.
    func supervision(of attempt: Attempt, deadline: ContinuousClock.Instant) -> Supervision {
        let start = attempt.start.withLock { $0 }
        let leased = start.unrecordedAt == nil && attempt.delivery.kind != .sync
        return Supervision(
            taskKey: attempt.taskKey, stream: attempt.delivery.stream, group: attempt.delivery.group,
            entryId: attempt.delivery.entryId, attempt: start.number, deadline: deadline,
            renewAfter: leased ? .now + .milliseconds(configuration.leaseMilliseconds / 3) : nil)
    }

    /// Every tenth of a second: ends attempts that ran past their timeout, and renews, in one pipeline, the
    /// leases due for renewal (each a third of its length before it would lapse). Renewal replies report lost
    /// leases and requested cancellations.
    func superviseAttempts() async {
        let lease = configuration.leaseMilliseconds
        while !stopping.load(ordering: .relaxed) || !running.withLock({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            let controls = running.withLock { $0.values.map(\.control) }
            var renewals: [(AttemptControl, Supervision)] = []
            for control in controls {
                guard let supervision = control.supervision else { continue }
                if now >= supervision.deadline { control.timeOut() }
                if let renewAfter = supervision.renewAfter, now >= renewAfter {
                    renewals.append((control, supervision))
                }
            }
            guard !renewals.isEmpty else { continue }
            var digest = JobScripts.renew.cachedDigest
            if digest == nil { digest = try? await loadRenewScript() }
            guard let digest else { continue }
            let millis = String(Clock.milliseconds())
            let commands = renewals.map { _, supervision in
                JobScripts.renew.evalCommand(
                    digest: digest, keys: [supervision.taskKey, supervision.stream],
                    arguments: [
                        supervision.entryId, String(supervision.attempt), millis, String(lease), supervision.group,
                        configuration.consumerName,
                    ])
            }
            guard let replies = try? await client.pipeline(commands) else { continue }
            for ((control, _), reply) in zip(renewals, replies) {
                control.renewed(until: now + .milliseconds(lease / 3))
                if reply.array?.first?.string == "lost" {
                    control.loseLease()
                } else if let reason = reply.array?.dropFirst().first?.string, !reason.isEmpty {
                    control.requestCancellation(reason: reason)
                } else if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                    _ = try? await loadRenewScript()
                }
            }
        }
    }

    private func loadRenewScript() async throws -> String {
        guard let digest = try await client.command(["SCRIPT", "LOAD", JobScripts.renew.source]).string else {
            throw RedisError.unexpectedReply("SCRIPT LOAD returned no digest")
        }
        JobScripts.renew.remember(digest: digest)
        return digest
    }

    // MARK: Committing

    /// The script call that commits an attempt's outcome: `finish` for a task, `replySync` for a `sync` request.
    /// `nil` when there is nothing to commit (the attempt lost its lease: its outcome is dropped).
    func commitCall(_ attempt: Attempt, _ outcome: Outcome) -> ScriptCall? {
        if attempt.delivery.kind == .sync { return replyCall(attempt, outcome) }
        if attempt.control.reason == .leaseLost {
            attempt.logger.notice("attempt lost its lease; its outcome is dropped", ["op": attempt.name])
            return nil
        }
        let keyspace = configuration.keyspace
        let delivery = attempt.delivery
        let start = attempt.start.withLock { $0 }
        var retryDelay = -1
        if outcome.status == .failed, !outcome.handedBack, let error = outcome.error,
            let delay = attempt.work.policy.delay(after: start.number, action: error.action)
        {
            retryDelay = delay.milliseconds
        }
        let context = attempt.context
        let staged = outcome.status == .succeeded ? context.stagedWork : ([], [])
        let keepTree = outcome.status != .succeeded || outcome.seconds >= 1 || context.calls.hasChildren
        let callTree =
            keepTree ? context.calls.tree(rootOutcome: outcome.status == .succeeded ? "ok" : "error").encoded : ""
        let resultText = outcome.result.encoded
        let diagnostics = JSONValue.object([
            "worker": .string(configuration.consumerName), "attempt": .int(start.number),
            "durationMicros": .int(Int(outcome.seconds * 1_000_000)),
        ]).encoded

        var keys = [
            attempt.taskKey, keyspace.job(delivery.jobId), keyspace.events, delivery.stream, keyspace.tasks,
            keyspace.due, keyspace.deadLetters, keyspace.subscriptions, keyspace.jobTasks(delivery.jobId),
        ]
        var arguments = [
            delivery.entryId, delivery.group, String(start.number),
            outcome.handedBack ? "handedBack" : outcome.status.rawValue,
            String(Clock.milliseconds()), resultText,
            resultText.utf8.count > 200 ? Job.summary(of: outcome.result) : "",
            outcome.error?.code ?? "", outcome.error?.message ?? "", outcome.error?.action.rawValue ?? "",
            diagnostics, callTree, String(Int(outcome.seconds * 1000)), configuration.consumerName,
            String(retryDelay), String(configuration.retentionSeconds), delivery.kind.rawValue,
            keyspace.namespace, start.unrecordedAt.map(String.init) ?? "",
        ]
        Self.appendStaged(staged, namespace: keyspace.namespace, keys: &keys, arguments: &arguments)
        return ScriptCall(script: JobScripts.finish, keys: keys, arguments: arguments) { [self, retryDelay] reply in
            finished(attempt, outcome, retryDelay: retryDelay, reply: reply)
        }
    }

    /// Commits an attempt by itself, over the shared client: for attempts that ended after their reader went on.
    func commitOnItsOwn(_ attempt: Attempt, _ outcome: Outcome) async {
        guard let call = commitCall(attempt, outcome) else { return }
        let reply = await retrying("commit", logger: attempt.logger) { () async throws(RedisError) -> RedisValue in
            guard let script = call.script else { return try await self.client.command(call.arguments) }
            return try await self.client.evalScript(script, keys: call.keys, arguments: call.arguments)
        }
        if let reply { call.handle(reply) }
    }

    /// Logs and counts what a commit did.
    private func finished(_ attempt: Attempt, _ outcome: Outcome, retryDelay: Int, reply: RedisValue) {
        let name = attempt.name
        let logger = attempt.logger
        if case .error(let message) = reply {
            logger.error("Redis refused a commit; the delivery stays pending", ["op": name, "error": message])
            return
        }
        switch reply.array?.first?.string {
        case "done":
            metrics.increment("cncf_jobs_finished_total", ["operation": name, "status": outcome.status.rawValue])
            metrics.observe("cncf_task_duration_seconds", ["operation": name], seconds: outcome.seconds)
            if outcome.status == .failed && retryDelay >= 0 {
                metrics.increment("cncf_dead_letters_total", ["operation": name])
                logger.notice("attempts used up; task dead-lettered", ["op": name, "code": outcome.error?.code ?? ""])
            } else if outcome.status == .failed {
                logger.notice("attempt failed; not retried", ["op": name, "code": outcome.error?.code ?? ""])
            }
        case "retry" where outcome.handedBack:
            logger.notice("attempt handed back unfinished; it runs again at once", ["op": name])
        case "retry":
            metrics.increment("cncf_retries_total", ["operation": name])
            logger.info(
                "attempt failed; retry scheduled",
                ["op": name, "code": outcome.error?.code ?? "", "delayMs": String(retryDelay)])
        case "refused" where attempt.start.withLock({ $0.unrecordedAt != nil }):
            logger.info(
                "commit refused: the task was cancelled or run elsewhere before this attempt's start was recorded",
                ["op": name, "reply": "\(reply)"])
        default:
            logger.notice(
                "commit refused: the attempt no longer holds its lease", ["op": name, "reply": "\(reply)"])
        }
    }

    /// Adds staged writes and events to a commit script's keys and arguments: a count, then per write its
    /// key and op/arg/arg, then a count, then per event its type and payload.
    static func appendStaged(
        _ staged: (writes: [StagedWrite], events: [DomainEvent]), namespace: String,
        keys: inout [String], arguments: inout [String]
    ) {
        arguments.append(String(staged.writes.count))
        for write in staged.writes {
            keys.append("\(namespace):\(write.key)")
            arguments += write.scriptArguments
        }
        arguments.append(String(staged.events.count))
        for event in staged.events {
            arguments += [event.type, event.payload.encoded]
        }
    }

    /// The `replySync` call that commits a `sync` request and answers the waiting gateway.
    private func replyCall(_ attempt: Attempt, _ outcome: Outcome) -> ScriptCall? {
        let keyspace = configuration.keyspace
        let delivery = attempt.delivery
        let fields = delivery.fields
        let requestId = fields["requestId"] ?? ""
        guard let replyTo = fields["replyTo"], replyTo.hasPrefix(keyspace.replies("")), !requestId.isEmpty else {
            logger.warning(
                "sync request without a reply address; acknowledged", ["op": "sync", "task": delivery.entryId])
            return ScriptCall(acknowledging: delivery)
        }
        let body = outcome.status == .succeeded ? outcome.result : (outcome.error?.json ?? .null)
        var details: [String: JSONValue] = [
            "requestId": .string(requestId), "worker": .string(configuration.consumerName),
            "durationMs": .int(Int(outcome.seconds * 1000)),
        ]
        if let error = outcome.error { details["error"] = error.json }
        var keys = [keyspace.tasks, replyTo, keyspace.events]
        var arguments = [
            delivery.group, delivery.entryId, requestId, outcome.status.rawValue, body.encoded,
            String(Clock.milliseconds()), attempt.name, fields["principal"] ?? "anonymous",
            JSONValue.object(details).encoded,
        ]
        Self.appendStaged(
            outcome.status == .succeeded ? attempt.context.stagedWork : ([], []), namespace: keyspace.namespace,
            keys: &keys, arguments: &arguments)
        return ScriptCall(script: JobScripts.replySync, keys: keys, arguments: arguments) { [metrics] reply in
            if case .error(let message) = reply {
                attempt.logger.error("Redis refused a sync reply", ["op": attempt.name, "error": message])
                return
            }
            metrics.increment(
                "cncf_sync_requests_total", ["operation": attempt.name, "status": outcome.status.rawValue])
        }
    }

    /// Runs a Redis step until it gets through, backing off while Redis is unreachable. Gives up (returning
    /// `nil`) on a server error or when the worker stops; the delivery then stays pending to be run again.
    func retrying(
        _ step: String, logger: Logger, _ body: @Sendable () async throws(RedisError) -> RedisValue
    )
        async -> RedisValue?
    {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try await body()
            } catch  where error.isConnectionFailure {
                if stopping.load(ordering: .relaxed) && delay > .seconds(1) { return nil }
                logger.warning("Redis unreachable; retrying", ["op": step, "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            } catch {
                logger.error("Redis refused a step; the delivery stays pending", ["op": step, "error": "\(error)"])
                return nil
            }
        }
    }
}

extension ScriptCall {
    /// Acknowledges a delivery that needs no commit.
    init(acknowledging delivery: Delivery) {
        self.init(command: ["XACK", delivery.stream, delivery.group, delivery.entryId])
    }
}
