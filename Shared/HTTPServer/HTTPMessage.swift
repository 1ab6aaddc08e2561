/// An HTTP request as the server hands it to a handler, with its whole body read.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, e.g. `/v1/jobs/123`.
    public var path: String
    /// Query arguments, already percent-decoded.
    public var query: [String: String]
    /// Header values keyed by lowercased name.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whether the body was cut off at the server's size limit.
    public var bodyTooLarge: Bool

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], bodyTooLarge: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// A header's value; `name` is matched without regard to case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// An HTTP response: status, content type, extra headers and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(
        status: Int, contentType: String = "application/json", headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public init(
        status: Int, contentType: String = "application/json", headers: [(name: String, value: String)] = [],
        text: String
    ) {
        self.init(status: status, contentType: contentType, headers: headers, body: Array(text.utf8))
    }
}

/// Handles requests. `handle` runs on one of the server's own threads (never Swift's cooperative pool), so it may
/// block briefly; it must call `responder.respond` exactly once, either before returning or later from any
/// thread or task, which parks the connection until then.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}
