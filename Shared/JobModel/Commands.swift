/// A command to run, as submitted over HTTP or written onto the command stream.
public struct CommandSubmission: Sendable, Equatable {
    public var operation: String
    public var input: JSONValue
    public var mode: ExecutionMode
    /// An id chosen by the client; otherwise job management makes one.
    public var jobId: String?
    public var principal: String?
    /// Attempts allowed before the job fails for good; `nil` takes the operation's retry policy.
    public var maxAttempts: Int?
    /// Do not start before this time (milliseconds since the epoch).
    public var runAt: UInt64?
    /// Repeating a submission with the same key returns the first job instead of running the work again.
    public var idempotencyKey: String?
    /// How long a synchronous caller waits (sync, jobSync, jobSyncWithAsyncCont), in milliseconds.
    public var timeoutMilliseconds: Int?
    /// A stream producer's reply stream: where the answer of a `sync` command, or the job of a waiting mode once it
    /// ends, is appended. Only on the command stream; the HTTP API answers in the response.
    public var replyTo: String?
    /// Names a `sync` command's answer on `replyTo`; the entry id when not given.
    public var requestId: String?

    public init(
        operation: String, input: JSONValue = .object([:]), mode: ExecutionMode = .jobAsync,
        jobId: String? = nil, principal: String? = nil, maxAttempts: Int? = nil, runAt: UInt64? = nil,
        idempotencyKey: String? = nil, timeoutMilliseconds: Int? = nil
    ) {
        self.operation = operation
        self.input = input
        self.mode = mode
        self.jobId = jobId
        self.principal = principal
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.idempotencyKey = idempotencyKey
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// Why a submitted command was refused: a stable code and a message that says what to fix.
public struct CommandRejection: Error, Sendable, Equatable {
    public var code: String
    public var reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// The rules every submitted command must follow, wherever it comes from.
public enum CommandValidation {
    public static let maxOperationLength = 128
    public static let maxPrincipalLength = 256
    public static let maxInputBytes = 1 << 20
    public static let maxAttemptsLimit = 100
    public static let maxIdempotencyKeyLength = 200
    /// The latest `runAt` accepted: the last millisecond of 2099.
    public static let latestRunAt: UInt64 = 4_102_444_799_999
    /// Default and longest wait of a synchronous caller.
    public static let defaultSyncTimeoutMilliseconds = 10_000
    public static let maxSyncTimeoutMilliseconds = 60_000
    /// The execution modes this deployment runs.
    public static let supportedModes: Set<ExecutionMode> = Set(ExecutionMode.allCases)
    public static let maxReplyToLength = 200
    public static let maxRequestIdLength = 128

    /// Checks an operation name: two or more dot-separated parts of letters, digits, `_` and `-`, each starting
    /// with a letter, e.g. `demo.echo`.
    public static func checkOperationName(_ name: String) throws(CommandRejection) {
        guard !name.isEmpty else { throw CommandRejection(code: "missing_operation", reason: "operation is empty") }
        guard name.utf8.count <= maxOperationLength else {
            throw CommandRejection(
                code: "invalid_operation", reason: "operation is longer than \(maxOperationLength) characters")
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let wellFormed =
            parts.count >= 2
            && parts.allSatisfy { part in
                guard let first = part.utf8.first, isLetter(first) else { return false }
                return part.utf8.allSatisfy {
                    isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                }
            }
        guard wellFormed else {
            throw CommandRejection(
                code: "invalid_operation",
                reason: "operation '\(name.prefix(64))' is not of the form component.operation (letters, digits, _, -)")
        }
    }

    /// Reads a command from a command-stream entry's fields.
    public static func parse(
        streamFields fields: [String: String], now: UInt64 = Clock.milliseconds()
    )
        throws(CommandRejection) -> CommandSubmission
    {
        guard let operation = fields["operation"] else {
            throw CommandRejection(code: "missing_operation", reason: "the entry has no 'operation' field")
        }
        try checkOperationName(operation)
        var input = JSONValue.object([:])
        if let text = fields["input"] {
            guard text.utf8.count <= maxInputBytes else {
                throw CommandRejection(code: "input_too_large", reason: "input is larger than \(maxInputBytes) bytes")
            }
            do {
                input = try JSONValue.parse(text)
            } catch {
                throw CommandRejection(code: "invalid_json", reason: "field 'input': \(error)")
            }
        }
        let mode = try mode(fields["mode"])
        var command = CommandSubmission(
            operation: operation, input: input, mode: mode, jobId: try jobId(fields["jobId"]),
            principal: try principal(fields["principal"]),
            maxAttempts: try maxAttempts(fields["maxAttempts"].map { Int($0) ?? -1 }),
            runAt: try runAt(fields["runAt"], now: now),
            idempotencyKey: try idempotencyKey(fields["idempotencyKey"]))
        command.replyTo = try printable(fields["replyTo"], "replyTo", maxLength: maxReplyToLength)
        command.requestId = try printable(fields["requestId"], "requestId", maxLength: maxRequestIdLength)
        if mode == .sync {
            guard command.replyTo != nil else {
                throw CommandRejection(
                    code: "missing_reply_to",
                    reason: "a sync command on the stream needs a 'replyTo' stream for its answer; no job is kept")
            }
            command.runAt = nil
        } else if command.replyTo != nil && mode == .jobAsync {
            throw CommandRejection(
                code: "invalid_request", reason: "'replyTo' is for sync, jobSync and jobSyncWithAsyncCont commands")
        }
        return command
    }

    /// A field of 1 to `maxLength` printable ASCII characters, or `nil` when absent.
    private static func printable(_ text: String?, _ name: String, maxLength: Int) throws(CommandRejection) -> String? {
        guard let text else { return nil }
        guard (1...maxLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw CommandRejection(
                code: "invalid_request", reason: "'\(name)' must be 1 to \(maxLength) printable ASCII characters")
        }
        return text
    }

    /// Reads a command from the JSON body of `POST /v1/commands`.
    public static func parse(
        body: JSONValue, now: UInt64 = Clock.milliseconds()
    ) throws(CommandRejection)
        -> CommandSubmission
    {
        guard case .object(let members) = body else {
            throw CommandRejection(
                code: "invalid_request", reason: "the body must be a JSON object, not \(body.typeName)")
        }
        let known: Set<String> = [
            "operation", "input", "mode", "jobId", "principal", "maxAttempts", "runAt",
            "timeoutMs", "idempotencyKey",
        ]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw CommandRejection(code: "invalid_request", reason: "unknown field '\(unknown.prefix(64))'")
        }
        guard let operationValue = members["operation"] else {
            throw CommandRejection(code: "missing_operation", reason: "the body has no 'operation' field")
        }
        guard let operation = operationValue.stringValue else {
            throw CommandRejection(
                code: "invalid_request", reason: "'operation' must be a string, not \(operationValue.typeName)")
        }
        try checkOperationName(operation)
        let mode = try mode(try optionalString(members, "mode"))
        var timeout: Int?
        if let value = members["timeoutMs"], value != .null {
            guard let number = value.intValue, (0...maxSyncTimeoutMilliseconds).contains(number) else {
                throw CommandRejection(
                    code: "invalid_request",
                    reason: "'timeoutMs' must be a whole number from 0 to \(maxSyncTimeoutMilliseconds)")
            }
            timeout = number
        }
        var attempts: Int?
        if let value = members["maxAttempts"], value != .null {
            guard let number = value.intValue else {
                throw CommandRejection(code: "invalid_request", reason: "'maxAttempts' must be a whole number")
            }
            attempts = try maxAttempts(number)
        }
        var start: UInt64?
        if let value = members["runAt"], value != .null {
            if let number = value.intValue, number >= 0 {
                start = try runAt(String(number), now: now)
            } else if let text = value.stringValue, !text.isEmpty {
                start = try runAt(text, now: now)
            } else {
                throw CommandRejection(
                    code: "invalid_request", reason: "'runAt' must be milliseconds since the epoch or an RFC 3339 time")
            }
        }
        if mode == .sync {
            // A sync command has no job to delay: it always runs at once.
            start = nil
        }
        return CommandSubmission(
            operation: operation, input: members["input"] ?? .object([:]), mode: mode,
            jobId: try jobId(try optionalString(members, "jobId")),
            principal: try principal(try optionalString(members, "principal")), maxAttempts: attempts, runAt: start,
            idempotencyKey: try idempotencyKey(try optionalString(members, "idempotencyKey")),
            timeoutMilliseconds: timeout)
    }

    /// Checks an `Idempotency-Key` value: 1 to 200 printable ASCII characters.
    public static func idempotencyKey(_ text: String?) throws(CommandRejection) -> String? {
        guard let text else { return nil }
        guard (1...maxIdempotencyKeyLength).contains(text.utf8.count),
            text.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            throw CommandRejection(
                code: "invalid_idempotency_key",
                reason: "the idempotency key must be 1 to \(maxIdempotencyKeyLength) printable ASCII characters")
        }
        return text
    }

    private static func optionalString(
        _ members: [String: JSONValue], _ key: String
    ) throws(CommandRejection)
        -> String?
    {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw CommandRejection(code: "invalid_request", reason: "'\(key)' must be a string, not \(value.typeName)")
        }
        return text
    }

    private static func mode(_ text: String?) throws(CommandRejection) -> ExecutionMode {
        guard let text else { return .jobAsync }
        guard let mode = ExecutionMode(rawValue: text) else {
            let names = ExecutionMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw CommandRejection(code: "invalid_mode", reason: "mode '\(text.prefix(64))' is not one of \(names)")
        }
        guard supportedModes.contains(mode) else {
            throw CommandRejection(code: "unsupported_mode", reason: "mode '\(text)' is not supported")
        }
        return mode
    }

    private static func maxAttempts(_ value: Int?) throws(CommandRejection) -> Int? {
        guard let value else { return nil }
        guard (1...maxAttemptsLimit).contains(value) else {
            throw CommandRejection(
                code: "invalid_max_attempts", reason: "maxAttempts must be a whole number from 1 to \(maxAttemptsLimit)"
            )
        }
        return value
    }

    private static func runAt(_ text: String?, now: UInt64) throws(CommandRejection) -> UInt64? {
        guard let text, !text.isEmpty else { return nil }
        guard let time = UInt64(text) ?? Clock.parseRFC3339(text) else {
            throw CommandRejection(
                code: "invalid_run_at", reason: "runAt must be milliseconds since the epoch or an RFC 3339 UTC time")
        }
        guard time <= latestRunAt else {
            throw CommandRejection(code: "invalid_run_at", reason: "runAt must be before the year 2100")
        }
        return time
    }

    private static func jobId(_ text: String?) throws(CommandRejection) -> String? {
        guard let text else { return nil }
        guard JobID.isValidClientID(text) else {
            throw CommandRejection(code: "invalid_job_id", reason: "jobId must be 1 to 64 of A-Z a-z 0-9 . _ -")
        }
        return text
    }

    private static func principal(_ text: String?) throws(CommandRejection) -> String? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.count <= maxPrincipalLength else {
            throw CommandRejection(
                code: "invalid_principal", reason: "principal must be 1 to \(maxPrincipalLength) bytes")
        }
        return text
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
