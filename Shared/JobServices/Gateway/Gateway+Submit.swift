import Foundation
import HTTPServer
import JobModel
import RedisClient

extension Gateway {
    /// `POST /v1/commands`: validates the command, then runs it in its execution mode.
    func submit(_ request: HTTPRequest, caller: Identity, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        guard !request.bodyTooLarge else {
            return respond(
                .error(
                    413, code: "payload_too_large",
                    message: "the body is larger than \(CommandValidation.maxInputBytes) bytes"))
        }
        var command: CommandSubmission
        do {
            command = try CommandValidation.parse(body: try JSONValue.parse(request.body))
            if let key = request.header("Idempotency-Key") {
                command.idempotencyKey = try CommandValidation.idempotencyKey(key)
            }
        } catch let error as JSONValue.ParseError {
            return respond(.error(400, code: "invalid_json", message: "the body is \(error)"))
        } catch let error as CommandRejection {
            return respond(.error(400, code: error.code, message: error.reason))
        } catch {
            return respond(.error(400, code: "invalid_request", message: "\(error)"))
        }

        // The caller is the principal; only an admin may submit on someone else's behalf.
        if case .tokens = access {
            if let named = command.principal, named != caller.principal, !caller.roles.contains(.admin) {
                return respond(.error(403, code: "forbidden", message: "only an admin may submit as another principal"))
            }
            command.principal = command.principal ?? caller.principal
        }

        let operation: OperationCatalog.Entry
        do {
            guard
                let entry = try catalog.entry(
                    command.operation,
                    load: { () throws(RedisError) in
                        try client.commandBlocking(catalog.loadCommand)
                    })
            else {
                return respond(
                    .error(
                        404, code: "unknown_operation",
                        message:
                            "operation '\(command.operation)' is not registered by any worker; see GET /v1/operations"))
            }
            operation = entry
        } catch {
            return respond(redisFailure(error))
        }

        if command.mode == .sync {
            return runSync(command, respond: respond)
        }

        // jobSync waits until everything the command started has finished; jobSyncWithAsyncCont only for the
        // primary work, leaving its continuations running. A waiting caller's wait is registered with the job's
        // creation, and the local waiter exists before, so the notice of a quick job cannot come unheard.
        let id = command.jobId ?? JobID.make()
        let waits = command.mode != .jobAsync
        let untilSettled = command.mode == .jobSync
        let timeout = command.timeoutMilliseconds ?? CommandValidation.defaultSyncTimeoutMilliseconds
        let deadline = ContinuousClock.now + .milliseconds(timeout)
        let answer: @Sendable (Result<Job?, RedisError>, Bool) -> Void = { [self] outcome, timedOut in
            let job: Job
            switch outcome {
            case .failure(let error): return respond(redisFailure(error))
            case .success(nil): return respond(notFound(id))
            case .success(let found?): job = found
            }
            let finished = untilSettled ? job.settled : job.status.isTerminal
            let statuses = (try? subscriberTasks(of: job).map(\.status)) ?? []
            respond(
                .json(
                    finished && !timedOut ? 200 : 202, ["job": jobJSON(job, taskStatuses: statuses)],
                    headers: [(name: "Location", value: "/v1/jobs/\(job.id)")]))
        }
        let waiter = waits ? waitLocally(for: id, untilSettled: untilSettled, deadline: deadline, answer) : nil
        let accepted: @Sendable (Job) -> Void = { [self] job in
            respond(.json(202, ["job": jobJSON(job)], headers: [(name: "Location", value: "/v1/jobs/\(job.id)")]))
        }
        createJob(command, id: id, defaultAttempts: operation.maxAttempts, notify: waits ? replies.stream : "") {
            [self] created in
            switch created {
            case .failure(let error):
                if let waiter { watcher.cancel(waiter) }
                respond(redisFailure(error))
            case .success(.refused(let response)):
                if let waiter { watcher.cancel(waiter) }
                respond(response)
            case .success(.created(let job)):
                if !waits { accepted(job) }
            case .success(.existing(let job)):
                // A repeated submission: its wait was not registered by the submit script, so register it now.
                if let waiter { watcher.cancel(waiter) }
                guard waits, !job.status.isTerminal || untilSettled else { return accepted(job) }
                awaitJob(job.id, untilSettled: untilSettled, deadline: deadline, completion: answer)
            }
        }
    }

