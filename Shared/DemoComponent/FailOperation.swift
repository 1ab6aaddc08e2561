import JobModel
import JobServices

/// `demo.fail`: fails with `input.message`. With `{"times": N}` it fails only its first N attempts and then
/// succeeds, which makes retries visible.
struct FailOperation: JobOperation {
    let name = "demo.fail"
    let description = "Fails with input.message; with input.times = N only the first N attempts fail."

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        if let times = input["times"]?.intValue, context.attempt > times {
            return ["attempt": .int(context.attempt), "recovered": true]
        }
        let message = input["message"]?.stringValue ?? "demo.fail was asked to fail"
        throw JobError(code: "demo_failure", message: message, action: .retryNow)
    }
}
