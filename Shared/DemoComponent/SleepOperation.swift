import JobModel
import JobServices

/// `demo.sleep`: waits `{"ms": N}` milliseconds (at most ten minutes), then returns how long it slept.
/// The wait ends early, as a failure, when the task is cancelled.
struct SleepOperation: JobOperation {
    let name = "demo.sleep"
    let description = "Sleeps for input.ms milliseconds (0 to 600000) and returns {\"slept\": ms}."

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let milliseconds = input["ms"]?.intValue ?? 0
        guard (0...600_000).contains(milliseconds) else {
            throw JobError(
                code: "invalid_input", message: "ms must be a whole number from 0 to 600000", action: .fixInput)
        }
        try await context.span("sleep") {
            try await Task.sleep(for: .milliseconds(milliseconds))
        }
        return ["slept": .int(milliseconds)]
    }
}
