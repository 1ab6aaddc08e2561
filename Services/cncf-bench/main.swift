import Foundation
import JobModel
import RedisClient

#if canImport(Glibc)
    import Glibc
#endif

// The benchmark: starts its own Redis and services, runs each scenario, and reports figures per job.

struct Options {
    var binDirectory = ""
    var jobs = 50_000
    var latencyCalls = 5_000
    var clients = 32
    var ceilingEntries = 300_000
    var jsonPath: String?
    /// Which scenarios run: `xadd`, `http`, `latency`, `subscribers` (all by default).
    var scenarios: Set<String> = ["xadd", "http", "latency", "subscribers"]
    /// The worker counts to run the throughput scenarios with; latency runs with the last.
    var workerCounts = [1, 2]
    var workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-bench-\(getpid())").path

    init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            switch word {
            case "--bin": binDirectory = value; index += 1
            case "--jobs": jobs = Int(value) ?? jobs; index += 1
            case "--latency-calls": latencyCalls = Int(value) ?? latencyCalls; index += 1
            case "--clients": clients = Int(value) ?? clients; index += 1
            case "--json": jsonPath = value; index += 1
            case "--work-dir": workDirectory = value; index += 1
            case "--scenarios": scenarios = Set(value.split(separator: ",").map(String.init)); index += 1
            case "--workers": workerCounts = value.split(separator: ",").compactMap { Int($0) }; index += 1
            case "--quick":
                jobs = 2_000
                latencyCalls = 300
                ceilingEntries = 50_000
            default:
                FileHandle.standardError.write(Data("cncf-bench: unknown argument \(word)\n".utf8))
                exit(2)
            }
            index += 1
        }
    }
}

/// Figures read from Redis before and after a scenario.
struct RedisSnapshot {
    var commandCalls: Int
    var infoCalls: Int
    /// Calls and microseconds of each command, as `INFO commandstats` counts them: commands that scripts run
    /// are counted too, and a script's own time includes theirs.
    var byCommand: [String: (calls: Int, microseconds: Int)]
    var cpuSeconds: Double
    var usedMemory: Int

    init(_ connection: RedisConnection) throws {
        let commandStats = try connection.command(["INFO", "commandstats"]).string ?? ""
        var byCommand: [String: (calls: Int, microseconds: Int)] = [:]
        for line in commandStats.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 8)..<colon])
            var fields: [Substring: Int] = [:]
            for pair in line[line.index(after: colon)...].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, let value = Int(parts[1]) { fields[parts[0]] = value }
            }
            byCommand[name] = (fields["calls"] ?? 0, fields["usec"] ?? 0)
        }
        self.byCommand = byCommand
        commandCalls = byCommand.values.reduce(0) { $0 + $1.calls }
        infoCalls = byCommand["info"]?.calls ?? 0
        let info = try connection.command(["INFO"]).string ?? ""
        func number(_ key: String) -> Double {
            for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(key + ":") {
                return Double(line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            return 0
        }
        cpuSeconds = number("used_cpu_sys") + number("used_cpu_user")
        usedMemory = Int(number("used_memory"))
    }
}

/// The services of one configuration under test.
final class Stack {
    let namespace: String
    let gatewayURL: String
    var children: [Child] = []
    /// Each service's `/metrics`.
    var metricsURLs: [String] = []

    /// - Parameter components: the workers' `WORKER_COMPONENTS`.
    init(options: Options, redisURL: String, namespace: String, workers: Int, components: String) throws {
        self.namespace = namespace
        let port = freePort()
        gatewayURL = "http://127.0.0.1:\(port)"
        let base = [
            "REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace, "LOG_LEVEL": "warning", "CNCF_AUTH": "off",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        func start(_ name: String, _ executable: String, _ extra: [String: String]) throws {
            let log = URL(fileURLWithPath: options.workDirectory).appendingPathComponent("\(namespace)-\(name).log")
            children.append(
                try Child(
                    name: name, executable: "\(options.binDirectory)/\(executable)",
                    environment: base.merging(extra) { $1 }, log: log))
        }
        func metricsPort() -> String {
            let port = freePort()
            metricsURLs.append("http://127.0.0.1:\(port)/metrics")
            return String(port)
        }
        try start("gateway", "cncf-gateway", ["GATEWAY_PORT": String(port)])
        metricsURLs.append(gatewayURL + "/metrics")
        try start("scheduler", "cncf-scheduler", ["METRICS_PORT": metricsPort()])
        try start(
            "audit", "cncf-audit",
            ["CNCF_AUDIT_DB": "\(options.workDirectory)/\(namespace)-audit.db", "METRICS_PORT": metricsPort()])
        for index in 1...workers {
            try start(
                "worker\(index)", "cncf-worker",
                [
                    "WORKER_ID": "bench-worker-\(index)", "WORKER_COMPONENTS": components,
                    "METRICS_PORT": metricsPort(),
                ])
        }
    }

