import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Reliability: nothing lost, nothing run twice")
    struct ReliabilityTests {
        /// Short leases so that a lost worker's task is reclaimed quickly; workers abandon work at once on stop.
        static let shortLeases = ["TASK_LEASE_MS": "1500", "SHUTDOWN_GRACE_SECONDS": "0"]

        @Test("a delayed job cancelled while scheduled answers 200 and never runs")
        func cancelScheduledJob() async throws {
            try await withStack(environment: Self.shortLeases) { stack in
                let runAt = epochMilliseconds() + 2_000
                let reply = try await stack.command([
                    "operation": "demo.increment", "input": ["counter": "delayed"], "runAt": .int(runAt),
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.status) \(reply.text)")
                _ = try await stack.job(id, reaches: "scheduled")

                let cancel = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: ["reason": "not needed"])

                #expect(cancel.status == 200, "\(cancel.text)")
                #expect(cancel.job?.text("status") == "cancelled")
                #expect(cancel.job?.text("cancellationReason") == "not needed")

                let remaining = runAt + 1_000 - epochMilliseconds()
                try await Task.sleep(for: .milliseconds(max(remaining, 0)))
                let job = try await stack.job(id)
                #expect(job.text("status") == "cancelled")
                #expect(job["attempt"] == 0)
                #expect(job["startedAt"] == .null)
                #expect(job.attemptList.isEmpty)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(types == ["job.accepted", "job.scheduled", "job.cancelled"])
                #expect(try stack.demoCounter("delayed") == 0)
                let due = try stack.connection().command(["ZCARD", stack.keyspace.due])
                #expect(due == .integer(0), "the cancelled start left the due index")
            }
        }

        @Test("a running job answers 202 to cancel and ends cancelled with the reason within two seconds")
        func cancelRunningJob() async throws {
            try await withStack(environment: Self.shortLeases) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 10_000])
                _ = try await stack.job(id, reaches: "running")
                let began = ContinuousClock.now

                let cancel = try await stack.gateway.post(
                    "/v1/jobs/\(id)/cancel", json: ["reason": "operator stopped it"])

                #expect(cancel.status == 202, "\(cancel.text)")
                #expect(cancel.job?.text("cancelRequested") == "operator stopped it", "\(cancel.text)")

                let job = try await stack.job(id, timeout: .seconds(10), where: "cancelled") {
                    $0.text("status") == "cancelled"
                }
                let took = ContinuousClock.now - began
                #expect(took < .seconds(2), "cancelled after \(took)")
                #expect(job.text("cancellationReason") == "operator stopped it")
                #expect(job["cancelRequested"] == .null)
                #expect(job["result"] == .null)
                let attempts = job.attemptList
                #expect(job.attemptOutcomes == ["cancelled"])
                #expect(attempts.first?["attempt"] == 1)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(types.suffix(2) == ["job.cancel_requested", "job.cancelled"], "\(types)")
            }
        }

        @Test("cancelling a finished job answers 409 job_finished and changes nothing")
        func cancelFinishedJob() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.echo", input: ["x": 1])
                _ = try await stack.waitForJob(id)

                let cancel = try await stack.gateway.post("/v1/jobs/\(id)/cancel", json: [:])

                #expect(cancel.status == 409, "\(cancel.text)")
                #expect(cancel.errorCode == "job_finished")
                let job = try await stack.job(id)
                #expect(job.text("status") == "succeeded")
                #expect(job["cancellationReason"] == .null)
            }
        }

        @Test("a manual retry of a failed job answers 202 and runs it again under the same id with more attempts")
        func manualRetryOfFailedJob() async throws {
            try await withStack { stack in
                let reply = try await stack.command([
                    "operation": "demo.fail", "input": ["message": "flaky", "times": 2], "maxAttempts": 2,
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.text)")
                let failed = try await stack.waitForJob(id)
                #expect(failed.text("status") == "failed")
                #expect(failed["attempt"] == 2)
                #expect(failed["maxAttempts"] == 2)

                let retry = try await stack.gateway.post("/v1/jobs/\(id)/retry", json: [:])

                #expect(retry.status == 202, "\(retry.text)")
                #expect(retry.job?.text("id") == id)
                #expect(retry.header("Location") == "/v1/jobs/\(id)")
                #expect(["scheduled", "running", "succeeded"].contains(retry.job?.text("status") ?? "?"))

                let job = try await stack.waitForJob(id)
                #expect(job.text("status") == "succeeded")
                #expect(job["attempt"] == 3)
                #expect(job["maxAttempts"] == 4, "a fresh budget of the original two attempts")
                #expect(job.attemptOutcomes == ["failed", "failed", "succeeded"])
                #expect(job["result"] == ["attempt": 3, "recovered": true])
                #expect(job["error"] == .null)
                #expect(job["conclusion"] == .null)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(types.filter { $0 == "job.retried" }.count == 1, "\(types)")
                #expect(try stack.connection().command(["ZCARD", stack.keyspace.jobIndex]) == .integer(1))

                let again = try await stack.gateway.post("/v1/jobs/\(id)/retry", json: [:])
                #expect(again.status == 409, "a succeeded job is not retried: \(again.text)")
                #expect(again.errorCode == "job_not_retryable")
            }
        }

        @Test("resubmitting with the same Idempotency-Key header returns the same job, which runs once")
        func idempotencyKeyHeader() async throws {
            try await withStack { stack in
                let key = "order-\(UUID().uuidString)"
                let body: JSONValue = ["operation": "demo.increment", "input": ["counter": "idem-http"]]

                let first = try await stack.command(body, headers: ["Idempotency-Key": key])
                let second = try await stack.command(
                    ["operation": "demo.increment", "input": ["counter": "other"]], headers: ["Idempotency-Key": key])

                #expect(first.status == 202)
                #expect(second.status == 202)
                let id = try #require(first.job?.text("id"))
                #expect(second.job?.text("id") == id, "the key wins over a different body")
                let job = try await stack.waitForJob(id)
                #expect(job.text("status") == "succeeded")

                let third = try await stack.command(body, headers: ["Idempotency-Key": key])
                #expect(third.status == 202)
                #expect(third.job?.text("id") == id)
                #expect(third.job?.text("status") == "succeeded")
                try await Task.sleep(for: .milliseconds(500))
                #expect(try stack.demoCounter("idem-http") == 1)
                #expect(try stack.demoCounter("other") == 0)
                let running = try stack.events(of: id).filter { $0.fields["type"] == "job.running" }
                #expect(running.count == 1)
                #expect(try stack.connection().command(["ZCARD", stack.keyspace.jobIndex]) == .integer(1))
            }
        }

        @Test("stream entries with the same idempotencyKey field make one job, which runs once")
        func idempotencyKeyStreamField() async throws {
            try await withStack { stack in
                let key = "import-\(UUID().uuidString)"
                let fields = [
                    "operation", "demo.increment", "input", #"{"counter":"idem-stream"}"#, "idempotencyKey", key,
                ]

                let firstEntry = try stack.addCommandEntry(fields)
                let secondEntry = try stack.addCommandEntry(fields)
                let marker = try stack.addCommandEntry(["operation", "demo.echo", "input", "[\"marker\"]"])

                _ = try await stack.pollJob(try #require(JobID.derived(fromStreamEntry: marker)))
                let firstId = try #require(JobID.derived(fromStreamEntry: firstEntry))
                let secondId = try #require(JobID.derived(fromStreamEntry: secondEntry))
                let job = try await stack.pollJob(firstId)
                #expect(job.text("status") == "succeeded")
                let duplicate = try await stack.gateway.get("/v1/jobs/\(secondId)")
                #expect(duplicate.status == 404, "the second entry made no job: \(duplicate.text)")
                #expect(try stack.demoCounter("idem-stream") == 1)
                let running = try stack.events(of: firstId).filter { $0.fields["type"] == "job.running" }
                #expect(running.count == 1)

                // Keys belong to a principal: the stream's jobs are `unauthenticated`'s unless an entry says otherwise.
                let viaHTTP = try await stack.command(
                    [
                        "operation": "demo.increment", "input": ["counter": "idem-stream"],
                        "principal": "unauthenticated",
                    ],
                    headers: ["Idempotency-Key": key])
                #expect(viaHTTP.status == 202)
                #expect(viaHTTP.job?.text("id") == firstId, "the key names the stream's job over HTTP too")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try stack.demoCounter("idem-stream") == 1)
            }
        }

        @Test("a job with runAt two seconds ahead stays scheduled with runAt set, then starts no earlier than runAt")
        func delayedStart() async throws {
            try await withStack { stack in
                let runAt = epochMilliseconds() + 2_000
                let reply = try await stack.command([
                    "operation": "demo.echo", "input": ["later": true], "runAt": .int(runAt),
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.status) \(reply.text)")

                let scheduled = try await stack.job(id, reaches: "scheduled")

                #expect(epochMilliseconds(scheduled["runAt"]) == runAt, "\(scheduled["runAt"] ?? nil)")
                #expect(scheduled["startedAt"] == .null)
                try await Task.sleep(for: .milliseconds(max(runAt - 400 - epochMilliseconds(), 0)))
                let stillWaiting = try await stack.job(id)
                #expect(stillWaiting.text("status") == "scheduled", "\(stillWaiting)")
                #expect(stillWaiting["attempt"] == 0)

                let job = try await stack.waitForJob(id)
                #expect(job.text("status") == "succeeded")
                let startedAt = try #require(job.attemptList.first?.integer("startedAt"))
                #expect(startedAt >= runAt, "started \(runAt - startedAt) ms early")
                #expect(startedAt < runAt + 2_000, "started \(startedAt - runAt) ms late")
                #expect(job["runAt"] == .null, "runAt is cleared once the job is due")
            }
        }

        @Test("a continuation failing with retryLater is retried after growing backoff delays from 200 ms")
        func backoffBetweenContinuationAttempts() async throws {
            try await withStack { stack in
                try await stack.restock("E-5", quantity: 5)
                let placed = try await stack.command([
                    "operation": "order.place", "mode": "jobSyncWithAsyncCont",
                    "input": ["orderId": "o-5", "sku": "E-5", "quantity": 1, "customer": "eli", "failConfirmations": 2],
                ])
                let id = try #require(placed.job?.text("id"), "\(placed.text)")

                _ = try await stack.waitUntilSettled(id)

                let tasks = try await stack.tasks(of: id)
                let confirmation = try #require(tasks.first { $0.text("runs") == "order.confirmation" }, "\(tasks)")
                let taskId = try #require(confirmation.text("id"))
                let attempts = confirmation.attemptList
                try #require(attempts.count == 3, "\(attempts)")
                let starts = attempts.compactMap { $0.integer("startedAt") }
                let ends = attempts.compactMap { $0.integer("endedAt") }
                try #require(starts.count == 3 && ends.count == 3, "\(attempts)")
                let delays = try stack.events(of: id)
                    .filter { $0.fields["type"] == "task.retry_scheduled" && $0.fields["taskId"] == taskId }
                    .compactMap { try? JSONValue.parse($0.fields["details"] ?? "") }
                    .compactMap { $0.integer("delayMs") }
                // The policy: 200 ms, doubling, each spread by up to 20 % either way.
                try #require(delays.count == 2, "\(delays)")
                #expect((160...240).contains(delays[0]), "first delay \(delays[0]) ms")
                #expect((320...480).contains(delays[1]), "second delay \(delays[1]) ms")
                #expect(delays[1] > delays[0])
                #expect(starts[1] - ends[0] >= delays[0], "attempt 2 started before its delay: \(attempts)")
                #expect(starts[2] - ends[1] >= delays[1], "attempt 3 started before its delay: \(attempts)")
                // The gaps between starts are the delays plus up to a quarter second of promotion latency, so only
                // their lower bounds are certain.
                let gaps = [starts[1] - starts[0], starts[2] - starts[1]]
                #expect(gaps[0] >= 160, "gaps between starts: \(gaps) ms")
                #expect(gaps[1] >= 320, "gaps between starts: \(gaps) ms")
            }
        }

        @Test("a job whose attempts run out is dead-lettered, and requeueing runs it again and removes the letter")
        func deadLetterAndRequeue() async throws {
            try await withStack { stack in
                let reply = try await stack.command([
                    "operation": "demo.fail", "input": ["message": "x", "times": 2], "maxAttempts": 2,
                ])
                let id = try #require(reply.job?.text("id"), "\(reply.text)")
                let failed = try await stack.waitForJob(id)
                #expect(failed.text("status") == "failed")
                #expect(failed.text("conclusion") == "attempts exhausted: 2 of 2")
                let listed = try await stack.gateway.get("/v1/dead-letters")
                let letters = try #require(listed.json?["deadLetters"]?.arrayValue, "\(listed.text)")
                try #require(letters.count == 1, "\(letters)")
                let letter = letters[0]
                #expect(letter.text("jobId") == id)
                #expect(letter.text("kind") == "primary")
                #expect(letter.text("taskId") == "")
                #expect(letter.text("operation") == "demo.fail")
                #expect(letter["attempt"] == 2)
                #expect(letter.text("errorCode") == "demo_failure")
                #expect(letter.text("errorMessage") == "x")
                let entryId = try #require(letter.text("id"))

                let requeue = try await stack.gateway.post("/v1/dead-letters/\(entryId)/requeue", json: [:])

                #expect(requeue.status == 202, "\(requeue.text)")
                #expect(requeue.json?.text("requeued") == entryId)
                #expect(requeue.job?.text("id") == id)
                let job = try await stack.waitForJob(id)
                #expect(job.text("status") == "succeeded")
                #expect(job["attempt"] == 3)
                #expect(job.attemptOutcomes == ["failed", "failed", "succeeded"])
                let after = try await stack.gateway.get("/v1/dead-letters")
                #expect(after.json?["deadLetters"] == [], "\(after.text)")
                let twice = try await stack.gateway.post("/v1/dead-letters/\(entryId)/requeue", json: [:])
                #expect(twice.status == 404)
                #expect(twice.errorCode == "dead_letter_not_found")
            }
        }

        @Test("a job whose worker is killed is reclaimed and succeeds on the other worker, the lost attempt crashed")
        func killedWorkersJobSucceedsElsewhere() async throws {
            try await withStack(workers: 2, environment: Self.shortLeases) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 3_000])
                let running = try await stack.job(id, where: "running on a worker") {
                    $0.text("status") == "running" && $0.text("worker") != nil
                }
                let victimId = try #require(running.text("worker"))
                let victim = try stack.workerProcess(victimId)

                victim.kill()

                let job = try await stack.waitForJob(id, timeout: .seconds(30))
                #expect(job.text("status") == "succeeded")
                let survivor = try #require(job.text("worker"))
                #expect(survivor != victimId)
                #expect(stack.workerIDs.contains(survivor))
                #expect(job["attempt"] == 2)
                #expect(job.attemptOutcomes == ["crashed", "succeeded"])
                let attempts = job.attemptList
                #expect(attempts.first?.text("worker") == victimId)
                #expect(attempts.first?["error"]?.text("code") == "worker_lost")
                #expect(attempts.last?.text("worker") == survivor)
                #expect(job["result"] == ["slept": 3_000])
            }
        }

        @Test("a stopped worker that wakes after its job was reclaimed cannot commit: one succeeded attempt remains")
        func zombieWorkerCannotCommit() async throws {
            try await withStack(workers: 2, environment: Self.shortLeases) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 2_500])
                let running = try await stack.job(id, where: "running on a worker") {
                    $0.text("status") == "running" && $0.text("worker") != nil
                }
                let zombieId = try #require(running.text("worker"))
                let zombie = try stack.workerProcess(zombieId)

                #expect(kill(zombie.pid, SIGSTOP) == 0)
                defer { kill(zombie.pid, SIGCONT) }
                let finished = try await stack.waitForJob(id, timeout: .seconds(30))
                #expect(finished.text("status") == "succeeded")
                #expect(finished.text("worker") != zombieId)
                kill(zombie.pid, SIGCONT)

                let log = try await eventually("the woken worker to give up its attempt", timeout: .seconds(15)) {
                    let text = zombie.logText()
                    return text.contains("commit refused") || text.contains("lost its lease") ? text : nil
                }
                #expect(log.contains(id), "the log names the job")

                try await Task.sleep(for: .seconds(1))
                let job = try await stack.job(id)
                #expect(job.text("status") == "succeeded")
                #expect(job.attemptOutcomes == ["crashed", "succeeded"])
                let succeeded = job.attemptList.filter { $0.text("outcome") == "succeeded" }
                #expect(succeeded.count == 1)
                #expect(succeeded.first?["attempt"] == 2)
                #expect(succeeded.first?.text("worker") != zombieId)
                #expect(job.text("worker") == succeeded.first?.text("worker"))
                let ends = try stack.events(of: id).filter { $0.fields["type"] == "job.succeeded" }
                #expect(ends.count == 1)
            }
        }

        @Test("a worker sent SIGTERM finishes its running job within the grace period before it exits")
        func gracefulShutdownFinishesRunningJob() async throws {
            try await withStack(workers: 2, environment: ["SHUTDOWN_GRACE_SECONDS": "10"]) { stack in
                let id = try await stack.submitExpectingAccepted("demo.sleep", input: ["ms": 500])
                let running = try await stack.job(id, where: "running on a worker") {
                    $0.text("status") == "running" && $0.text("worker") != nil
                }
                let workerId = try #require(running.text("worker"))
                let worker = try stack.workerProcess(workerId)
                let signalledAt = epochMilliseconds()

                #expect(kill(worker.pid, SIGTERM) == 0)

                let job = try await stack.waitForJob(id, timeout: .seconds(15))
                #expect(job.text("status") == "succeeded")
                #expect(job.text("worker") == workerId, "it finished on the worker that was stopping")
                #expect(job["attempt"] == 1)
                #expect(job.attemptOutcomes == ["succeeded"])
                let endedAt = try #require(job.attemptList.first?.integer("endedAt"))
                #expect(endedAt >= signalledAt, "the job was still running when the signal came")
                _ = try await eventually("the stopped worker to exit", timeout: .seconds(15)) {
                    worker.isRunning ? nil : true
                }
                #expect(worker.logText().contains("worker stopped"))
            }
        }

        @Test("an attempt that runs past its timeout fails with timeout and is retried under the policy")
        func attemptTimeout() async throws {
            try await withStack(environment: ["MAX_ATTEMPT_MS": "300"]) { stack in
                let reply = try await stack.command(
                    ["operation": "demo.sleep", "input": ["ms": 5_000], "maxAttempts": 2])
                let id = try #require(reply.job?.text("id"))

                let job = try await stack.waitForJob(id, timeout: .seconds(20))

                #expect(job.text("status") == "failed")
                #expect(job["error"]?["code"] == "timeout", "\(job)")
                #expect(job.attemptOutcomes == ["failed", "failed"])
                #expect(job.text("conclusion") == "attempts exhausted: 2 of 2")
                for attempt in job.attemptList {
                    let ran = (attempt.integer("endedAt") ?? 0) - (attempt.integer("startedAt") ?? 0)
                    #expect(ran < 2_000, "each attempt was ended at its timeout, not after the sleep: \(attempt)")
                }
                let retries = try stack.events(of: id).filter { $0.fields["type"] == "job.retry_scheduled" }
                #expect(retries.count == 1)
            }
        }

        @Test("a job still running when the grace period ends is handed back and finishes on another worker")
        func gracefulShutdownHandsBackUnfinishedJob() async throws {
            try await withStack(workers: 2, environment: ["SHUTDOWN_GRACE_SECONDS": "1"]) { stack in
                let reply = try await stack.command(
                    ["operation": "demo.sleep", "input": ["ms": 4_000], "maxAttempts": 1])
                let id = try #require(reply.job?.text("id"))
                let running = try await stack.job(id, where: "running on a worker") {
                    $0.text("status") == "running" && $0.text("worker") != nil
                }
                let workerId = try #require(running.text("worker"))
                let worker = try stack.workerProcess(workerId)

                #expect(kill(worker.pid, SIGTERM) == 0)

                let job = try await stack.waitForJob(id, timeout: .seconds(30))
                #expect(job.text("status") == "succeeded", "its only attempt was given back, not used up: \(job)")
                #expect(job.text("worker") != workerId, "it finished on the other worker")
                #expect(job.attemptOutcomes == ["handedBack", "succeeded"])
                #expect(job["maxAttempts"] == 2)
                #expect(try stack.streamEntries(stack.keyspace.deadLetters).isEmpty)
                _ = try await eventually("the stopped worker to exit", timeout: .seconds(15)) {
                    worker.isRunning ? nil : true
                }
            }
        }
    }
}
