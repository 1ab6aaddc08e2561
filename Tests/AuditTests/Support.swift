import AuditArchive
import Foundation
import JobModel
import RedisClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A harness failure: a helper process that did not start, a wait that ran out.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The Redis server the tests use: `CNCF_TEST_REDIS_URL` (set by ops/test), or a `redis-server` this process
/// starts once on a free port and stops when it exits. Tests share it and keep apart by namespace.
enum TestRedisServer {
    private static let started = Mutex<Result<RedisConfiguration, HarnessError>?>(nil)

    static func configuration() throws -> RedisConfiguration {
        try started.withLock { state in
            if state == nil { state = Result { () throws(HarnessError) in try launch() } }
            return try state!.get()
        }
    }

    private static func launch() throws(HarnessError) -> RedisConfiguration {
        if let url = ProcessInfo.processInfo.environment["CNCF_TEST_REDIS_URL"], !url.isEmpty {
            do {
                return try RedisConfiguration(url: url)
            } catch {
                throw HarnessError("CNCF_TEST_REDIS_URL: \(error)")
            }
        }
        guard let executable = executable("redis-server") else { throw HarnessError("redis-server is not installed") }
        let port = try freePort()
        // A small shell runs the server and stops it once this test process is gone, however the process ends.
        // SIGKILL, because children of Foundation's Process start with SIGTERM blocked; the server keeps no data.
        let watchdog = """
            "$0" "$@" & server=$!
            while kill -0 "$PPID" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
            kill -KILL "$server" 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", watchdog, executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "no", "--daemonize", "no",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw HarnessError("cannot start redis-server: \(error)")
        }
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port)
        for _ in 0..<200 {
            if let connection = try? RedisConnection(configuration: configuration),
                (try? connection.command(["PING"]))?.string == "PONG"
            {
                return configuration
            }
            usleep(50_000)
        }
        throw HarnessError("redis-server on port \(port) did not answer PING")
    }
}

/// The full path of `name` on PATH or in the usual folders.
func executable(_ name: String) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    for folder in folders + ["/usr/local/bin", "/usr/bin", "/usr/sbin"] where access("\(folder)/\(name)", X_OK) == 0 {
        return "\(folder)/\(name)"
    }
    return nil
}

/// A port on 127.0.0.1 the kernel just handed out for a moment, so nothing else is listening there.
func freePort() throws(HarnessError) -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw HarnessError("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let port = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Int? in
            guard bind(descriptor, generic, length) == 0, getsockname(descriptor, generic, &length) == 0 else {
                return nil
            }
            return Int(UInt16(bigEndian: pointer.pointee.sin_port))
        }
    }
    guard let port else { throw HarnessError("no free port") }
    return port
}

/// A fresh key namespace per test.
func uniqueNamespace() -> String {
    "audit-test-\(UInt64.random(in: 0...UInt64.max))"
}

/// A folder of its own under the temporary directory, removed by `remove()`.
struct ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-audit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Polls `probe` until it returns a value, or fails after `timeout`.
func eventually<Value>(
    _ what: String, timeout: Duration = .seconds(30), _ probe: () throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try probe() { return value }
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Runs a program to its end and returns its exit status and what it wrote.
func run(
    _ program: String, _ arguments: [String], environment: [String: String] = [:]
) throws -> (
    status: Int32, output: String, error: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
        process.terminationStatus, String(decoding: outputData, as: UTF8.self),
        String(decoding: errorData, as: UTF8.self)
    )
}

/// Where the built executables are: `CNCF_BIN_DIR` (set by ops/test), else the package's debug build folder.
func builtExecutable(_ name: String) -> String? {
    let folder =
        ProcessInfo.processInfo.environment["CNCF_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug").path
    let path = "\(folder)/\(name)"
    return access(path, X_OK) == 0 ? path : nil
}

/// Runs SQL with the sqlite3 command-line shell, as someone with the file (and no respect for triggers) would.
func sqliteShell(_ database: String, _ sql: String) throws -> (status: Int32, output: String, error: String) {
    guard let shell = executable("sqlite3") else { throw HarnessError("the sqlite3 shell is not installed") }
    return try run(shell, [database, sql])
}

/// A lifecycle event with made-up but plausible fields.
func sampleEvent(_ number: Int, eventId: String? = nil) -> LifecycleEvent {
    LifecycleEvent(
        eventId: eventId ?? "1700000000000-\(number)",
        fields: [
            "type": number % 2 == 0 ? "job.succeeded" : "job.accepted", "jobId": "job-\(number % 3)",
            "taskId": number % 4 == 0 ? "task-\(number)" : "", "operation": "demo.echo",
            "principal": number % 2 == 0 ? "alice" : "bob", "status": number % 2 == 0 ? "succeeded" : "accepted",
            "at": String(1_700_000_000_000 + number * 1000), "details": "{\"n\":\(number)}",
        ])
}

/// Linked entries for `count` sample events, with stream ids, as the service would archive them.
func sampleChain(_ count: Int, after head: AuditHead = .empty) -> [AuditEntry] {
    var entries = AuditChain.link((1...count).map { sampleEvent(head.seq + $0) }, after: head)
    for index in entries.indices { entries[index].streamId = "1800000000000-\(entries[index].seq)" }
    return entries
}
