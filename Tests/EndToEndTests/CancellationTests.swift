import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    /// Cancelling a job before any worker started it, and cancelling one that has finished.
    @Suite("Cancellation before a job runs, and after it ended")
    struct CancellationTests {
        @Test("a job cancelled while accepted ends cancelled at once with the reason and never runs")
        func cancelAcceptedJob() async throws {
            try await withStack(workers: 1) { stack in
                // Without a scheduler nothing moves the job on from accepted.
                try stack.process(named: "cncf-scheduler").terminate()
                let reply = try await stack.command(["operation": "demo.increment", "input": ["counter": "accepted"]])
                #expect(reply.status == 202, "\(reply.text)")
                let id = try #require(reply.job?.text("id"), "\(reply.text)")
                #expect(try await stack.job(id).text("status") == "accepted")

                let cancel = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: ["reason": "changed my mind"])

                #expect(cancel.status == 200, "\(cancel.text)")
                #expect(cancel.job?.text("status") == "cancelled")
                #expect(cancel.job?.text("cancellationReason") == "changed my mind")
                #expect(isTimestamp(cancel.job?["completedAt"]), "\(cancel.text)")

                // A scheduler comes back and reads the job's command, then the next one, which runs.
                let scheduler = try stack.startService("cncf-scheduler", label: "cncf-scheduler-again")
                defer { scheduler.terminate() }
                let marker = try await stack.submitExpectingAccepted("demo.echo", input: ["marker": true])
                #expect(try await stack.waitForJob(marker).text("status") == "succeeded")
                try await waitUntilGroupIsDone(stack, stream: stack.keyspace.commands, group: Keyspace.schedulerGroup)

                let job = try await stack.job(id)
                #expect(job.text("status") == "cancelled")
                #expect(job.text("cancellationReason") == "changed my mind")
                #expect(job["attempt"] == 0)
                #expect(job["scheduledAt"] == .null)
                #expect(job["startedAt"] == .null)
                #expect(job.attemptList.isEmpty)
                #expect(try stack.demoCounter("accepted") == 0)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(types == ["job.accepted", "job.cancelled"])

                let again = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: ["reason": "twice"])
                #expect(again.status == 409, "\(again.text)")
                #expect(again.errorCode == "job_finished")
                #expect(try await stack.job(id).text("cancellationReason") == "changed my mind")
            }
        }

        @Test("a job queued for the workers while none runs is cancelled at once and skipped by the next worker")
        func cancelQueuedJobBeforeAnyWorker() async throws {
            try await withStack(workers: 1) { stack in
                try stack.process(named: "cncf-worker-1").terminate()
                let id = try await stack.submitExpectingAccepted("demo.increment", input: ["counter": "queued"])
                _ = try await stack.job(id, reaches: "scheduled")

                let cancel = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: ["reason": "no longer needed"])

                #expect(cancel.status == 200, "\(cancel.text)")
                #expect(cancel.job?.text("status") == "cancelled")
                #expect(cancel.job?.text("cancellationReason") == "no longer needed")

                // A worker starts, finds the cancelled job's delivery first on the task stream, then the marker's.
                let port = try freePort()
                let workerId = "\(stack.namespace)-worker-late"
                let worker = try stack.startService(
                    "cncf-worker", label: "cncf-worker-late",
                    environment: ["WORKER_ID": workerId, "METRICS_PORT": String(port)])
                defer { worker.terminate() }
                try await worker.waitForHTTP(url: "http://127.0.0.1:\(port)/healthz")
                let marker = try await stack.submitExpectingAccepted("demo.echo", input: ["marker": true])
                let markerJob = try await stack.waitForJob(marker)
                #expect(markerJob.text("status") == "succeeded")
                #expect(markerJob.text("worker") == workerId)
                try await waitUntilGroupIsDone(stack, stream: stack.keyspace.tasks, group: Keyspace.workerGroup)

                let job = try await stack.job(id)
                #expect(job.text("status") == "cancelled")
                #expect(job.text("cancellationReason") == "no longer needed")
                #expect(job["attempt"] == 0)
                #expect(job["startedAt"] == .null)
                #expect(job["worker"] == .null)
                #expect(job.attemptList.isEmpty)
                #expect(try stack.demoCounter("queued") == 0)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(types == ["job.accepted", "job.scheduled", "job.cancelled"])
            }
        }

        @Test("cancelling a failed job answers 409 job_finished and leaves it failed")
        func cancelFailedJob() async throws {
            try await withStack(workers: 1) { stack in
                let reply = try await stack.command([
                    "operation": "demo.fail", "input": ["message": "broken"], "maxAttempts": 1,
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.text)")
                #expect(try await stack.waitForJob(id).text("status") == "failed")

                let cancel = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: ["reason": "too late"])

                #expect(cancel.status == 409, "\(cancel.text)")
                #expect(cancel.errorCode == "job_finished")
                #expect(cancel.json?["error"]?.text("message")?.contains("failed") == true, "\(cancel.text)")
                let job = try await stack.job(id)
                #expect(job.text("status") == "failed")
                #expect(job["error"]?.text("code") == "demo_failure")
                #expect(job["cancellationReason"] == .null)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(!types.contains("job.cancelled") && !types.contains("job.cancel_requested"), "\(types)")
            }
        }

        /// Waits until `group` has read every entry of `stream` and acknowledged all it read.
        private func waitUntilGroupIsDone(_ stack: StackUnderTest, stream: String, group: String) async throws {
            let connection = try stack.connection()
            _ = try await eventually("group \(group) of \(stream) to read and acknowledge every entry") {
                let groups = try connection.command(["XINFO", "GROUPS", stream]).array ?? []
                let fields = groups.map(\.fieldDictionary).first { $0["name"] == group }
                return fields?["lag"] == "0" && fields?["pending"] == "0" ? true : nil
            }
        }
    }
}
