import Foundation
import JobModel

/// One invocation of jobctl: the parsed arguments and what the commands talk to.
struct Session {
    let arguments: Arguments
    let gateway: GatewayClient
    let printer: Printer

    var words: [String] { arguments.positional }

    /// Reads the gateway address from `--url`, then CNCF_URL.
    init(arguments: Arguments) {
        self.arguments = arguments
        var base =
            arguments.options["--url"] ?? ProcessInfo.processInfo.environment["CNCF_URL"] ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        gateway = GatewayClient(baseURL: base)
        printer = Printer(json: arguments.flags.contains("--json"))
    }

    /// Runs the command the words name.
    func run() async throws -> ExitCode {
        switch words[0] {
        case "submit": return try await submit()
        case "status":
            try arguments.allow([], for: "status")
            let job = try await gateway.request("GET", "/v1/jobs/\(try jobPath())").json["job"] ?? .null
            printer.job(job)
            return .success
        case "wait": return try await wait()
        case "result": return try await result()
        case "list": return try await list()
        case "cancel": return try await cancel()
        case "retry": return try await retry()
        case "tasks": return try await tasks()
        case "tree": return try await tree()
        case "dead": return try await deadLetters()
        case "operations": return try await operations()
        case "health":
            try arguments.allow([], for: "health")
            let health = try await gateway.request("GET", "/healthz", timeout: 5).json
            if printer.json { printer.show(health) } else { print(health["status"]?.stringValue ?? "unknown") }
            return .success
        case "audit":
            guard words.count == 2, words[1] == "tail" || words[1] == "verify" else {
                throw CommandLineError(
                    message: "usage: jobctl audit tail [--from-start] | jobctl audit verify", code: .usage)
            }
            if words[1] == "verify" {
                try arguments.allow([], for: "audit verify")
                return try verifyAuditStream(printer: printer)
            }
            try arguments.allow(["--from-start"], for: "audit tail")
            try tailAudit(fromStart: arguments.flags.contains("--from-start"), printer: printer)
        case "top":
            try arguments.allow(["--once"], for: "top")
            guard words.count == 1 else { throw CommandLineError(message: "usage: jobctl top [--once]", code: .usage) }
            return try await top(once: arguments.flags.contains("--once"), printer: printer)
        default:
            throw CommandLineError(message: "unknown command '\(words[0])'\n\n\(usage)", code: .usage)
        }
    }

    /// The job id of `jobctl COMMAND ID`, percent-encoded for a path.
    func jobPath() throws -> String {
        guard words.count == 2 else {
            throw CommandLineError(message: "usage: jobctl \(words[0]) ID", code: .usage)
        }
        return GatewayClient.segment(words[1])
    }

    /// Writes a note to standard error, where it does not mix with output meant for pipes.
    func note(_ text: String) {
        FileHandle.standardError.write(Data("jobctl: \(text)\n".utf8))
    }

    // MARK: Reading jobs

    /// `wait ID`: holds until the job is finished (or settled, with `--until settled`) or the time is up.
    func wait() async throws -> ExitCode {
        try arguments.allow(["--timeout-ms", "--until"], for: "wait")
        let id = try jobPath()
        let timeout = try arguments.integer("--timeout-ms") ?? 30_000
        let path = GatewayClient.path(
            "/v1/jobs/\(id)/wait", query: [("timeoutMs", String(timeout)), ("until", arguments.options["--until"])])
        let waited = try await gateway.request("GET", path, timeout: TimeInterval(max(timeout, 0)) / 1000 + 10).json
        printer.job(waited["job"] ?? .null)
        if waited["timedOut"] == .bool(true) { return .timedOut }
        return exitCode(for: waited["job"] ?? .null)
    }

    /// `result ID`: the result of a finished job, or its error.
    func result() async throws -> ExitCode {
        try arguments.allow([], for: "result")
        let result = try await gateway.request("GET", "/v1/jobs/\(try jobPath())/result").json
        if printer.json {
            printer.show(result)
        } else if let error = result["error"], error != .null {
            print("\(result["status"]?.stringValue ?? "failed"): \(Printer.describe(error: error))")
        } else {
            print((result["result"] ?? .null).encoded)
        }
        return result["status"]?.stringValue == "succeeded" ? .success : .jobUnsuccessful
    }

