import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Many jobs over two workers")
    struct LoadTests {
        @Test("1,000 jobs, half over HTTP and half as raw entries, each run exactly once, shared by both workers")
        func thousandJobsRunOnce() async throws {
            try await withStack(workers: 2) { stack in
                let httpIDs = try await submitOverHTTP(stack, count: 500, concurrency: 16)
                let streamIDs = try addRawEntries(stack, count: 500)
                let ids = httpIDs + streamIDs
                #expect(Set(ids).count == 1_000)

                let jobs = try await waitUntilAllFinished(stack, ids: ids, timeout: .seconds(180))

                let notSucceeded = jobs.filter { $0.value["status"] != "succeeded" }
                #expect(notSucceeded.isEmpty, "\(notSucceeded.prefix(3))")
                let retried = jobs.filter { $0.value["attempt"] != "1" }
                #expect(retried.isEmpty, "\(retried.count) jobs with attempt != 1, e.g. \(retried.prefix(3))")
                let workers = Dictionary(grouping: jobs.values, by: { $0["worker"] ?? "none" }).mapValues(\.count)
                #expect(Set(workers.keys) == Set(stack.workerIDs), "jobs per worker: \(workers)")

                let audit = try await eventually("4,000 audit entries", timeout: .seconds(60)) {
                    () -> [[String: String]]? in
                    let entries = try stack.streamEntries(stack.keyspace.audit).map(\.fields)
                    return entries.count >= 4_000 ? entries : nil
                }
                #expect(audit.count == 4_000)
                let runningEvents = audit.filter { $0["type"] == "job.running" }
                let running = Dictionary(grouping: runningEvents, by: { $0["jobId"] ?? "" })
                #expect(Set(running.keys) == Set(ids))
                let runTwice = running.filter { $0.value.count != 1 }
                #expect(runTwice.isEmpty, "jobs that ran more than once: \(runTwice.keys.prefix(5))")
                let succeededEvents = audit.filter { $0["type"] == "job.succeeded" }
                #expect(succeededEvents.count == 1_000)

                var finished = 0.0
                for url in stack.workerMetricsURLs {
                    finished += try await stack.metric(
                        "cncf_jobs_finished_total", at: url, labels: [#"status="succeeded""#])
                }
                #expect(finished == 1_000)
            }
        }

        @Test("a worker's /metrics counts the attempts it finished")
        func workerMetricsMove() async throws {
            try await withStack(workers: 1) { stack in
                let url = try #require(stack.workerMetricsURLs.first)
                let before = try await stack.metric("cncf_jobs_finished_total", at: url)

                for index in 0..<3 {
                    let id = try await stack.submitExpectingAccepted("demo.echo", input: ["i": .int(index)])
                    _ = try await stack.waitForJob(id)
                }
                let failed = try await stack.submitExpectingAccepted("demo.fail")
                _ = try await stack.waitForJob(failed)

                let succeeded = try await stack.metric(
                    "cncf_jobs_finished_total", at: url, labels: [#"operation="demo.echo""#, #"status="succeeded""#])
                let failures = try await stack.metric(
                    "cncf_jobs_finished_total", at: url, labels: [#"operation="demo.fail""#, #"status="failed""#])
                let after = try await stack.metric("cncf_jobs_finished_total", at: url)
                #expect(before == 0)
                #expect(succeeded == 3)
                #expect(failures == 1)
                #expect(after == before + 4)
                let page = try await stack.gateway.get("\(url)/metrics")
                #expect(page.text.contains("# TYPE cncf_jobs_finished_total counter"))
            }
        }

        /// Submits `count` echo jobs through the gateway, `concurrency` at a time, and returns their ids.
        private func submitOverHTTP(_ stack: StackUnderTest, count: Int, concurrency: Int) async throws -> [String] {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<concurrency {
                    group.addTask {
                        var ids: [String] = []
                        for index in stride(from: lane, to: count, by: concurrency) {
                            let reply = try await stack.submit("demo.echo", input: ["n": .int(index), "via": "http"])
                            guard reply.status == 202, let id = reply.job?.text("id") else {
                                throw TestSupportError("submission \(index): \(reply.status) \(reply.text)")
                            }
                            ids.append(id)
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }

        /// Adds `count` echo entries to the command stream in one pipeline and returns the ids of their jobs.
        private func addRawEntries(_ stack: StackUnderTest, count: Int) throws -> [String] {
            let commands = (0..<count).map { index in
                let input = #"{"n":\#(index),"via":"stream"}"#
                return ["XADD", stack.keyspace.commands, "*", "operation", "demo.echo", "input", input]
            }
            let replies = try stack.connection().pipeline(commands)
            return try replies.map { reply in
                let entry = try #require(reply.string, "XADD replied \(reply)")
                return try #require(JobID.derived(fromStreamEntry: entry))
            }
        }

        /// Polls the job hashes until every job is terminal; returns each job's status, attempt and worker.
        private func waitUntilAllFinished(_ stack: StackUnderTest, ids: [String], timeout: Duration)
            async throws -> [String: [String: String]]
        {
            let connection = try stack.connection()
            let what = "all \(ids.count) jobs to finish"
            return try await eventually(what, timeout: timeout, interval: .milliseconds(250)) {
                let replies = try connection.pipeline(
                    ids.map { ["HMGET", stack.keyspace.job($0), "status", "attempt", "worker"] })
                var jobs: [String: [String: String]] = [:]
                for (id, reply) in zip(ids, replies) {
                    let values = reply.array?.map(\.string) ?? []
                    guard values.count == 3, let status = values[0], JobStatus(rawValue: status)?.isTerminal == true
                    else { return nil }
                    jobs[id] = ["status": status, "attempt": values[1] ?? "", "worker": values[2] ?? ""]
                }
                return jobs
            }
        }
    }
}
