import JobModel
import JobServices

/// `demo.increment`: adds one to the counter `{"counter": "name"}` in the `demo:counters` hash.
///
/// The increment is staged, so it lands only when the attempt commits: an attempt that fails or is cancelled
/// leaves the counter as it was, and a retried job counts once.
struct IncrementOperation: JobOperation {
    let name = "demo.increment"
    let description = "Adds one to counter input.counter in the demo:counters hash; returns {\"counter\": name}."
    let isTransactional = true

    /// Hash of counter name → count, relative to the namespace.
    static let countersKey = "demo:counters"
    static let maximumNameLength = 128

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let counter = try Self.counterName(in: input)

        try context.stage(.hashIncrement(key: Self.countersKey, field: counter, by: 1))

        return ["counter": .string(counter)]
    }

    /// The counter named by `input`, or the `fixInput` error saying what is wrong with it.
    static func counterName(in input: JSONValue) throws(JobError) -> String {
        let rule = "counter must be a non-empty string of at most \(maximumNameLength) characters"
        guard let value = input["counter"] else {
            throw .invalidInput("\(rule); it is missing")
        }
        guard let counter = value.stringValue else {
            throw .invalidInput("\(rule), got \(value.quotedInError)")
        }
        guard !counter.isEmpty, counter.count <= maximumNameLength else {
            throw .invalidInput("\(rule), got \(counter.count) characters")
        }
        return counter
    }
}