    /// `list`: a page of jobs, newest first.
    func list() async throws -> ExitCode {
        try arguments.allow(["--status", "--operation", "--limit", "--cursor"], for: "list")
        let path = GatewayClient.path(
            "/v1/jobs",
            query: [
                ("status", arguments.options["--status"]), ("operation", arguments.options["--operation"]),
                ("limit", arguments.options["--limit"]), ("cursor", arguments.options["--cursor"]),
            ])
        let listing = try await gateway.request("GET", path).json
        printer.list(listing["jobs"]?.arrayValue ?? [], next: listing["nextCursor"]?.stringValue)
        return .success
    }

    /// `operations`: what the workers offer.
    func operations() async throws -> ExitCode {
        try arguments.allow([], for: "operations")
        let listing = try await gateway.request("GET", "/v1/operations").json
        if printer.json {
            printer.show(listing)
        } else {
            for operation in listing["operations"]?.arrayValue ?? [] {
                let name = (operation["name"]?.stringValue ?? "").padding(toLength: 24, withPad: " ", startingAt: 0)
                print("\(name) \(operation["description"]?.stringValue ?? "")")
            }
        }
        return .success
    }

    // MARK: Controls

    /// `cancel ID [--reason R]`: cancels a job at once, or asks its worker to stop it when it runs.
    func cancel() async throws -> ExitCode {
        try arguments.allow(["--reason"], for: "cancel")
        let id = try jobPath()
        let body: JSONValue? = arguments.options["--reason"].map { ["reason": .string($0)] }
        let (status, answer) = try await gateway.request("POST", "/v1/jobs/\(id)/cancel", body: body)
        if printer.json {
            printer.show(answer)
            return .success
        }
        if status == 202 {
            print("cancellation requested; the running operation stops at its next cancellation point")
        }
        printer.job(answer["job"] ?? .null)
        return .success
    }

    /// `retry ID`: runs a failed or cancelled job again.
    func retry() async throws -> ExitCode {
        try arguments.allow([], for: "retry")
        let answer = try await gateway.request("POST", "/v1/jobs/\(try jobPath())/retry").json
        if printer.json {
            printer.show(answer)
            return .success
        }
        printer.job(answer["job"] ?? .null)
        return .success
    }

    /// `dead list` and `dead requeue ENTRY_ID`: tasks whose attempts ran out.
    func deadLetters() async throws -> ExitCode {
        switch words.dropFirst().first {
        case "list":
            try arguments.allow(["--limit", "--cursor"], for: "dead list")
            guard words.count == 2 else {
                throw CommandLineError(message: "usage: jobctl dead list [--limit N] [--cursor C]", code: .usage)
            }
            let path = GatewayClient.path(
                "/v1/dead-letters",
                query: [("limit", arguments.options["--limit"]), ("cursor", arguments.options["--cursor"])])
            let listing = try await gateway.request("GET", path).json
            if printer.json {
                printer.show(listing)
                return .success
            }
            let rows = (listing["deadLetters"]?.arrayValue ?? []).map { letter -> [String] in
                let text = { (key: String) in letter[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "-" }
                return [
                    text("id"), text("jobId"), text("taskId"), text("kind"), text("operation"),
                    letter["attempt"]?.intValue.map(String.init) ?? "-", text("at"),
                    "\(text("errorCode")): \(text("errorMessage"))",
                ]
            }
            if rows.isEmpty {
                print("no dead letters")
            } else {
                Printer.table(["ENTRY", "JOB", "TASK", "KIND", "OPERATION", "ATTEMPT", "AT", "ERROR"], rows)
            }
            if let next = listing["nextCursor"]?.stringValue { print("more: --cursor \(next)") }
            return .success
        case "requeue":
            try arguments.allow([], for: "dead requeue")
            guard words.count == 3 else {
                throw CommandLineError(message: "usage: jobctl dead requeue ENTRY_ID", code: .usage)
            }
            let path = "/v1/dead-letters/\(GatewayClient.segment(words[2]))/requeue"
            let answer = try await gateway.request("POST", path).json
            if printer.json {
                printer.show(answer)
                return .success
            }
            print("requeued \(answer["requeued"]?.stringValue ?? words[2])")
            printer.job(answer["job"] ?? .null)
            return .success
        default:
            throw CommandLineError(
                message: "usage: jobctl dead list [--limit N] [--cursor C] | jobctl dead requeue ENTRY_ID",
                code: .usage)
        }
    }
}