    /// Creates the job without holding the calling thread; a job whose caller waits is scheduled at once, a
    /// `jobAsync` one goes through the scheduler. `notify` is the reply stream to tell when the job ends (empty when
    /// nobody waits). `completion` gets the job, the existing job a repeated submission names, or the response
    /// explaining why there is none.
    private func createJob(
        _ command: CommandSubmission, id: String, defaultAttempts: Int, notify: String,
        completion: @escaping @Sendable (Result<CreatedJob, RedisError>) -> Void
    ) {
        let now = Clock.milliseconds()
        let source: String
        if case .off = access { source = "http-unverified" } else { source = "http" }
        var job = Job(
            id: id, operation: command.operation, principal: command.principal ?? "anonymous",
            mode: command.mode, acceptedAt: now, input: command.input, source: source)
        job.maxAttempts = command.maxAttempts ?? defaultAttempts
        job.runAt = command.runAt
        let idempotency =
            command.idempotencyKey.map { keyspace.idempotency($0, principal: job.principal) }
            ?? keyspace.noIdempotencyKey
        if command.mode != .jobAsync { job.status = .scheduled }
        let created = job
        client.evalScript(
            JobScripts.submit,
            keys: [
                keyspace.job(id), keyspace.jobIndex, keyspace.commands, keyspace.events, keyspace.tasks,
                keyspace.due, idempotency,
            ],
            arguments: [
                id, job.operation, job.principal, job.mode.rawValue, job.input.encoded, String(now), source,
                String(job.maxAttempts), command.runAt.map(String.init) ?? "", command.idempotencyKey ?? "",
                String(configuration.retentionSeconds), command.mode == .jobAsync ? "0" : "1", notify,
            ]
        ) { [self] result in
            let reply: RedisValue
            do throws(RedisError) {
                reply = try result.get().throwingServerError()
            } catch {
                return completion(.failure(error))
            }
            switch reply.array?.first?.string {
            case "created":
                metrics.increment(
                    "cncf_jobs_submitted_total", ["operation": created.operation, "mode": created.mode.rawValue])
                logger.debug("job accepted", ["op": "submit", "job": id])
                completion(.success(.created(created)))
            case "exists":
                // Reading the existing job waits for this client: not on its own thread.
                let existingId = reply.array?.dropFirst().first?.string ?? id
                DispatchQueue.global().async { [self] in
                    // The same jobId, operation and input as another principal's job is still somebody else's.
                    completion(
                        Result { () throws(RedisError) -> CreatedJob in
                            guard let existing = try fetch(existingId), existing.principal == created.principal else {
                                return .refused(jobIdTaken(id))
                            }
                            return .existing(existing)
                        })
                }
            default:
                completion(.success(.refused(jobIdTaken(id))))
            }
        }
    }

    /// A client-chosen job id already in use. The answer is the same whoever owns that job, and says nothing
    /// about it.
    private func jobIdTaken(_ id: String) -> HTTPResponse {
        .error(
            409, code: "job_exists",
            message: "job id \(id) is taken by another submission; choose another jobId or leave it out")
    }

    /// A job made or found for a submission, or the response saying why there is none.
    enum CreatedJob {
        case created(Job)
        /// The job a repeated submission (same idempotency key, or same id and content) names.
        case existing(Job)
        case refused(HTTPResponse)
    }

    /// Runs a `sync` command on a worker and answers with its result; nothing is recorded.
    private func runSync(_ command: CommandSubmission, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let requestId = JobID.make()
        let timeout = command.timeoutMilliseconds ?? CommandValidation.defaultSyncTimeoutMilliseconds
        replies.expect(requestId, timeout: .milliseconds(timeout)) { reply in
            guard let reply else {
                return respond(
                    .error(
                        408, code: "sync_timeout",
                        message: "no worker answered within \(timeout) ms; the work may still run"))
            }
            let body = (try? JSONValue.parse(reply.body, depthLimit: 512)) ?? .null
            if reply.outcome == "succeeded" {
                respond(.json(200, ["mode": "sync", "status": "succeeded", "result": body]))
            } else {
                respond(.json(422, ["mode": "sync", "status": "failed", "error": body]))
            }
        }
        client.send([
            [
                "XADD", keyspace.tasks, "*", "kind", "sync", "operation", command.operation,
                "input", command.input.encoded, "principal", command.principal ?? "anonymous",
                "replyTo", replies.stream, "requestId", requestId,
            ]
        ]) { [self] result in
            let failure: RedisError
            switch result {
            case .success(let results):
                guard case .error(let message) = results[0] else { return }
                failure = .server(message)
            case .failure(let error):
                failure = error
            }
            replies.forget(requestId)
            respond(redisFailure(failure))
        }
    }

    /// Calls `completion` once the job is terminal (or settled), or at `deadline` with the job as it is then.
    /// The wait is registered on the job in Redis (the `watch` script), after the local waiter, so that the notice
    /// of a job ending in between is not missed.
    func awaitJob(
        _ id: String, untilSettled: Bool, deadline: ContinuousClock.Instant,
        completion: @escaping @Sendable (_ job: Result<Job?, RedisError>, _ timedOut: Bool) -> Void
    ) {
        guard JobID.isValidClientID(id) else { return completion(.success(nil), false) }
        let waiter = waitLocally(for: id, untilSettled: untilSettled, deadline: deadline, completion)
        let current: Job?
        do {
            let fields = try client.evalScriptBlocking(
                JobScripts.watch, keys: [keyspace.job(id)], arguments: [replies.stream])
            current = Job(fields: fields.fieldDictionary)
        } catch {
            if watcher.cancel(waiter) { completion(.failure(error), true) }
            return
        }
        guard let current else {
            if watcher.cancel(waiter) { completion(.success(nil), false) }
            return
        }
        if waiter.isDone(current) {
            watcher.finish(waiter, with: current)
        } else if ContinuousClock.now >= deadline, watcher.cancel(waiter) {
            completion(.success(current), true)
        }
    }

    /// A local waiter for `id` that answers through `completion`: with the job from a notice once it is done, or
    /// at `deadline` with the job read then.
    func waitLocally(
        for id: String, untilSettled: Bool, deadline: ContinuousClock.Instant,
        _ completion: @escaping @Sendable (_ job: Result<Job?, RedisError>, _ timedOut: Bool) -> Void
    ) -> JobWatcher.Waiter {
        let isDone: @Sendable (Job) -> Bool = { untilSettled ? $0.settled : $0.status.isTerminal }
        return watcher.wait(for: id, timeout: max(.zero, deadline - .now), isDone: isDone) { [self] job in
            if let job { return completion(.success(job), false) }
            do throws(RedisError) {
                let now = try fetch(id)
                completion(.success(now), now.map { !isDone($0) } ?? false)
            } catch {
                completion(.failure(error), true)
            }
        }
    }
}