    /// The commands the services have sent to Redis so far (a script call counts as one), from their metrics.
    func commandsSent() -> Int {
        let connection = HTTPConnection()
        return metricsURLs.reduce(0) { total, url in
            let text = connection.send("GET", url).body
            let line = text.split(separator: "\n").first { $0.hasPrefix("cncf_redis_commands_sent_total ") }
            return total + (line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0)
        }
    }

    /// Waits until the gateway is healthy and the workers have registered their operations.
    func waitUntilReady(_ redis: RedisConnection) throws {
        let connection = HTTPConnection()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let registered = (try? redis.command(["HEXISTS", "\(namespace):operations", "demo.echo"]).int) ?? 0
            if connection.send("GET", gatewayURL + "/healthz").status == 200 && registered == 1 { return }
            usleep(50_000)
        }
        throw BenchError(
            message: "the services of \(namespace) did not become ready; see the logs in the work directory")
    }

    var cpuMicroseconds: Double { children.reduce(0) { $0 + $1.cpuMicroseconds } }

    /// CPU time so far of each service, with all workers added together under `worker`.
    var cpuMicrosecondsByService: [String: Double] {
        var byService: [String: Double] = [:]
        for child in children {
            byService[child.name.hasPrefix("worker") ? "worker" : child.name, default: 0] += child.cpuMicroseconds
        }
        return byService
    }

    func stop() -> [String: Int] {
        var peaks: [String: Int] = [:]
        for child in children { peaks[child.name] = child.peakResidentKiB }
        children.forEach { $0.stop() }
        return peaks
    }
}

struct BenchError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// One scenario's measured figures.
struct Figures {
    var scenario: String
    var jobs: Int
    var seconds: Double
    var redisCommandsPerJob: Double
    /// Commands the services (and, for XADD submissions, the producer) sent per job; a script call counts as one.
    var sentCommandsPerJob: Double
    var redisCPUMicrosPerJob: Double
    var serviceCPUMicrosPerJob: Double
    /// The same split by service: where the CPU time goes.
    var cpuMicrosPerJobByService: [String: Double]
    /// Redis commands per job by name, with the microseconds Redis spent in them per job.
    var redisCommandsPerJobByName: [String: (calls: Double, microseconds: Double)]
    var failures: Int

    var jobsPerSecond: Double { Double(jobs) / seconds }

    var json: JSONValue {
        [
            "scenario": .string(scenario), "jobs": .int(jobs), "seconds": .double(seconds),
            "jobsPerSecond": .double(jobsPerSecond.rounded()), "redisCommandsPerJob": .double(redisCommandsPerJob),
            "sentCommandsPerJob": .double(sentCommandsPerJob),
            "redisCpuMicrosPerJob": .double(redisCPUMicrosPerJob.rounded()),
            "serviceCpuMicrosPerJob": .double(serviceCPUMicrosPerJob.rounded()),
            "cpuMicrosPerJobByService": .object(cpuMicrosPerJobByService.mapValues { .double($0.rounded()) }),
            "redisCommandsPerJobByName": .object(
                redisCommandsPerJobByName.mapValues {
                    ["calls": .double(round2($0.calls)), "micros": .double(round2($0.microseconds))]
                }),
            "failures": .int(failures),
        ]
    }
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
    return sorted[max(0, index)]
}

func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

