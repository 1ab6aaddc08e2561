import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started by a test: a service executable or a `redis-server`.
///
/// The child's standard output and standard error go to one log file, or standard error to a file of its own. The
/// process is started with `posix_spawn`, inherits no descriptors other than its output files, and is reaped by
/// `waitpid`, so `terminate()` and `kill()` know for sure when it is gone.
public final class ServiceProcess: Sendable {
    /// A short name for messages, e.g. `cncf-worker`.
    public let name: String
    public let pid: pid_t
    public let logFile: URL
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with exactly `arguments` and `environment` (plus `PATH` when not given).
    ///
    /// - Parameter errorFile: where standard error goes when it is to be kept apart from standard output (e.g. a
    ///   command-line client whose output is checked); `nil` sends it to `logFile` too.
    public init(executable: String, arguments: [String] = [], environment: [String: String], name: String? = nil,
                logFile: URL, errorFile: URL? = nil) throws {
        self.name = name ?? URL(fileURLWithPath: executable).lastPathComponent
        self.logFile = logFile
        guard access(executable, X_OK) == 0 else {
            throw TestSupportError("\(executable) is missing or not executable; build it first (swift build)")
        }
        try FileManager.default.createDirectory(
            at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)

        var environment = environment
        if environment["PATH"] == nil {
            environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errorFile {
            posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        // The child starts with no blocked signals and default handlers, whatever the test runner changed.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// Starts one of the package's executables (`cncf-gateway`, ...) from the bin folder.
    public static func service(_ executable: String, environment: [String: String], logDirectory: URL,
                               label: String? = nil) throws -> ServiceProcess {
        let path = TestEnvironment.binDirectory.appendingPathComponent(executable).path
        let label = label ?? executable
        return try ServiceProcess(
            executable: path, environment: environment, name: label,
            logFile: logDirectory.appendingPathComponent("\(label).log"))
    }

    /// Whether the child has not exited yet (reaping it if it has).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The raw `waitpid` status once the child has exited.
    public var terminationStatus: Int32? { reap(blocking: false) }

    /// Asks the child to stop (SIGTERM), waits up to `grace`, then kills it (SIGKILL). Safe to call repeatedly.
    public func terminate(grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        Glibc.kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isRunning { return }
            usleep(10_000)
        }
        kill()
    }

    /// Kills the child at once (SIGKILL) and waits for it to be gone. Safe to call repeatedly.
    public func kill() {
        guard isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        _ = reap(blocking: true)
    }

    /// Everything the child wrote so far.
    public func logText() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The last `lines` lines of the log, for failure messages.
    public func logTail(lines: Int = 30) -> String {
        logText().split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Waits until `url` answers HTTP 200; fails early, with the log's tail, when the child exits meanwhile.
    public func waitForHTTP(url: String, timeout: Duration = .seconds(30)) async throws {
        let client = HTTPTestClient(baseURL: "")
        let deadline = ContinuousClock.now + timeout
        var lastAnswer = "nothing"
        while true {
            if !isRunning {
                throw TestSupportError("\(name) exited while waiting for \(url); log:\n\(logTail())")
            }
            do {
                let reply = try await client.get(url, timeout: 2)
                if reply.status == 200 { return }
                lastAnswer = "\(reply.status) \(reply.text)"
            } catch {
                lastAnswer = "\(error)"
            }
            guard ContinuousClock.now < deadline else {
                throw TestSupportError(
                    "\(name) (pid \(pid)) did not answer 200 on \(url) within \(timeout); last answer: \(lastAnswer)"
                        + "; log:\n\(logTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time since Swift does not
    /// import it; without it the child also inherits the test runner's descriptors, which is harmless here.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// The child's `waitpid` status once it has exited (waiting for that when `blocking`), reaping it once.
    private func reap(blocking: Bool) -> Int32? {
        exitStatus.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            while true {
                let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
                if result == pid {
                    known = status
                    return status
                }
                if result == -1 && errno == EINTR { continue }
                if result == -1 {
                    // Not our child any more (reaped elsewhere): treat it as gone.
                    known = -1
                    return -1
                }
                return nil
            }
        }
    }

    /// A process object that goes away takes its child with it.
    deinit {
        kill()
    }
}
