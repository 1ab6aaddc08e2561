/// A command to run, as submitted over HTTP or written onto the command stream.
public struct CommandSubmission: Sendable, Equatable {
    public var operation: String
    public var input: JSONValue
    public var mode: ExecutionMode
    /// An id chosen by the client; otherwise job management makes one.
    public var jobId: String?
    public var principal: String?

    public init(
        operation: String, input: JSONValue = .object([:]), mode: ExecutionMode = .jobAsync,
        jobId: String? = nil, principal: String? = nil
    ) {
        self.operation = operation
        self.input = input
        self.mode = mode
        self.jobId = jobId
        self.principal = principal
    }

    /// The fields of the command stream entry for this command.
    public func streamFields(source: String) -> [String] {
        var fields = ["operation", operation, "input", input.encoded, "mode", mode.rawValue, "source", source]
        if let jobId { fields += ["jobId", jobId] }
        if let principal { fields += ["principal", principal] }
        return fields
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
    /// The execution modes this deployment runs.
    public static let supportedModes: Set<ExecutionMode> = [.jobAsync]

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
                reason:
                    "operation '\(name.prefix(64))' is not of the form component.operation (letters, digits, _ and -)")
        }
    }

    /// Reads a command from a command-stream entry's fields.
    public static func parse(streamFields fields: [String: String]) throws(CommandRejection) -> CommandSubmission {
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
        return CommandSubmission(
            operation: operation, input: input, mode: try mode(fields["mode"]),
            jobId: try jobId(fields["jobId"]), principal: try principal(fields["principal"]))
    }

    /// Reads a command from the JSON body of `POST /v1/commands`.
    public static func parse(body: JSONValue) throws(CommandRejection) -> CommandSubmission {
        guard case .object(let members) = body else {
            throw CommandRejection(
                code: "invalid_request", reason: "the body must be a JSON object, not \(body.typeName)")
        }
        let known: Set<String> = ["operation", "input", "mode", "jobId", "principal"]
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
        return CommandSubmission(
            operation: operation, input: members["input"] ?? .object([:]),
            mode: try mode(try optionalString(members, "mode")), jobId: try jobId(try optionalString(members, "jobId")),
            principal: try principal(try optionalString(members, "principal")))
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
            throw CommandRejection(
                code: "unsupported_mode", reason: "mode '\(text)' is not supported yet; use jobAsync")
        }
        return mode
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
