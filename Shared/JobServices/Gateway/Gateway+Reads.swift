import Foundation
import HTTPServer
import JobModel
import RedisClient

extension Gateway {
    /// A job as the API shows it, with its task counts by status when it has continuation tasks.
    func jobJSON(_ job: Job, taskStatuses: [JobStatus]? = nil) -> JSONValue {
        guard case .object(var members) = job.json else { return job.json }
        // Counts by status need the task records; without them they are given only when there are no others.
        guard taskStatuses != nil || job.tasksTotal == 0 else { return .object(members) }
        var byStatus: [String: JSONValue] = [job.status.rawValue: .int(1)]
        for status in taskStatuses ?? [] {
            byStatus[status.rawValue] = .int((byStatus[status.rawValue]?.intValue ?? 0) + 1)
        }
        if case .object(var tasks) = members["tasks"] {
            tasks["byStatus"] = .object(byStatus)
            members["tasks"] = .object(tasks)
        }
        return .object(members)
    }

    /// The subscriber tasks of a job, in creation order.
    func subscriberTasks(of job: Job) throws(RedisError) -> [JobTask] {
        guard job.tasksTotal > 0 else { return [] }
        let ids = (1...job.tasksTotal).map { "\(job.id).\($0)" }
        let replies = try client.pipelineBlocking(ids.map { ["HGETALL", keyspace.task($0)] })
        return replies.compactMap { JobTask(fields: $0.fieldDictionary) }
    }

    func read(_ id: String) -> HTTPResponse {
        do {
            guard let job = try fetch(id) else { return notFound(id) }
            let statuses = try subscriberTasks(of: job).map(\.status)
            return .json(200, ["job": jobJSON(job, taskStatuses: statuses)])
        } catch {
            return redisFailure(error)
        }
    }

    func result(_ id: String) -> HTTPResponse {
        do {
            guard let job = try fetch(id) else { return notFound(id) }
            guard job.status.isTerminal else {
                return .error(
                    409, code: "job_not_finished", message: "job \(id) is \(job.status.rawValue); wait for it first")
            }
            return .json(
                200,
                [
                    "jobId": .string(id), "status": .string(job.status.rawValue), "result": job.result ?? .null,
                    "error": job.error?.json ?? .null, "settled": .bool(job.settled),
                ])
        } catch {
            return redisFailure(error)
        }
    }

    /// `GET /v1/jobs/<id>/wait?timeoutMs=N&until=terminal|settled`.
    func wait(_ id: String, _ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        var timeoutMilliseconds = Self.defaultWaitMilliseconds
        if let text = request.query["timeoutMs"] {
            guard let value = Int(text), (0...Self.maxWaitMilliseconds).contains(value) else {
                return respond(
                    .error(
                        400, code: "invalid_request",
                        message: "timeoutMs must be a whole number from 0 to \(Self.maxWaitMilliseconds)"))
            }
            timeoutMilliseconds = value
        }
        let until = request.query["until"] ?? "terminal"
        guard until == "terminal" || until == "settled" else {
            return respond(.error(400, code: "invalid_request", message: "until must be terminal or settled"))
        }
        awaitJob(
            id, untilSettled: until == "settled", deadline: ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        ) {
            [self] outcome, timedOut in
            switch outcome {
            case .failure(let error): respond(redisFailure(error))
            case .success(nil): respond(notFound(id))
            case .success(let job?):
                let statuses = (try? subscriberTasks(of: job).map(\.status)) ?? []
                respond(.json(200, ["job": jobJSON(job, taskStatuses: statuses), "timedOut": .bool(timedOut)]))
            }
        }
    }

    func tasks(_ id: String) -> HTTPResponse {
        do {
            guard let job = try fetch(id) else { return notFound(id) }
            let all = [JobTask(primaryOf: job)] + (try subscriberTasks(of: job))
            return .json(200, ["jobId": .string(id), "settled": .bool(job.settled), "tasks": .array(all.map(\.json))])
        } catch {
            return redisFailure(error)
        }
    }

    /// The job's whole call tree: one node per task, each task under the task whose event started it.
    func callTree(_ id: String) -> HTTPResponse {
        do {
            guard let job = try fetch(id) else { return notFound(id) }
            let all = [JobTask(primaryOf: job)] + (try subscriberTasks(of: job))
            func node(_ task: JobTask) -> JSONValue {
                var tree = Self.withCommitSpan(task.callTree ?? Self.spanFromTimes(of: task), of: task)
                let children = all.filter { $0.parentTaskId == task.id }.map(node)
                if case .object(var members) = tree {
                    members["task"] = .string(task.id)
                    members["kind"] = .string(task.kind.rawValue)
                    members["status"] = .string(task.status.rawValue)
                    if !children.isEmpty {
                        members["tasks"] = .array(children)
                    }
                    tree = .object(members)
                }
                return tree
            }
            return .json(200, ["jobId": .string(id), "operation": .string(job.operation), "tree": node(all[0])])
        } catch {
            return redisFailure(error)
        }
    }

    /// A single span for a task that kept no detailed tree (it succeeded quickly with no nested calls).
    static func spanFromTimes(of task: JobTask) -> JSONValue {
        var span: [String: JSONValue] = [
            "name": .string(task.runs), "startOffsetMicros": 0,
            "outcome": .string(task.status == .succeeded ? "ok" : task.status.rawValue),
        ]
        if let started = task.startedAt {
            span["startedAt"] = .string(Clock.rfc3339(milliseconds: started))
            span["startedAtMicros"] = .int(Int(started) * 1000)
            if let completed = task.completedAt, completed >= started {
                span["durationMicros"] = .int(Int(completed - started) * 1000)
            }
        }
        return .object(span)
    }

