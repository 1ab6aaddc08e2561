import Foundation
import JobModel
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Gateway HTTP API")
    struct GatewayAPITests {
        /// Lets workers abandon a long demo.sleep at once when the stack stops.
        static let quickStop = ["SHUTDOWN_GRACE_SECONDS": "0"]

        @Test("a command is accepted with 202 and a Location, is readable at once, and wait returns its result")
        func submitReadWaitResult() async throws {
            try await withStack { stack in
                let input: JSONValue = ["text": "hello", "n": 3, "nested": ["ok": true]]

                let reply = try await stack.submit("demo.echo", input: input, principal: "alice")

                #expect(reply.status == 202)
                let accepted = try #require(reply.job)
                let id = try #require(accepted.text("id"))
                #expect(reply.header("Location") == "/v1/jobs/\(id)")
                #expect(accepted.text("status") == "accepted")
                #expect(accepted.text("operation") == "demo.echo")
                #expect(accepted.text("principal") == "alice")
                // `http-unverified` while the gateway runs without authentication (docs/api.md lists only `http`).
                let source = accepted.text("source") ?? "none"
                #expect(["http", "http-unverified"].contains(source), "\(source)")
                #expect(accepted["input"] == input)

                let read = try await stack.gateway.get("/v1/jobs/\(id)")
                #expect(read.status == 200)
                #expect(read.job?.text("id") == id)

                let waited = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=20000")
                #expect(waited.status == 200)
                #expect(waited.json?["timedOut"] == false)
                let job = try #require(waited.job)
                #expect(job.text("status") == "succeeded")
                #expect(job["result"] == input)
                #expect(job["attempt"] == 1)
                #expect(job["error"] == .null)
                #expect(stack.workerIDs.contains(job.text("worker") ?? ""), "worker \(job["worker"] ?? nil)")
                for key in ["acceptedAt", "scheduledAt", "startedAt", "completedAt"] {
                    #expect(isTimestamp(job[key]), "\(key): \(job[key] ?? nil)")
                }
                #expect(job.text("acceptedAt")! <= job.text("startedAt")!)
                #expect(job.text("startedAt")! <= job.text("completedAt")!)

                let result = try await stack.gateway.get("/v1/jobs/\(id)/result")
                #expect(result.status == 200)
                #expect(result.json == [
                    "jobId": .string(id), "status": "succeeded", "result": input, "error": nil, "settled": true,
                ])
            }
        }

        @Test("a command given a jobId is idempotent: the same content returns the job, other content is 409")
        func clientJobIdIdempotence() async throws {
            try await withStack { stack in
                let jobId = "order-\(UUID().uuidString.prefix(8)).echo"
                let first = try await stack.submitExpectingAccepted("demo.echo", input: ["x": 1], jobId: jobId)
                #expect(first == jobId)
                _ = try await stack.waitForJob(jobId)

                let again = try await stack.submit("demo.echo", input: ["x": 1], jobId: jobId)
                #expect(again.status == 202)
                #expect(again.job?.text("status") == "succeeded", "the existing job, not a new one")

                let conflicting = try await stack.submit("demo.echo", input: ["x": 2], jobId: jobId)
                #expect(conflicting.status == 409)
                #expect(conflicting.errorCode == "job_exists")

                let running = try stack.streamEntries(stack.keyspace.events)
                    .filter { $0.fields["jobId"] == jobId && $0.fields["type"] == "job.running" }
                #expect(running.count == 1, "the job ran once")
            }
        }

        @Test("demo.fail ends failed with error code demo_failure, shown by the job and by /result")
        func failingJob() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.fail", input: ["message": "no luck"])

                let job = try await stack.waitForJob(id)

                #expect(job.text("status") == "failed")
                #expect(job["error"] == ["code": "demo_failure", "message": "no luck", "action": "retryNow"])
                #expect(job["result"] == .null)
                let result = try await stack.gateway.get("/v1/jobs/\(id)/result")
                #expect(result.status == 200)
                #expect(result.json?["status"] == "failed")
                #expect(result.json?["result"] == .null)
                #expect(result.json?["error"]?["code"] == "demo_failure")
            }
        }

        @Test("a wait that runs out answers 200 with timedOut true and the unfinished job; /result is then 409")
        func waitTimesOut() async throws {
            try await withStack(environment: Self.quickStop) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 20_000])
                let began = ContinuousClock.now

                let reply = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=400")

                let waited = ContinuousClock.now - began
                #expect(reply.status == 200)
                #expect(reply.json?["timedOut"] == true)
                let status = reply.job?.text("status") ?? "?"
                #expect(["accepted", "scheduled", "running"].contains(status), "\(status)")
                #expect(waited >= .milliseconds(350), "answered after \(waited)")
                #expect(waited < .seconds(10), "answered after \(waited)")

                let result = try await stack.gateway.get("/v1/jobs/\(id)/result")
                #expect(result.status == 409)
                #expect(result.errorCode == "job_not_finished")
            }
        }

        @Test("a wait returns as soon as the job ends, long before its timeout")
        func waitWakesOnCompletion() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 1_500])
                let began = ContinuousClock.now

                let reply = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=60000", timeout: 90)

                let waited = ContinuousClock.now - began
                #expect(reply.status == 200)
                #expect(reply.json?["timedOut"] == false)
                #expect(reply.job?.text("status") == "succeeded")
                #expect(reply.job?["result"] == ["slept": 1_500])
                #expect(waited >= .milliseconds(1_000), "answered after \(waited)")
                #expect(waited < .seconds(20), "answered after \(waited)")
            }
        }

        @Test("a wait with timeoutMs=0 on an unfinished job answers at once with timedOut true")
        func zeroTimeoutOnUnfinishedJob() async throws {
            try await withStack(environment: Self.quickStop) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 20_000])

                let reply = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=0")

                #expect(reply.status == 200)
                let status = reply.job?.text("status") ?? "?"
                #expect(["accepted", "scheduled", "running"].contains(status), "\(status)")
                #expect(reply.json?["timedOut"] == true, "the time was up before the job ended: \(reply.text)")
            }
        }

        @Test("a wait with a timeoutMs or until outside the documented values answers 400 invalid_request")
        func waitRejectsBadParameters() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.echo", input: [:])

                for query in ["timeoutMs=-1", "timeoutMs=abc", "timeoutMs=300001", "timeoutMs=1.5", "until=never"] {
                    let reply = try await stack.gateway.get("/v1/jobs/\(id)/wait?\(query)")
                    #expect(reply.status == 400, "\(query): \(reply.text)")
                    #expect(reply.errorCode == "invalid_request", "\(query): \(reply.text)")
                }
                let largest = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=300000", timeout: 30)
                #expect(largest.status == 200, "the documented maximum is accepted: \(largest.text)")
            }
        }

        @Test("listing filters by status and operation and pages through every match exactly once, newest first")
        func listFiltersAndPages() async throws {
            try await withStack { stack in
                var echoes: [String] = []
                var failures: [String] = []
                for index in 0..<5 {
                    echoes.append(try await stack.submitExpectingAccepted("demo.echo", input: ["i": .int(index)]))
                    if index < 2 {
                        failures.append(try await stack.submitExpectingAccepted("demo.fail", input: [:]))
                    }
                }
                for id in echoes + failures { _ = try await stack.waitForJob(id) }

                let echoPages = try await stack.listAll("operation=demo.echo", limit: 2)
                let echoIDs = echoPages.jobs.compactMap { $0.text("id") }
                #expect(echoIDs == echoes.sorted(by: >), "newest first, each once")
                #expect(echoPages.pages >= 3)
                #expect(echoPages.jobs.allSatisfy { $0.text("operation") == "demo.echo" })

                let failed = try await stack.listAll("status=failed", limit: 50)
                #expect(Set(failed.jobs.compactMap { $0.text("id") }) == Set(failures))
                #expect(failed.jobs.count == failures.count)

                let none = try await stack.listAll("status=succeeded&operation=demo.fail", limit: 10)
                #expect(none.jobs.isEmpty)

                let everything = try await stack.listAll("", limit: 3)
                let allIDs = everything.jobs.compactMap { $0.text("id") }
                #expect(allIDs == (echoes + failures).sorted(by: >))

                let firstPage = try await stack.gateway.get("/v1/jobs?limit=2")
                #expect(firstPage.json?["nextCursor"]?.stringValue != nil)
            }
        }

        @Test("paging reaches every job even when hundreds were accepted in the same millisecond")
        func pagingThroughJobsOfOneMillisecond() async throws {
            try await withStack { stack in
                // The scheduler accepts a batch of raw entries at one instant, so these jobs share a timestamp.
                let commands = (0..<300).map { index in
                    ["XADD", stack.keyspace.commands, "*", "operation", "demo.echo", "input", "[\(index)]"]
                }
                let entries = try stack.connection().pipeline(commands).compactMap(\.string)
                let ids = entries.compactMap { JobID.derived(fromStreamEntry: $0) }
                try #require(ids.count == 300)
                let connection = try stack.connection()
                _ = try await eventually("all 300 jobs to be indexed") {
                    try connection.command(["ZCARD", stack.keyspace.jobIndex]) == .integer(300) ? true : nil
                }
                let scores = try connection.command(["ZRANGE", stack.keyspace.jobIndex, "0", "-1", "WITHSCORES"])
                let scoreValues = (scores.array ?? []).enumerated().filter { $0.offset % 2 == 1 }
                let distinctScores = Set(scoreValues.compactMap(\.element.string))

                let listed = try await stack.listAll("", limit: 10)

                let listedIDs = listed.jobs.compactMap { $0.text("id") }
                #expect(listedIDs.count == 300, "listed \(listedIDs.count) of 300 (\(distinctScores.count) timestamps)")
                #expect(Set(listedIDs) == Set(ids))
            }
        }

        @Test("listing refuses an unknown status, a limit out of range and a malformed cursor with 400")
        func listRefusesBadQueries() async throws {
            try await withStack { stack in
                for query in ["status=paused", "limit=0", "limit=501", "limit=ten", "cursor=a%20b"] {
                    let reply = try await stack.gateway.get("/v1/jobs?\(query)")
                    #expect(reply.status == 400, "\(query): \(reply.status)")
                    #expect(reply.errorCode == "invalid_request", "\(query): \(reply.text)")
                }
            }
        }

        @Test("/v1/operations lists the demo operations and /healthz reports ok")
        func operationsAndHealth() async throws {
            try await withStack { stack in
                let operations = try await stack.gateway.get("/v1/operations")
                #expect(operations.status == 200)
                let entries = try #require(operations.json?["operations"]?.arrayValue)
                let names = entries.compactMap { $0.text("name") }
                #expect(Set(["demo.echo", "demo.sleep", "demo.fail"]).isSubset(of: Set(names)))
                #expect(names == names.sorted())
                #expect(entries.allSatisfy { !($0.text("description") ?? "").isEmpty })

                let health = try await stack.gateway.get("/healthz")
                #expect(health.status == 200)
                #expect(health.json?["status"] == "ok")
                for url in stack.workerMetricsURLs + [stack.schedulerMetricsURL, stack.auditMetricsURL] {
                    let reply = try await stack.gateway.get("\(url)/healthz")
                    #expect(reply.status == 200, "\(url)")
                    #expect(reply.json?["status"] == "ok", "\(url)")
                }
            }
        }

        @Test("bad submissions are refused with the documented status and error code")
        func badSubmissions() async throws {
            try await withStack { stack in
                let cases: [(body: String, status: Int, code: String)] = [
                    (#"{"operation": "demo.nope"}"#, 404, "unknown_operation"),
                    (#"{"operation": "demo.echo", "input": "#, 400, "invalid_json"),
                    ("not json at all", 400, "invalid_json"),
                    ("", 400, "invalid_json"),
                    (#"{"input": {}}"#, 400, "missing_operation"),
                    (#"{"operation": "echo"}"#, 400, "invalid_operation"),
                    (#"{"operation": "demo.echo", "extra": 1}"#, 400, "invalid_request"),
                    (#"["demo.echo"]"#, 400, "invalid_request"),
                    (#"{"operation": "demo.echo", "mode": "later"}"#, 400, "invalid_mode"),
                    (#"{"operation": "demo.echo", "maxAttempts": 0}"#, 400, "invalid_max_attempts"),
                    (#"{"operation": "demo.echo", "jobId": "has space"}"#, 400, "invalid_job_id"),
                ]
                for (body, status, code) in cases {
                    let reply = try await stack.gateway.post("/v1/commands", body: Data(body.utf8))
                    #expect(reply.status == status, "\(body): \(reply.status) \(reply.text)")
                    #expect(reply.errorCode == code, "\(body): \(reply.text)")
                    let message = reply.json?["error"]?.text("message") ?? ""
                    #expect(!message.isEmpty, "\(body)")
                }
                let index = try stack.connection().command(["ZCARD", stack.keyspace.jobIndex])
                #expect(index == .integer(0), "no refused submission created a job")
            }
        }

        @Test("a body over 1 MiB is refused with 413 payload_too_large")
        func oversizedBody() async throws {
            try await withStack { stack in
                let filler = String(repeating: "x", count: 1 << 20)
                let body = Data(#"{"operation": "demo.echo", "input": {"blob": "\#(filler)"}}"#.utf8)

                let reply = try await stack.gateway.post("/v1/commands", body: body, timeout: 60)

                #expect(reply.status == 413)
                #expect(reply.errorCode == "payload_too_large")
                let justUnder = Data(#"{"operation": "demo.echo", "input": "\#(String(filler.dropFirst(100)))"}"#.utf8)
                #expect(try await stack.gateway.post("/v1/commands", body: justUnder, timeout: 60).status == 202)
            }
        }

        @Test("unknown job ids answer 404 job_not_found on read, result and wait")
        func unknownJob() async throws {
            try await withStack { stack in
                for path in ["/v1/jobs/NOPE", "/v1/jobs/NOPE/result", "/v1/jobs/NOPE/wait?timeoutMs=100",
                             "/v1/jobs/no%20such%20id"] {
                    let reply = try await stack.gateway.get(path)
                    #expect(reply.status == 404, "\(path): \(reply.status)")
                    #expect(reply.errorCode == "job_not_found", "\(path): \(reply.text)")
                }
            }
        }

        @Test("wait refuses a timeoutMs that is not a whole number from 0 to 300000 with 400")
        func waitRefusesBadTimeout() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.echo")
                for timeout in ["abc", "-1", "300001", "1.5", ""] {
                    let reply = try await stack.gateway.get("/v1/jobs/\(id)/wait?timeoutMs=\(timeout)")
                    #expect(reply.status == 400, "timeoutMs=\(timeout): \(reply.status)")
                    #expect(reply.errorCode == "invalid_request", "timeoutMs=\(timeout): \(reply.text)")
                }
            }
        }

        @Test("GET /openapi.json serves docs/openapi.json byte for byte, but for the file's last line feed")
        func servesTheDocumentedDescription() async throws {
            try await withStack { stack in
                let documented = try Data(
                    contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/openapi.json"))
                let served = try await stack.gateway.get("/openapi.json")
                #expect(served.status == 200)
                #expect(served.body == documented.dropLast(documented.last == UInt8(ascii: "\n") ? 1 : 0))
            }
        }

        @Test("unknown routes answer 404 not_found and wrong methods 405 method_not_allowed")
        func routesAndMethods() async throws {
            try await withStack { stack in
                let missing = try await stack.gateway.get("/v2/everything")
                #expect(missing.status == 404)
                #expect(missing.errorCode == "not_found")

                let getCommands = try await stack.gateway.get("/v1/commands")
                #expect(getCommands.status == 405)
                #expect(getCommands.errorCode == "method_not_allowed")
                let postJobs = try await stack.gateway.post("/v1/jobs", json: [:])
                #expect(postJobs.status == 405)

                // An empty segment is an empty job id, which no job has, not a shorter path.
                for path in ["/v1/jobs//cancel", "/v1/jobs//retry"] {
                    let reply = try await stack.gateway.post(path, json: [:])
                    #expect(reply.status == 404, "\(path): \(reply.text)")
                    #expect(reply.errorCode == "job_not_found", "\(path): \(reply.text)")
                }
                for path in ["/v1/jobs//result", "/v1/jobs//audit", "/v1/jobs//tasks"] {
                    let reply = try await stack.gateway.get(path)
                    #expect(reply.status == 404, "\(path): \(reply.text)")
                }
                #expect(try await stack.gateway.get("/v1/jobs/").status == 200, "one trailing slash is forgiven")
            }
        }
    }
}
