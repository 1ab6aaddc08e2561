import Foundation
import JobModel

/// Prints jobs and results for people, or raw JSON for scripts.
struct Printer {
    let json: Bool

    func show(_ value: JSONValue) {
        print(value.encoded)
    }

    func job(_ job: JSONValue) {
        if json { return show(job) }
        let text = { (key: String) in job[key]?.stringValue ?? "-" }
        let attempt = job["attempt"]?.intValue ?? 0
        let maxAttempts = job["maxAttempts"]?.intValue.map(String.init) ?? "?"
        print("job \(text("id"))  \(text("operation"))  \(text("status"))")
        print(
            "  principal  \(text("principal"))   mode \(text("mode"))   attempt \(attempt)/\(maxAttempts)"
                + "   retries \(job["retryCount"]?.intValue ?? 0)")
        print("  accepted   \(text("acceptedAt"))")
        if let runAt = job["runAt"]?.stringValue { print("  run at     \(runAt)") }
        if job["startedAt"]?.stringValue != nil { print("  started    \(text("startedAt"))  on \(text("worker"))") }
        if job["completedAt"]?.stringValue != nil { print("  completed  \(text("completedAt"))") }
        if let result = job["result"], result != .null { print("  result     \(result.encoded)") }
        if let error = job["error"], error != .null { print("  error      \(Self.describe(error: error))") }
        if let conclusion = job["conclusion"]?.stringValue { print("  conclusion \(conclusion)") }
        if let reason = job["cancellationReason"]?.stringValue { print("  cancelled  \(reason)") }
        if let reason = job["cancelRequested"]?.stringValue { print("  cancelling \(reason) (requested)") }
        if let tasks = job["tasks"], let continuations = tasks["continuations"]?.intValue, continuations > 0 {
            let finished = tasks["continuationsFinished"]?.intValue ?? 0
            print(
                "  tasks      primary + \(continuations) continuation\(continuations == 1 ? "" : "s")"
                    + " (\(finished) finished)   settled \(job["settled"] == .bool(true) ? "yes" : "no")")
        }
    }

    func list(_ jobs: [JSONValue], next: String?) {
        if json { return show(["jobs": .array(jobs), "nextCursor": next.map(JSONValue.string) ?? .null]) }
        for job in jobs {
            let id = job["id"]?.stringValue ?? "-"
            let status = (job["status"]?.stringValue ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
            let operation = (job["operation"]?.stringValue ?? "-").padding(toLength: 24, withPad: " ", startingAt: 0)
            print("\(id)  \(status) \(operation) \(job["acceptedAt"]?.stringValue ?? "")")
        }
        if let next { print("more: --cursor \(next)") }
    }

    /// `code: message (what to do: action)` for an error object of the API.
    static func describe(error: JSONValue) -> String {
        var text = "\(error["code"]?.stringValue ?? "error"): \(error["message"]?.stringValue ?? "")"
        if let action = error["action"]?.stringValue { text += " (what to do: \(action))" }
        return text
    }

    /// Prints rows under a header, each column as wide as its widest cell, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) {
        tableLines(header, rows).forEach { print($0) }
    }

    /// Rows under a header as lines, each column as wide as its widest cell, two spaces apart.
    static func tableLines(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

/// The exit code that says how a job ended: 1 when it failed or was cancelled, 0 otherwise.
func exitCode(for job: JSONValue) -> ExitCode {
    switch job["status"]?.stringValue {
    case "succeeded": .success
    case "failed", "cancelled": .jobUnsuccessful
    default: .success
    }
}
