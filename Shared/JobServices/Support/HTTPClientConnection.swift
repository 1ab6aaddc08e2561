import CCurlClient

/// One keep-alive HTTP connection over libcurl, used by one thread at a time.
final class HTTPClientConnection {
    private let client: OpaquePointer

    init() {
        client = cncf_curl_create()
    }

    deinit {
        cncf_curl_destroy(client)
    }

    /// Sends a request and returns the status (0 when nothing answered) and the body.
    func send(_ method: String, _ url: String, body: String = "") -> (status: Int, body: [UInt8]) {
        let status = body.withCString { cncf_curl_perform(client, method, url, $0, body.utf8.count) }
        var length = 0
        guard status > 0, let bytes = cncf_curl_body(client, &length) else { return (0, []) }
        return (Int(status), Array(UnsafeRawBufferPointer(start: bytes, count: length)))
    }
}
