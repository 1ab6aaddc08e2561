import Foundation
import HTTPServer
import JobModel
import RedisClient

/// The HTTP/JSON API: submit commands, read, wait for and list jobs.
///
/// Handlers run on the HTTP server's own threads and use the shared, pipelined Redis client. Waiting for a job
/// holds no thread: the request is parked until the job watcher sees the job end or the time runs out.
public final class Gateway: HTTPHandler {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    private let logger: Logger
    private let client: RedisClient
    private let watcher: JobWatcher
    private let catalog: OperationCatalog
    private let keyspace: Keyspace

    public static let defaultWaitMilliseconds = 30_000
    public static let maxWaitMilliseconds = 300_000
    public static let defaultPageSize = 50
    public static let maxPageSize = 500

    public init(configuration: ServiceConfiguration, metrics: Metrics = Metrics()) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = Logger(service: "gateway", level: configuration.logLevel)
        self.client = RedisClient(configuration: configuration.redis, name: "gateway-redis")
        self.keyspace = configuration.keyspace
        self.watcher = JobWatcher(
            configuration: configuration.redis, events: configuration.keyspace.events, logger: logger)
        self.catalog = OperationCatalog(keyspace: configuration.keyspace)
        metrics.describe("cncf_http_requests_total", type: "counter", help: "HTTP requests, by route and status.")
        metrics.describe("cncf_jobs_submitted_total", type: "counter", help: "Jobs accepted through the gateway.")
    }

    /// Starts following the event stream; call before serving requests.
    public func start() {
        logger.info(
            "gateway starting",
            configuration.summary.merging([
                "op": "start", "listen": "\(configuration.gatewayHost):\(configuration.gatewayPort)",
            ]) { $1 })
        watcher.start()
    }

    /// Answers every parked wait with the job as it stands.
    public func stop() {
        watcher.stop()
        logger.info("gateway stopped", ["op": "stop"])
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        let route: String
        let respond: @Sendable (HTTPResponse) -> Void = { response in responder.respond(response) }
        switch (request.method, parts.count, parts.first) {
        case (_, 2, "v1") where parts[1] == "commands":
            route = "commands"
            guard request.method == "POST" else { return finish(route, .methodNotAllowed, respond) }
            finish(route, submit(request), respond)
        case (_, 2, "v1") where parts[1] == "jobs":
            route = "jobs"
            guard request.method == "GET" else { return finish(route, .methodNotAllowed, respond) }
            finish(route, list(request), respond)
        case (_, 3, "v1") where parts[1] == "jobs":
            route = "job"
            guard request.method == "GET" else { return finish(route, .methodNotAllowed, respond) }
            finish(route, read(String(parts[2])), respond)
        case (_, 4, "v1") where parts[1] == "jobs" && parts[3] == "result":
            route = "result"
            guard request.method == "GET" else { return finish(route, .methodNotAllowed, respond) }
            finish(route, result(String(parts[2])), respond)
        case (_, 4, "v1") where parts[1] == "jobs" && parts[3] == "wait":
            guard request.method == "GET" else { return finish("wait", .methodNotAllowed, respond) }
            wait(String(parts[2]), request) { [self] response in finish("wait", response, respond) }
        case (_, 2, "v1") where parts[1] == "operations":
            guard request.method == "GET" else { return finish("operations", .methodNotAllowed, respond) }
            finish("operations", operations(), respond)
        case ("GET", 1, "healthz"):
            finish("healthz", health(), respond)
        case ("GET", 1, "metrics"):
            respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", text: metrics.prometheusText()))
        default:
            finish(
                "other", .error(404, code: "not_found", message: "no route \(request.method) \(request.path)"), respond)
        }
    }

    private func finish(_ route: String, _ response: HTTPResponse, _ respond: @Sendable (HTTPResponse) -> Void) {
        metrics.increment("cncf_http_requests_total", ["route": route, "status": String(response.status)])
        respond(response)
    }

    // MARK: Submit

    private func submit(_ request: HTTPRequest) -> HTTPResponse {
        guard !request.bodyTooLarge else {
            return .error(
                413, code: "payload_too_large",
                message: "the body is larger than \(CommandValidation.maxInputBytes) bytes")
        }
        let body: JSONValue
        do {
            body = try JSONValue.parse(request.body)
        } catch {
            return .error(400, code: "invalid_json", message: "the body is \(error)")
        }
        let command: CommandSubmission
        do {
            command = try CommandValidation.parse(body: body)
        } catch {
            return .error(400, code: error.code, message: error.reason)
        }
        do {
            let known = try catalog.contains(command.operation) { () throws(RedisError) in
                try client.commandBlocking(catalog.loadCommand)
            }
            guard known else {
                return .error(
                    404, code: "unknown_operation",
                    message: "operation '\(command.operation)' is not registered by any worker; see GET /v1/operations")
            }

            let id = command.jobId ?? JobID.make()
            let now = Clock.milliseconds()
            var job = Job(
                id: id, operation: command.operation, principal: command.principal ?? "anonymous",
                mode: command.mode, acceptedAt: now, input: command.input, source: "http")
            let reply = try client.evalScriptBlocking(
                JobScripts.submit, keys: [keyspace.job(id), keyspace.jobIndex, keyspace.commands, keyspace.events],
                arguments: [
                    id, job.operation, job.principal, job.mode.rawValue, job.input.encoded, String(now), "http",
                ])
            switch reply.array?.first?.string {
            case "created":
                metrics.increment("cncf_jobs_submitted_total", ["operation": job.operation])
                logger.debug("job accepted", ["op": "submit", "job": id])
            case "exists":
                guard let existing = try fetch(id) else { return notFound(id) }
                job = existing
            default:
                return .error(
                    409, code: "job_exists",
                    message: "job \(id) already exists with another operation or input; choose another jobId")
            }
            return .json(202, ["job": job.json], headers: [("Location", "/v1/jobs/\(id)")])
        } catch {
            return redisFailure(error)
        }
    }

    // MARK: Reads

    private func read(_ id: String) -> HTTPResponse {
        do {
            guard let job = try fetch(id) else { return notFound(id) }
            return .json(200, ["job": job.json])
        } catch {
            return redisFailure(error)
        }
    }

    private func result(_ id: String) -> HTTPResponse {
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
                    "error": job.error?.json ?? .null,
                ])
        } catch {
            return redisFailure(error)
        }
    }

    private func wait(_ id: String, _ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
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
        let waiter = watcher.wait(for: id, timeout: .milliseconds(timeoutMilliseconds)) { [self] timedOut in
            // Runs on the watcher's or a timer's thread; the lookup goes through the pipelined client.
            do throws(RedisError) {
                guard let job = try fetch(id) else { return respond(notFound(id)) }
                respond(.json(200, ["job": job.json, "timedOut": .bool(timedOut && !job.status.isTerminal)]))
            } catch {
                respond(redisFailure(error))
            }
        }
        do {
            let job = try fetch(id)
            if job == nil || job!.status.isTerminal || timeoutMilliseconds == 0 {
                watcher.finish(waiter)
            }
        } catch {
            watcher.finish(waiter)
        }
    }

    private func list(_ request: HTTPRequest) -> HTTPResponse {
        var limit = Self.defaultPageSize
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...Self.maxPageSize).contains(value) else {
                return .error(
                    400, code: "invalid_request", message: "limit must be a whole number from 1 to \(Self.maxPageSize)")
            }
            limit = value
        }
        var status: JobStatus?
        if let text = request.query["status"], !text.isEmpty {
            guard let value = JobStatus(rawValue: text) else {
                let names = JobStatus.allCases.map(\.rawValue).joined(separator: ", ")
                return .error(400, code: "invalid_request", message: "status must be one of \(names)")
            }
            status = value
        }
        let operation = request.query["operation"].flatMap { $0.isEmpty ? nil : $0 }
        var cursor = request.query["cursor"].flatMap { $0.isEmpty ? nil : $0 }
        if let given = cursor, !JobID.isValidClientID(given) {
            return .error(400, code: "invalid_request", message: "cursor must be a value returned as nextCursor")
        }

        // Walk the index newest first; with filters, scan at most a bounded number of jobs per request.
        let scanBudget = max(limit * 20, 2_000)
        var scanned = 0
        var jobs: [Job] = []
        var exhausted = false
        do {
            while jobs.count < limit && scanned < scanBudget {
                let start = cursor.map { "(\($0)" } ?? "+"
                let page = max(limit - jobs.count, status == nil && operation == nil ? 0 : 100)
                let ids =
                    try client.commandBlocking([
                        "ZRANGE", keyspace.jobIndex, start, "-", "BYLEX", "REV", "LIMIT", "0",
                        String(page),
                    ]).array?.compactMap(\.string) ?? []
                if ids.isEmpty {
                    exhausted = true
                    break
                }
                let replies = try client.pipelineBlocking(ids.map { ["HGETALL", keyspace.job($0)] })
                for (index, reply) in replies.enumerated() {
                    scanned += 1
                    cursor = ids[index]
                    guard let job = Job(fields: reply.fieldDictionary) else { continue }
                    if let status, job.status != status { continue }
                    if let operation, job.operation != operation { continue }
                    jobs.append(job)
                    if jobs.count == limit { break }
                }
                if ids.count < page && cursor == ids.last {
                    exhausted = true
                    break
                }
            }
        } catch {
            return redisFailure(error)
        }
        let next: JSONValue = exhausted ? .null : cursor.map(JSONValue.string) ?? .null
        return .json(200, ["jobs": .array(jobs.map(\.json)), "nextCursor": next])
    }

    private func operations() -> HTTPResponse {
        do {
            let entries = try catalog.all { () throws(RedisError) in try client.commandBlocking(catalog.loadCommand) }
            return .json(
                200,
                [
                    "operations": .array(
                        entries.map {
                            ["name": .string($0.name), "description": .string($0.description)]
                        })
                ])
        } catch {
            return redisFailure(error)
        }
    }

    private func health() -> HTTPResponse {
        do {
            try client.commandBlocking(["PING"])
            let following = watcher.isHealthy
            return .json(
                following ? 200 : 503,
                [
                    "status": .string(following ? "ok" : "unavailable"), "redis": "up",
                    "eventStream": .string(following ? "following" : "not following"),
                ])
        } catch {
            return .json(503, ["status": "unavailable", "redis": "down", "error": .string("\(error)")])
        }
    }

    // MARK: Helpers

    private func fetch(_ id: String) throws(RedisError) -> Job? {
        guard JobID.isValidClientID(id) else { return nil }
        let fields = try client.commandBlocking(["HGETALL", keyspace.job(id)]).fieldDictionary
        return Job(fields: fields)
    }

    private func notFound(_ id: String) -> HTTPResponse {
        .error(404, code: "job_not_found", message: "no job with id '\(id.prefix(64))'")
    }

    private func redisFailure(_ error: RedisError) -> HTTPResponse {
        if error.isConnectionFailure || error == .closed {
            logger.warning("Redis unavailable", ["op": "request", "error": "\(error)"])
            return .error(503, code: "redis_unavailable", message: "job storage is unreachable; try again shortly")
        }
        logger.error("Redis refused a request", ["op": "request", "error": "\(error)"])
        return .error(500, code: "internal_error", message: "job storage refused the request")
    }
}

extension HTTPResponse {
    static let methodNotAllowed = HTTPResponse.error(
        405, code: "method_not_allowed", message: "method not allowed on this route")
}
