import Foundation
import JobModel

extension Session {
    /// `tasks ID`: the job's primary task and continuation tasks as a table.
    func tasks() async throws -> ExitCode {
        try arguments.allow([], for: "tasks")
        let listing = try await gateway.request("GET", "/v1/jobs/\(try jobPath())/tasks").json
        if printer.json {
            printer.show(listing)
            return .success
        }
        let rows = (listing["tasks"]?.arrayValue ?? []).map { task -> [String] in
            let text = { (key: String) in task[key]?.stringValue ?? "-" }
            let attempts =
                "\(task["attempt"]?.intValue ?? 0)/\(task["maxAttempts"]?.intValue.map(String.init) ?? "?")"
            return [
                text("id"), text("kind"), text("runs"), text("status"), attempts, text("worker"),
                task["error"]?["code"]?.stringValue ?? "-",
            ]
        }
        Printer.table(["ID", "KIND", "RUNS", "STATUS", "ATTEMPT", "WORKER", "ERROR"], rows)
        print("settled: \(listing["settled"] == .bool(true) ? "yes" : "no")")
        return .success
    }

    /// `tree ID [--format text|chrome] [--output FILE]`: the job's call tree, indented or as a Chrome trace.
    func tree() async throws -> ExitCode {
        try arguments.allow(["--format", "--output"], for: "tree")
        let format = arguments.options["--format"] ?? "text"
        guard format == "text" || format == "chrome" else {
            throw CommandLineError(message: "--format must be text or chrome, not '\(format)'", code: .usage)
        }
        let answer = try await gateway.request("GET", "/v1/jobs/\(try jobPath())/calltree").json
        let root = answer["tree"] ?? .null
        let output: String
        if format == "chrome" {
            output = CallTreeTrace(job: answer["jobId"]?.stringValue ?? words[1], root: root).document.encoded
        } else if printer.json {
            output = answer.encoded
        } else {
            var lines: [String] = []
            CallTreeText.render(root, depth: 0, into: &lines)
            output = lines.joined(separator: "\n")
        }
        guard let file = arguments.options["--output"] else {
            print(output)
            return .success
        }
        do {
            try Data((output + "\n").utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw CommandLineError(message: "cannot write \(file): \(error.localizedDescription)", code: .usage)
        }
        note("wrote \(file)")
        return .success
    }
}

/// The call tree as indented text: one line per span, `name  duration  outcome`, two spaces per level, with the
/// root span of each task marked `task <id> (<kind>, <status>)` and the tasks it started below it.
enum CallTreeText {
    static func render(_ span: JSONValue, depth: Int, into lines: inout [String]) {
        var line = String(repeating: "  ", count: depth) + (span["name"]?.stringValue ?? "?")
        line += "  " + duration(span["durationMicros"]?.intValue)
        line += "  " + (span["outcome"]?.stringValue ?? "-")
        if let task = span["task"]?.stringValue {
            line += "  task \(task) (\(span["kind"]?.stringValue ?? "?"), \(span["status"]?.stringValue ?? "?"))"
        }
        lines.append(line)
        for child in span["children"]?.arrayValue ?? [] {
            render(child, depth: depth + 1, into: &lines)
        }
        for task in span["tasks"]?.arrayValue ?? [] {
            render(task, depth: depth + 1, into: &lines)
        }
    }

    /// Milliseconds with three decimals, or `-` for a span that has not finished.
    static func duration(_ microseconds: Int?) -> String {
        guard let microseconds else { return "-" }
        return String(format: "%.3f ms", Double(microseconds) / 1000)
    }
}

/// The call tree as a Chrome trace (`{"traceEvents": [...]}`): one complete ("X") event per span, timestamps in
/// microseconds since the epoch, one thread per task, named by metadata ("M") events.
struct CallTreeTrace {
    let job: String
    let root: JSONValue

    var document: JSONValue {
        var events: [JSONValue] = [
            ["name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": ["name": .string("job \(job)")]]
        ]
        var nextThread = 1
        collectTask(root, events: &events, nextThread: &nextThread)
        return ["traceEvents": .array(events), "displayTimeUnit": "ms"]
    }

    /// Adds the events of one task (its root span and everything under it) and of the tasks it started.
    ///
    /// Each task's root carries its own `startedAt`; the spans below it are placed by their offsets from it. A
    /// task that has not started yet has no time to place it at, so only the tasks below it are added.
    private func collectTask(_ span: JSONValue, events: inout [JSONValue], nextThread: inout Int) {
        if let started = span["startedAt"]?.stringValue.flatMap(Clock.parseRFC3339) {
            let thread = nextThread
            nextThread += 1
            let label = [span["task"]?.stringValue, span["name"]?.stringValue].compactMap { $0 }
            events.append(
                [
                    "name": "thread_name", "ph": "M", "pid": 1, "tid": .int(thread),
                    "args": ["name": .string(label.joined(separator: " "))],
                ])
            collectSpans(span, base: Int(started) * 1000, thread: thread, events: &events)
        }
        for task in span["tasks"]?.arrayValue ?? [] {
            collectTask(task, events: &events, nextThread: &nextThread)
        }
    }

    private func collectSpans(_ span: JSONValue, base: Int, thread: Int, events: inout [JSONValue]) {
        var arguments: [String: JSONValue] = ["outcome": span["outcome"] ?? .null]
        for key in ["task", "kind", "status"] {
            if let value = span[key] { arguments[key] = value }
        }
        events.append(
            [
                "name": span["name"] ?? "?", "cat": span["kind"] ?? "span", "ph": "X",
                "ts": .int(base + (span["startOffsetMicros"]?.intValue ?? 0)),
                "dur": .int(span["durationMicros"]?.intValue ?? 0), "pid": 1, "tid": .int(thread),
                "args": .object(arguments),
            ])
        for child in span["children"]?.arrayValue ?? [] {
            collectSpans(child, base: base, thread: thread, events: &events)
        }
    }
}
