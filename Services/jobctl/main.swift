import Foundation
import JobModel
import RedisClient

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Exit codes: 0 done (job succeeded), 1 job failed or cancelled, 2 usage error, 3 gateway or Redis unreachable or
/// refused the request, 4 a wait timed out.
enum ExitCode: Int32 {
    case success = 0
    case jobUnsuccessful = 1
    case usage = 2
    case unavailable = 3
    case timedOut = 4
}

struct CommandLineError: Error {
    let message: String
    let code: ExitCode
}

let usage = """
    usage: jobctl [--url URL] [--json] COMMAND ...

    commands:
      submit OPERATION [--input JSON] [--job-id ID] [--wait] [--timeout-ms N]
      status ID
      wait ID [--timeout-ms N]
      result ID
      list [--status S] [--operation O] [--limit N] [--cursor C]
      operations
      audit tail [--from-start]     (reads Redis: REDIS_URL, CNCF_NAMESPACE)
      health

    The gateway address comes from --url or CNCF_URL (default http://127.0.0.1:8080).
    """

/// Parsed command-line options: flags with values, boolean flags and positional words.
struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    static let booleanFlags: Set<String> = ["--json", "--wait", "--from-start", "--help", "-h"]

    init(_ words: [String]) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            if Self.booleanFlags.contains(word) {
                flags.insert(word)
            } else if word.hasPrefix("--") {
                if let equals = word.firstIndex(of: "=") {
                    options[String(word[..<equals])] = String(word[word.index(after: equals)...])
                } else {
                    guard index + 1 < words.count else {
                        throw CommandLineError(message: "\(word) needs a value", code: .usage)
                    }
                    options[word] = words[index + 1]
                    index += 1
                }
            } else {
                positional.append(word)
            }
            index += 1
        }
    }
}

/// Talks to the gateway.
struct GatewayClient {
    let baseURL: String

    func request(
        _ method: String, _ path: String, body: JSONValue? = nil, timeout: TimeInterval = 30
    )
        async throws -> (status: Int, json: JSONValue)
    {
        guard let url = URL(string: baseURL + path) else {
            throw CommandLineError(message: "invalid gateway URL \(baseURL)", code: .usage)
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.encoded.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandLineError(
                message: "cannot reach the gateway at \(baseURL): \(error.localizedDescription)",
                code: .unavailable)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONValue.parse(Array(data), depthLimit: 512)) ?? .null
        if status >= 400 {
            let code = json["error"]?["code"]?.stringValue ?? "http_\(status)"
            let message = json["error"]?["message"]?.stringValue ?? String(decoding: data, as: UTF8.self)
            throw CommandLineError(
                message: "\(code): \(message)", code: status == 404 || status == 400 ? .usage : .unavailable)
        }
        return (status, json)
    }
}

/// Prints jobs and results for people, or raw JSON for scripts.
struct Printer {
    let json: Bool

    func show(_ value: JSONValue) {
        print(value.encoded)
    }