    /// The task's tree with a last child span, `commit`: from the end of the work to when Redis applied the
    /// commit (by the Redis clock, so across machines it carries their clock difference). The task's span is
    /// lengthened to cover it.
    static func withCommitSpan(_ tree: JSONValue, of task: JobTask) -> JSONValue {
        guard case .object(var root) = tree, let committed = task.committedAtMicros,
            let started = root["startedAtMicros"]?.intValue, let duration = root["durationMicros"]?.intValue
        else { return tree }
        let commitMicros = max(0, Int(committed) - started - duration)
        let commit: JSONValue = [
            "name": "commit", "startOffsetMicros": .int(duration), "durationMicros": .int(commitMicros),
            "outcome": "ok",
        ]
        root["children"] = .array((root["children"]?.arrayValue ?? []) + [commit])
        root["durationMicros"] = .int(duration + commitMicros)
        return .object(root)
    }

    func list(_ request: HTTPRequest, caller: Identity) -> HTTPResponse {
        var limit = Self.defaultPageSize
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                return .error(
                    400, code: "invalid_request", message: "limit must be a whole number from 1 to \(Self.maxPageSize)")
            }
            limit = value
        }
        var status: JobStatus?
        if let text = request.query["status"] {
            guard let value = JobStatus(rawValue: text) else {
                let names = JobStatus.allCases.map(\.rawValue).joined(separator: ", ")
                return .error(400, code: "invalid_request", message: "status must be one of \(names)")
            }
            status = value
        }
        let operation = request.query["operation"].flatMap { $0.isEmpty ? nil : $0 }
        // A caller who may read only its own jobs lists only those.
        let principal = caller.readsAllJobs ? nil : caller.principal
        var cursor: (score: Int, id: String)?
        if let text = request.query["cursor"] {
            let parts = text.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let score = Int(parts[0]), JobID.isValidClientID(String(parts[1])) else {
                return .error(400, code: "invalid_request", message: "cursor must be a value returned as nextCursor")
            }
            cursor = (score, String(parts[1]))
        }

        // Walk the index newest first by rank, resuming just after the cursor's job (whose rank moves as newer
        // jobs arrive); with filters, scan at most a bounded number of jobs per request.
        let filtered = status != nil || operation != nil || principal != nil
        let scanBudget = max(limit * 20, 2_000)
        var scanned = 0
        var jobs: [Job] = []
        var more = true
        do {
            var rank = 0
            if let cursor {
                if let found = try client.commandBlocking(["ZREVRANK", keyspace.jobIndex, cursor.id]).int {
                    rank = found + 1
                } else {
                    // The cursor's job left the index (retention): resume below its acceptance time.
                    rank =
                        try client.commandBlocking(["ZCOUNT", keyspace.jobIndex, "(\(cursor.score)", "+inf"]).int ?? 0
                }
            }
            while more && jobs.count < limit && scanned < scanBudget {
                let page = filtered ? 200 : limit - jobs.count
                let reply =
                    try client.commandBlocking([
                        "ZRANGE", keyspace.jobIndex, String(rank), String(rank + page - 1), "REV", "WITHSCORES",
                    ]).array ?? []
                var batch: [(id: String, score: Int)] = []
                var index = 0
                while index + 1 < reply.count {
                    if let id = reply[index].string,
                        let score = reply[index + 1].string.flatMap(Double.init).map({ Int($0) })
                    {
                        batch.append((id, score))
                    }
                    index += 2
                }
                guard !batch.isEmpty else {
                    more = false
                    break
                }
                let replies = try client.pipelineBlocking(batch.map { ["HGETALL", keyspace.job($0.id)] })
                var consumed = 0
                for (position, reply) in replies.enumerated() {
                    scanned += 1
                    consumed += 1
                    cursor = (batch[position].score, batch[position].id)
                    guard let job = Job(fields: reply.fieldDictionary) else { continue }
                    if let status, job.status != status { continue }
                    if let operation, job.operation != operation { continue }
                    if let principal, job.principal != principal { continue }
                    jobs.append(job)
                    if jobs.count == limit { break }
                }
                rank += consumed
                more = batch.count == page || consumed < batch.count
            }
            if more, jobs.count == limit, !filtered {
                // A full page may have ended exactly at the last job: look one further.
                more =
                    !(try client.commandBlocking(["ZRANGE", keyspace.jobIndex, String(rank), String(rank), "REV"])
                    .array ?? []).isEmpty
            }
        } catch {
            return redisFailure(error)
        }
        let next: JSONValue = more && cursor != nil ? .string("\(cursor!.score):\(cursor!.id)") : .null
        return .json(200, ["jobs": .array(jobs.map { jobJSON($0) }), "nextCursor": next])
    }

    func operations() -> HTTPResponse {
        do {
            let entries = try catalog.all { () throws(RedisError) in try client.commandBlocking(catalog.loadCommand) }
            return .json(
                200,
                [
                    "operations": .array(
                        entries.map {
                            [
                                "name": .string($0.name), "description": .string($0.description),
                                "maxAttempts": .int($0.maxAttempts),
                            ]
                        })
                ])
        } catch {
            return redisFailure(error)
        }
    }

    func health() -> HTTPResponse {
        do {
            try client.commandBlocking(["PING"])
            let following = replies.isHealthy
            return .json(
                following ? 200 : 503,
                [
                    "status": .string(following ? "ok" : "unavailable"), "redis": "up",
                    "replyStream": .string(following ? "following" : "not following"),
                ])
        } catch {
            return .json(503, ["status": "unavailable", "redis": "down", "error": .string("\(error)")])
        }
    }
}
