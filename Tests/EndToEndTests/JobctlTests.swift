import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    /// jobctl run as a process against the stack, as a user would, with its readable text output (no `--json`).
    @Suite("jobctl: readable output")
    struct JobctlTests {
        @Test("submit --wait prints the succeeded job with its result; status and result print it again")
        func submitStatusAndResult() async throws {
            try await withStack(workers: 1) { stack in
                let submitted = try await stack.jobctl(["submit", "demo.echo", "--input", #"{"x":1}"#, "--wait"])

                #expect(submitted.exitCode == 0, "\(submitted)")
                let header = try #require(submitted.lines.first, "\(submitted)")
                let match = try #require(header.wholeMatch(of: /job (\S+)  demo\.echo  succeeded/), "\(submitted)")
                let id = String(match.1)
                #expect(submitted.lines.contains(#"  result     {"x":1}"#), "\(submitted)")
                #expect(
                    submitted.lines.contains("  principal  anonymous   mode jobAsync   attempt 1/3   retries 0"),
                    "\(submitted)")
                let job = try await stack.job(id)
                #expect(job.text("status") == "succeeded")
                #expect(job["result"] == ["x": 1])

                let status = try await stack.jobctl(["status", id])

                #expect(status.exitCode == 0, "\(status)")
                #expect(status.lines.first == "job \(id)  demo.echo  succeeded", "\(status)")
                let startedAt = try #require(job.text("startedAt"))
                let worker = try #require(job.text("worker"))
                #expect(status.lines.contains("  accepted   \(job.text("acceptedAt") ?? "?")"), "\(status)")
                #expect(status.lines.contains("  started    \(startedAt)  on \(worker)"), "\(status)")
                #expect(status.lines.contains("  completed  \(job.text("completedAt") ?? "?")"), "\(status)")
                #expect(status.lines.contains(#"  result     {"x":1}"#), "\(status)")
                #expect(status.errors.isEmpty, "\(status)")

                let result = try await stack.jobctl(["result", id])

                #expect(result.exitCode == 0, "\(result)")
                #expect(result.output == "{\"x\":1}\n", "\(result)")
            }
        }

        @Test("status and result of a failed job print its error; an unknown id exits 2 with job_not_found")
        func failedAndUnknownJobs() async throws {
            try await withStack(workers: 1) { stack in
                let reply = try await stack.command([
                    "operation": "demo.fail", "input": ["message": "boom"], "maxAttempts": 1,
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.text)")
                #expect(try await stack.waitForJob(id).text("status") == "failed")

                let status = try await stack.jobctl(["status", id])
                let result = try await stack.jobctl(["result", id])
                let unknown = try await stack.jobctl(["status", "no-such-job"])

                #expect(status.exitCode == 0, "\(status)")
                #expect(status.lines.first == "job \(id)  demo.fail  failed", "\(status)")
                #expect(status.lines.contains("  error      demo_failure: boom (what to do: retryNow)"), "\(status)")
                #expect(status.lines.contains("  conclusion attempts exhausted: 1 of 1"), "\(status)")
                #expect(!status.output.contains("  result "), "\(status)")
                #expect(result.exitCode == 1, "\(result)")
                #expect(result.output == "failed: demo_failure: boom (what to do: retryNow)\n", "\(result)")
                #expect(unknown.exitCode == 2, "\(unknown)")
                #expect(unknown.output.isEmpty, "\(unknown)")
                #expect(unknown.errors.contains("job_not_found"), "\(unknown)")
            }
        }

        @Test("list prints one line per job, newest first, filtered by --status and paged by --limit and --cursor")
        func list() async throws {
            try await withStack(workers: 1) { stack in
                var ids: [String] = []
                for body: JSONValue in [
                    ["operation": "demo.echo", "input": ["n": 1]],
                    ["operation": "demo.fail", "input": ["message": "no"], "maxAttempts": 1],
                    ["operation": "demo.echo", "input": ["n": 3]],
                ] {
                    let reply = try await stack.command(body)
                    let id = try #require(reply.job?.text("id"), "\(reply.text)")
                    _ = try await stack.waitForJob(id)
                    ids.append(id)
                }
                var acceptedAt: [String: String] = [:]
                for id in ids { acceptedAt[id] = try await stack.job(id).text("acceptedAt") }
                let expected = [
                    [ids[2], "succeeded", "demo.echo"], [ids[1], "failed", "demo.fail"],
                    [ids[0], "succeeded", "demo.echo"],
                ].map { $0 + [acceptedAt[$0[0]] ?? "?"] }

                let all = try await stack.jobctl(["list"])
                let failed = try await stack.jobctl(["list", "--status", "failed"])
                let firstPage = try await stack.jobctl(["list", "--limit", "2"])

                #expect(all.exitCode == 0, "\(all)")
                #expect(all.lines.map(Self.words) == expected, "\(all)")
                #expect(failed.exitCode == 0, "\(failed)")
                #expect(failed.lines.map(Self.words) == [expected[1]], "\(failed)")
                #expect(firstPage.exitCode == 0, "\(firstPage)")
                try #require(firstPage.lines.count == 3, "two jobs and where to go on: \(firstPage)")
                #expect(firstPage.lines.prefix(2).map(Self.words) == Array(expected.prefix(2)), "\(firstPage)")
                let more = try #require(
                    firstPage.lines[2].wholeMatch(of: /more: --cursor (\S+)/), "\(firstPage)")

                let secondPage = try await stack.jobctl(["list", "--limit", "2", "--cursor", String(more.1)])

                #expect(secondPage.exitCode == 0, "\(secondPage)")
                #expect(secondPage.lines.map(Self.words) == [expected[2]], "the last page says no more: \(secondPage)")
            }
        }

        @Test("audit tail prints audit entries as they arrive; --from-start prints the earlier ones too")
        func auditTail() async throws {
            try await withStack(workers: 1) { stack in
                let earlier = try await stack.submitExpectingAccepted("demo.echo", input: ["earlier": true])
                _ = try await stack.waitForJob(earlier)
                try await waitForAuditEntry(stack, "job.succeeded", of: earlier)

                let tail = try stack.startJobctl(["audit", "tail"], label: "audit-tail")
                defer { tail.kill() }
                // The tail starts after the newest entry, and nothing tells when it has begun to read; so jobs are
                // submitted until one shows, and every job submitted after that one must show in full.
                _ = try await eventually("audit tail to show a job submitted after it started", timeout: .seconds(30)) {
                    let probe = try await stack.submitExpectingAccepted("demo.echo", input: ["probe": true])
                    _ = try await stack.waitForJob(probe)
                    try await waitForAuditEntry(stack, "job.succeeded", of: probe)
                    return try? await eventually("audit tail to print \(probe)", timeout: .seconds(2)) {
                        Self.auditLines(in: tail.logText(), of: probe).isEmpty ? nil : probe
                    }
                }
                let later = try await stack.submitExpectingAccepted("demo.echo", input: ["later": true])
                _ = try await stack.waitForJob(later)

                let shown = try await eventually("audit tail to show the four entries of \(later)") {
                    let lines = Self.auditLines(in: tail.logText(), of: later)
                    return lines.count >= 4 ? lines : nil
                }

                #expect(shown.map { $0[1] } == ["job.accepted", "job.scheduled", "job.running", "job.succeeded"])
                for line in shown {
                    #expect(isTimestamp(.string(line[0])), "\(line)")
                    #expect(line[3] == "demo.echo" && line[4] == "anonymous", "\(line)")
                }
                #expect(shown.last?[5] == "succeeded", "\(shown)")
                #expect(Self.auditLines(in: tail.logText(), of: earlier).isEmpty, "entries from before it started")
                #expect(tail.isRunning, "audit tail follows the stream until it is stopped")

                let fromStart = try stack.startJobctl(["audit", "tail", "--from-start"], label: "audit-tail-all")
                defer { fromStart.kill() }
                let history = try await eventually("audit tail --from-start to show the entries of \(later)") {
                    Self.auditLines(in: fromStart.logText(), of: later).count >= 4 ? fromStart.logText() : nil
                }
                let types = Self.auditLines(in: history, of: earlier).map { $0[1] }
                #expect(types == ["job.accepted", "job.scheduled", "job.running", "job.succeeded"], "\(history)")
            }
        }

        @Test("tree prints the call tree indented, and --format chrome a Chrome trace with one thread per task")
        func tree() async throws {
            try await withStack(workers: 1) { stack in
                try await stack.restock("T-1", quantity: 5)
                let placed = try await stack.command([
                    "operation": "order.place", "mode": "jobSyncWithAsyncCont",
                    "input": ["orderId": "o-t", "sku": "T-1", "quantity": 1, "customer": "tia"],
                ])
                let id = try #require(placed.job?.text("id"), "\(placed.text)")
                _ = try await stack.waitUntilSettled(id)
                let calltree = try await stack.gateway.get("/v1/jobs/\(id)/calltree")
                let rootStarted = calltree.json?["tree"]?["startedAt"]
                let rootStart = try #require(epochMilliseconds(rootStarted), "\(calltree.text)")

                let text = try await stack.jobctl(["tree", id])
                let chrome = try await stack.jobctl(["tree", id, "--format", "chrome"])

                #expect(text.exitCode == 0, "\(text)")
                let first = try #require(text.lines.first, "\(text)")
                #expect(first.hasPrefix("order.place  ") && first.hasSuffix("task \(id)/primary (primary, succeeded)"))
                #expect(text.lines.contains { $0.hasPrefix("  validate  ") && $0.hasSuffix("  ok") }, "\(text)")
                let subscriberTasks = text.lines.filter { $0.hasSuffix("(subscriber, succeeded)") }
                #expect(subscriberTasks.count == 2, "\(text)")

                #expect(chrome.exitCode == 0, "\(chrome)")
                #expect(chrome.errors.isEmpty, "\(chrome)")
                let trace = try JSONValue.parse(chrome.output)
                #expect(trace.text("displayTimeUnit") == "ms")
                let events = try #require(trace["traceEvents"]?.arrayValue, "\(chrome)")
                for event in events {
                    #expect(event.text("name") != nil && event["pid"]?.intValue != nil, "\(event)")
                    #expect(event["tid"]?.intValue != nil, "\(event)")
                    #expect(["M", "X"].contains(event.text("ph") ?? "?"), "\(event)")
                }
                let metadata = events.filter { $0.text("ph") == "M" }
                let process = metadata.filter { $0.text("name") == "process_name" }
                #expect(process.map { $0["args"]?.text("name") } == ["job \(id)"], "\(metadata)")
                var threads: [Int: String] = [:]
                for event in metadata where event.text("name") == "thread_name" {
                    threads[event["tid"]?.intValue ?? -1] = event["args"]?.text("name")
                }
                #expect(Set(threads.values) == [
                    "\(id)/primary order.place", "\(id).1 order.confirmation", "\(id).2 search.index",
                ] || Set(threads.values) == [
                    "\(id)/primary order.place", "\(id).1 search.index", "\(id).2 order.confirmation",
                ], "\(threads)")

                let spans = events.filter { $0.text("ph") == "X" }
                for span in spans {
                    #expect(threads[span["tid"]?.intValue ?? -1] != nil, "a span on a thread without a name: \(span)")
                    #expect((span["dur"]?.intValue ?? -1) >= 0 && span["ts"]?.intValue != nil, "\(span)")
                }
                let names = Set(spans.compactMap { $0.text("name") })
                #expect(names.isSuperset(of: [
                    "order.place", "validate", "stage order", "publish order.placed", "subscriber stock.reserve",
                    "order.confirmation", "search.index",
                ]), "\(names)")
                let root = try #require(spans.first { $0.text("name") == "order.place" })
                let rootTs = try #require(root["ts"]?.intValue)
                let rootEnd = rootTs + (root["dur"]?.intValue ?? 0)
                #expect(rootTs == rootStart * 1000, "the root span starts at the task's startedAt, in microseconds")
                for span in spans where span["tid"] == root["tid"] {
                    let start = span["ts"]?.intValue ?? 0
                    let end = start + (span["dur"]?.intValue ?? 0)
                    #expect(start >= rootTs && end <= rootEnd, "\(span) lies outside its task's root \(root)")
                }
            }
        }

        /// The whitespace-separated words of a line.
        static func words(_ line: String) -> [String] {
            line.split(separator: " ").map(String.init)
        }

        /// The `audit tail` lines of `jobId`, each split into its words: time, type, job, operation, principal,
        /// status (and details, when the entry has some).
        static func auditLines(in output: String, of jobId: String) -> [[String]] {
            output.split(separator: "\n").map { words(String($0)) }.filter { $0.count >= 6 && $0[2] == jobId }
        }

        /// Waits until the audit service has appended the entry `type` of `jobId` to the audit stream.
        private func waitForAuditEntry(_ stack: StackUnderTest, _ type: String, of jobId: String) async throws {
            let connection = try stack.connection()
            _ = try await eventually("the audit entry \(type) of \(jobId)") {
                let entries = try connection.command(["XREVRANGE", stack.keyspace.audit, "+", "-", "COUNT", "50"])
                let found = (entries.array ?? []).contains { entry in
                    let fields = entry.array?.last?.fieldDictionary ?? [:]
                    return fields["jobId"] == jobId && fields["type"] == type
                }
                return found ? true : nil
            }
        }
    }
}