    func job(_ job: JSONValue) {
        if json { return show(job) }
        let text = { (key: String) in job[key]?.stringValue ?? "-" }
        print("job \(text("id"))  \(text("operation"))  \(text("status"))")
        print(
            "  principal  \(text("principal"))   mode \(text("mode"))   attempt \(job["attempt"]?.intValue ?? 0)"
                + "   retries \(job["retryCount"]?.intValue ?? 0)")
        print("  accepted   \(text("acceptedAt"))")
        if job["startedAt"] != .null { print("  started    \(text("startedAt"))  on \(text("worker"))") }
        if job["completedAt"] != .null { print("  completed  \(text("completedAt"))") }
        if let result = job["result"], result != .null { print("  result     \(result.encoded)") }
        if let error = job["error"], error != .null {
            print(
                "  error      \(error["code"]?.stringValue ?? ""): \(error["message"]?.stringValue ?? "")"
                    + " (what to do: \(error["action"]?.stringValue ?? ""))")
        }
        if let reason = job["cancellationReason"]?.stringValue { print("  cancelled  \(reason)") }
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
}

func exitCode(for job: JSONValue) -> ExitCode {
    switch job["status"]?.stringValue {
    case "succeeded": .success
    case "failed", "cancelled": .jobUnsuccessful
    default: .success
    }
}

func waitPath(_ id: String, _ arguments: Arguments) -> (String, TimeInterval) {
    let timeout = Int(arguments.options["--timeout-ms"] ?? "") ?? 30_000
    return ("/v1/jobs/\(id)/wait?timeoutMs=\(timeout)", TimeInterval(timeout) / 1000 + 10)
}

/// Writes one line straight to standard output, unbuffered, so a pipe sees each audit entry as it comes.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func tailAudit(fromStart: Bool, printer: Printer) throws -> Never {
    let environment = ProcessInfo.processInfo.environment
    let configuration = try RedisConfiguration(url: environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
    let keyspace = Keyspace(namespace: environment["CNCF_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "cncf")
    let connection = try RedisConnection(configuration: configuration, readTimeout: .seconds(60))
    var position = fromStart ? "0-0" : "$"
    while true {
        let reply = try connection.command([
            "XREAD", "COUNT", "500", "BLOCK", "30000", "STREAMS", keyspace.audit, position,
        ])
        guard let stream = reply.array?.first?.array, stream.count == 2, let entries = stream[1].array else { continue }
        for entry in entries {
            guard let pair = entry.array, pair.count == 2, let id = pair[0].string else { continue }
            position = id
            let fields = pair[1].fieldDictionary
            if printer.json {
                var members: [String: JSONValue] = ["id": .string(id)]
                for (key, value) in fields { members[key] = .string(value) }
                writeLine(JSONValue.object(members).encoded)
            } else {
                let at = fields["at"].flatMap(UInt64.init).map { Clock.rfc3339(milliseconds: $0) } ?? "-"
                let type = (fields["type"] ?? "-").padding(toLength: 17, withPad: " ", startingAt: 0)
                var line = "\(at)  \(type) \(fields["jobId"] ?? "-")  \(fields["operation"] ?? "-")"
                line += "  \(fields["principal"] ?? "-")  \(fields["status"] ?? "-")"
                if let details = fields["details"], !details.isEmpty { line += "  \(details)" }
                writeLine(line)
            }
        }
    }
}

func run(_ words: [String]) async throws -> ExitCode {
    let arguments = try Arguments(words)
    if arguments.flags.contains("--help") || arguments.flags.contains("-h") || arguments.positional.isEmpty {
        print(usage)
        return arguments.positional.isEmpty && !arguments.flags.contains("--help") ? .usage : .success
    }
    let environment = ProcessInfo.processInfo.environment
    var base = arguments.options["--url"] ?? environment["CNCF_URL"] ?? "http://127.0.0.1:8080"
    while base.hasSuffix("/") { base.removeLast() }
    let gateway = GatewayClient(baseURL: base)
    let printer = Printer(json: arguments.flags.contains("--json"))
    let words = arguments.positional

    func requireID() throws -> String {
        guard words.count >= 2 else { throw CommandLineError(message: "\(words[0]) needs a job id", code: .usage) }
        return words[1]
    }

    switch words[0] {
    case "submit":
        guard words.count >= 2 else { throw CommandLineError(message: "submit needs an operation", code: .usage) }
        let input: JSONValue
        do {
            input = try JSONValue.parse(arguments.options["--input"] ?? "{}")
        } catch {
            throw CommandLineError(message: "--input is \(error)", code: .usage)
        }
        var body: [String: JSONValue] = ["operation": .string(words[1]), "input": input]
        if let id = arguments.options["--job-id"] { body["jobId"] = .string(id) }
        let submitted = try await gateway.request("POST", "/v1/commands", body: .object(body)).json["job"] ?? .null
        guard arguments.flags.contains("--wait"), let id = submitted["id"]?.stringValue else {
            printer.job(submitted)
            return .success
        }
        let (path, timeout) = waitPath(id, arguments)
        let waited = try await gateway.request("GET", path, timeout: timeout).json
        printer.job(waited["job"] ?? .null)
        if waited["timedOut"] == .bool(true) { return .timedOut }
        return exitCode(for: waited["job"] ?? .null)
    case "status":
        let job = try await gateway.request("GET", "/v1/jobs/\(try requireID())").json["job"] ?? .null
        printer.job(job)
        return .success
    case "wait":
        let (path, timeout) = waitPath(try requireID(), arguments)
        let waited = try await gateway.request("GET", path, timeout: timeout).json
        printer.job(waited["job"] ?? .null)
        if waited["timedOut"] == .bool(true) { return .timedOut }
        return exitCode(for: waited["job"] ?? .null)
    case "result":
        let result = try await gateway.request("GET", "/v1/jobs/\(try requireID())/result").json
        if printer.json {
            printer.show(result)
        } else if let error = result["error"], error != .null {
            print(
                "\(result["status"]?.stringValue ?? "failed"): \(error["code"]?.stringValue ?? ""): "
                    + "\(error["message"]?.stringValue ?? "")")
        } else {
            print((result["result"] ?? .null).encoded)
        }
        return result["status"]?.stringValue == "succeeded" ? .success : .jobUnsuccessful
    case "list":
        var query: [String] = []
        for (option, name) in [
            ("--status", "status"), ("--operation", "operation"), ("--limit", "limit"),
            ("--cursor", "cursor"),
        ] {
            if let value = arguments.options[option],
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)
            {
                query.append("\(name)=\(encoded)")
            }
        }
        let listing = try await gateway.request(
            "GET", "/v1/jobs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        ).json
        printer.list(listing["jobs"]?.arrayValue ?? [], next: listing["nextCursor"]?.stringValue)
        return .success
    case "operations":
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
    case "audit":
        guard words.count >= 2, words[1] == "tail" else {
            throw CommandLineError(message: "usage: jobctl audit tail [--from-start]", code: .usage)
        }
        try tailAudit(fromStart: arguments.flags.contains("--from-start"), printer: printer)
    case "health":
        let health = try await gateway.request("GET", "/healthz", timeout: 5).json
        if printer.json { printer.show(health) } else { print(health["status"]?.stringValue ?? "unknown") }
        return .success
    default:
        throw CommandLineError(message: "unknown command '\(words[0])'\n\(usage)", code: .usage)
    }
}

do {
    let code = try await run(Array(CommandLine.arguments.dropFirst()))
    exit(code.rawValue)
} catch let error as CommandLineError {
    FileHandle.standardError.write(Data("jobctl: \(error.message)\n".utf8))
    exit(error.code.rawValue)
} catch {
    FileHandle.standardError.write(Data("jobctl: \(error)\n".utf8))
    exit(ExitCode.unavailable.rawValue)
}
