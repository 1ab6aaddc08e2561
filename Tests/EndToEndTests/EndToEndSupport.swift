import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

/// Every end-to-end suite is nested here, so that only one stack of service processes runs at a time. A test that
/// runs past the time limit fails and is cancelled instead of holding up the whole run.
@Suite("End to end", .serialized, .timeLimit(.minutes(3)))
struct EndToEnd {}

/// Starts a stack with `workers` workers, runs `body` with it and stops it, also when `body` throws. On failure
/// the services' log tails are attached to the error. `environment` is added to every service's; `redisURL` is a
/// Redis of the test's own (the shared one when `nil`).
func withStack(
    workers: Int = 2, redisURL: String? = nil, environment: [String: String] = [:],
    _ body: (StackUnderTest) async throws -> Void
) async throws {
    let stack = try await StackUnderTest.start(workers: workers, redisURL: redisURL, environment: environment)
    defer { stack.stop() }
    do {
        try await body(stack)
    } catch {
        throw TestSupportError("\(error)\nservice logs:\n\(stack.logs())")
    }
}

extension JSONValue {
    /// `self[key]` as a string, for compact expectations.
    func text(_ key: String) -> String? { self[key]?.stringValue }
}

extension StackUnderTest {
    /// Submits a command and returns its job id, failing the test when it is not accepted with 202.
    func submitExpectingAccepted(_ operation: String, input: JSONValue = [:], jobId: String? = nil,
                                 principal: String? = nil) async throws -> String {
        let reply = try await submit(operation, input: input, jobId: jobId, principal: principal)
        #expect(reply.status == 202, "\(reply.status): \(reply.text)")
        return try #require(reply.job?.text("id"), "no job id in \(reply.text)")
    }

    /// Adds a raw entry to the command stream and returns its entry id.
    func addCommandEntry(_ fields: [String]) throws -> String {
        let connection = try connection()
        let reply = try connection.command(["XADD", keyspace.commands, "*"] + fields)
        return try #require(reply.string, "XADD replied \(reply)")
    }

    /// Every entry of a stream of this stack's namespace, oldest first.
    func streamEntries(_ stream: String) throws -> [StreamItem] {
        let reply = try connection().command(["XRANGE", stream, "-", "+"])
        return (reply.array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
            return StreamItem(id: id, fields: pair[1].fieldDictionary)
        }
    }

    /// Follows `nextCursor` through every page of `GET /v1/jobs?<query>` and returns the jobs in order.
    func listAll(_ query: String, limit: Int) async throws -> (jobs: [JSONValue], pages: Int) {
        var jobs: [JSONValue] = []
        var cursor: String?
        var pages = 0
        repeat {
            var path = "/v1/jobs?limit=\(limit)" + (query.isEmpty ? "" : "&\(query)")
            if let cursor { path += "&cursor=\(cursor)" }
            let reply = try await gateway.get(path)
            try #require(reply.status == 200, "\(path): \(reply.status) \(reply.text)")
            let page = try #require(reply.json?["jobs"]?.arrayValue, "\(reply.text)")
            #expect(page.count <= limit)
            jobs += page
            cursor = reply.json?["nextCursor"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 100
        return (jobs, pages)
    }

    /// The sum of every sample of the counter `name` on the metrics page at `url` whose labels include `labels`.
    func metric(_ name: String, at url: String, labels: [String] = []) async throws -> Double {
        let reply = try await gateway.get("\(url)/metrics")
        try #require(reply.status == 200)
        return reply.text.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " "),
                labels.allSatisfy({ line.contains($0) }),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + value
        }
    }
}

/// One entry of a Redis stream.
struct StreamItem: Sendable, Equatable {
    let id: String
    let fields: [String: String]
}

/// Whether `text` is an RFC 3339 UTC time with milliseconds, as the API writes times.
func isTimestamp(_ value: JSONValue?) -> Bool {
    guard let text = value?.stringValue else { return false }
    return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
}
