import JobModel
import Testing

@Suite("Command validation")
struct CommandValidationTests {
    /// The rejection code of parsing `fields`, or `nil` when they are accepted.
    static func streamRejection(_ fields: [String: String]) -> String? {
        do {
            _ = try CommandValidation.parse(streamFields: fields)
            return nil
        } catch {
            return error.code
        }
    }

    /// The rejection code of parsing `body`, or `nil` when it is accepted.
    static func bodyRejection(_ body: JSONValue) -> String? {
        do {
            _ = try CommandValidation.parse(body: body)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Operation names

    @Test(
        "accepts operation names of two or more parts that start with a letter",
        arguments: ["demo.echo", "a.b", "a.b.c", "Demo_1.run-fast", "x9.y_-"])
    func acceptsOperationNames(name: String) {
        #expect(throws: Never.self) { try CommandValidation.checkOperationName(name) }
    }

    @Test(
        "refuses malformed operation names",
        arguments: ["echo", "demo.", ".echo", "demo..echo", "1demo.echo", "demo.1echo", "demo.ec ho", "demo.echo!",
                    "demo/echo", "démo.echo", "_demo.echo", "demo.-echo"])
    func refusesOperationNames(name: String) {
        #expect(throws: CommandRejection.self) { try CommandValidation.checkOperationName(name) }
        #expect(Self.streamRejection(["operation": name]) == "invalid_operation")
        #expect(Self.bodyRejection(["operation": .string(name)]) == "invalid_operation")
    }

    @Test("refuses operation names longer than 128 bytes and accepts 128")
    func operationLengthLimit() {
        let longest = "a." + String(repeating: "b", count: 126)
        #expect(throws: Never.self) { try CommandValidation.checkOperationName(longest) }
        #expect(Self.streamRejection(["operation": longest + "c"]) == "invalid_operation")
    }

    // MARK: Stream fields

    @Test("a stream entry with only an operation gets the defaults")
    func streamDefaults() throws {
        let command = try CommandValidation.parse(streamFields: ["operation": "demo.echo"])
        #expect(command == CommandSubmission(operation: "demo.echo"))
        #expect(command.input == .object([:]))
        #expect(command.mode == .jobAsync)
        #expect(command.jobId == nil)
        #expect(command.principal == nil)
    }

    @Test("a stream entry's fields are all read, and unknown fields are ignored")
    func streamAllFields() throws {
        let command = try CommandValidation.parse(streamFields: [
            "operation": "demo.echo", "input": #"{"n":[1,2]}"#, "mode": "jobAsync", "jobId": "order-7",
            "principal": "importer", "source": "stream", "traceparent": "whatever",
        ])
        #expect(command == CommandSubmission(
            operation: "demo.echo", input: ["n": [1, 2]], mode: .jobAsync, jobId: "order-7", principal: "importer"))
    }

    @Test("a stream entry without an operation is refused as missing_operation")
    func streamMissingOperation() {
        #expect(Self.streamRejection(["input": "{}"]) == "missing_operation")
        #expect(Self.streamRejection(["operation": ""]) == "missing_operation")
    }

    @Test(
        "a stream entry whose input is not JSON is refused as invalid_json",
        arguments: ["{", "not json", "", "[1,,2]"])
    func streamBadJSON(input: String) {
        #expect(Self.streamRejection(["operation": "demo.echo", "input": input]) == "invalid_json")
    }

