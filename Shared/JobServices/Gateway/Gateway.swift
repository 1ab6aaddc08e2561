import Foundation
import HTTPServer
import JobModel
import RedisClient

/// The HTTP/JSON API: submit commands in every execution mode; read, wait for, list, cancel and retry jobs;
/// inspect tasks, call trees and dead letters.
///
/// Handlers run on the HTTP server's own threads and use the shared, pipelined Redis client. Waiting holds no
/// thread: the request is parked until a notice on the gateway's reply stream says the work is done, or the time
/// runs out.
public final class Gateway: HTTPHandler {
    public let configuration: ServiceConfiguration
    public let metrics: Metrics
    let logger: Logger
    let client: RedisClient
    let watcher: JobWatcher
    let replies: ReplyStream
    let catalog: OperationCatalog
    let keyspace: Keyspace
    let access: AccessControl
    /// The audit service's query endpoint (`http://host:port`), to which `/v1/audit` is passed on.
    let auditURL: String?

    public static let defaultWaitMilliseconds = 30_000
    public static let maxWaitMilliseconds = 300_000
    public static let defaultPageSize = 50
    public static let maxPageSize = 500

    public init(
        configuration: ServiceConfiguration, access: AccessControl, auditURL: String? = nil,
        metrics: Metrics = Metrics()
    ) {
        self.configuration = configuration
        self.access = access
        self.auditURL = auditURL
        self.metrics = metrics
        self.logger = Logger(service: "gateway", level: configuration.logLevel)
        let logger = self.logger
        self.client = RedisClient(configuration: configuration.redis, name: "gateway-redis") { [metrics] in
            metrics.increment("cncf_redis_reconnects_total")
            logger.notice("reconnected to Redis", ["op": "reconnect"])
        }
        self.keyspace = configuration.keyspace
        self.watcher = JobWatcher()
        self.replies = ReplyStream(
            configuration: configuration.redis,
            stream: configuration.keyspace.replies("\(configuration.consumerName)-\(JobID.make())"),
            watcher: watcher, logger: logger)
        self.catalog = OperationCatalog(keyspace: configuration.keyspace)
        metrics.describe("cncf_http_requests_total", type: "counter", help: "HTTP requests, by route and status.")
        metrics.describe("cncf_jobs_submitted_total", type: "counter", help: "Jobs accepted, by operation and mode.")
        metrics.describe(
            "cncf_jobs_finished_total", type: "counter",
            help: "Jobs ended here, by operation and status: cancelled before they started.")
        metrics.describe("cncf_redis_reconnects_total", type: "counter", help: "Reconnections to Redis.")
    }

    /// Starts following the event and reply streams; call before serving requests.
    public func start() {
        logger.info(
            "gateway starting",
            configuration.summary.merging([
                "op": "start", "listen": "\(configuration.gatewayHost):\(configuration.gatewayPort)",
            ]) { $1 })
        if case .off = access {
            logger.warning(
                "AUTHENTICATION IS OFF (CNCF_AUTH=off): every caller can read and control every job",
                ["op": "start"])
        }
        replies.start()
    }

    /// Answers every parked request with what is known now.
    public func stop() {
        watcher.stop()
        replies.stop()
        logger.info("gateway stopped", ["op": "stop"])
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        // Empty segments are kept: `/v1/jobs//cancel` names a job with an empty id (404), not the job `cancel`.
        var parts = request.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        if parts.count > 1 && parts.last == "" { parts.removeLast() }
        let route = Route(method: request.method, parts: parts)
        let respond: @Sendable (HTTPResponse) -> Void = { [metrics] response in
            metrics.increment("cncf_http_requests_total", ["route": route.name, "status": String(response.status)])
            responder.respond(response)
        }
        if case .methodNotAllowed(let allowed) = route {
            return respond(
                .error(
                    405, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path)",
                    headers: [("Allow", allowed.method)]))
        }
        guard route.needsIdentity else {
            switch route {
            case .health: return respond(health())
            case .metrics:
                return respond(
                    HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", text: metrics.prometheusText()))
            case .openAPI: return respond(HTTPResponse(status: 200, text: OpenAPIDocument.text))
            default:
                return respond(.error(404, code: "not_found", message: "no route \(request.method) \(request.path)"))
            }
        }
        let caller: Identity
        switch access {
        case .off:
            caller = .unauthenticated
        case .tokens(let authenticator):
            guard let identity = authenticator.identity(forAuthorization: request.header("Authorization")) else {
                return respond(
                    .error(
                        401, code: "unauthorized", message: "a valid token is required: Authorization: Bearer <token>",
                        headers: [("WWW-Authenticate", "Bearer")]))
            }
            caller = identity
        }
        if let refusal = authorize(route, caller) { return respond(refusal) }

        switch route {
        case .submit: submit(request, caller: caller, respond: respond)
        case .list: respond(list(request, caller: caller))
        case .job(let id): respond(read(id))
        case .result(let id): respond(result(id))
        case .wait(let id): wait(id, request, respond: respond)
        case .tasks(let id): respond(tasks(id))
        case .callTree(let id): respond(callTree(id))
        case .jobAudit(let id):
            // The audit service reads an empty jobId as no filter at all.
            respond(JobID.isValidClientID(id) ? passToAudit(query: ["jobId": id], from: request) : notFound(id))
        case .audit: respond(passToAudit(query: [:], from: request))
        case .cancel(let id): respond(cancel(id, request, caller: caller))
        case .retry(let id): respond(retry(id, caller: caller))
        case .deadLetters: respond(deadLetters(request))
        case .requeue(let entryId): respond(requeue(entryId, caller: caller))
        case .operations: respond(operations())
        case .health, .metrics, .openAPI, .notFound, .methodNotAllowed: break
        }
    }

