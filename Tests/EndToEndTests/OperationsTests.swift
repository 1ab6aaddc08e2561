import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Operations: metrics and scaling")
    struct OperationsTests {
        @Test("during 200 jobs the gateway, worker and audit counters move together, by one job each")
        func countersMoveConsistently() async throws {
            try await withStack(workers: 2) { stack in
                let count = 200
                let succeeded = #"status="succeeded""#
                let submittedBefore = try await stack.metric("cncf_jobs_submitted_total", at: stack.gatewayURL)
                let finishedBefore = try await stack.workerMetric("cncf_jobs_finished_total", labels: [succeeded])
                let auditBefore = try await stack.metric("cncf_audit_entries_total", at: stack.auditMetricsURL)
                let requestsBefore = try await stack.metric("cncf_http_requests_total", at: stack.gatewayURL)
                let sampler = Task {
                    var samples: [Double] = []
                    while !Task.isCancelled {
                        let sample = try? await stack.workerMetric("cncf_jobs_finished_total", labels: [succeeded])
                        guard let sample else { break }
                        samples.append(sample)
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                    return samples
                }

                let ids = try await Self.submitEchoes(stack, count: count, concurrency: 8)
                let jobs = try await Self.waitUntilFinished(stack, ids: ids)

                sampler.cancel()
                let samples = await sampler.value
                #expect(jobs.values.allSatisfy { $0.status == "succeeded" })
                let submitted = try await stack.metric("cncf_jobs_submitted_total", at: stack.gatewayURL)
                #expect(submitted - submittedBefore == Double(count))
                let echoes = try await stack.metric(
                    "cncf_jobs_submitted_total", at: stack.gatewayURL,
                    labels: [#"operation="demo.echo""#, #"mode="jobAsync""#])
                #expect(echoes == Double(count))
                let finished = try await stack.workerMetric("cncf_jobs_finished_total", labels: [succeeded])
                #expect(finished - finishedBefore == Double(count))
                #expect(samples == samples.sorted(), "a counter never goes down: \(samples)")
                #expect(samples.allSatisfy { $0 >= finishedBefore && $0 <= finished }, "\(samples)")
                let audited = try await eventually("the audit service to record \(4 * count) entries") {
                    let value = try await stack.metric("cncf_audit_entries_total", at: stack.auditMetricsURL)
                    return value - auditBefore >= Double(4 * count) ? value : nil
                }
                #expect(audited - auditBefore >= Double(4 * count))
                let auditedRuns = try await stack.metric(
                    "cncf_audit_entries_total", at: stack.auditMetricsURL, labels: [#"type="job.running""#])
                #expect(auditedRuns == Double(count))
                let requests = try await stack.metric("cncf_http_requests_total", at: stack.gatewayURL)
                #expect(requests - requestsBefore >= Double(count))
                let accepted = try await stack.metric(
                    "cncf_http_requests_total", at: stack.gatewayURL, labels: [#"route="submit""#, #"status="202""#])
                #expect(accepted == Double(count))
            }
        }

        @Test("the scheduler publishes cncf_group_lag and cncf_group_pending for every consumer group within 6 s")
        func schedulerPublishesQueueGauges() async throws {
            try await withStack { stack in
                let commands = stack.keyspace.commands
                let tasks = stack.keyspace.tasks
                let events = stack.keyspace.events
                let wanted = [
                    "cncf_group_lag{group=\"scheduler\",stream=\"\(commands)\"}",
                    "cncf_group_pending{group=\"scheduler\",stream=\"\(commands)\"}",
                    "cncf_group_lag{group=\"workers\",stream=\"\(tasks)\"}",
                    "cncf_group_pending{group=\"workers\",stream=\"\(tasks)\"}",
                    "cncf_group_lag{group=\"audit\",stream=\"\(events)\"}",
                    "cncf_group_pending{group=\"audit\",stream=\"\(events)\"}",
                    "cncf_group_lag{group=\"sub:order.confirmation\",stream=\"\(events)\"}",
                ]

                let deadline = ContinuousClock.now + .seconds(6)
                var page = ""
                var gauges: [String: Double] = [:]
                repeat {
                    page = try await stack.metricsPage(stack.schedulerMetricsURL)
                    gauges = Self.samples(of: wanted, in: page)
                    if gauges.count == wanted.count { break }
                    try await Task.sleep(for: .milliseconds(200))
                } while ContinuousClock.now < deadline

                let missing = wanted.filter { gauges[$0] == nil }
                let shown = page.split(separator: "\n").filter { $0.hasPrefix("cncf_group_") }
                #expect(missing.isEmpty, "no value after 6 s for \(missing); group gauges on the page: \(shown)")
                #expect(gauges.values.allSatisfy { $0 >= 0 }, "\(gauges)")
                #expect(page.contains("# TYPE cncf_group_lag gauge"))
                #expect(page.contains("# TYPE cncf_group_pending gauge"))
            }
        }

        @Test("a stack of three workers spreads 300 jobs over all three, each job run once")
        func threeWorkersShareTheWork() async throws {
            try await withStack(workers: 3) { stack in
                let ids = try await Self.submitEchoes(stack, count: 300, concurrency: 8)

                let jobs = try await Self.waitUntilFinished(stack, ids: ids)

                #expect(jobs.count == 300)
                #expect(jobs.values.allSatisfy { $0.status == "succeeded" && $0.attempt == "1" })
                let perWorker = Dictionary(grouping: jobs.values, by: \.worker).mapValues(\.count)
                #expect(Set(perWorker.keys) == Set(stack.workerIDs), "jobs per worker: \(perWorker)")
                #expect(perWorker.values.reduce(0, +) == 300)
            }
        }

        /// The values of the series named in `series` (name and labels, as a metrics line starts) on `page`.
        static func samples(of series: [String], in page: String) -> [String: Double] {
            var values: [String: Double] = [:]
            for line in page.split(separator: "\n") {
                guard let space = line.lastIndex(of: " ") else { continue }
                let name = String(line[..<space])
                if series.contains(name) { values[name] = Double(line[line.index(after: space)...]) }
            }
            return values
        }

        /// Submits `count` demo.echo jobs over HTTP, `concurrency` at a time, and returns their ids.
        static func submitEchoes(_ stack: StackUnderTest, count: Int, concurrency: Int) async throws -> [String] {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<concurrency {
                    group.addTask {
                        var ids: [String] = []
                        for index in stride(from: lane, to: count, by: concurrency) {
                            let reply = try await stack.submit("demo.echo", input: ["n": .int(index)])
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

        /// The status, attempt and worker of a finished job, as its hash holds them.
        struct FinishedJob: Sendable {
            let status: String
            let attempt: String
            let worker: String
        }

        /// Polls the job hashes until every job of `ids` is terminal, and returns them by id.
        static func waitUntilFinished(_ stack: StackUnderTest, ids: [String]) async throws -> [String: FinishedJob] {
            let connection = try stack.connection()
            let what = "\(ids.count) jobs to finish"
            return try await eventually(what, timeout: .seconds(60), interval: .milliseconds(200)) {
                let replies = try connection.pipeline(
                    ids.map { ["HMGET", stack.keyspace.job($0), "status", "attempt", "worker"] })
                var jobs: [String: FinishedJob] = [:]
                for (id, reply) in zip(ids, replies) {
                    let values = reply.array?.map(\.string) ?? []
                    guard values.count == 3, let status = values[0], JobStatus(rawValue: status)?.isTerminal == true
                    else { return nil }
                    jobs[id] = FinishedJob(status: status, attempt: values[1] ?? "", worker: values[2] ?? "")
                }
                return jobs
            }
        }
    }
}