/// Submits `jobs` no-op jobs through `submit`, then waits until the audit trail holds every job's four entries
/// (accepted, scheduled, running, succeeded) and reports the cost per job.
func throughput(
    _ name: String, stack: Stack, redis: RedisConnection, jobs: Int, producerCommandsPerJob: Int,
    submit: () throws -> Int
) throws -> Figures {
    let audit = "\(stack.namespace):audit"
    let auditBefore = try redis.command(["XLEN", audit]).int ?? 0
    let sentBefore = stack.commandsSent()
    let before = try RedisSnapshot(redis)
    let cpuBefore = stack.cpuMicroseconds
    let splitBefore = stack.cpuMicrosecondsByService
    let started = Date()
    var ownCommands = 0

    let failures = try submit()
    ownCommands += (try redis.command(["XLEN", audit]).int).map { _ in 1 } ?? 0
    let expected = auditBefore + (jobs - failures) * 4
    let deadline = Date().addingTimeInterval(600)
    while (try redis.command(["XLEN", audit]).int ?? 0) < expected {
        ownCommands += 1
        guard Date() < deadline else { throw BenchError(message: "\(name): jobs did not finish within 10 minutes") }
        usleep(2_000)
    }
    let seconds = Date().timeIntervalSince(started)
    let sentAfter = stack.commandsSent()
    let after = try RedisSnapshot(redis)
    let cpuAfter = stack.cpuMicroseconds
    let splitAfter = stack.cpuMicrosecondsByService
    // The snapshot's own INFO calls and this loop's XLEN polling are not the system's work.
    let systemCommands =
        after.commandCalls - before.commandCalls - (after.infoCalls - before.infoCalls) - ownCommands - 1
    let succeeded = jobs - failures
    var byName: [String: (calls: Double, microseconds: Double)] = [:]
    for (name, now) in after.byCommand where name != "info" {
        let then = before.byCommand[name] ?? (0, 0)
        // This function's XLEN polling is not the system's work either.
        let calls = now.calls - then.calls - (name == "xlen" ? ownCommands + 1 : 0)
        guard calls > 0 else { continue }
        byName[name] = (
            Double(calls) / Double(max(succeeded, 1)),
            Double(now.microseconds - then.microseconds) / Double(max(succeeded, 1))
        )
    }
    return Figures(
        scenario: name, jobs: succeeded, seconds: seconds,
        redisCommandsPerJob: round2(Double(systemCommands) / Double(max(succeeded, 1))),
        sentCommandsPerJob: round2(
            Double(sentAfter - sentBefore) / Double(max(succeeded, 1)) + Double(producerCommandsPerJob)),
        redisCPUMicrosPerJob: (after.cpuSeconds - before.cpuSeconds) * 1_000_000 / Double(max(succeeded, 1)),
        serviceCPUMicrosPerJob: (cpuAfter - cpuBefore) / Double(max(succeeded, 1)),
        cpuMicrosPerJobByService: splitAfter.merging(["redis": (after.cpuSeconds - before.cpuSeconds) * 1_000_000]) {
            $1
        }
        .mapValues { $0 / Double(max(succeeded, 1)) }
        .merging(splitBefore.mapValues { -$0 / Double(max(succeeded, 1)) }) { $0 + $1 },
        redisCommandsPerJobByName: byName,
        failures: failures)
}

func submitByXADD(_ redis: RedisConnection, namespace: String, jobs: Int) throws -> Int {
    var sent = 0
    while sent < jobs {
        let batch = min(1_000, jobs - sent)
        let commands = (0..<batch).map { _ in
            ["XADD", "\(namespace):commands", "*", "operation", "demo.echo", "input", "{}"]
        }
        let replies = try redis.pipeline(commands)
        if let failure = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
            throw BenchError(message: "XADD failed: \(failure)")
        }
        sent += batch
    }
    return 0
}

func submitByHTTP(_ stack: Stack, jobs: Int, clients: Int) -> Int {
    let url = stack.gatewayURL + "/v1/commands"
    return runConcurrently(total: jobs, threads: clients) { connection, _ in
        connection.send("POST", url, body: #"{"operation":"demo.echo","input":{}}"#).status == 202
    }
}

/// Round trips of one client at a time; returns nil when the gateway does not offer the mode.
func latency(_ stack: Stack, mode: String, calls: Int) -> JSONValue {
    let connection = HTTPConnection()
    var samples: [Double] = []
    samples.reserveCapacity(calls)
    let body = #"{"operation":"demo.echo","input":{},"mode":"\#(mode)"}"#
    for _ in 0..<calls {
        let begin = DispatchTime.now().uptimeNanoseconds
        let submitted = connection.send("POST", stack.gatewayURL + "/v1/commands", body: body)
        if mode == "jobAsync" {
            guard submitted.status == 202, let id = (try? JSONValue.parse(submitted.body))?["job"]?["id"]?.stringValue
            else {
                return ["mode": .string(mode), "error": .string("submit answered \(submitted.status)")]
            }
            let waited = connection.send("GET", stack.gatewayURL + "/v1/jobs/\(id)/wait?timeoutMs=10000")
            guard waited.status == 200 else {
                return ["mode": .string(mode), "error": .string("wait answered \(waited.status)")]
            }
        } else if submitted.status >= 300 {
            let code =
                (try? JSONValue.parse(submitted.body))?["error"]?["code"]?.stringValue ?? "http \(submitted.status)"
            return ["mode": .string(mode), "error": .string("not available: \(code)")]
        }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1_000_000)
    }
    samples.sort()
    return [
        "mode": .string(mode), "calls": .int(calls), "p50Ms": .double(round2(percentile(samples, 0.50))),
        "p95Ms": .double(round2(percentile(samples, 0.95))),
        "p99Ms": .double(round2(percentile(samples, 0.99))),
        "maxMs": .double(round2(samples.last ?? 0)),
    ]
}

