import Foundation
import JobModel
import RedisClient

#if canImport(Glibc)
import Glibc
#endif

/// The four services running as real processes against one Redis, under a namespace of their own: one
/// `cncf-gateway`, one `cncf-scheduler`, `workers` × `cncf-worker` (each with its own `WORKER_ID` and
/// `METRICS_PORT`) and one `cncf-audit`.
///
/// Always `stop()` it (in a `defer`): that kills every process, deletes the namespace's keys and the logs.
public final class StackUnderTest: Sendable {
    public let namespace: String
    public let keyspace: Keyspace
    public let redisURL: String
    public let redis: RedisConfiguration
    /// `http://127.0.0.1:<GATEWAY_PORT>`.
    public let gatewayURL: String
    public let gateway: HTTPTestClient
    public let workerIDs: [String]
    /// `http://127.0.0.1:<METRICS_PORT>` of each worker, in the order of `workerIDs`.
    public let workerMetricsURLs: [String]
    public let schedulerMetricsURL: String
    public let auditMetricsURL: String
    public let processes: [ServiceProcess]
    /// The folder of the services' logs (and the audit archive); `stop()` removes it.
    public let logDirectory: URL

    private init(namespace: String, redisURL: String, redis: RedisConfiguration, gatewayURL: String,
                 workerIDs: [String], workerMetricsURLs: [String], schedulerMetricsURL: String,
                 auditMetricsURL: String, processes: [ServiceProcess], logDirectory: URL) {
        self.namespace = namespace
        self.keyspace = Keyspace(namespace: namespace)
        self.redisURL = redisURL
        self.redis = redis
        self.gatewayURL = gatewayURL
        self.gateway = HTTPTestClient(baseURL: gatewayURL)
        self.workerIDs = workerIDs
        self.workerMetricsURLs = workerMetricsURLs
        self.schedulerMetricsURL = schedulerMetricsURL
        self.auditMetricsURL = auditMetricsURL
        self.processes = processes
        self.logDirectory = logDirectory
    }

    /// Starts every service and waits until each is healthy and the workers have registered `demo.echo`.
    ///
    /// - Parameters:
    ///   - redisURL: the Redis to use; `sharedRedisURL()` when `nil`.
    ///   - environment: extra variables for every service (e.g. `WORKER_CONCURRENCY`).
    public static func start(workers: Int = 2, redisURL: String? = nil, environment: [String: String] = [:])
        async throws -> StackUnderTest
    {
        let redisURL = try redisURL ?? sharedRedisURL()
        let redis = try RedisConfiguration(url: redisURL)
        let namespace = TestEnvironment.uniqueNamespace()
        let logDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cncf-test-logs-\(namespace)")
        var common = environment
        common["REDIS_URL"] = redisURL
        common["CNCF_NAMESPACE"] = namespace
        common["LOG_LEVEL"] = common["LOG_LEVEL"] ?? "info"
        // Suites that test authentication pass CNCF_AUTH=tokens and a tokens file; the others run without it.
        common["CNCF_AUTH"] = common["CNCF_AUTH"] ?? "off"

        var started: [ServiceProcess] = []
        do {
            let gatewayPort = try freePort()
            let auditPort = try freePort()
            var gatewayEnvironment = common
            gatewayEnvironment["GATEWAY_HOST"] = "127.0.0.1"
            gatewayEnvironment["GATEWAY_PORT"] = String(gatewayPort)
            gatewayEnvironment["AUDIT_URL"] = "http://127.0.0.1:\(auditPort)"
            let gateway = try ServiceProcess.service(
                "cncf-gateway", environment: gatewayEnvironment, logDirectory: logDirectory)
            started.append(gateway)

            let schedulerPort = try freePort()
            let scheduler = try ServiceProcess.service(
                "cncf-scheduler", environment: common.merging(["METRICS_PORT": String(schedulerPort)]) { $1 },
                logDirectory: logDirectory)
            started.append(scheduler)

            var workerIDs: [String] = []
            var workerPorts: [Int] = []
            for index in 1...max(workers, 1) {
                let id = "\(namespace)-worker-\(index)"
                let port = try freePort()
                let worker = try ServiceProcess.service(
                    "cncf-worker",
                    environment: common.merging(["WORKER_ID": id, "METRICS_PORT": String(port)]) { $1 },
                    logDirectory: logDirectory, label: "cncf-worker-\(index)")
                started.append(worker)
                workerIDs.append(id)
                workerPorts.append(port)
            }

            let audit = try ServiceProcess.service(
                "cncf-audit",
                environment: common.merging([
                    "METRICS_PORT": String(auditPort),
                    "CNCF_AUDIT_DB": logDirectory.appendingPathComponent("audit.db").path,
                ]) { $1 },
                logDirectory: logDirectory)
            started.append(audit)

            let stack = StackUnderTest(
                namespace: namespace, redisURL: redisURL, redis: redis, gatewayURL: "http://127.0.0.1:\(gatewayPort)",
                workerIDs: workerIDs, workerMetricsURLs: workerPorts.map { "http://127.0.0.1:\($0)" },
                schedulerMetricsURL: "http://127.0.0.1:\(schedulerPort)",
                auditMetricsURL: "http://127.0.0.1:\(auditPort)", processes: started, logDirectory: logDirectory)
            try await stack.waitUntilReady()
            return stack
        } catch {
            for process in started { process.terminate(grace: .seconds(2)) }
            deleteNamespace(namespace, configuration: redis)
            try? FileManager.default.removeItem(at: logDirectory)
            throw error
        }
    }

