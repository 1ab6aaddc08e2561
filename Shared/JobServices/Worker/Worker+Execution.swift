import Foundation
import JobModel
import RedisClient

extension Worker {
    /// Runs one delivery; `started` is the reply of its `start` script, already run for the whole batch.
    func execute(_ delivery: Delivery, started: RedisValue?, control: AttemptControl) async {
        switch delivery.kind {
        case .sync: await executeSync(delivery, control: control)
        case .primary, .subscriber: await executeTask(delivery, started: started ?? .null, control: control)
        }
    }

    /// Runs one attempt of a primary or subscriber task and commits its outcome.
    private func executeTask(_ delivery: Delivery, started: RedisValue, control: AttemptControl) async {
        let keyspace = configuration.keyspace
        let primary = delivery.kind == .primary
        let jobKey = keyspace.job(delivery.jobId)
        let taskKey = primary ? jobKey : keyspace.task(delivery.taskId)
        let taskId = primary ? JobTask.primaryID(of: delivery.jobId) : delivery.taskId
        let logger = self.logger.with(["job": delivery.jobId, "task": taskId])

        if case .error(let message) = started {
            logger.error("start refused; the delivery stays pending", ["op": "start", "error": message])
            return
        }
        guard let fields = started.array, fields.first?.string == "run", fields.count >= 7,
            let attempt = fields[1].int, let name = fields[3].string
        else {
            let status = started.array?.dropFirst().first?.string ?? "missing"
            if status != "running" { await acknowledge(delivery, logger: logger) }
            logger.debug("delivery not runnable", ["op": "start", "status": status])
            return
        }
        let payload = (try? JSONValue.parse(fields[2].string ?? "{}", depthLimit: 256)) ?? .object([:])
        let principal = fields[4].string ?? ""

        let context = OperationContext(
            jobId: delivery.jobId, taskId: taskId, attempt: attempt, principal: principal, spanName: name,
            logger: logger.with(["op": name]), registry: registry, keyspace: keyspace, client: client)
        let work: Work
        if primary {
            guard let operation = registry.operation(named: name) else {
                return await commitUnrunnable(delivery, taskKey: taskKey, attempt: attempt, name: name, logger: logger)
            }
            work = Work(policy: operation.retryPolicy, timeout: operation.timeout) { context in
                try await operation.run(input: payload, context: context)
            }
        } else {
            guard let subscriber = registry.subscribers[name] else {
                return await commitUnrunnable(delivery, taskKey: taskKey, attempt: attempt, name: name, logger: logger)
            }
            let event = DomainEvent(
                type: fields[6].string ?? subscriber.eventType, payload: payload,
                jobId: delivery.jobId, taskId: delivery.fields["taskId"] ?? "")
            work = Work(policy: subscriber.retryPolicy, timeout: subscriber.timeout) { context in
                try await subscriber.handle(event, context: context)
                return .null
            }
        }

        let outcome = await run(work, context: context, control: control, lease: (taskKey, delivery, attempt))
        if control.reason == .leaseLost {
            logger.notice("attempt lost its lease; its outcome is dropped", ["op": name])
            return
        }
        await commit(
            outcome, of: delivery, taskKey: taskKey, attempt: attempt, name: name, work: work,
            context: context, logger: logger)
    }

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

