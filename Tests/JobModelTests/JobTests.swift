import Foundation
import JobModel
import Testing

@Suite("Job records")
struct JobTests {
    /// The fields of a finished, failed job hash as the Lua scripts write them.
    static let failedJobFields: [String: String] = [
        "id": "01JOBFAILED0000000000000000", "operation": "demo.fail", "principal": "alice", "mode": "jobAsync",
        "status": "failed", "sagaId": "", "acceptedAt": "1700000000000", "scheduledAt": "1700000000001",
        "startedAt": "1700000000002", "completedAt": "1700000001234", "input": #"{"message":"boom"}"#,
        "errorCode": "demo_failure", "errorMessage": "boom", "errorAction": "retryNow",
        "diagnostics": #"{"worker":"w-1"}"#, "retryCount": "1", "attempt": "2", "cancellationReason": "",
        "callTree": #"{"name":"demo.fail","children":[]}"#, "worker": "w-1", "source": "stream",
    ]

    @Test("reads every field of a job hash")
    func readsEveryField() throws {
        let job = try #require(Job(fields: Self.failedJobFields))

        #expect(job.id == "01JOBFAILED0000000000000000")
        #expect(job.operation == "demo.fail")
        #expect(job.principal == "alice")
        #expect(job.mode == .jobAsync)
        #expect(job.status == .failed)
        #expect(job.sagaId == nil)
        #expect(job.acceptedAt == 1_700_000_000_000)
        #expect(job.scheduledAt == 1_700_000_000_001)
        #expect(job.startedAt == 1_700_000_000_002)
        #expect(job.completedAt == 1_700_000_001_234)
        #expect(job.input == ["message": "boom"])
        #expect(job.result == nil)
        #expect(job.error == JobError(code: "demo_failure", message: "boom", action: .retryNow))
        #expect(job.diagnostics == ["worker": "w-1"])
        #expect(job.retryCount == 1)
        #expect(job.attempt == 2)
        #expect(job.cancellationReason == nil)
        #expect(job.callTree == ["name": "demo.fail", "children": []])
        #expect(job.worker == "w-1")
        #expect(job.source == "stream")
    }