func redisCeiling(_ redis: RedisConnection, entries: Int) throws -> Double {
    let started = Date()
    var sent = 0
    while sent < entries {
        let batch = min(1_000, entries - sent)
        _ = try redis.pipeline(
            (0..<batch).map { _ in ["XADD", "bench:ceiling", "*", "operation", "demo.echo", "input", "{}"] })
        sent += batch
    }
    let rate = Double(entries) / Date().timeIntervalSince(started)
    try redis.command(["DEL", "bench:ceiling"])
    return rate
}

/// Waits (up to a minute) until Redis rewrites no append-only file and the throughput scenarios' aftermath
/// has passed, so that round trips are measured on an otherwise idle system.
func waitUntilQuiet(_ redis: RedisConnection) throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        let persistence = try redis.command(["INFO", "persistence"]).string ?? ""
        if !persistence.contains("aof_rewrite_in_progress:1") && !persistence.contains("aof_rewrite_scheduled:1") {
            break
        }
        usleep(100_000)
    }
    sleep(2)
}

func retainedMemoryPerJob(_ redis: RedisConnection, namespace: String) throws -> JSONValue {
    let ids = try redis.command(["ZRANGE", "\(namespace):jobs", "0", "199"]).array?.compactMap(\.string) ?? []
    var total = 0
    for id in ids {
        total += try redis.command(["MEMORY", "USAGE", "\(namespace):job:\(id)", "SAMPLES", "0"]).int ?? 0
    }
    let indexBytes = try redis.command(["MEMORY", "USAGE", "\(namespace):jobs", "SAMPLES", "0"]).int ?? 0
    let indexCount = max(1, try redis.command(["ZCARD", "\(namespace):jobs"]).int ?? 1)
    let perHash = Double(total) / Double(max(ids.count, 1))
    // The streams are trimmed, so they are not part of a retained job; their size per entry says what a backlog
    // (events, tasks) or the audit stream's cap (AUDIT_STREAM_MAXLEN) costs.
    func bytesPerEntry(_ stream: String) throws -> Int {
        let length = try redis.command(["XLEN", "\(namespace):\(stream)"]).int ?? 0
        guard length > 0 else { return 0 }
        let bytes = try redis.command(["MEMORY", "USAGE", "\(namespace):\(stream)", "SAMPLES", "0"]).int ?? 0
        return bytes / length
    }
    return [
        "jobHashBytes": .int(Int(perHash)), "indexBytesPerJob": .int(indexBytes / indexCount),
        "retainedBytesPerJob": .int(Int(perHash) + indexBytes / indexCount),
        "auditEntryBytes": .int(try bytesPerEntry("audit")), "eventEntryBytes": .int(try bytesPerEntry("events")),
        "taskEntryBytes": .int(try bytesPerEntry("tasks")),
    ]
}

