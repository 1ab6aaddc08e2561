import JobModel

/// Reads the members of a JSON object and checks each against its rule.
///
/// Every refusal is a `JobError` with code `invalid_input` and action `fixInput`, whose message names the
/// member, the rule and what was given instead.
struct InputReader: Sendable {
    private let members: [String: JSONValue]

    init(_ input: JSONValue) throws(JobError) {
        guard let members = input.objectValue else {
            throw Self.invalid("the input must be a JSON object, got \(Self.quote(input))")
        }
        self.members = members
    }

    /// A required name made of 1 to `maxLength` characters from A-Z, a-z, 0-9, '.', '_' and '-', which keeps it
    /// safe inside Redis key names and in `:`-separated values.
    func identifier(_ field: String, maxLength: Int = 64) throws(JobError) -> String {
        let rule = "\(field) must be 1 to \(maxLength) characters of A-Z, a-z, 0-9, '.', '_' or '-'"
        let value = try required(field, rule: rule)
        guard let text = value.stringValue, (1...maxLength).contains(text.count), text.allSatisfy(Self.isNameCharacter)
        else {
            throw Self.invalid("\(rule), got \(Self.quote(value))")
        }
        return text
    }

    /// A required string of 1 to `maxLength` characters.
    func text(_ field: String, maxLength: Int) throws(JobError) -> String {
        let rule = "\(field) must be a string of 1 to \(maxLength) characters"
        let value = try required(field, rule: rule)
        guard let text = value.stringValue else {
            throw Self.invalid("\(rule), got \(Self.quote(value))")
        }
        guard (1...maxLength).contains(text.count) else {
            throw Self.invalid("\(rule), got \(text.count) characters")
        }
        return text
    }

    /// A whole number within `range`; `defaultValue` when the member is absent or null, required when that is
    /// `nil`.
    func integer(
        _ field: String, in range: ClosedRange<Int>, default defaultValue: Int? = nil
    ) throws(JobError)
        -> Int
    {
        let rule = "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let value = present(field) else {
            guard let defaultValue else { throw Self.invalid("\(rule); it is missing") }
            return defaultValue
        }
        guard let number = value.intValue, range.contains(number) else {
            throw Self.invalid("\(rule), got \(Self.quote(value))")
        }
        return number
    }

    /// A boolean; `defaultValue` when the member is absent or null.
    func flag(_ field: String, default defaultValue: Bool) throws(JobError) -> Bool {
        guard let value = present(field) else { return defaultValue }
        guard let flag = value.boolValue else {
            throw Self.invalid("\(field) must be true or false, got \(Self.quote(value))")
        }
        return flag
    }

    private func present(_ field: String) -> JSONValue? {
        guard let value = members[field], value != .null else { return nil }
        return value
    }

    private func required(_ field: String, rule: String) throws(JobError) -> JSONValue {
        guard let value = present(field) else { throw Self.invalid("\(rule); it is missing") }
        return value
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character))
    }

    /// The value as a message quotes it: its JSON text when short, otherwise its type.
    private static func quote(_ value: JSONValue) -> String {
        let text = value.encoded
        return text.count <= 40 ? text : "a long \(value.typeName)"
    }

    private static func invalid(_ message: String) -> JobError {
        JobError(code: "invalid_input", message: message, action: .fixInput)
    }
}
