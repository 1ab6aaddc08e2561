import Foundation
import RedisClient
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private `redis-server` for one test: its own free port and temporary folder, append-only persistence with
/// an fsync per write, so `restart()` brings back every key.
public final class TestRedis: Sendable {
    public let port: Int
    /// The data folder; it also holds the server's log.
    public let directory: URL
    private let executable: String
    private let process = Mutex<ServiceProcess?>(nil)

    /// `redis://127.0.0.1:<port>`.
    public var url: String { "redis://127.0.0.1:\(port)" }

    public var configuration: RedisConfiguration { RedisConfiguration(host: "127.0.0.1", port: port) }

    /// Starts a server and waits until it answers PING.
    public init() throws {
        guard let executable = TestEnvironment.executableOnPath("redis-server") else {
            throw TestSupportError("redis-server is not on PATH")
        }
        self.executable = executable
        port = try freePort()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cncf-test-redis-\(getpid())-\(port)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try start()
        } catch {
            shutdown()
            throw error
        }
    }

    /// Starts the server again on the same port and data folder after `stop()`; waits until it answers PING.
    public func start() throws {
        try process.withLock { current in
            if let current, current.isRunning { return }
            current = try ServiceProcess(
                executable: executable,
                arguments: ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "",
                            "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
                            "--protected-mode", "no", "--logfile", ""],
                environment: [:], name: "redis-server:\(port)",
                logFile: directory.appendingPathComponent("redis.log"))
        }
        try waitForPing(timeout: .seconds(20))
    }

    /// Stops the server (SIGTERM, then SIGKILL), keeping its data for `start()`.
    public func stop() {
        let current = process.withLock { $0 }
        current?.terminate(grace: .seconds(10))
    }

    /// Stops and starts the server, keeping its port and data.
    public func restart() throws {
        stop()
        try start()
    }

    /// Stops the server for good and deletes its folder.
    public func shutdown() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's own log, for failure messages.
    public func logText() -> String {
        process.withLock { $0?.logText() } ?? ""
    }

    private func waitForPing(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        var lastError = "no attempt"
        while ContinuousClock.now < deadline {
            if let process = process.withLock({ $0 }), !process.isRunning {
                throw TestSupportError("redis-server on port \(port) exited; log:\n\(process.logTail())")
            }
            do {
                let connection = try RedisConnection(
                    configuration: configuration, connectTimeout: .milliseconds(500), readTimeout: .seconds(2))
                if try connection.command(["PING"]) == .status("PONG") { return }
            } catch {
                lastError = "\(error)"
            }
            usleep(20_000)
        }
        throw TestSupportError("redis-server on port \(port) did not answer PING: \(lastError)")
    }
}

/// The test Redis that most tests share: `CNCF_TEST_REDIS_URL` when set, otherwise a private server started on
/// first use and stopped when the test process exits.
public func sharedRedisURL() throws -> String {
    if let given = ProcessInfo.processInfo.environment["CNCF_TEST_REDIS_URL"], !given.isEmpty { return given }
    return try SharedLocalRedis.server.withLock { server in
        if let server { return server.url }
        let started = try TestRedis()
        server = started
        atexit { SharedLocalRedis.shutDown() }
        return started.url
    }
}

/// The configuration of `sharedRedisURL()`.
public func sharedRedisConfiguration() throws -> RedisConfiguration {
    try RedisConfiguration(url: sharedRedisURL())
}

/// The lazily started server behind `sharedRedisURL()` when no URL is given.
enum SharedLocalRedis {
    static let server = Mutex<TestRedis?>(nil)

    static func shutDown() {
        let current = server.withLock { server in
            defer { server = nil }
            return server
        }
        current?.shutdown()
    }
}

/// Deletes every key of `namespace` (`<namespace>:*`) on the server at `configuration`.
public func deleteNamespace(_ namespace: String, configuration: RedisConfiguration) {
    guard let connection = try? RedisConnection(configuration: configuration) else { return }
    var cursor = "0"
    repeat {
        guard let reply = try? connection.command(["SCAN", cursor, "MATCH", "\(namespace):*", "COUNT", "1000"]),
            let parts = reply.array, parts.count == 2, let next = parts[0].string
        else { return }
        let keys = parts[1].array?.compactMap(\.string) ?? []
        if !keys.isEmpty { _ = try? connection.command(["UNLINK"] + keys) }
        cursor = next
    } while cursor != "0"
}
