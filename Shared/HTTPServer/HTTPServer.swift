import CMicroHTTPD
import Foundation
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: an epoll thread pool with keep-alive, body size limits and connections
/// that can wait for a late answer without holding a thread.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var threads: Int
        public var maxBodyBytes: Int
        public var connectionLimit: Int
        /// Idle connections are closed after this many seconds.
        public var connectionTimeoutSeconds: Int

        public init(
            host: String = "127.0.0.1", port: Int, threads: Int = 4, maxBodyBytes: Int = 1 << 20,
            connectionLimit: Int = 1024, connectionTimeoutSeconds: Int = 60
        ) {
            self.host = host
            self.port = port
            self.threads = threads
            self.maxBodyBytes = maxBodyBytes
            self.connectionLimit = connectionLimit
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
        }
    }

    public enum StartError: Error, CustomStringConvertible {
        case cannotListen(host: String, port: Int, errno: Int32)

        public var description: String {
            switch self {
            case .cannotListen(let host, let port, let code):
                "cannot listen on \(host):\(port): \(String(cString: strerror(code)))"
            }
        }
    }

    /// A libmicrohttpd daemon or connection pointer.
    ///
    /// Unchecked: MHD's daemon and connection handles are documented as usable from any thread for the calls made
    /// here (stop, resume); the pointer itself is only copied.
    struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// What the C callbacks reach through their context pointer.
    final class Shared: Sendable {
        let handler: any HTTPHandler
        let maxBodyBytes: Int

        init(handler: any HTTPHandler, maxBodyBytes: Int) {
            self.handler = handler
            self.maxBodyBytes = maxBodyBytes
        }
    }

    // The daemon pointer is written once at start and read once at stop, both under the mutex.
    private let daemon = Mutex<Handle?>(nil)
    private let shared: Shared
    public let configuration: Configuration

    public init(configuration: Configuration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.shared = Shared(handler: handler, maxBodyBytes: configuration.maxBodyBytes)
    }

    /// Starts listening; requests are served on the server's own threads from now on.
    public func start() throws {
        let context = Unmanaged.passRetained(shared).toOpaque()
        let started = cncf_http_start(
            configuration.host, UInt16(configuration.port), UInt32(configuration.threads),
            UInt32(configuration.connectionLimit), UInt32(configuration.connectionTimeoutSeconds),
            onRequest, onCompleted, context)
        guard let started else {
            Unmanaged<Shared>.fromOpaque(context).release()
            throw StartError.cannotListen(host: configuration.host, port: configuration.port, errno: errno)
        }
        daemon.withLock { $0 = Handle(pointer: started) }
    }

    /// Stops accepting connections and closes the open ones. Parked requests must have been answered first.
    public func stop() {
        let running = daemon.withLock { daemon in
            defer { daemon = nil }
            return daemon
        }
        if let running { cncf_http_stop(running.pointer) }
    }
}

/// The state of one request between MHD's calls: the body as it arrives, then the answer.
final class RequestExchange: @unchecked Sendable {
    // Unchecked: `body` and `bodyTooLarge` are touched only by MHD's calls for this connection, which MHD
    // serializes; everything shared with the responder sits behind `answer`.
    var body: [UInt8] = []
    var bodyTooLarge = false
    var handled = false

    struct Answer {
        var response: HTTPResponse?
        var parked = false
        var connection: HTTPServer.Handle?
    }

    let answer = Mutex(Answer())
}

/// Lets a handler answer a request, now or later, from any thread.
public final class HTTPResponder: Sendable {
    private let exchange: RequestExchange

    init(exchange: RequestExchange) {
        self.exchange = exchange
    }

    /// Answers the request. Later calls are ignored.
    public func respond(_ response: HTTPResponse) {
        exchange.answer.withLock { answer in
            guard answer.response == nil else { return }
            answer.response = response
            if answer.parked, let connection = answer.connection {
                answer.parked = false
                cncf_http_resume(connection.pointer)
            }
        }
    }
}

private let onRequest: cncf_http_request_fn = { context, connection, url, method, uploadData, uploadSize, slot in
    guard let context, let slot, let uploadSize else { return 0 }
    let shared = Unmanaged<HTTPServer.Shared>.fromOpaque(context).takeUnretainedValue()

    // First call: only set up the exchange, so that MHD keeps the connection alive after the answer.
    guard let existing = slot.pointee else {
        slot.pointee = Unmanaged.passRetained(RequestExchange()).toOpaque()
        return 1
    }
    let exchange = Unmanaged<RequestExchange>.fromOpaque(existing).takeUnretainedValue()

    if uploadSize.pointee > 0 {
        let count = uploadSize.pointee
        if !exchange.bodyTooLarge, let uploadData {
            if exchange.body.count + count > shared.maxBodyBytes {
                exchange.bodyTooLarge = true
                exchange.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
                    exchange.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
                }
            }
        }
        uploadSize.pointee = 0
        return 1
    }

    if !exchange.handled {
        exchange.handled = true
        let request = makeRequest(connection: connection, url: url, method: method, exchange: exchange)
        shared.handler.handle(request, responder: HTTPResponder(exchange: exchange))
    }

    return exchange.answer.withLock { answer -> Int32 in
        if let response = answer.response {
            return queue(response, on: connection)
        }
        answer.parked = true
        answer.connection = connection.map { HTTPServer.Handle(pointer: $0) }
        cncf_http_suspend(connection)
        return 1
    }
}

private let onCompleted: cncf_http_completed_fn = { _, requestContext in
    guard let requestContext else { return }
    Unmanaged<RequestExchange>.fromOpaque(requestContext).release()
}

private func queue(_ response: HTTPResponse, on connection: OpaquePointer?) -> Int32 {
    var cStrings: [UnsafeMutablePointer<CChar>?] = []
    for header in response.headers {
        cStrings.append(strdup(header.name))
        cStrings.append(strdup(header.value))
    }
    defer { cStrings.forEach { free($0) } }
    let headerPointers = cStrings.map { UnsafePointer($0) }
    return response.body.withUnsafeBytes { body in
        headerPointers.withUnsafeBufferPointer { headers in
            cncf_http_respond(
                connection, UInt32(response.status), response.contentType, body.baseAddress,
                body.count, headers.baseAddress, response.headers.count)
        }
    }
}

private final class ValueCollector {
    var headers: [String: String] = [:]
    var query: [String: String] = [:]
}

private func makeRequest(
    connection: OpaquePointer?, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
    exchange: RequestExchange
) -> HTTPRequest {
    let collector = ValueCollector()
    withExtendedLifetime(collector) {
        cncf_http_collect(
            connection,
            { context, kind, key, value in
                guard let context, let key, let value else { return }
                let collector = Unmanaged<ValueCollector>.fromOpaque(context).takeUnretainedValue()
                if kind == 0 {
                    collector.headers[String(cString: key).lowercased()] = String(cString: value)
                } else {
                    collector.query[String(cString: key)] = String(cString: value)
                }
            }, Unmanaged.passUnretained(collector).toOpaque())
    }
    return HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET",
        path: url.map { String(cString: $0) } ?? "/",
        query: collector.query,
        headers: collector.headers,
        body: exchange.body,
        bodyTooLarge: exchange.bodyTooLarge)
}
