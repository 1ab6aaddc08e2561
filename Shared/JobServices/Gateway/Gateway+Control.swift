import Foundation
import HTTPServer
import JobModel
import RedisClient

extension Gateway {
    /// `POST /v1/jobs/<id>/cancel` with an optional `{"reason": "..."}`.
    func cancel(_ id: String, _ request: HTTPRequest, caller: Identity) -> HTTPResponse {
        var reason = "cancelled by \(caller.principal)"
        if !request.body.isEmpty {
            guard let body = try? JSONValue.parse(request.body), case .object(let members) = body else {
                return .error(
                    400, code: "invalid_json", message: "the body must be a JSON object like {\"reason\": \"...\"}")
            }
            if let value = members["reason"], value != .null {
                guard let text = value.stringValue, (1...500).contains(text.utf8.count) else {
                    return .error(400, code: "invalid_request", message: "reason must be a string of 1 to 500 bytes")
                }
                reason = text
            }
        }
        guard JobID.isValidClientID(id) else { return notFound(id) }
        do {
            let reply = try client.evalScriptBlocking(
                JobScripts.cancel, keys: [keyspace.job(id), keyspace.events, keyspace.due],
                arguments: [
                    reason, String(Clock.milliseconds()), String(configuration.retentionSeconds),
                    keyspace.cancelChannel,
                ])
            switch reply.array?.first?.string {
            case let outcome? where outcome == "cancelled" || outcome == "requested":
                let fields = reply.array?.dropFirst().first?.fieldDictionary ?? [:]
                guard let job = Job(fields: fields) else { return notFound(id) }
                if outcome == "cancelled" {
                    metrics.increment("cncf_jobs_finished_total", ["operation": job.operation, "status": "cancelled"])
                }
                let status = outcome == "cancelled" ? 200 : 202
                logger.info("cancellation", ["op": "cancel", "job": id, "status": job.status.rawValue])
                return .json(status, ["job": jobJSON(job)])
            case "conflict":
                let status = reply.array?.dropFirst().first?.string ?? "finished"
                return .error(409, code: "job_finished", message: "job \(id) is already \(status); nothing to cancel")
            default:
                return notFound(id)
            }
        } catch {
            return redisFailure(error)
        }
    }

    /// `POST /v1/jobs/<id>/retry`: runs a failed or cancelled job again under the same id.
    func retry(_ id: String, caller: Identity) -> HTTPResponse {
        guard JobID.isValidClientID(id) else { return notFound(id) }
        do {
            switch try retryTask(taskKey: keyspace.job(id), jobId: id, kind: "primary", by: caller.principal) {
            case "retried":
                guard let job = try fetch(id) else { return notFound(id) }
                return .json(202, ["job": jobJSON(job)], headers: [("Location", "/v1/jobs/\(id)")])
            case "conflict":
                let job = try fetch(id)
                return .error(
                    409, code: "job_not_retryable",
                    message:
                        "job \(id) is \(job?.status.rawValue ?? "unknown");"
                        + " only failed or cancelled jobs can be retried"
                )
            default:
                return notFound(id)
            }
        } catch {
            return redisFailure(error)
        }
    }

    private func retryTask(
        taskKey: String, jobId: String, kind: String, by principal: String
    ) throws(RedisError)
        -> String
    {
        let reply = try client.evalScriptBlocking(
            JobScripts.retry, keys: [taskKey, keyspace.job(jobId), keyspace.events, keyspace.tasks],
            arguments: [String(Clock.milliseconds()), principal, kind])
        return reply.array?.first?.string ?? "missing"
    }

