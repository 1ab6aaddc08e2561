import AuditArchive
import HTTPServer
import JobModel

/// The audit service's HTTP port: `GET /audit` and `GET /audit/verify` over the archive, plus `/healthz` and
/// `/metrics`. docs/audit.md is the contract (the gateway proxies `/v1/audit` here).
public struct AuditEndpoint: HTTPHandler {
    /// A connection of its own to the archive, so queries never wait for the writer's transactions.
    let archive: AuditArchive
    let operations: OperationsEndpoint

    /// - Parameters:
    ///   - archive: a read-only connection to the archive the service writes.
    ///   - operations: answers every other path (`/healthz`, `/metrics`).
    public init(archive: AuditArchive, operations: OperationsEndpoint) {
        self.archive = archive
        self.operations = operations
    }

    /// Answers `/audit` and `/audit/verify` from the archive and hands everything else to `operations`.
    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch request.path {
        case "/audit", "/audit/verify":
            guard request.method == "GET" else {
                return responder.respond(
                    .error(405, code: "method_not_allowed", message: "\(request.path) answers GET only"))
            }
            responder.respond(request.path == "/audit" ? list(request.query) : verify())
        default:
            operations.handle(request, responder: responder)
        }
    }

    /// `GET /audit`: a page of entries by seq ascending, with the cursor of the next page when there is one.
    func list(_ parameters: [String: String]) -> HTTPResponse {
        var query: AuditQuery
        do {
            query = try AuditQuery(parameters: parameters)
        } catch {
            return .error(400, code: "invalid_request", message: error.description)
        }
        let limit = query.limit
        // One more than asked tells whether another page follows.
        query.limit += 1
        let found: [AuditEntry]
        do {
            found = try archive.entries(matching: query)
        } catch {
            return .error(500, code: "archive_unavailable", message: error.description)
        }
        let page = found.prefix(limit)
        let next: JSONValue = found.count > limit ? .int(page[page.count - 1].seq) : .null
        return .json(200, ["entries": .array(page.map(\.json)), "nextCursor": next])
    }

    /// `GET /audit/verify`: the whole archive checked from seq 1.
    func verify() -> HTTPResponse {
        let result: AuditChainVerifier
        do {
            result = try archive.verify()
        } catch {
            return .error(500, code: "archive_unavailable", message: error.description)
        }
        guard let failure = result.failure else {
            return .json(200, ["ok": true, "entries": .int(result.count), "head": .string(result.head.hash)])
        }
        return .json(
            409,
            [
                "ok": false, "brokenAt": .int(failure.seq), "streamId": .string(failure.streamId),
                "reason": .string(failure.reason), "entries": .int(result.count),
            ])
    }
}

extension AuditEndpoint {
    /// Serves the audit API, `/healthz` and `/metrics` on `METRICS_HOST`:`METRICS_PORT`, or nothing when the
    /// port is 0.
    public static func serve(
        configuration: ServiceConfiguration, metrics: Metrics, archive: AuditArchive, service: AuditService
    ) throws -> HTTPServer? {
        guard configuration.metricsPort != 0 else { return nil }
        let operations = OperationsEndpoint(metrics: metrics) {
            let healthy = service.isHealthy
            let progress = service.progress
            return (
                healthy,
                [
                    "status": .string(healthy ? "ok" : "unavailable"), "service": "audit",
                    "chainSeq": .int(progress.chain), "archivedSeq": .int(progress.archived),
                ]
            )
        }
        let server = HTTPServer(
            configuration: .init(host: configuration.metricsHost, port: configuration.metricsPort, threads: 2),
            handler: AuditEndpoint(archive: archive, operations: operations))
        try server.start()
        return server
    }
}

extension AuditEntry {
    /// The entry as the query API shows it: `at` in RFC 3339, `details` parsed when it is JSON, and `null` for the
    /// job and task of an entry about none.
    public var json: JSONValue {
        let parsedDetails = details.isEmpty ? nil : try? JSONValue.parse(details)
        return [
            "seq": .int(seq), "at": .string(Clock.rfc3339(milliseconds: at)), "type": .string(type),
            "jobId": jobId.isEmpty ? .null : .string(jobId), "taskId": taskId.isEmpty ? .null : .string(taskId),
            "operation": .string(operation),
            "principal": .string(principal), "status": .string(status), "details": parsedDetails ?? .string(details),
            "eventId": .string(eventId), "streamId": .string(streamId), "hash": .string(hash),
            "prevHash": .string(prevHash),
        ]
    }
}