    /// Kills every service (SIGTERM, then SIGKILL), then deletes the namespace's keys and the logs (the logs are
    /// kept when `CNCF_TEST_KEEP_LOGS` is set).
    public func stop() {
        // Only running children are signalled: the id of one that a test already stopped may belong to another
        // process by now.
        for process in processes where process.isRunning { Glibc.kill(process.pid, SIGTERM) }
        for process in processes { process.terminate(grace: .seconds(5)) }
        deleteNamespace(namespace, configuration: redis)
        if ProcessInfo.processInfo.environment["CNCF_TEST_KEEP_LOGS"] == nil {
            try? FileManager.default.removeItem(at: logDirectory)
        }
    }

    /// A new blocking connection to the stack's Redis, for reading and writing keys directly.
    public func connection() throws -> RedisConnection {
        try RedisConnection(configuration: redis)
    }

    /// The service process called `name`: `cncf-gateway`, `cncf-scheduler`, `cncf-worker-<n>` or `cncf-audit`.
    public func process(named name: String) throws -> ServiceProcess {
        guard let process = processes.first(where: { $0.name == name }) else {
            throw TestSupportError("no process \(name) in the stack; it has \(processes.map(\.name))")
        }
        return process
    }

    /// Starts one more service process (e.g. a `cncf-scheduler` or `cncf-worker` in place of one a test stopped)
    /// against this stack's Redis and namespace, logging next to the stack's services.
    ///
    /// The stack's `stop()` does not know it: the caller stops it (in a `defer`).
    public func startService(_ executable: String, label: String, environment: [String: String] = [:]) throws
        -> ServiceProcess
    {
        var merged = ["REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace, "LOG_LEVEL": "info", "CNCF_AUTH": "off"]
        merged.merge(environment) { $1 }
        return try ServiceProcess.service(executable, environment: merged, logDirectory: logDirectory, label: label)
    }

    /// The tail of every service's log, for failure messages.
    public func logs(lines: Int = 20) -> String {
        processes.map { "--- \($0.name) (pid \($0.pid))\n\($0.logTail(lines: lines))" }.joined(separator: "\n")
    }

    /// Submits a command through `POST /v1/commands` and returns the reply.
    public func submit(_ operation: String, input: JSONValue = [:], jobId: String? = nil,
                       principal: String? = nil) async throws -> HTTPReply {
        var body: [String: JSONValue] = ["operation": .string(operation), "input": input]
        if let jobId { body["jobId"] = .string(jobId) }
        if let principal { body["principal"] = .string(principal) }
        return try await gateway.post("/v1/commands", json: .object(body))
    }

    /// Waits through `GET /v1/jobs/<id>/wait` (repeating it until the job ends) and returns the job.
    public func waitForJob(_ id: String, timeout: Duration = .seconds(60)) async throws -> JSONValue {
        try await eventually("job \(id) to finish", timeout: timeout, interval: .milliseconds(1)) {
            let reply = try await gateway.get("/v1/jobs/\(id)/wait?timeoutMs=5000", timeout: 30)
            guard reply.status == 200, let job = reply.job,
                let status = job["status"]?.stringValue.flatMap(JobStatus.init(rawValue:)), status.isTerminal
            else { return nil }
            return job
        }
    }

    /// Polls `GET /v1/jobs/<id>` until the job exists and is terminal; for jobs written onto the stream.
    public func pollJob(_ id: String, timeout: Duration = .seconds(60)) async throws -> JSONValue {
        try await eventually("job \(id) to exist and finish", timeout: timeout) {
            let reply = try await gateway.get("/v1/jobs/\(id)")
            guard reply.status == 200, let job = reply.job,
                let status = job["status"]?.stringValue.flatMap(JobStatus.init(rawValue:)), status.isTerminal
            else { return nil }
            return job
        }
    }

    private func waitUntilReady() async throws {
        try await processes[0].waitForHTTP(url: "\(gatewayURL)/healthz")
        let metricsURLs = [schedulerMetricsURL] + workerMetricsURLs + [auditMetricsURL]
        for (process, url) in zip(processes.dropFirst(), metricsURLs) {
            try await process.waitForHTTP(url: "\(url)/healthz")
        }
        let connection = try connection()
        _ = try await eventually("workers to register demo.echo in \(keyspace.operations)") {
            for process in processes where !process.isRunning {
                throw TestSupportError("\(process.name) exited during start; log:\n\(process.logTail())")
            }
            return try connection.command(["HEXISTS", keyspace.operations, "demo.echo"]) == .integer(1) ? true : nil
        }
    }
}