    @Test("a fresh hash reads with defaults for everything not yet written")
    func freshHashDefaults() throws {
        let job = try #require(Job(fields: [
            "id": "j", "operation": "demo.echo", "status": "accepted", "acceptedAt": "5",
        ]))

        #expect(job == Job(id: "j", operation: "demo.echo", principal: "", acceptedAt: 5, input: [:], source: ""))
        #expect(job.attempt == 0 && job.retryCount == 0)
        #expect(job.error == nil && job.result == nil && job.worker == nil && job.scheduledAt == nil)
    }

    @Test(
        "a hash without id, operation, a known status or a numeric acceptedAt is not a job",
        arguments: ["id", "operation", "status", "acceptedAt"])
    func requiredFields(missing: String) {
        var fields = Self.failedJobFields
        fields[missing] = nil
        #expect(Job(fields: fields) == nil)
    }

    @Test("an unknown status or a non-numeric acceptedAt is not a job")
    func malformedRequiredFields() {
        var fields = Self.failedJobFields
        fields["status"] = "paused"
        #expect(Job(fields: fields) == nil)
        fields = Self.failedJobFields
        fields["acceptedAt"] = "yesterday"
        #expect(Job(fields: fields) == nil)
        #expect(Job(fields: [:]) == nil)
    }

    @Test("the JSON shape has every documented key, RFC 3339 times and nulls for what is unset")
    func jsonShape() throws {
        let job = try #require(Job(fields: Self.failedJobFields))
        let json = try #require(job.json.objectValue)

        #expect(Set(json.keys) == [
            "id", "operation", "principal", "mode", "status", "sagaId", "acceptedAt", "scheduledAt", "startedAt",
            "completedAt", "input", "result", "resultSummary", "error", "diagnostics", "retryCount", "attempt",
            "cancellationReason", "callTree", "worker", "source", "maxAttempts", "attempts", "runAt", "conclusion",
            "cancelRequested", "tasks", "settled",
        ])
        #expect(json["status"] == "failed")
        #expect(json["acceptedAt"] == "2023-11-14T22:13:20.000Z")
        #expect(json["completedAt"] == "2023-11-14T22:13:21.234Z")
        #expect(json["result"] == .null)
        #expect(json["sagaId"] == .null)
        #expect(json["resultSummary"] == .null)
        #expect(json["error"] == ["code": "demo_failure", "message": "boom", "action": "retryNow"])
        #expect(json["attempt"] == 2)
        #expect(json["input"] == ["message": "boom"])
        #expect(json["worker"] == "w-1")
        #expect(json["settled"] == true)
        #expect(json["runAt"] == .null)
    }

    @Test("reads the attempt history, limits and task counts, and settles only when continuations are done")
    func attemptsAndSettling() throws {
        var fields = Self.failedJobFields
        fields["maxAttempts"] = "3"
        fields["attempts"] = #"{"attempt":1,"outcome":"failed"},{"attempt":2,"outcome":"crashed"}"#
        fields["runAt"] = "1700000005000"
        fields["conclusion"] = "attempts exhausted"
        fields["tasksTotal"] = "2"
        fields["tasksDone"] = "1"
        var job = try #require(Job(fields: fields))

        #expect(job.maxAttempts == 3)
        #expect(job.attempts == [["attempt": 1, "outcome": "failed"], ["attempt": 2, "outcome": "crashed"]])
        #expect(job.runAt == 1_700_000_005_000)
        #expect(job.conclusion == "attempts exhausted")
        #expect(!job.settled, "one continuation is still running")
        #expect(job.json["tasks"] == ["total": 3, "continuations": 2, "continuationsFinished": 1])
        job.tasksFinished = 2
        #expect(job.settled)
        job.status = .running
        #expect(!job.settled, "a running job is never settled")
    }

    @Test("a result without a stored summary gets one made from the result")
    func summaryFromResult() throws {
        var fields = Self.failedJobFields
        fields["status"] = "succeeded"
        fields["result"] = #"{"b":2,"a":1}"#
        let job = try #require(Job(fields: fields))
        #expect(job.resultSummary == #"{"a":1,"b":2}"#)
    }

    @Test("a succeeded job shows its result and no error, and unset times are null")
    func succeededJSON() throws {
        var job = Job(id: "ok", operation: "demo.echo", principal: "p", acceptedAt: 0, input: ["a": 1], source: "http")
        job.status = .succeeded
        job.result = ["a": 1]
        job.resultSummary = #"{"a":1}"#
        let json = job.json

        #expect(json["result"] == ["a": 1])
        #expect(json["resultSummary"] == #"{"a":1}"#)
        #expect(json["error"] == .null)
        #expect(json["acceptedAt"] == "1970-01-01T00:00:00.000Z")
        #expect(json["startedAt"] == .null)
    }

    @Test("a job read back from the hash fields of its own JSON values is equal to it")
    func roundTripThroughFields() throws {
        let original = try #require(Job(fields: Self.failedJobFields))
        var fields: [String: String] = [
            "id": original.id, "operation": original.operation, "principal": original.principal,
            "mode": original.mode.rawValue, "status": original.status.rawValue,
            "acceptedAt": String(original.acceptedAt), "input": original.input.encoded,
            "retryCount": String(original.retryCount), "attempt": String(original.attempt), "source": original.source,
        ]
        fields["scheduledAt"] = original.scheduledAt.map(String.init)
        fields["startedAt"] = original.startedAt.map(String.init)
        fields["completedAt"] = original.completedAt.map(String.init)
        fields["errorCode"] = original.error?.code
        fields["errorMessage"] = original.error?.message
        fields["errorAction"] = original.error?.action.rawValue
        fields["diagnostics"] = original.diagnostics?.encoded
        fields["callTree"] = original.callTree?.encoded
        fields["worker"] = original.worker

        #expect(Job(fields: fields) == original)
    }

    @Test("a summary keeps short results whole and shortens long ones to the limit with an ellipsis")
    func summary() {
        #expect(Job.summary(of: ["k": "v"]) == #"{"k":"v"}"#)
        let long = JSONValue.string(String(repeating: "x", count: 500))
        let summary = Job.summary(of: long, limit: 50)
        #expect(summary.count == 50)
        #expect(summary.hasSuffix("…"))
        #expect(summary.hasPrefix("\"xxx"))
    }
}