    /// Runs the work as its own Swift task, renewing the lease meanwhile and ending it on timeout, cancellation,
    /// lost lease or hand-back.
    private func run(
        _ work: Work, context: OperationContext, control: AttemptControl,
        lease: (taskKey: String, delivery: Delivery, attempt: Int)
    ) async -> Outcome {
        let clock = ContinuousClock()
        let began = clock.now
        let operation = Task<JSONValue, any Error> { try await work.body(context) }
        control.attach(operation)
        control.supervise(
            Supervision(
                taskKey: lease.taskKey, stream: lease.delivery.stream, group: lease.delivery.group,
                entryId: lease.delivery.entryId, attempt: lease.attempt, deadline: .now + work.timeout,
                renewAfter: .now + .milliseconds(configuration.leaseMilliseconds / 3)))
        let result = await operation.result
        let seconds = (clock.now - began).seconds

        switch result {
        case .success(let value):
            return Outcome(status: .succeeded, result: value, seconds: seconds)
        case .failure(let error):
            switch control.reason {
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
            case .leaseLost, nil:
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
                if now >= supervision.renewAfter { renewals.append((control, supervision)) }
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

    private func commit(
        _ outcome: Outcome, of delivery: Delivery, taskKey: String, attempt: Int, name: String,
        work: Work, context: OperationContext, logger: Logger
    ) async {
        let keyspace = configuration.keyspace
        var retryDelay = -1
        if outcome.status == .failed, !outcome.handedBack, let error = outcome.error,
            let delay = work.policy.delay(after: attempt, action: error.action)
        {
            retryDelay = delay.milliseconds
        }
        let staged = outcome.status == .succeeded ? context.stagedWork : ([], [])
        let keepTree = outcome.status != .succeeded || outcome.seconds >= 1 || context.calls.hasChildren
        let callTree =
            keepTree ? context.calls.tree(rootOutcome: outcome.status == .succeeded ? "ok" : "error").encoded : ""
        let resultText = outcome.result.encoded
        let diagnostics = JSONValue.object([
            "worker": .string(configuration.consumerName), "attempt": .int(attempt),
            "durationMicros": .int(Int(outcome.seconds * 1_000_000)),
        ]).encoded

        var keys = [
            taskKey, keyspace.job(delivery.jobId), keyspace.events, delivery.stream, keyspace.tasks,
            keyspace.due, keyspace.deadLetters, keyspace.subscriptions, keyspace.jobTasks(delivery.jobId),
        ]
        var arguments = [
            delivery.entryId, delivery.group, String(attempt),
            outcome.handedBack ? "handedBack" : outcome.status.rawValue,
            String(Clock.milliseconds()), resultText,
            resultText.utf8.count > 200 ? Job.summary(of: outcome.result) : "",
            outcome.error?.code ?? "", outcome.error?.message ?? "", outcome.error?.action.rawValue ?? "",
            diagnostics, callTree, String(Int(outcome.seconds * 1000)), configuration.consumerName,
            String(retryDelay), String(configuration.retentionSeconds), delivery.kind.rawValue,
            keyspace.namespace,
        ]
        Self.appendStaged(staged, namespace: keyspace.namespace, keys: &keys, arguments: &arguments)

        let finishKeys = keys
        let finishArguments = arguments
        guard
            let finished = await retrying(
                "finish", logger: logger,
                { () async throws(RedisError) -> RedisValue in
                    try await self.client.evalScript(JobScripts.finish, keys: finishKeys, arguments: finishArguments)
                })
        else { return }
        switch finished.array?.first?.string {
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
        default:
            logger.notice(
                "commit refused: the attempt no longer holds its lease", ["op": name, "reply": "\(finished)"])
        }
    }

    /// Commits a failed attempt for work this worker cannot run (no such operation or subscriber here).
    private func commitUnrunnable(
        _ delivery: Delivery, taskKey: String, attempt: Int, name: String, logger: Logger
    ) async {
        let work = Work(policy: RetryPolicy(maxAttempts: 1), timeout: .seconds(1)) { _ in .null }
        let context = OperationContext(
            jobId: delivery.jobId, taskId: delivery.taskId, attempt: attempt, principal: "", spanName: name,
            logger: logger, registry: registry, keyspace: configuration.keyspace, client: client)
        let outcome = Outcome(
            status: .failed,
            error: JobError(
                code: "unknown_operation", message: "worker \(configuration.consumerName) does not host \(name)",
                action: .escalate), seconds: 0)
        await commit(
            outcome, of: delivery, taskKey: taskKey, attempt: attempt, name: name, work: work,
            context: context, logger: logger)
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

    /// Runs a `sync` request: no job, no lease; the reply goes to the waiting gateway's reply stream.
    private func executeSync(_ delivery: Delivery, control: AttemptControl) async {
        let keyspace = configuration.keyspace
        let fields = delivery.fields
        let requestId = fields["requestId"] ?? ""
        guard let replyTo = fields["replyTo"], replyTo.hasPrefix(keyspace.replies("")), !requestId.isEmpty,
            let name = fields["operation"]
        else {
            logger.warning(
                "sync request without a reply address; acknowledged", ["op": "sync", "task": delivery.entryId])
            return await acknowledge(delivery, logger: logger)
        }
        let logger = self.logger.with(["op": name, "request": requestId])
        let context = OperationContext(
            jobId: "", taskId: "sync", attempt: 1, principal: fields["principal"] ?? "", spanName: name,
            logger: logger, registry: registry, keyspace: keyspace, client: client)
        var outcome: Outcome
        if let operation = registry.operation(named: name) {
            let input = (try? JSONValue.parse(fields["input"] ?? "{}")) ?? .object([:])
            let work = Work(policy: RetryPolicy(maxAttempts: 1), timeout: operation.timeout) { context in
                try await operation.run(input: input, context: context)
            }
            let clock = ContinuousClock()
            let began = clock.now
            let task = Task<JSONValue, any Error> { try await work.body(context) }
            control.attach(task)
            switch await task.result {
            case .success(let value):
                outcome = Outcome(status: .succeeded, result: value, seconds: (clock.now - began).seconds)
            case .failure(let error):
                let jobError =
                    error as? JobError ?? JobError(code: "operation_error", message: "\(error)", action: .escalate)
                outcome = Outcome(status: .failed, error: jobError, seconds: (clock.now - began).seconds)
            }
        } else {
            outcome = Outcome(
                status: .failed,
                error: JobError(
                    code: "unknown_operation", message: "this worker does not host \(name)", action: .escalate),
                seconds: 0)
        }
        let body = outcome.status == .succeeded ? outcome.result : (outcome.error?.json ?? .null)
        var keys = [keyspace.tasks, replyTo, keyspace.events]
        var details: [String: JSONValue] = [
            "requestId": .string(requestId), "worker": .string(configuration.consumerName),
            "durationMs": .int(Int(outcome.seconds * 1000)),
        ]
        if let error = outcome.error { details["error"] = error.json }
        var arguments = [
            delivery.group, delivery.entryId, requestId, outcome.status.rawValue, body.encoded,
            String(Clock.milliseconds()), name, fields["principal"] ?? "anonymous", JSONValue.object(details).encoded,
        ]
        Self.appendStaged(
            outcome.status == .succeeded ? context.stagedWork : ([], []), namespace: keyspace.namespace,
            keys: &keys, arguments: &arguments)
        let replyKeys = keys
        let replyArguments = arguments
        _ = await retrying("reply", logger: logger) { () async throws(RedisError) -> RedisValue in
            try await self.client.evalScript(JobScripts.replySync, keys: replyKeys, arguments: replyArguments)
        }
        metrics.increment("cncf_sync_requests_total", ["operation": name, "status": outcome.status.rawValue])
    }

    func acknowledge(_ delivery: Delivery, logger: Logger) async {
        _ = await retrying("ack", logger: logger) { () async throws(RedisError) -> RedisValue in
            try await self.client.command(["XACK", delivery.stream, delivery.group, delivery.entryId])
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
