import HTTPServer
import JobModel

extension HTTPResponse {
    /// A JSON response.
    public static func json(
        _ status: Int, _ value: JSONValue, headers: [(name: String, value: String)] = []
    )
        -> HTTPResponse
    {
        var text = value.encoded
        text += "\n"
        return HTTPResponse(status: status, headers: headers, text: text)
    }

    /// The API's error shape: `{"error": {"code": ..., "message": ...}}`.
    public static func error(
        _ status: Int, code: String, message: String,
        headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        json(status, ["error": ["code": .string(code), "message": .string(message)]], headers: headers)
    }
}

/// Serves `/healthz` and `/metrics` for services that have no API of their own.
public struct OperationsEndpoint: HTTPHandler {
    let metrics: Metrics
    let isHealthy: @Sendable () -> (Bool, JSONValue)

    public init(metrics: Metrics, isHealthy: @escaping @Sendable () -> (Bool, JSONValue)) {
        self.metrics = metrics
        self.isHealthy = isHealthy
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/healthz"):
            let (healthy, details) = isHealthy()
            responder.respond(.json(healthy ? 200 : 503, details))
        case ("GET", "/metrics"):
            responder.respond(
                HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", text: metrics.prometheusText()))
        default:
            responder.respond(.error(404, code: "not_found", message: "no route \(request.method) \(request.path)"))
        }
    }
}

extension OperationsEndpoint {
    /// Serves `/healthz` and `/metrics` on `METRICS_PORT`, or nothing when it is 0.
    public static func serve(
        configuration: ServiceConfiguration, metrics: Metrics, service: String,
        isHealthy: @escaping @Sendable () -> Bool
    ) throws -> HTTPServer? {
        guard configuration.metricsPort != 0 else { return nil }
        let endpoint = OperationsEndpoint(metrics: metrics) {
            let healthy = isHealthy()
            return (healthy, ["status": .string(healthy ? "ok" : "unavailable"), "service": .string(service)])
        }
        let server = HTTPServer(
            configuration: .init(host: configuration.metricsHost, port: configuration.metricsPort, threads: 1),
            handler: endpoint)
        try server.start()
        return server
    }
}