@Suite("Clock")
struct ClockTests {
    @Test(
        "formats milliseconds as RFC 3339 UTC with three fraction digits",
        arguments: [
            (UInt64(0), "1970-01-01T00:00:00.000Z"), (1_234, "1970-01-01T00:00:01.234Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"), (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        ])
    func rfc3339(milliseconds: UInt64, expected: String) {
        #expect(Clock.rfc3339(milliseconds: milliseconds) == expected)
    }

    @Test("the RFC 3339 text of now parses back to now with Foundation")
    func rfc3339ParsesWithFoundation() throws {
        let now = Clock.milliseconds()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: Clock.rfc3339(milliseconds: now)))
        #expect(abs(date.timeIntervalSince1970 * 1000 - Double(now)) < 1.5)
    }

    @Test(
        "parses RFC 3339 UTC times with and without fractions",
        arguments: [
            ("1970-01-01T00:00:00Z", UInt64(0)), ("2023-11-14T22:13:20.123Z", 1_700_000_000_123),
            ("2023-11-14t22:13:20.5Z", 1_700_000_000_500), ("2023-11-14T22:13:20.123456Z", 1_700_000_000_123),
            ("2000-02-29T00:00:00Z", 951_782_400_000),
        ])
    func parsesRFC3339(text: String, expected: UInt64) {
        #expect(Clock.parseRFC3339(text) == expected)
    }

    @Test("formatting and parsing RFC 3339 are inverses")
    func rfc3339RoundTrip() {
        for milliseconds: UInt64 in [0, 999, 1_700_000_000_123, 4_102_444_799_999] {
            #expect(Clock.parseRFC3339(Clock.rfc3339(milliseconds: milliseconds)) == milliseconds)
        }
    }

    @Test(
        "refuses text that is not an RFC 3339 UTC time",
        arguments: ["", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20+01:00", "2023-13-01T00:00:00Z",
                    "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z", "1969-12-31T23:59:59Z"])
    func refusesBadRFC3339(text: String) {
        #expect(Clock.parseRFC3339(text) == nil)
    }

    @Test(
        "refuses calendar dates that do not exist instead of rolling them into the next month",
        arguments: ["2023-02-30T00:00:00Z", "2023-04-31T12:00:00Z", "2023-02-29T00:00:00Z"])
    func refusesImpossibleDates(text: String) {
        #expect(Clock.parseRFC3339(text) == nil)
    }

    @Test("milliseconds agree with Foundation's clock")
    func millisecondsAgreeWithFoundation() {
        let ours = Double(Clock.milliseconds())
        let foundation = Date().timeIntervalSince1970 * 1000
        #expect(abs(ours - foundation) < 1_000)
    }
}

@Suite("Keys and events")
struct KeyspaceAndEventTests {
    @Test("every key and stream lives under the namespace")
    func keyNames() {
        let keys = Keyspace(namespace: "{ns}")
        #expect(keys.job("J1") == "{ns}:job:J1")
        #expect(keys.jobIndex == "{ns}:jobs")
        #expect(keys.operations == "{ns}:operations")
        #expect(keys.commands == "{ns}:commands")
        #expect(keys.rejectedCommands == "{ns}:commands:rejected")
        #expect(keys.tasks == "{ns}:tasks")
        #expect(keys.events == "{ns}:events")
        #expect(keys.audit == "{ns}:audit")
        #expect(keys.task("J1.1") == "{ns}:task:J1.1")
        #expect(keys.jobTasks("J1") == "{ns}:job:J1:tasks")
        #expect(keys.idempotency("k", principal: "alice") == "{ns}:idem:5:alice:k")
        #expect(keys.idempotency("c", principal: "a:b") != keys.idempotency("b:c", principal: "a"))
        #expect(keys.due == "{ns}:due")
        #expect(keys.deadLetters == "{ns}:tasks:dead")
        #expect(Keyspace().jobIndex == "cncf:jobs")
    }

    @Test("an event read from stream fields gives the audit fields in the documented order")
    func eventToAuditFields() {
        let event = LifecycleEvent(eventId: "5-1", fields: [
            "type": "job.running", "jobId": "J", "operation": "demo.echo", "principal": "p", "status": "running",
            "at": "1700000000000", "details": #"{"attempt":1}"#,
        ])

        #expect(event.at == 1_700_000_000_000)
        #expect(!event.isTerminal)
        #expect(event.auditFields == [
            "at", "1700000000000", "type", "job.running", "jobId", "J", "operation", "demo.echo", "principal", "p",
            "status", "running", "details", #"{"attempt":1}"#, "eventId", "5-1",
        ])
        let taskEvent = LifecycleEvent(eventId: "6-0", fields: ["type": "task.running", "taskId": "J.1"])
        #expect(Array(taskEvent.auditFields.suffix(2)) == ["taskId", "J.1"])
    }

    @Test("succeeded, failed and cancelled events are terminal; a missing type reads as unknown")
    func terminalEvents() {
        for type in ["job.succeeded", "job.failed", "job.cancelled"] {
            #expect(LifecycleEvent(eventId: "1-0", fields: ["type": type]).isTerminal, "\(type)")
        }
        for type in ["job.accepted", "job.scheduled", "job.running", "command.rejected"] {
            #expect(!LifecycleEvent(eventId: "1-0", fields: ["type": type]).isTerminal, "\(type)")
        }
        let bare = LifecycleEvent(eventId: "1-0", fields: [:])
        #expect(bare.type == "unknown" && bare.at == 0 && bare.details.isEmpty)
    }
}
