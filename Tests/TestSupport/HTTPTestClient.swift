import Foundation
import JobModel

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP response as a test sees it.
public struct HTTPReply: Sendable {
    public let status: Int
    /// Header values keyed by lowercased name.
    public let headers: [String: String]
    public let body: Data

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON, or `nil` when it is not JSON.
    public var json: JSONValue? { try? JSONValue.parse([UInt8](body), depthLimit: 256) }

    /// A header's value; `name` is matched without regard to case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `error.code` of an error response.
    public var errorCode: String? { json?["error"]?["code"]?.stringValue }

    /// `job` of a job response.
    public var job: JSONValue? { json?["job"] }
}

/// A small HTTP/JSON client over `URLSession`, for talking to the gateway and the metrics endpoints.
public final class HTTPTestClient: Sendable {
    /// Prefixed to paths that are not full URLs, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// Sent as `Authorization: Bearer <token>` with every request when set.
    public let bearerToken: String?
    private let session: URLSession

    /// A client with its own session, allowing `maxConnections` parallel connections per host.
    public init(baseURL: String, maxConnections: Int = 16, bearerToken: String? = nil) {
        self.baseURL = baseURL
        self.bearerToken = bearerToken
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maxConnections
        configuration.timeoutIntervalForRequest = 60
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// `GET path`; `path` is either a full URL or relative to `baseURL`.
    public func get(_ path: String, timeout: TimeInterval = 30) async throws -> HTTPReply {
        try await send("GET", path, body: nil, contentType: nil, timeout: timeout)
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json: JSONValue, timeout: TimeInterval = 30) async throws -> HTTPReply {
        try await send("POST", path, body: Data(json.encoded.utf8), contentType: "application/json", timeout: timeout)
    }

    /// `POST path` with a raw body, for malformed and oversized requests.
    public func post(_ path: String, body: Data, contentType: String = "application/json",
                     timeout: TimeInterval = 30) async throws -> HTTPReply {
        try await send("POST", path, body: body, contentType: contentType, timeout: timeout)
    }

    /// Sends any request and collects the whole response; `headers` are added last and win.
    public func send(_ method: String, _ path: String, body: Data?, contentType: String?,
                     headers: [String: String] = [:], timeout: TimeInterval = 30) async throws -> HTTPReply {
        let text = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : baseURL + path
        guard let url = URL(string: text) else { throw TestSupportError("not a URL: \(text)") }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let bearerToken { request.setValue("Bearer \(bearerToken)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        guard let response = response as? HTTPURLResponse else {
            throw TestSupportError("\(method) \(text): not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            headers["\(name)".lowercased()] = "\(value)"
        }
        return HTTPReply(status: response.statusCode, headers: headers, body: data)
    }
}
