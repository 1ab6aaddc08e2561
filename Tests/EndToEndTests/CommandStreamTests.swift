import Foundation
import JobModel
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Commands written straight onto the command stream")
    struct CommandStreamTests {
        @Test("an entry without a jobId becomes a job with the id derived from the entry, and succeeds")
        func rawEntryWithoutJobId() async throws {
            try await withStack { stack in
                let entry = try stack.addCommandEntry([
                    "operation", "demo.echo", "input", #"{"from":"stream","n":[1,2]}"#, "principal", "batch-importer",
                ])
                let id = try #require(JobID.derived(fromStreamEntry: entry))

                let job = try await stack.pollJob(id)

                #expect(job.text("id") == id)
                #expect(job.text("status") == "succeeded")
                #expect(job["result"] == ["from": "stream", "n": [1, 2]])
                #expect(job.text("source") == "stream")
                #expect(job.text("principal") == "batch-importer")
                #expect(job["attempt"] == 1)
                let listed = try await stack.listAll("operation=demo.echo", limit: 10)
                #expect(listed.jobs.compactMap { $0.text("id") } == [id])
            }
        }

        @Test("an entry with a jobId and no input becomes that job, with input {}, and succeeds")
        func rawEntryWithJobId() async throws {
            try await withStack { stack in
                let jobId = "raw-\(UUID().uuidString.prefix(8))"
                _ = try stack.addCommandEntry(["operation", "demo.echo", "jobId", jobId, "principal", "svc:billing"])

                let job = try await stack.pollJob(jobId)

                #expect(job.text("status") == "succeeded")
                #expect(job["input"] == [:])
                #expect(job["result"] == [:])
                #expect(job.text("source") == "stream")
                #expect(job.text("principal") == "svc:billing")
            }
        }

        @Test("a source field on an entry cannot make a stream job look authenticated")
        func sourceFieldIsIgnored() async throws {
            try await withStack { stack in
                let entry = try stack.addCommandEntry(["operation", "demo.echo", "source", "http", "principal", "root"])
                let id = try #require(JobID.derived(fromStreamEntry: entry))

                let job = try await stack.pollJob(id)

                #expect(job.text("source") == "stream")
                #expect(job.text("principal") == "root")
                let accepted = try stack.streamEntries(stack.keyspace.events)
                    .first { $0.fields["jobId"] == id && $0.fields["type"] == "job.accepted" }
                #expect(accepted?.fields["details"] == #"{"source":"stream"}"#)
            }
        }

        @Test("a sync entry with a replyTo stream gets its answer there and leaves no job")
        func syncEntryAnswersOnItsReplyStream() async throws {
            try await withStack { stack in
                let replyTo = stack.keyspace.replies("producer-\(UUID().uuidString.prefix(8))")
                let entry = try stack.addCommandEntry([
                    "operation", "demo.echo", "input", #"{"via":"stream"}"#, "mode", "sync", "replyTo", replyTo,
                    "requestId", "req-1",
                ])

                let answer = try await eventually("the answer on the reply stream") {
                    try stack.streamEntries(replyTo).first
                }

                #expect(answer.fields["requestId"] == "req-1")
                #expect(answer.fields["outcome"] == "succeeded")
                #expect(try JSONValue.parse(answer.fields["body"] ?? "") == ["via": "stream"])
                let derived = try #require(JobID.derived(fromStreamEntry: entry))
                #expect(try await stack.gateway.get("/v1/jobs/\(derived)").status == 404, "sync keeps no job")
                let executed = try stack.streamEntries(stack.keyspace.events)
                    .filter { $0.fields["type"] == "sync.executed" }
                #expect(executed.count == 1, "the call is in the event stream, and so in the audit trail")
            }
        }

        @Test("a jobSync entry with a replyTo stream keeps its job and gets the finished job there")
        func jobSyncEntryGetsItsJobOnItsReplyStream() async throws {
            try await withStack { stack in
                let replyTo = stack.keyspace.replies("producer-\(UUID().uuidString.prefix(8))")
                let entry = try stack.addCommandEntry([
                    "operation", "demo.echo", "input", "[7]", "mode", "jobSync", "replyTo", replyTo,
                ])
                let id = try #require(JobID.derived(fromStreamEntry: entry))

                let notice = try await eventually("the job on the reply stream") {
                    try stack.streamEntries(replyTo).first
                }

                #expect(notice.fields["notice"] == "job")
                #expect(notice.fields["id"] == id)
                #expect(notice.fields["status"] == "succeeded")
                #expect(notice.fields["result"] == "[7]")
                let job = try await stack.pollJob(id)
                #expect(job.text("mode") == "jobSync")
                #expect(job.text("source") == "stream")
            }
        }

        @Test("an entry repeating a finished job's id and content runs nothing again")
        func repeatedEntryIsIdempotent() async throws {
            try await withStack { stack in
                let jobId = "once-\(UUID().uuidString.prefix(8))"
                _ = try stack.addCommandEntry(["operation", "demo.echo", "jobId", jobId, "input", "[1]"])
                _ = try await stack.pollJob(jobId)
                _ = try stack.addCommandEntry(["operation", "demo.echo", "jobId", jobId, "input", "[1]"])
                let marker = try stack.addCommandEntry(["operation", "demo.echo", "input", "[2]"])
                _ = try await stack.pollJob(try #require(JobID.derived(fromStreamEntry: marker)))

                let running = try stack.streamEntries(stack.keyspace.events)
                    .filter { $0.fields["jobId"] == jobId && $0.fields["type"] == "job.running" }
                #expect(running.count == 1)
                #expect(try stack.streamEntries(stack.keyspace.rejectedCommands).isEmpty)
            }
        }

        @Test("invalid entries land on the rejected stream with a reason, and the scheduler keeps working")
        func invalidEntriesAreRejected() async throws {
            try await withStack { stack in
                let unknown = try stack.addCommandEntry(["operation", "demo.nope", "input", "{}"])
                let badJSON = try stack.addCommandEntry(["operation", "demo.echo", "input", "{not json"])
                let noOperation = try stack.addCommandEntry(["input", "{}", "principal", "someone"])
                let badJobId = try stack.addCommandEntry(["operation", "demo.echo", "jobId", "bad id!"])
                let syncMode = try stack.addCommandEntry(["operation", "demo.echo", "mode", "sync"])
                let valid = try stack.addCommandEntry(["operation", "demo.echo", "input", #"{"after":"rejections"}"#])

                let job = try await stack.pollJob(try #require(JobID.derived(fromStreamEntry: valid)))
                #expect(job.text("status") == "succeeded")

                let rejected = try await eventually("five rejected entries") {
                    let entries = try stack.streamEntries(stack.keyspace.rejectedCommands)
                    return entries.count >= 5 ? entries : nil
                }
                #expect(rejected.count == 5)
                let byEntry = Dictionary(
                    uniqueKeysWithValues: rejected.map { ($0.fields["entryId"] ?? "?", $0.fields) })
                #expect(byEntry[unknown]?["code"] == "unknown_operation")
                #expect(byEntry[unknown]?["original.operation"] == "demo.nope")
                #expect(byEntry[badJSON]?["code"] == "invalid_json")
                #expect(byEntry[badJSON]?["original.input"] == "{not json")
                #expect(byEntry[noOperation]?["code"] == "missing_operation")
                #expect(byEntry[noOperation]?["original.principal"] == "someone")
                #expect(byEntry[badJobId]?["code"] == "invalid_job_id")
                #expect(byEntry[syncMode]?["code"] == "missing_reply_to")
                for fields in byEntry.values {
                    let reason = fields["reason"] ?? ""
                    #expect(!reason.isEmpty, "\(fields)")
                    #expect(UInt64(fields["at"] ?? "") != nil, "\(fields)")
                }

                let events = try stack.streamEntries(stack.keyspace.events)
                #expect(events.filter { $0.fields["type"] == "command.rejected" }.count == 5)
                let pending = try stack.connection().command(
                    ["XPENDING", stack.keyspace.commands, Keyspace.schedulerGroup])
                #expect(pending.array?.first == .integer(0), "every entry, rejected or not, is acknowledged")
            }
        }
    }

    @Suite("Audit trail")
    struct AuditTrailTests {
        @Test("one job leaves exactly job.accepted, job.scheduled, job.running and job.succeeded in the audit trail")
        func auditTrailOfOneJob() async throws {
            try await withStack { stack in
                let id = try await stack.submitExpectingAccepted("demo.echo", input: ["a": 1], principal: "auditor")
                _ = try await stack.waitForJob(id)

                _ = try await eventually("four audit entries for \(id)") {
                    try Self.entries(of: id, in: stack.keyspace.audit, stack).count >= 4 ? true : nil
                }
                try await Task.sleep(for: .milliseconds(500))

                let trail = try Self.entries(of: id, in: stack.keyspace.audit, stack)
                let events = try Self.entries(of: id, in: stack.keyspace.events, stack)
                Self.checkTrail(trail, recording: events)
            }
        }

        /// The entries of `stream` that concern job `id`, oldest first.
        static func entries(of id: String, in stream: String, _ stack: StackUnderTest) throws -> [StreamItem] {
            try stack.streamEntries(stream).filter { $0.fields["jobId"] == id }
        }

        /// Checks that `trail` is the audit trail of a job that succeeded at once, one entry per event in `events`.
        static func checkTrail(_ trail: [StreamItem], recording events: [StreamItem]) {
            let types = trail.map { $0.fields["type"] ?? "?" }
            let statuses = trail.map { $0.fields["status"] ?? "?" }
            let principals = Set(trail.map { $0.fields["principal"] ?? "" })
            let operations = Set(trail.map { $0.fields["operation"] ?? "" })
            let eventIDs = trail.map { $0.fields["eventId"] ?? "" }
            let times = trail.compactMap { $0.fields["at"].flatMap(UInt64.init) }

            #expect(types == ["job.accepted", "job.scheduled", "job.running", "job.succeeded"])
            #expect(statuses == ["accepted", "scheduled", "running", "succeeded"])
            #expect(principals == ["auditor"])
            #expect(operations == ["demo.echo"])
            #expect(eventIDs == events.map(\.id), "each audit entry names the event it records")
            #expect(times.count == 4 && times == times.sorted())
        }
    }
}
