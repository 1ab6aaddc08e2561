import JobModel
import JobServices

/// The demo component: small operations for trying the system out and for tests.
public enum DemoComponent {
    /// Adds every demo operation to `registry`.
    public static func register(into registry: inout OperationRegistry) {
        registry.register(EchoOperation())
        registry.register(SleepOperation())
        registry.register(FailOperation())
        registry.register(IncrementOperation())
    }
}

extension JobError {
    /// The error of an input the caller has to correct: code `invalid_input`, action `fixInput`.
    static func invalidInput(_ message: String) -> JobError {
        JobError(code: "invalid_input", message: message, action: .fixInput)
    }
}

extension JSONValue {
    /// The value as an error message quotes it: its JSON text when short, otherwise its type.
    var quotedInError: String {
        let text = encoded
        return text.count <= 40 ? text : "a long \(typeName)"
    }
}