    /// `GET /v1/dead-letters?limit=&cursor=`: tasks whose attempts ran out, newest first.
    func deadLetters(_ request: HTTPRequest) -> HTTPResponse {
        var limit = Self.defaultPageSize
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                return .error(
                    400, code: "invalid_request", message: "limit must be a whole number from 1 to \(Self.maxPageSize)")
            }
            limit = value
        }
        var top = "+"
        if let cursor = request.query["cursor"] {
            guard Self.isStreamID(cursor) else {
                return .error(400, code: "invalid_request", message: "cursor must be a value returned as nextCursor")
            }
            let parts = cursor.split(separator: "-").compactMap { UInt64($0) }
            // Nothing lies below the smallest id; Redis refuses an exclusive range from it.
            if parts == [0, 0] { return .json(200, ["deadLetters": [], "nextCursor": .null]) }
            top = "(\(parts[0])-\(parts[1])"
        }
        do {
            let entries =
                try client.commandBlocking(
                    ["XREVRANGE", keyspace.deadLetters, top, "-", "COUNT", String(limit)]).array ?? []
            var letters: [JSONValue] = []
            for entry in entries {
                guard let pair = entry.array, pair.count == 2, let id = pair[0].string else { continue }
                var members: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in pair[1].fieldDictionary {
                    members[key] = key == "attempt" ? .int(Int(value) ?? 0) : .string(value)
                }
                if let at = members["at"]?.stringValue.flatMap(UInt64.init) {
                    members["at"] = .string(Clock.rfc3339(milliseconds: at))
                }
                letters.append(.object(members))
            }
            var next: JSONValue = .null
            if letters.count == limit, let last = letters.last?["id"]?.stringValue {
                let beyond = try client.commandBlocking([
                    "XREVRANGE", keyspace.deadLetters, "(" + last, "-", "COUNT", "1",
                ])
                if !(beyond.array ?? []).isEmpty { next = .string(last) }
            }
            return .json(200, ["deadLetters": .array(letters), "nextCursor": next])
        } catch {
            return redisFailure(error)
        }
    }

    /// `POST /v1/dead-letters/<entry id>/requeue`: runs the dead task again and removes the dead letter.
    func requeue(_ entryId: String, caller: Identity) -> HTTPResponse {
        guard Self.isStreamID(entryId) else {
            return .error(404, code: "dead_letter_not_found", message: "no dead letter '\(entryId.prefix(64))'")
        }
        do {
            let entries = try client.commandBlocking(["XRANGE", keyspace.deadLetters, entryId, entryId]).array ?? []
            guard let pair = entries.first?.array, pair.count == 2 else {
                return .error(404, code: "dead_letter_not_found", message: "no dead letter '\(entryId)'")
            }
            let fields = pair[1].fieldDictionary
            guard let jobId = fields["jobId"], JobID.isValidClientID(jobId) else {
                return .error(409, code: "dead_letter_unusable", message: "the dead letter names no job")
            }
            let kind = fields["kind"] == "subscriber" ? "subscriber" : "primary"
            let taskKey = kind == "primary" ? keyspace.job(jobId) : keyspace.task(fields["taskId"] ?? "")
            switch try retryTask(taskKey: taskKey, jobId: jobId, kind: kind, by: caller.principal) {
            case "retried":
                try client.commandBlocking(["XDEL", keyspace.deadLetters, entryId])
                logger.info("dead letter requeued", ["op": "requeue", "job": jobId, "task": fields["taskId"] ?? ""])
                guard let job = try fetch(jobId) else { return notFound(jobId) }
                return .json(202, ["job": jobJSON(job), "requeued": .string(entryId)])
            case "conflict":
                return .error(
                    409, code: "not_retryable", message: "the task is no longer failed; it was retried already")
            default:
                return .error(404, code: "job_not_found", message: "the dead letter's job \(jobId) no longer exists")
            }
        } catch {
            return redisFailure(error)
        }
    }

    /// Whether `text` is a stream entry id Redis accepts: two unsigned 64-bit numbers joined by `-`.
    static func isStreamID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { UInt64($0) != nil }
    }
}

extension Gateway {
    /// `GET /v1/audit` and `GET /v1/jobs/<id>/audit`: answered by the audit service, which owns the archive.
    func passToAudit(query fixed: [String: String], from request: HTTPRequest) -> HTTPResponse {
        guard let auditURL else {
            return .error(
                503, code: "audit_unavailable",
                message: "the gateway has no AUDIT_URL; the audit archive is not reachable")
        }
        var query = request.query.filter {
            ["since", "until", "principal", "type", "limit", "cursor"].contains($0.key)
        }
        query.merge(fixed) { _, fixed in fixed }
        let text = query.keys.sorted().map { key in
            let value = query[key]!.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return "\(key)=\(value)"
        }.joined(separator: "&")
        let connection = HTTPClientConnection()
        let reply = connection.send("GET", "\(auditURL)/audit" + (text.isEmpty ? "" : "?\(text)"))
        guard reply.status > 0 else {
            return .error(503, code: "audit_unavailable", message: "the audit service does not answer")
        }
        return HTTPResponse(status: reply.status, body: reply.body)
    }
}