    /// The refusal for a caller who may not use `route` (403), or whose job it is not (404, so that job ids
    /// cannot be probed); `nil` when the call may go ahead.
    private func authorize(_ route: Route, _ caller: Identity) -> HTTPResponse? {
        let forbidden = HTTPResponse.error(403, code: "forbidden", message: "your roles do not allow \(route.name)")
        switch route {
        case .submit:
            return caller.has(.submitter) || caller.has(.operator) ? nil : forbidden
        case .deadLetters, .requeue:
            return caller.has(.operator) ? nil : forbidden
        case .audit:
            return caller.has(.auditor) ? nil : forbidden
        case .job(let id), .result(let id), .wait(let id), .tasks(let id), .callTree(let id), .jobAudit(let id):
            return caller.readsAllJobs || owns(id, caller) ? nil : notFound(id)
        case .cancel(let id), .retry(let id):
            if caller.controlsAllJobs { return nil }
            if owns(id, caller) { return caller.has(.submitter) ? nil : forbidden }
            // A caller who may read the job learns nothing new from a 403.
            return caller.readsAllJobs ? forbidden : notFound(id)
        default:
            return nil
        }
    }

    /// Whether the job exists and was submitted by the caller.
    private func owns(_ id: String, _ caller: Identity) -> Bool {
        guard JobID.isValidClientID(id) else { return false }
        let principal = try? client.commandBlocking(["HGET", keyspace.job(id), "principal"]).string
        return principal == caller.principal
    }

    // MARK: Helpers shared by the handlers

    func fetch(_ id: String) throws(RedisError) -> Job? {
        guard JobID.isValidClientID(id) else { return nil }
        let fields = try client.commandBlocking(["HGETALL", keyspace.job(id)]).fieldDictionary
        return Job(fields: fields)
    }

    func notFound(_ id: String) -> HTTPResponse {
        .error(404, code: "job_not_found", message: "no job with id '\(id.prefix(64))'")
    }

    func redisFailure(_ error: RedisError) -> HTTPResponse {
        if error.isConnectionFailure || error == .closed {
            logger.warning("Redis unavailable", ["op": "request", "error": "\(error)"])
            return .error(503, code: "redis_unavailable", message: "job storage is unreachable; try again shortly")
        }
        logger.error("Redis refused a request", ["op": "request", "error": "\(error)"])
        return .error(500, code: "internal_error", message: "job storage refused the request")
    }
}

/// The API's routes, read from method and path.
enum Route: Sendable {
    case submit, list, deadLetters, operations, health, metrics, openAPI, notFound
    case job(String), result(String), wait(String), tasks(String), callTree(String), cancel(String), retry(String)
    case requeue(String), jobAudit(String), audit

    private static let postRoutes: Set<String> = ["submit", "cancel", "retry", "requeue"]

    init(method: String, parts: [String]) {
        switch parts.count {
        case 1:
            switch parts[0] {
            case "healthz": self = .health
            case "metrics": self = .metrics
            case "openapi.json": self = .openAPI
            default: self = .notFound
            }
        case 2 where parts[0] == "v1":
            switch parts[1] {
            case "commands": self = .submit
            case "jobs": self = .list
            case "operations": self = .operations
            case "dead-letters": self = .deadLetters
            case "audit": self = .audit
            default: self = .notFound
            }
        case 3 where parts[0] == "v1" && parts[1] == "jobs":
            self = .job(parts[2])
        case 4 where parts[0] == "v1" && parts[1] == "jobs":
            switch parts[3] {
            case "result": self = .result(parts[2])
            case "wait": self = .wait(parts[2])
            case "tasks": self = .tasks(parts[2])
            case "calltree": self = .callTree(parts[2])
            case "cancel": self = .cancel(parts[2])
            case "retry": self = .retry(parts[2])
            case "audit": self = .jobAudit(parts[2])
            default: self = .notFound
            }
        case 4 where parts[0] == "v1" && parts[1] == "dead-letters" && parts[3] == "requeue":
            self = .requeue(parts[2])
        default:
            self = .notFound
        }
        if case .notFound = self { return }
        self = method == self.method ? self : .methodNotAllowed(self)
    }

    /// The one method the route answers.
    var method: String { Self.postRoutes.contains(name) ? "POST" : "GET" }

    indirect case methodNotAllowed(Route)

    /// Whether the route is part of the API (`/v1`), which needs a caller's identity.
    var needsIdentity: Bool {
        switch self {
        case .health, .metrics, .openAPI, .notFound, .methodNotAllowed: false
        default: true
        }
    }

    /// A short name for metrics.
    var name: String {
        switch self {
        case .submit: "submit"
        case .list: "list"
        case .deadLetters: "dead-letters"
        case .operations: "operations"
        case .health: "healthz"
        case .metrics: "metrics"
        case .openAPI: "openapi"
        case .notFound: "other"
        case .job: "job"
        case .result: "result"
        case .wait: "wait"
        case .tasks: "tasks"
        case .callTree: "calltree"
        case .cancel: "cancel"
        case .retry: "retry"
        case .requeue: "requeue"
        case .jobAudit: "job-audit"
        case .audit: "audit"
        case .methodNotAllowed(let route): route.name
        }
    }
}
