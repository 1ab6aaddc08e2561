import Foundation
import JobModel

extension Session {
    /// `submit OPERATION ...`: submits a command in the chosen execution mode and reports what came back.
    func submit() async throws -> ExitCode {
        try arguments.allow(
            [
                "--input", "--job-id", "--principal", "--mode", "--max-attempts", "--run-at", "--idempotency-key",
                "--timeout-ms", "--wait",
            ], for: "submit")
        guard words.count == 2 else {
            throw CommandLineError(message: "usage: jobctl submit OPERATION ...", code: .usage)
        }
        let input: JSONValue
        do {
            input = try JSONValue.parse(arguments.options["--input"] ?? "{}")
        } catch {
            throw CommandLineError(message: "--input is \(error)", code: .usage)
        }

        let modeName = arguments.options["--mode"] ?? ExecutionMode.jobAsync.rawValue
        guard let mode = ExecutionMode(rawValue: modeName) else {
            let names = ExecutionMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw CommandLineError(message: "--mode must be one of \(names), not '\(modeName)'", code: .usage)
        }
        let waitsItself = mode != .jobAsync
        if waitsItself && arguments.flags.contains("--wait") {
            throw CommandLineError(
                message: "--wait is for mode jobAsync; mode \(modeName) waits by itself", code: .usage)
        }

        var body: [String: JSONValue] = ["operation": .string(words[1]), "input": input, "mode": .string(modeName)]
        if let id = arguments.options["--job-id"] { body["jobId"] = .string(id) }
        if let principal = arguments.options["--principal"] { body["principal"] = .string(principal) }
        if let attempts = try arguments.integer("--max-attempts") { body["maxAttempts"] = .int(attempts) }
        if let runAt = arguments.options["--run-at"] { body["runAt"] = try Self.runAt(runAt) }
        let timeout = try arguments.integer("--timeout-ms")
        if waitsItself, let timeout { body["timeoutMs"] = .int(timeout) }
        let headers = arguments.options["--idempotency-key"].map { ["Idempotency-Key": $0] } ?? [:]
        // The gateway answers within timeoutMs; leave room for the request itself.
        let patience = TimeInterval(max(timeout ?? 10_000, 0)) / 1000 + 30

        switch mode {
        case .sync:
            let (status, answer) = try await gateway.request(
                "POST", "/v1/commands", body: .object(body), headers: headers, timeout: patience,
                accepting: [408, 422])
            // The gateway answers 408 `sync_timeout` when no worker answered within timeoutMs.
            if status == 408 {
                let message = answer["error"]?["message"]?.stringValue ?? "no worker answered in time"
                throw CommandLineError(message: "sync_timeout: \(message)", code: .timedOut)
            }
            if printer.json {
                printer.show(answer)
            } else if status == 200 {
                print((answer["result"] ?? .null).encoded)
            } else {
                print("failed: \(Printer.describe(error: answer["error"] ?? .null))")
            }
            return status == 200 ? .success : .jobUnsuccessful
        case .jobSync, .jobSyncWithAsyncCont:
            let (status, answer) = try await gateway.request(
                "POST", "/v1/commands", body: .object(body), headers: headers, timeout: patience)
            let job = answer["job"] ?? .null
            printer.job(job)
            let terminal = ["succeeded", "failed", "cancelled"].contains(job["status"]?.stringValue ?? "")
            let finished = mode == .jobSync ? job["settled"] == .bool(true) : terminal
            if status == 202 && !finished {
                let id = job["id"]?.stringValue ?? "?"
                note("job \(id) is not finished yet; it goes on running (follow it with: jobctl wait \(id))")
                return .timedOut
            }
            return exitCode(for: job)
        case .jobAsync:
            let submitted =
                try await gateway.request("POST", "/v1/commands", body: .object(body), headers: headers).json["job"]
                ?? .null
            guard arguments.flags.contains("--wait"), let id = submitted["id"]?.stringValue else {
                printer.job(submitted)
                return .success
            }
            let wait = timeout ?? 30_000
            let path = GatewayClient.path(
                "/v1/jobs/\(GatewayClient.segment(id))/wait", query: [("timeoutMs", String(wait))])
            let waited = try await gateway.request("GET", path, timeout: TimeInterval(max(wait, 0)) / 1000 + 10).json
            printer.job(waited["job"] ?? .null)
            if waited["timedOut"] == .bool(true) { return .timedOut }
            return exitCode(for: waited["job"] ?? .null)
        }
    }

    /// Reads `--run-at`: milliseconds since the epoch, `+N` with a unit `s`, `m` or `h` (from now), or any other
    /// text, which the gateway reads as an RFC 3339 time.
    static func runAt(_ text: String) throws -> JSONValue {
        if let milliseconds = Int(text) { return .int(milliseconds) }
        guard text.hasPrefix("+") else { return .string(text) }
        let seconds: Int? =
            switch (Int(text.dropFirst().dropLast()), text.last) {
            case (let amount?, "s") where amount >= 0: amount
            case (let amount?, "m") where amount >= 0: amount * 60
            case (let amount?, "h") where amount >= 0: amount * 3600
            default: nil
            }
        guard let seconds else {
            throw CommandLineError(message: "--run-at +N needs a unit: +90s, +5m or +2h", code: .usage)
        }
        return .int(Int(Clock.milliseconds()) + seconds * 1000)
    }
}
