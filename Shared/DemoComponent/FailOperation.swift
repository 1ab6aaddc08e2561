import JobModel
import JobServices

/// `demo.fail`: fails with `input.message`. With `{"times": N}` it fails only its first N attempts and then
/// succeeds, which makes retries visible.
///
/// Failures are `retryNow`, and the policy allows five attempts, so `{"times": 2}` recovers on its own at
/// attempt 3 while `{"times": 5}` or more, or no `times` at all, ends the job failed.
struct FailOperation: JobOperation {
    let name = "demo.fail"
    let description = "Fails with input.message; with input.times = N only the first N attempts fail."
    let retryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
    let isTransactional = true

    static let maximumTimes = 100

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let (times, message) = try Self.parse(input)

        if let times, context.attempt > times {
            return ["attempt": .int(context.attempt), "recovered": true]
        }
        throw JobError(code: "demo_failure", message: message, action: .retryNow)
    }

    /// How many attempts are to fail (`nil`: all of them) and with which message.
    static func parse(_ input: JSONValue) throws(JobError) -> (times: Int?, message: String) {
        var times: Int?
        if let value = input["times"], value != .null {
            guard let count = value.intValue, (0...maximumTimes).contains(count) else {
                throw .invalidInput(
                    "times must be a whole number from 0 to \(maximumTimes), got \(value.quotedInError)")
            }
            times = count
        }

        var message = "demo.fail was asked to fail"
        if let value = input["message"], value != .null {
            guard let text = value.stringValue else {
                throw .invalidInput("message must be a string, got \(value.quotedInError)")
            }
            message = text
        }
        return (times, message)
    }
}
