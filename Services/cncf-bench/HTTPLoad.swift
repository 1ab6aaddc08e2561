import CCurlClient
import Foundation
import Synchronization

/// One keep-alive HTTP connection, used by one thread.
final class HTTPConnection {
    private let client: OpaquePointer

    init() {
        client = cncf_curl_create()
    }

    deinit {
        cncf_curl_destroy(client)
    }

    /// Sends a request and returns the status and body text.
    func send(_ method: String, _ url: String, body: String = "") -> (status: Int, body: String) {
        let status = body.withCString { cncf_curl_perform(client, method, url, $0, strlen($0)) }
        var length = 0
        let text =
            cncf_curl_body(client, &length).map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? ""
        return (Int(status), text)
    }
}

/// Runs `total` calls of `call` spread over `threads` threads, each with its own connection, and returns how
/// many failed.
func runConcurrently(total: Int, threads: Int, _ call: @escaping @Sendable (HTTPConnection, Int) -> Bool) -> Int {
    let next = Counter()
    let failures = Counter()
    let group = DispatchGroup()
    for _ in 0..<threads {
        group.enter()
        let thread = Thread {
            let connection = HTTPConnection()
            while true {
                let index = next.increment()
                guard index < total else { break }
                if !call(connection, index) { _ = failures.increment() }
            }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return failures.value
}

final class Counter: Sendable {
    private let state = Atomic<Int>(0)

    /// Adds one and returns the value before.
    func increment() -> Int { state.add(1, ordering: .relaxed).oldValue }

    var value: Int { state.load(ordering: .relaxed) }
}
