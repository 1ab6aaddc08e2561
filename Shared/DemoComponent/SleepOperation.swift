import JobModel
import JobServices

/// `demo.sleep`: waits `{"ms": N}` milliseconds (at most ten minutes), then returns how long it slept.
///
/// Cancelling the task ends the wait at once: `Task.sleep` throws `CancellationError`, which is left to
/// propagate so the attempt ends as cancelled work rather than as a finished sleep.
struct SleepOperation: JobOperation {
    let name = "demo.sleep"
    let description = "Sleeps for input.ms milliseconds (0 to 600000) and returns {\"slept\": ms}."
    let isTransactional = true

    static let maximumMilliseconds = 600_000

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let milliseconds = try Self.milliseconds(in: input)

        try await context.span("sleep") {
            try await Task.sleep(for: .milliseconds(milliseconds))
        }

        return ["slept": .int(milliseconds)]
    }

    /// The requested wait; no `ms` means zero.
    static func milliseconds(in input: JSONValue) throws(JobError) -> Int {
        guard let value = input["ms"], value != .null else { return 0 }
        guard let milliseconds = value.intValue, (0...maximumMilliseconds).contains(milliseconds) else {
            throw .invalidInput(
                "ms must be a whole number from 0 to \(maximumMilliseconds), got \(value.quotedInError)")
        }
        return milliseconds
    }
}