    @Test("a stream entry whose input nests too deep is refused")
    func streamTooDeep() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(Self.streamRejection(["operation": "demo.echo", "input": deep]) == "invalid_json")
    }

    @Test("a stream entry whose input is larger than 1 MiB is refused as input_too_large")
    func streamInputTooLarge() {
        let large = "\"" + String(repeating: "x", count: CommandValidation.maxInputBytes) + "\""
        #expect(Self.streamRejection(["operation": "demo.echo", "input": large]) == "input_too_large")
    }

    @Test("stream entries take every mode; sync needs a replyTo stream, which jobAsync does not take")
    func streamModes() {
        for mode in ["jobAsync", "jobSync", "jobSyncWithAsyncCont"] {
            #expect(Self.streamRejection(["operation": "demo.echo", "mode": mode]) == nil, "\(mode)")
        }
        #expect(Self.streamRejection(["operation": "demo.echo", "mode": "sync"]) == "missing_reply_to")
        #expect(Self.streamRejection(["operation": "demo.echo", "mode": "sync", "replyTo": "cncf:replies:me"]) == nil)
        #expect(
            Self.streamRejection(["operation": "demo.echo", "mode": "jobSync", "replyTo": "cncf:replies:me"]) == nil)
        #expect(
            Self.streamRejection(["operation": "demo.echo", "mode": "jobAsync", "replyTo": "cncf:replies:me"])
                == "invalid_request")
        #expect(
            Self.streamRejection(["operation": "demo.echo", "mode": "sync", "replyTo": "has space"])
                == "invalid_request")
        for mode in ["", "async", "JOBASYNC"] {
            #expect(Self.streamRejection(["operation": "demo.echo", "mode": mode]) == "invalid_mode", "\(mode)")
        }
    }

    @Test(
        "job ids given on the stream must be valid client ids",
        arguments: ["", "has space", "a/b", String(repeating: "k", count: 65)])
    func streamJobIdRules(jobId: String) {
        #expect(Self.streamRejection(["operation": "demo.echo", "jobId": jobId]) == "invalid_job_id")
    }

    @Test("principals must be 1 to 256 bytes")
    func principalRules() throws {
        #expect(Self.streamRejection(["operation": "demo.echo", "principal": ""]) == "invalid_principal")
        let tooLong = String(repeating: "p", count: CommandValidation.maxPrincipalLength + 1)
        #expect(Self.streamRejection(["operation": "demo.echo", "principal": tooLong]) == "invalid_principal")
        let longest = String(repeating: "p", count: CommandValidation.maxPrincipalLength)
        let command = try CommandValidation.parse(streamFields: ["operation": "demo.echo", "principal": longest])
        #expect(command.principal == longest)
    }

    @Test("maxAttempts, runAt and idempotencyKey are read from stream fields and checked")
    func streamExtraFields() throws {
        let now: UInt64 = 1_700_000_000_000
        let command = try CommandValidation.parse(
            streamFields: [
                "operation": "demo.echo", "maxAttempts": "4", "runAt": "1700000060000", "idempotencyKey": "k-1",
            ],
            now: now)
        #expect(command.maxAttempts == 4)
        #expect(command.runAt == 1_700_000_060_000)
        #expect(command.idempotencyKey == "k-1")

        func code(_ extra: [String: String]) -> String? {
            Self.streamRejection(extra.merging(["operation": "demo.echo"]) { $1 })
        }
        #expect(code(["maxAttempts": "0"]) == "invalid_max_attempts")
        #expect(code(["maxAttempts": "101"]) == "invalid_max_attempts")
        #expect(code(["maxAttempts": "three"]) == "invalid_max_attempts")
        #expect(code(["runAt": "tomorrow"]) == "invalid_run_at")
        #expect(code(["idempotencyKey": "has space"]) == "invalid_idempotency_key")
        #expect(code(["idempotencyKey": String(repeating: "k", count: 201)]) == "invalid_idempotency_key")
    }

    @Test("runAt may be an RFC 3339 time, but not after 2099")
    func runAtRules() throws {
        let now: UInt64 = 1_700_000_000_000
        let text = try CommandValidation.parse(
            streamFields: ["operation": "demo.echo", "runAt": "2023-11-14T22:13:21.500Z"], now: now)
        #expect(text.runAt == 1_700_000_001_500)
        let tooFar = String(CommandValidation.latestRunAt + 1)
        #expect(throws: CommandRejection.self) {
            try CommandValidation.parse(streamFields: ["operation": "demo.echo", "runAt": tooFar], now: now)
        }
    }

    // MARK: HTTP bodies

    @Test("a body with only an operation gets the defaults")
    func bodyDefaults() throws {
        let command = try CommandValidation.parse(body: ["operation": "demo.echo"])
        #expect(command == CommandSubmission(operation: "demo.echo", input: [:], mode: .jobAsync))
    }

    @Test("a body's fields are all read; input may be any JSON and null optional fields count as absent")
    func bodyAllFields() throws {
        let command = try CommandValidation.parse(body: [
            "operation": "demo.echo", "input": [1, "two"], "mode": "jobAsync", "jobId": "client-9", "principal": "bob",
        ])
        #expect(command == CommandSubmission(
            operation: "demo.echo", input: [1, "two"], mode: .jobAsync, jobId: "client-9", principal: "bob"))
        let withNulls = try CommandValidation.parse(body: [
            "operation": "demo.echo", "mode": nil, "jobId": nil, "principal": nil,
        ])
        #expect(withNulls == CommandSubmission(operation: "demo.echo"))
    }

    @Test(
        "a body that is not an object is refused as invalid_request",
        arguments: [[1] as JSONValue, "demo.echo", 3, nil])
    func bodyNotObject(body: JSONValue) {
        #expect(Self.bodyRejection(body) == "invalid_request")
    }

    @Test("a body with an unknown field is refused, naming the field")
    func bodyUnknownField() {
        #expect(throws: CommandRejection.self) {
            try CommandValidation.parse(body: ["operation": "demo.echo", "priority": 5])
        }
        do {
            _ = try CommandValidation.parse(body: ["operation": "demo.echo", "priority": 5])
        } catch {
            #expect(error.code == "invalid_request")
            #expect(error.reason.contains("priority"))
        }
    }

    @Test("a body without an operation is refused as missing_operation")
    func bodyMissingOperation() {
        #expect(Self.bodyRejection([:]) == "missing_operation")
        #expect(Self.bodyRejection(["input": [:]]) == "missing_operation")
    }

    @Test("fields of the wrong JSON type are refused as invalid_request")
    func bodyWrongTypes() {
        #expect(Self.bodyRejection(["operation": 5]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "mode": 1]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "jobId": 12]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "principal": ["x"]]) == "invalid_request")
    }

    @Test("a body may ask for every execution mode, since its caller can wait")
    func bodyModes() throws {
        for mode in ExecutionMode.allCases {
            let command = try CommandValidation.parse(body: ["operation": "demo.echo", "mode": .string(mode.rawValue)])
            #expect(command.mode == mode)
        }
    }

    @Test("a body's timeoutMs, maxAttempts and runAt are checked")
    func bodyExtraFields() throws {
        let now: UInt64 = 1_700_000_000_000
        let command = try CommandValidation.parse(
            body: ["operation": "demo.echo", "mode": "jobSync", "timeoutMs": 2_500, "maxAttempts": 2], now: now)
        #expect(command.timeoutMilliseconds == 2_500)
        #expect(command.maxAttempts == 2)
        let delayed = try CommandValidation.parse(
            body: ["operation": "demo.echo", "runAt": "2023-11-14T22:14:00Z"], now: now)
        #expect(delayed.runAt == 1_700_000_040_000)

        #expect(Self.bodyRejection(["operation": "demo.echo", "timeoutMs": 60_001]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "timeoutMs": "soon"]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "maxAttempts": 0]) == "invalid_max_attempts")
        #expect(Self.bodyRejection(["operation": "demo.echo", "maxAttempts": "2"]) == "invalid_request")
        #expect(Self.bodyRejection(["operation": "demo.echo", "runAt": true]) == "invalid_request")
        let waited = try CommandValidation.parse(
            body: ["operation": "demo.echo", "mode": "jobSync", "runAt": .int(Int(now) + 500)], now: now)
        #expect(waited.runAt == now + 500, "a waiting caller's job may be delayed; its wait includes the delay")
        let direct = try CommandValidation.parse(
            body: ["operation": "demo.echo", "mode": "sync", "runAt": .int(Int(now) + 500)], now: now)
        #expect(direct.runAt == nil, "sync records no job and always runs at once")
    }

    @Test("a body's mode, job id and principal follow the same rules as stream fields")
    func bodyFieldRules() {
        #expect(Self.bodyRejection(["operation": "demo.echo", "mode": "later"]) == "invalid_mode")
        #expect(Self.bodyRejection(["operation": "demo.echo", "jobId": "no spaces"]) == "invalid_job_id")
        #expect(Self.bodyRejection(["operation": "demo.echo", "jobId": ""]) == "invalid_job_id")
        #expect(Self.bodyRejection(["operation": "demo.echo", "principal": ""]) == "invalid_principal")
    }
}
