import Dispatch
import JobModel
import Synchronization

/// A unit of work that workers run by name, e.g. `demo.echo`.
///
/// An operation receives the command's JSON input and returns a JSON result, or throws a `JobError` that says
/// what the caller should do about the failure. Any other error counts as `operation_error` and is escalated.
public protocol JobOperation: Sendable {
    /// `component.operation`.
    var name: String { get }
    /// One line for `GET /v1/operations`.
    var description: String { get }

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue
}

/// The operations one worker process hosts.
public struct OperationRegistry: Sendable {
    public private(set) var operations: [String: any JobOperation] = [:]

    public init() {}

    /// Adds an operation; a second operation with the same name replaces the first.
    public mutating func register(_ operation: any JobOperation) {
        operations[operation.name] = operation
    }

    public func operation(named name: String) -> (any JobOperation)? { operations[name] }
}

/// What a running operation knows about its job, and where it records its call tree.
public final class OperationContext: Sendable {
    public let jobId: String
    public let attempt: Int
    public let principal: String
    public let logger: Logger
    let calls: CallTreeRecorder

    init(jobId: String, attempt: Int, principal: String, operation: String, logger: Logger) {
        self.jobId = jobId
        self.attempt = attempt
        self.principal = principal
        self.logger = logger
        self.calls = CallTreeRecorder(rootName: operation)
    }

    /// Runs `body` as a named span of the call tree, recording its start, duration and outcome.
    public func span<Result: Sendable>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        let index = calls.open(name)
        do {
            let result = try await body()
            calls.close(index, outcome: "ok")
            return result
        } catch {
            calls.close(index, outcome: "error")
            throw error
        }
    }
}

/// Spans of one attempt, nested by the order they open and close.
final class CallTreeRecorder: Sendable {
    private struct Span {
        var name: String
        var parent: Int?
        var startNanoseconds: UInt64
        var durationNanoseconds: UInt64?
        var outcome: String?
    }

    private struct State {
        var spans: [Span]
        var open: [Int]
    }

    private let state: Mutex<State>

    init(rootName: String) {
        state = Mutex(State(spans: [Span(name: rootName, parent: nil, startNanoseconds: Self.now())], open: [0]))
    }

    func open(_ name: String) -> Int {
        state.withLock { state in
            state.spans.append(Span(name: name, parent: state.open.last, startNanoseconds: Self.now()))
            state.open.append(state.spans.count - 1)
            return state.spans.count - 1
        }
    }

    func close(_ index: Int, outcome: String) {
        state.withLock { state in
            state.spans[index].durationNanoseconds = Self.now() - state.spans[index].startNanoseconds
            state.spans[index].outcome = outcome
            state.open.removeAll { $0 == index }
        }
    }

    /// The finished tree as JSON, closing the root with `outcome`.
    func tree(rootOutcome: String) -> JSONValue {
        close(0, outcome: rootOutcome)
        let spans = state.withLock { $0.spans }
        let origin = spans[0].startNanoseconds
        func node(_ index: Int) -> JSONValue {
            let span = spans[index]
            let children = spans.indices.filter { spans[$0].parent == index }.map(node)
            return .object([
                "name": .string(span.name),
                "startOffsetMicros": .int(Int((span.startNanoseconds - origin) / 1000)),
                "durationMicros": .int(Int((span.durationNanoseconds ?? 0) / 1000)),
                "outcome": .string(span.outcome ?? "unfinished"),
                "children": .array(children),
            ])
        }
        return node(0)
    }

    static func now() -> UInt64 {
        UInt64(DispatchTimeShim.uptimeNanoseconds())
    }
}

enum DispatchTimeShim {
    static func uptimeNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