func main() throws {
    let options = Options(Array(CommandLine.arguments.dropFirst()))
    guard !options.binDirectory.isEmpty else {
        throw BenchError(message: "--bin DIR (release bin directory) is required")
    }
    try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true)

    let redisPort = freePort()
    let redisDirectory = options.workDirectory + "/redis"
    // A work directory used before still holds that run's append-only file; every run starts on an empty Redis.
    try? FileManager.default.removeItem(atPath: redisDirectory)
    try FileManager.default.createDirectory(atPath: redisDirectory, withIntermediateDirectories: true)
    let redisServer = try Child(
        name: "redis", executable: "/usr/bin/redis-server",
        arguments: [
            "--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDirectory, "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
            // The settings docs/deployment.md asks for, as ops/stack and compose use them.
            "--hash-max-listpack-value", "1024",
        ],
        environment: [:], log: URL(fileURLWithPath: options.workDirectory + "/redis.log"))
    defer { redisServer.stop() }
    let redisURL = "redis://127.0.0.1:\(redisPort)"
    var redis: RedisConnection?
    for _ in 0..<100 where redis == nil {
        redis = try? RedisConnection(configuration: RedisConfiguration(url: redisURL))
        if redis == nil { usleep(50_000) }
    }
    guard let redis else { throw BenchError(message: "redis-server did not start") }

    var report: [String: JSONValue] = [
        "machine": .string("\(ProcessInfo.processInfo.activeProcessorCount) cores"),
        "jobs": .int(options.jobs),
    ]
    let ceiling = try redisCeiling(redis, entries: options.ceilingEntries)
    report["redisCeilingXaddPerSecond"] = .int(Int(ceiling))
    print("Redis ceiling: pipelined XADD \(Int(ceiling))/s")

    var scenarios: [JSONValue] = []
    var memory: [String: JSONValue] = [:]
    var latencies: [JSONValue] = []
    for workers in options.workerCounts {
        let namespace = "bench-w\(workers)"
        let stack = try Stack(
            options: options, redisURL: redisURL, namespace: namespace, workers: workers, components: "demo")
        do {
            try stack.waitUntilReady(redis)
            if options.scenarios.contains("xadd") {
                let viaXADD = try throughput(
                    "jobAsync via XADD, \(workers) worker(s)", stack: stack, redis: redis,
                    jobs: options.jobs, producerCommandsPerJob: 1
                ) {
                    try submitByXADD(redis, namespace: namespace, jobs: options.jobs)
                }
                print(viaXADD.summaryLine)
                scenarios.append(viaXADD.json)
            }
            if options.scenarios.contains("http") {
                let viaHTTP = try throughput(
                    "jobAsync via HTTP, \(workers) worker(s), \(options.clients) clients", stack: stack,
                    redis: redis, jobs: options.jobs, producerCommandsPerJob: 0
                ) {
                    submitByHTTP(stack, jobs: options.jobs, clients: options.clients)
                }
                print(viaHTTP.summaryLine)
                scenarios.append(viaHTTP.json)
            }
            if workers == options.workerCounts.last {
                if options.scenarios.contains("latency") {
                    try waitUntilQuiet(redis)
                    for mode in ["sync", "jobSync", "jobAsync"] {
                        let figures = latency(stack, mode: mode, calls: options.latencyCalls)
                        print("latency \(mode): \(figures.encoded)")
                        latencies.append(figures)
                    }
                }
                report["redisMemory"] = try retainedMemoryPerJob(redis, namespace: namespace)
            }
        } catch {
            _ = stack.stop()
            throw error
        }
        let peaks = stack.stop()
        memory["\(workers) worker(s)"] = .object(peaks.mapValues { .int($0) })
    }
    if options.scenarios.contains("subscribers") {
        // The same no-op jobs, with workers that also host the orders example: its two async subscribers each
        // have a consumer group on the event stream, which reads every event.
        let stack = try Stack(
            options: options, redisURL: redisURL, namespace: "bench-subscribers", workers: 1,
            components: "demo,orders")
        do {
            try stack.waitUntilReady(redis)
            let figures = try throughput(
                "jobAsync via XADD, 1 worker(s), hosting 2 async subscribers", stack: stack, redis: redis,
                jobs: options.jobs, producerCommandsPerJob: 1
            ) {
                try submitByXADD(redis, namespace: "bench-subscribers", jobs: options.jobs)
            }
            print(figures.summaryLine)
            scenarios.append(figures.json)
        } catch {
            _ = stack.stop()
            throw error
        }
        _ = stack.stop()
    }
    report["throughput"] = .array(scenarios)
    report["latency"] = .array(latencies)
    report["peakResidentKiB"] = .object(memory)
    print("Redis memory per retained job: \(report["redisMemory"]?.encoded ?? "-")")
    print("Peak resident memory (KiB): \(JSONValue.object(memory).encoded)")
    if let path = options.jsonPath {
        try (JSONValue.object(report).encoded + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        print("JSON report written to \(path)")
    }
}

extension Figures {
    var summaryLine: String {
        "\(scenario): \(jobs) jobs in \(String(format: "%.2f", seconds)) s = \(Int(jobsPerSecond)) jobs/s; "
            + "Redis \(redisCommandsPerJob) cmds/job executed (\(sentCommandsPerJob) sent), "
            + "\(Int(redisCPUMicrosPerJob)) µs CPU/job; "
            + "services \(Int(serviceCPUMicrosPerJob)) µs CPU/job; failures \(failures)\n    CPU µs/job by process: "
            + cpuMicrosPerJobByService.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value))" }.joined(
                separator: ", ")
            + "\n    Redis commands/job (µs/job), scripts' own calls included: "
            + redisCommandsPerJobByName.sorted { $0.value.calls > $1.value.calls }.prefix(12).map {
                "\($0.key) \(String(format: "%.2f", $0.value.calls)) (\(Int($0.value.microseconds.rounded())))"
            }.joined(separator: ", ")
    }
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("cncf-bench: \(error)\n".utf8))
    exit(1)
}