/// What one run of jobctl printed and how it ended.
struct JobctlRun: CustomStringConvertible {
    /// The exit status, `nil` when a signal ended it.
    let exitCode: Int32?
    let output: String
    let errors: String

    /// The lines of standard output.
    var lines: [String] { output.split(separator: "\n").map(String.init) }

    var description: String {
        "exit \(exitCode.map(String.init) ?? "by signal")\nstdout:\n\(output)\nstderr:\n\(errors)"
    }
}

extension StackUnderTest {
    /// The environment a user of this stack gives jobctl: the gateway's address, and Redis and the namespace for
    /// `audit tail`.
    var jobctlEnvironment: [String: String] {
        var environment = ["CNCF_URL": gatewayURL, "REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace]
        environment["HOME"] = ProcessInfo.processInfo.environment["HOME"]
        return environment
    }

    /// Starts `jobctl arguments` and leaves it running; its standard output and error go to its log. The caller
    /// kills it.
    func startJobctl(_ arguments: [String], label: String) throws -> ServiceProcess {
        try ServiceProcess(
            executable: TestEnvironment.binDirectory.appendingPathComponent("jobctl").path, arguments: arguments,
            environment: jobctlEnvironment, name: "jobctl \(label)",
            logFile: logDirectory.appendingPathComponent("jobctl-\(label)-\(UUID().uuidString).log"))
    }

    /// Runs `jobctl arguments` to its end and returns what it printed; kills it after `timeout`.
    func jobctl(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> JobctlRun {
        let run = UUID().uuidString
        let output = logDirectory.appendingPathComponent("jobctl-\(run).out")
        let errors = logDirectory.appendingPathComponent("jobctl-\(run).err")
        let process = try ServiceProcess(
            executable: TestEnvironment.binDirectory.appendingPathComponent("jobctl").path, arguments: arguments,
            environment: jobctlEnvironment, name: "jobctl \(arguments.first ?? "")", logFile: output,
            errorFile: errors)
        defer { process.kill() }
        let command = (["jobctl"] + arguments).joined(separator: " ")
        let status = try await eventually("\(command) to exit", timeout: timeout, interval: .milliseconds(10)) {
            process.terminationStatus
        }
        let read = { (file: URL) in (try? String(contentsOf: file, encoding: .utf8)) ?? "" }
        return JobctlRun(
            exitCode: status & 0x7f == 0 ? (status >> 8) & 0xff : nil, output: read(output), errors: read(errors))
    }
}
