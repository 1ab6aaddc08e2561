import JobModel
import JobServices

/// `demo.echo`: returns its input unchanged.
struct EchoOperation: JobOperation {
    let name = "demo.echo"
    let description = "Returns its input unchanged."
    let isTransactional = true

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        input
    }
}
