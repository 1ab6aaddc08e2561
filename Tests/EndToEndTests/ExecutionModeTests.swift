import Foundation
import JobModel
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Execution modes: each mode's contract")
    struct ExecutionModeTests {
        /// Lets workers abandon a long demo.sleep at once when the stack stops.
        static let quickStop = ["SHUTDOWN_GRACE_SECONDS": "0"]

        @Test("sync answers 200 with the result and records no job, no job hash and no job events")
        func syncReturnsResultWithoutJob() async throws {
            try await withStack { stack in
                let input: JSONValue = ["text": "hi", "n": [1, 2]]

                let reply = try await stack.command(["operation": "demo.echo", "input": input, "mode": "sync"])

                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.json == ["mode": "sync", "status": "succeeded", "result": input])
                #expect(reply.header("Location") == nil)

                let listed = try await stack.listAll("", limit: 50)
                #expect(listed.jobs.isEmpty, "\(listed.jobs)")
                let connection = try stack.connection()
                #expect(try connection.command(["ZCARD", stack.keyspace.jobIndex]) == .integer(0))
                let jobKeys = try connection.command(["KEYS", "\(stack.namespace):job:*"]).array ?? []
                #expect(jobKeys.isEmpty, "\(jobKeys)")
                let lifecycle = try stack.streamEntries(stack.keyspace.events)
                    .filter { ($0.fields["type"] ?? "").hasPrefix("job.") || !($0.fields["jobId"] ?? "").isEmpty }
                #expect(lifecycle.isEmpty, "\(lifecycle)")
            }
        }

        @Test("a sync command's staged writes are committed although no job is recorded")
        func syncCommitsStagedWrites() async throws {
            try await withStack { stack in
                let reply = try await stack.command([
                    "operation": "demo.increment", "input": ["counter": "sync"], "mode": "sync",
                ])

                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.json?["result"] == ["counter": "sync"])
                #expect(try stack.demoCounter("sync") == 1)
                #expect(try stack.connection().command(["ZCARD", stack.keyspace.jobIndex]) == .integer(0))
            }
        }

        @Test("a failing sync command answers 422 with the operation's error and records nothing")
        func failingSyncAnswers422() async throws {
            try await withStack { stack in
                let reply = try await stack.command([
                    "operation": "demo.fail", "input": ["message": "sync went wrong"], "mode": "sync",
                ])

                #expect(reply.status == 422, "\(reply.text)")
                #expect(reply.json == [
                    "mode": "sync", "status": "failed",
                    "error": ["code": "demo_failure", "message": "sync went wrong", "action": "retryNow"],
                ])

                #expect(try stack.connection().command(["ZCARD", stack.keyspace.jobIndex]) == .integer(0))
                #expect(try stack.streamEntries(stack.keyspace.deadLetters).isEmpty, "sync is never dead-lettered")
            }
        }

        @Test("jobSync answers 200 with the finished job and its result, and the job stays readable")
        func jobSyncReturnsFinishedJob() async throws {
            try await withStack { stack in
                let input: JSONValue = ["text": "jobSync"]

                let reply = try await stack.command(["operation": "demo.echo", "input": input, "mode": "jobSync"])

                #expect(reply.status == 200, "\(reply.text)")
                let job = try #require(reply.job)
                let id = try #require(job.text("id"))
                #expect(reply.header("Location") == "/v1/jobs/\(id)")
                #expect(job.text("status") == "succeeded")
                #expect(job.text("mode") == "jobSync")
                #expect(job["result"] == input)
                #expect(job["settled"] == true)
                #expect(job["attempt"] == 1)

                let read = try await stack.job(id)
                #expect(read.text("status") == "succeeded")
                #expect(read["result"] == input)
                let listed = try await stack.listAll("", limit: 10)
                #expect(listed.jobs.compactMap { $0.text("id") } == [id])
                let result = try await stack.gateway.get("/v1/jobs/\(id)/result")
                #expect(result.json?["result"] == input)
            }
        }

        @Test("jobSync answers 202 with the job and a Location after timeoutMs, and the job later succeeds")
        func jobSyncTimesOutWith202() async throws {
            try await withStack(environment: Self.quickStop) { stack in
                let began = ContinuousClock.now

                let reply = try await stack.command([
                    "operation": "demo.sleep", "input": ["ms": 2_500], "mode": "jobSync", "timeoutMs": 400,
                ])

                let answeredAfter = ContinuousClock.now - began
                #expect(reply.status == 202, "\(reply.text)")
                let job = try #require(reply.job)
                let id = try #require(job.text("id"))
                #expect(reply.header("Location") == "/v1/jobs/\(id)")
                #expect(["scheduled", "running"].contains(job.text("status") ?? "?"), "\(job)")
                #expect(job["settled"] == false)
                #expect(answeredAfter >= .milliseconds(350), "answered after \(answeredAfter)")
                #expect(answeredAfter < .milliseconds(2_000), "answered after \(answeredAfter)")

                let finished = try await stack.waitForJob(id)
                #expect(finished.text("status") == "succeeded")
                #expect(finished["result"] == ["slept": 2_500])
            }
        }

        @Test("jobSyncWithAsyncCont answers 200 when the order is placed, before its continuations finish")
        func jobSyncWithAsyncContReturnsBeforeContinuations() async throws {
            try await withStack { stack in
                try await stack.restock("A-1", quantity: 10)
                let input: JSONValue = [
                    "orderId": "o-1", "sku": "A-1", "quantity": 2, "customer": "ada", "failConfirmations": 2,
                ]

                let reply = try await stack.command([
                    "operation": "order.place", "input": input, "mode": "jobSyncWithAsyncCont",
                ])

                #expect(reply.status == 200, "\(reply.text)")
                let job = try #require(reply.job)
                let id = try #require(job.text("id"))
                #expect(job.text("status") == "succeeded")
                #expect(job["result"] == ["orderId": "o-1", "status": "placed"])
                #expect(job["tasks"]?["continuations"] == 2, "\(job)")
                let finishedTasks = job["tasks"]?["byStatus"]?["succeeded"]?.intValue ?? 0
                #expect(job["settled"] == false, "the confirmation fails twice before it succeeds: \(job)")
                #expect(finishedTasks < 3, "the continuations were still going: \(job["tasks"] ?? nil)")

                let settled = try await stack.waitUntilSettled(id)
                #expect(settled["settled"] == true)
                #expect(settled.text("status") == "succeeded")
                #expect(settled["tasks"]?["byStatus"] == ["succeeded": 3], "\(settled["tasks"] ?? nil)")
                #expect(settled["tasks"]?["continuationsFinished"] == 2)
                let order = try stack.connection().command(["HGETALL", "\(stack.namespace):orders:order:o-1"])
                #expect(order.fieldDictionary == [
                    "sku": "A-1", "quantity": "2", "customer": "ada", "status": "placed", "stock": "reserved",
                    "confirmation": "sent",
                ])
                #expect(try stack.unitsInStock("A-1") == 8)
            }
        }

        @Test("the tasks of an order: the primary task and two subscriber tasks, the confirmation retried on its own")
        func orderTasksAreListedWithTheirAttempts() async throws {
            try await withStack { stack in
                try await stack.restock("A-1", quantity: 10)
                let placed = try await stack.command([
                    "operation": "order.place", "mode": "jobSyncWithAsyncCont",
                    "input": ["orderId": "o-2", "sku": "A-1", "quantity": 1, "customer": "bob", "failConfirmations": 2],
                ])
                let id = try #require(placed.job?.text("id"), "\(placed.text)")
                _ = try await stack.waitUntilSettled(id)

                let tasks = try await stack.tasks(of: id)

                try #require(tasks.count == 3, "\(tasks)")
                let primary = tasks[0]
                #expect(primary.text("id") == "\(id)/primary")
                #expect(primary.text("kind") == "primary")
                #expect(primary.text("runs") == "order.place")
                #expect(primary["parentTaskId"] == .null)
                #expect(primary["attempt"] == 1)
                #expect(primary.attemptOutcomes == ["succeeded"])

                let continuations = Dictionary(
                    uniqueKeysWithValues: tasks.dropFirst().map { ($0.text("runs") ?? "?", $0) })
                #expect(Set(continuations.keys) == ["order.confirmation", "search.index"])
                for task in continuations.values {
                    #expect(task.text("kind") == "subscriber", "\(task)")
                    #expect(task.text("parentTaskId") == "\(id)/primary", "\(task)")
                    #expect(task.text("eventType") == "order.placed", "\(task)")
                    #expect(task.text("status") == "succeeded", "\(task)")
                    #expect(task.text("id")?.hasPrefix("\(id).") == true, "\(task)")
                }
                let confirmation = try #require(continuations["order.confirmation"])
                #expect(confirmation["attempt"] == 3)
                #expect(confirmation["maxAttempts"] == 4)
                #expect(confirmation.attemptOutcomes == ["failed", "failed", "succeeded"])
                let failureCodes = confirmation.attemptList.prefix(2).map { $0["error"]?.text("code") }
                #expect(failureCodes == ["mail_unavailable", "mail_unavailable"])
                let index = try #require(continuations["search.index"])
                #expect(index["attempt"] == 1)
                #expect(index.attemptOutcomes == ["succeeded"])

                // The retries went on the subscriber's own task stream, not on the one of the primary work.
                let retries = try stack.streamEntries(stack.keyspace.subscriberTasks("order.confirmation"))
                #expect(retries.map { $0.fields["taskId"] } == [confirmation.text("id"), confirmation.text("id")])
                let shared = try stack.streamEntries(stack.keyspace.tasks)
                    .filter { $0.fields["jobId"] == id && $0.fields["kind"] == "subscriber" }
                #expect(shared.isEmpty, "\(shared)")
            }
        }

        @Test("an order for more than the stock fails out_of_stock and leaves no order, no stock change, no event")
        func outOfStockOrderLeavesNoTrace() async throws {
            try await withStack { stack in
                try await stack.restock("B-2", quantity: 3)

                let reply = try await stack.command([
                    "operation": "order.place", "mode": "jobSync",
                    "input": ["orderId": "too-many", "sku": "B-2", "quantity": 5, "customer": "eve"],
                ])

                #expect(reply.status == 200, "\(reply.text)")
                let job = try #require(reply.job)
                let id = try #require(job.text("id"))
                #expect(job.text("status") == "failed")
                #expect(job["error"]?.text("code") == "out_of_stock", "\(job["error"] ?? nil)")
                #expect(job["error"]?.text("action") == "fixInput")
                #expect(job["attempt"] == 1, "fixInput is not retried")
                #expect(job["tasks"]?["continuations"] == 0)

                let connection = try stack.connection()
                #expect(try connection.command(["EXISTS", "\(stack.namespace):orders:order:too-many"]) == .integer(0))
                let member = try connection.command(["SISMEMBER", "\(stack.namespace):orders:all", "too-many"])
                #expect(member == .integer(0))
                #expect(try stack.unitsInStock("B-2") == 3)
                let types = try stack.events(of: id).map { $0.fields["type"] ?? "?" }
                #expect(!types.contains("order.placed"), "\(types)")
                #expect(types.contains("job.failed"), "\(types)")
                let published = try stack.streamEntries(stack.keyspace.events)
                    .filter { $0.fields["type"] == "order.placed" }
                #expect(published.isEmpty, "\(published)")
            }
        }

        @Test("a continuation that fails for good is dead-lettered as a subscriber while the job stays succeeded")
        func failingContinuationLeavesJobSucceeded() async throws {
            try await withStack { stack in
                try await stack.restock("C-3", quantity: 5)
                let placed = try await stack.command([
                    "operation": "order.place", "mode": "jobSyncWithAsyncCont",
                    "input": ["orderId": "o-3", "sku": "C-3", "quantity": 1, "customer": "cy", "failIndexing": true],
                ])
                let id = try #require(placed.job?.text("id"), "\(placed.text)")

                let settled = try await stack.waitUntilSettled(id)

                #expect(settled.text("status") == "succeeded")
                #expect(settled["settled"] == true)
                #expect(settled["tasks"]?["byStatus"] == ["succeeded": 2, "failed": 1], "\(settled["tasks"] ?? nil)")
                let tasks = try await stack.tasks(of: id)
                let index = try #require(tasks.first { $0.text("runs") == "search.index" }, "\(tasks)")
                let indexTaskId = try #require(index.text("id"))
                #expect(index.text("status") == "failed")
                #expect(index["attempt"] == 2)
                #expect(index.attemptOutcomes == ["failed", "failed"])
                #expect(index["error"]?.text("code") == "index_unavailable")

                let letters = try await stack.gateway.get("/v1/dead-letters")
                let entries = try #require(letters.json?["deadLetters"]?.arrayValue, "\(letters.text)")
                let letter = try #require(entries.first { $0.text("jobId") == id }, "\(entries)")
                #expect(letter.text("kind") == "subscriber")
                #expect(letter.text("taskId") == indexTaskId)
                #expect(letter["attempt"] == 2)
                #expect(letter.text("errorCode") == "index_unavailable")
                #expect(entries.filter { $0.text("jobId") == id }.count == 1)
                let order = try stack.connection().command(["HGET", "\(stack.namespace):orders:order:o-3", "status"])
                #expect(order.string == "placed")
            }
        }

        @Test("an order's call tree holds validate, publish order.placed, subscriber stock.reserve and both tasks")
        func orderCallTree() async throws {
            try await withStack { stack in
                try await stack.restock("D-4", quantity: 5)
                let placed = try await stack.command([
                    "operation": "order.place", "mode": "jobSyncWithAsyncCont",
                    "input": ["orderId": "o-4", "sku": "D-4", "quantity": 2, "customer": "dee"],
                ])
                let id = try #require(placed.job?.text("id"), "\(placed.text)")
                _ = try await stack.waitUntilSettled(id)

                let reply = try await stack.gateway.get("/v1/jobs/\(id)/calltree")

                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.json?.text("jobId") == id)
                let tree = try #require(reply.json?["tree"], "\(reply.text)")
                #expect(tree.text("name") == "order.place")
                #expect(tree.text("task") == "\(id)/primary")
                #expect(tree.text("kind") == "primary")
                #expect(tree.text("status") == "succeeded")
                #expect(tree.childSpanNames == ["validate", "stage order", "publish order.placed", "commit"], "\(tree)")
                let commit = try #require(tree.childSpan("commit"))
                let work = tree.childSpan("publish order.placed")
                #expect(
                    (commit["startOffsetMicros"]?.intValue ?? 0)
                        >= (work?["startOffsetMicros"]?.intValue ?? 0) + (work?["durationMicros"]?.intValue ?? 0),
                    "the commit follows the work: \(tree)")
                let publish = try #require(tree.childSpan("publish order.placed"))
                #expect(publish.childSpanNames == ["subscriber stock.reserve"], "\(publish)")
                let reserve = try #require(publish.childSpan("subscriber stock.reserve"))
                #expect(reserve.childSpanNames == ["check stock", "reserve"], "\(reserve)")

                let children = tree["tasks"]?.arrayValue ?? []
                #expect(Set(children.compactMap { $0.text("name") }) == ["order.confirmation", "search.index"])
                for child in children {
                    #expect(child.text("kind") == "subscriber", "\(child)")
                    #expect(child.text("status") == "succeeded", "\(child)")
                    #expect(child.text("task")?.hasPrefix("\(id).") == true, "\(child)")
                    #expect(isTimestamp(child["startedAt"]), "\(child)")
                    #expect(child.childSpanNames.last == "commit", "every task ends with its commit: \(child)")
                }
            }
        }
    }
}
