import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The status and JSON body of a request sent with headers of its own (`HTTPTestClient` sends none).
struct HeaderedReply: Sendable {
    let status: Int
    let json: JSONValue?

    /// `job` of a job response.
    var job: JSONValue? { json?["job"] }
}

extension StackUnderTest {
    /// Posts `body` as a command (any members: `mode`, `runAt`, `maxAttempts`, `timeoutMs`, ...) and returns the reply.
    func command(_ body: JSONValue, timeout: TimeInterval = 30) async throws -> HTTPReply {
        try await gateway.post("/v1/commands", json: body, timeout: timeout)
    }

    /// Posts `body` as a command with extra request headers, e.g. `Idempotency-Key`.
    func command(_ body: JSONValue, headers: [String: String]) async throws -> HeaderedReply {
        var request = URLRequest(url: try #require(URL(string: gatewayURL + "/v1/commands")))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body.encoded.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return HeaderedReply(status: status, json: try? JSONValue.parse([UInt8](data), depthLimit: 256))
    }

    /// The job as `GET /v1/jobs/<id>` shows it, failing the test on any other answer than 200.
    func job(_ id: String) async throws -> JSONValue {
        let reply = try await gateway.get("/v1/jobs/\(id)")
        try #require(reply.status == 200, "GET /v1/jobs/\(id): \(reply.status) \(reply.text)")
        return try #require(reply.job, "no job in \(reply.text)")
    }

    /// Polls the job until `accept` holds for it, and returns it.
    func job(_ id: String, timeout: Duration = .seconds(20), where what: String,
             _ accept: @escaping (JSONValue) -> Bool) async throws -> JSONValue {
        try await eventually("job \(id): \(what)", timeout: timeout, interval: .milliseconds(20)) {
            let job = try await job(id)
            // Not `accept(job) ? job : nil`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
            guard accept(job) else { return JSONValue?.none }
            return job
        }
    }

    /// Polls the job until its status is `status`, and returns it.
    func job(_ id: String, reaches status: String, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        try await job(id, timeout: timeout, where: "status \(status)") { $0.text("status") == status }
    }

    /// Waits through `GET /v1/jobs/<id>/wait?until=settled` and returns the settled job.
    func waitUntilSettled(_ id: String) async throws -> JSONValue {
        let reply = try await gateway.get("/v1/jobs/\(id)/wait?until=settled&timeoutMs=30000", timeout: 60)
        try #require(reply.status == 200, "\(reply.status) \(reply.text)")
        try #require(reply.json?["timedOut"] == false, "job \(id) did not settle within 30 s: \(reply.text)")
        return try #require(reply.job)
    }

    /// The entries of `GET /v1/jobs/<id>/tasks`: the primary task first, then the continuations.
    func tasks(of id: String) async throws -> [JSONValue] {
        let reply = try await gateway.get("/v1/jobs/\(id)/tasks")
        try #require(reply.status == 200, "\(reply.status) \(reply.text)")
        return try #require(reply.json?["tasks"]?.arrayValue, "\(reply.text)")
    }

    /// The events of job `id` on the event stream, oldest first.
    func events(of id: String) throws -> [StreamItem] {
        try streamEntries(keyspace.events).filter { $0.fields["jobId"] == id }
    }

    /// The value of counter `name` that `demo.increment` keeps in `<ns>:demo:counters`; 0 when it was never set.
    func demoCounter(_ name: String) throws -> Int {
        try connection().command(["HGET", "\(namespace):demo:counters", name]).string.flatMap { Int($0) } ?? 0
    }

    /// The process of the worker whose consumer name (as in a job's `worker` field) is `workerId`.
    func workerProcess(_ workerId: String) throws -> ServiceProcess {
        let index = try #require(workerIDs.firstIndex(of: workerId), "\(workerId) is none of \(workerIDs)")
        return try #require(processes.first { $0.name == "cncf-worker-\(index + 1)" })
    }

    /// The full text of the `/metrics` page at `url` (a service's base URL).
    func metricsPage(_ url: String) async throws -> String {
        let reply = try await gateway.get("\(url)/metrics")
        try #require(reply.status == 200, "\(url)/metrics: \(reply.status)")
        return reply.text
    }

    /// The sum of `name{labels...}` over every worker's `/metrics`.
    func workerMetric(_ name: String, labels: [String] = []) async throws -> Double {
        var total = 0.0
        for url in workerMetricsURLs { total += try await metric(name, at: url, labels: labels) }
        return total
    }

    /// Restocks `quantity` units of `sku` through a `jobSync` `order.restock` and checks it succeeded.
    func restock(_ sku: String, quantity: Int) async throws {
        let reply = try await command([
            "operation": "order.restock", "mode": "jobSync", "input": ["sku": .string(sku), "quantity": .int(quantity)],
        ])
        try #require(reply.status == 200 && reply.job?.text("status") == "succeeded", "restock: \(reply.text)")
    }

    /// The units of `sku` in the orders inventory; `nil` when the SKU was never stocked.
    func unitsInStock(_ sku: String) throws -> Int? {
        try connection().command(["HGET", "\(namespace):orders:inventory", sku]).string.flatMap { Int($0) }
    }
}

extension JSONValue {
    /// `self[key]` as an integer.
    func integer(_ key: String) -> Int? { self[key]?.intValue }

    /// The `attempts` array of a job or task.
    var attemptList: [JSONValue] { self["attempts"]?.arrayValue ?? [] }

    /// The `outcome` of each attempt, oldest first.
    var attemptOutcomes: [String] { attemptList.map { $0.text("outcome") ?? "?" } }

    /// The names of this span's direct children.
    var childSpanNames: [String] { (self["children"]?.arrayValue ?? []).compactMap { $0.text("name") } }

    /// The direct child span called `name`.
    func childSpan(_ name: String) -> JSONValue? {
        self["children"]?.arrayValue?.first { $0.text("name") == name }
    }
}

/// Milliseconds since the epoch, as the API's `attempts` and `runAt` use them.
func epochMilliseconds() -> Int { Int(Clock.milliseconds()) }

/// The milliseconds since the epoch of an RFC 3339 time as the API writes it.
func epochMilliseconds(_ value: JSONValue?) -> Int? {
    value?.stringValue.flatMap(Clock.parseRFC3339).map { Int($0) }
}
