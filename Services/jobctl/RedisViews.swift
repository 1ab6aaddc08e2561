import Foundation
import JobModel
import RedisClient

#if canImport(Glibc)
    import Glibc
#endif

/// The Redis server and namespace that `audit tail` and `top` read, from REDIS_URL and CNCF_NAMESPACE.
func redisTarget() throws -> (configuration: RedisConfiguration, keyspace: Keyspace) {
    let environment = ProcessInfo.processInfo.environment
    let configuration: RedisConfiguration
    do {
        configuration = try RedisConfiguration(url: environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
    } catch {
        throw CommandLineError(message: "REDIS_URL: \(error)", code: .usage)
    }
    let namespace = environment["CNCF_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "cncf"
    return (configuration, Keyspace(namespace: namespace))
}

/// Opens a connection, reporting an unreachable server as exit code 3.
func connectRedis(_ configuration: RedisConfiguration, readTimeout: Duration) throws -> RedisConnection {
    do {
        return try RedisConnection(configuration: configuration, readTimeout: readTimeout)
    } catch {
        throw CommandLineError(message: "cannot reach Redis at \(configuration): \(error)", code: .unavailable)
    }
}

/// Writes one line straight to standard output, unbuffered, so a pipe sees each line as it comes.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `audit tail`: follows the audit stream and prints each entry as it arrives.
func tailAudit(fromStart: Bool, printer: Printer) throws -> Never {
    let (configuration, keyspace) = try redisTarget()
    let connection = try connectRedis(configuration, readTimeout: .seconds(60))
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

/// `top`: refreshes a view of backlogs, throughput and workers every second until interrupted; with `once`,
/// measures for one second and prints a single view.
func top(once: Bool, printer: Printer) async throws -> ExitCode {
    let (configuration, keyspace) = try redisTarget()
    let connection = try connectRedis(configuration, readTimeout: .seconds(10))
    let monitor = Monitor(keyspace: keyspace, redis: "\(configuration)")
    let clearScreen = !printer.json && isatty(STDOUT_FILENO) == 1
    var previous: Monitor.Sample?
    while true {
        let sample: Monitor.Sample
        do {
            sample = try monitor.sample(connection, after: previous)
        } catch {
            throw CommandLineError(message: "Redis: \(error)", code: .unavailable)
        }
        // --once needs two samples a second apart to tell a rate, so its first sample is not shown.
        if !once || previous != nil {
            let view = printer.json ? monitor.json(sample).encoded : monitor.text(sample)
            writeLine(clearScreen ? "\u{1B}[H\u{1B}[2J" + view : view + (printer.json || once ? "" : "\n"))
            if once { return .success }
        }
        previous = sample
        try await Task.sleep(for: .seconds(1))
    }
}

/// Reads what `top` shows: consumer-group backlogs, finished jobs from the audit stream, worker heartbeats.
struct Monitor {
    let keyspace: Keyspace
    let redis: String

    /// A consumer group of a stream: entries not yet delivered (lag; `nil` when Redis cannot tell) and
    /// delivered but not yet acknowledged (pending).
    struct Group {
        var name: String
        var consumers: Int
        var lag: Int?
        var pending: Int
    }

    struct StreamState {
        var key: String
        var length: Int?
        var groups: [Group]
    }

    /// One worker's heartbeat.
    struct WorkerState {
        var name: String
        var running: Int
        var concurrency: Int
        var processed: Int
        var at: Int
        var processedPerSecond: Double?
    }

    /// Jobs that ended since the previous sample, per second.
    struct Throughput {
        var succeeded: Double
        var failed: Double
        var cancelled: Double
        /// True when more entries arrived than one refresh reads, and the rates were scaled from a sample.
        var estimated: Bool
        var total: Double { succeeded + failed + cancelled }
    }

    struct Sample {
        var at: UInt64
        var streams: [StreamState]
        var due: Int
        var deadLetters: Int
        var workers: [WorkerState]
        /// The last audit entry counted, and how many entries the audit stream had taken in by then.
        var auditPosition: String
        var auditAdded: Int
        var throughput: Throughput?
    }

    /// Audit entries read per refresh at most; beyond this the counts are scaled from what was read.
    static let auditReadLimit = 20_000
    static let auditPage = 2_000
    /// A worker whose heartbeat (every 2 s) is older than this is probably gone.
    static let staleMilliseconds = 10_000

    func sample(_ connection: RedisConnection, after previous: Sample?) throws(RedisError) -> Sample {
        let watched: [(key: String, group: String?)] = [
            (keyspace.commands, Keyspace.schedulerGroup), (keyspace.tasks, Keyspace.workerGroup),
            (keyspace.events, nil),
        ]
        var commands: [[String]] = []
        for stream in watched {
            commands.append(["XLEN", stream.key])
            commands.append(["XINFO", "GROUPS", stream.key])
        }
        commands += [
            ["ZCARD", keyspace.due], ["XLEN", keyspace.deadLetters], ["HGETALL", keyspace.workers],
            ["XINFO", "STREAM", keyspace.audit],
        ]
        let replies = try connection.pipeline(commands)
        let now = Clock.milliseconds()

        var streams: [StreamState] = []
        for (index, stream) in watched.enumerated() {
            var groups = Self.groups(replies[index * 2 + 1])
            if let wanted = stream.group, !groups.contains(where: { $0.name == wanted }) {
                groups.insert(Group(name: wanted, consumers: 0, lag: nil, pending: 0), at: 0)
            }
            streams.append(StreamState(key: stream.key, length: replies[index * 2].int, groups: groups))
        }
        let base = watched.count * 2

        var workers: [WorkerState] = []
        for (name, text) in replies[base + 2].fieldDictionary.sorted(by: { $0.key < $1.key }) {
            guard let state = try? JSONValue.parse(text) else { continue }
            var worker = WorkerState(
                name: name, running: state["running"]?.intValue ?? 0, concurrency: state["concurrency"]?.intValue ?? 0,
                processed: state["processed"]?.intValue ?? 0, at: state["at"]?.intValue ?? 0)
            // Heartbeats come every two seconds, so the rate is measured between heartbeats, not between refreshes.
            if let before = previous?.workers.first(where: { $0.name == name }) {
                if worker.at == before.at {
                    worker.processedPerSecond = before.processedPerSecond
                } else if worker.at > before.at, worker.processed >= before.processed {
                    worker.processedPerSecond =
                        Double(worker.processed - before.processed) * 1000 / Double(worker.at - before.at)
                }
            }
            workers.append(worker)
        }

        let audit = replies[base + 3].fieldDictionary
        let lastAudit = audit["last-generated-id"] ?? "0-0"
        let added = audit["entries-added"].flatMap(Int.init) ?? 0
        var sample = Sample(
            at: now, streams: streams, due: replies[base].int ?? 0, deadLetters: replies[base + 1].int ?? 0,
            workers: workers, auditPosition: lastAudit, auditAdded: added, throughput: nil)
        if let previous, now > previous.at {
            let elapsed = Double(now - previous.at) / 1000
            sample.throughput = try finished(
                connection, from: previous.auditPosition, to: lastAudit, added: added - previous.auditAdded,
                seconds: elapsed)
        }
        return sample
    }

    /// Counts the jobs that ended among the audit entries after `from` up to `to`, per second.
    private func finished(
        _ connection: RedisConnection, from: String, to: String, added: Int, seconds: Double
    ) throws(RedisError) -> Throughput {
        var counts: [String: Int] = [:]
        var read = 0
        var position = from
        while read < Self.auditReadLimit && position != to {
            let page =
                try connection.command([
                    "XRANGE", keyspace.audit, "(" + position, to, "COUNT", String(Self.auditPage),
                ]).array ?? []
            for entry in page {
                guard let pair = entry.array, pair.count == 2, let id = pair[0].string else { continue }
                position = id
                read += 1
                if let type = pair[1].fieldDictionary["type"] { counts[type, default: 0] += 1 }
            }
            if page.count < Self.auditPage { break }
        }
        // Under a heavy load only the first entries were read: scale their mix to everything that arrived.
        let estimated = position != to && read > 0 && added > read
        let scale = estimated ? Double(added) / Double(read) : 1
        let rate = { (type: String) in Double(counts[type] ?? 0) * scale / seconds }
        return Throughput(
            succeeded: rate("job.succeeded"), failed: rate("job.failed"), cancelled: rate("job.cancelled"),
            estimated: estimated)
    }

    /// Reads an `XINFO GROUPS` reply; an error (the stream does not exist yet) reads as no groups.
    static func groups(_ reply: RedisValue) -> [Group] {
        guard case .array(let entries) = reply else { return [] }
        return entries.map { entry in
            let fields = entry.fieldDictionary
            return Group(
                name: fields["name"] ?? "?", consumers: fields["consumers"].flatMap(Int.init) ?? 0,
                lag: fields["lag"].flatMap(Int.init), pending: fields["pending"].flatMap(Int.init) ?? 0)
        }
    }

    func text(_ sample: Sample) -> String {
        var lines = [
            "jobctl top   namespace \(keyspace.namespace)   \(redis)   \(Clock.rfc3339(milliseconds: sample.at))"
                + "   (Ctrl-C quits)",
            "",
        ]
        func rate(_ value: Double) -> String { String(format: "%.1f/s", value) }
        if let throughput = sample.throughput {
            lines.append(
                "jobs finished  \(throughput.estimated ? "~" : "")\(rate(throughput.total))   succeeded "
                    + "\(rate(throughput.succeeded))   failed \(rate(throughput.failed))   cancelled "
                    + "\(rate(throughput.cancelled))")
        } else {
            lines.append("jobs finished  measuring...")
        }
        lines.append("delayed or backing off  \(sample.due)   dead letters  \(sample.deadLetters)")
        lines.append("")

        var rows: [[String]] = []
        for stream in sample.streams {
            let length = stream.length.map(String.init) ?? "-"
            if stream.groups.isEmpty { rows.append([stream.key, length, "-", "-", "-", "-"]) }
            for group in stream.groups {
                rows.append([
                    stream.key, length, group.name, String(group.consumers), group.lag.map(String.init) ?? "?",
                    String(group.pending),
                ])
            }
        }
        lines += Printer.tableLines(["STREAM", "LENGTH", "GROUP", "CONSUMERS", "LAG", "PENDING"], rows)
        lines.append("")

        if sample.workers.isEmpty {
            lines.append("no workers have reported")
        } else {
            let workerRows = sample.workers.map { worker -> [String] in
                let age = Int(sample.at) - worker.at
                let heartbeat = String(format: "%.1fs ago", Double(max(age, 0)) / 1000)
                return [
                    worker.name, "\(worker.running)/\(worker.concurrency)", String(worker.processed),
                    worker.processedPerSecond.map(rate) ?? "-",
                    age > Self.staleMilliseconds ? heartbeat + " (stale)" : heartbeat,
                ]
            }
            lines += Printer.tableLines(["WORKER", "RUNNING", "PROCESSED", "RATE", "HEARTBEAT"], workerRows)
        }
        return lines.joined(separator: "\n")
    }

    func json(_ sample: Sample) -> JSONValue {
        func rate(_ value: Double) -> JSONValue { .double((value * 100).rounded() / 100) }
        let streams = sample.streams.map { stream -> JSONValue in
            [
                "stream": .string(stream.key), "length": stream.length.map(JSONValue.int) ?? .null,
                "groups": .array(
                    stream.groups.map {
                        [
                            "name": .string($0.name), "consumers": .int($0.consumers),
                            "lag": $0.lag.map(JSONValue.int) ?? .null, "pending": .int($0.pending),
                        ]
                    }),
            ]
        }
        let workers = sample.workers.map { worker -> JSONValue in
            [
                "name": .string(worker.name), "running": .int(worker.running),
                "concurrency": .int(worker.concurrency), "processed": .int(worker.processed),
                "processedPerSecond": worker.processedPerSecond.map(rate) ?? .null,
                "heartbeatAgeMs": .int(Int(sample.at) - worker.at),
            ]
        }
        let finished: JSONValue =
            sample.throughput.map {
                [
                    "total": rate($0.total), "succeeded": rate($0.succeeded), "failed": rate($0.failed),
                    "cancelled": rate($0.cancelled), "estimated": .bool($0.estimated),
                ]
            } ?? .null
        return [
            "at": .string(Clock.rfc3339(milliseconds: sample.at)), "namespace": .string(keyspace.namespace),
            "streams": .array(streams), "due": .int(sample.due), "deadLetters": .int(sample.deadLetters),
            "jobsFinishedPerSecond": finished, "workers": .array(workers),
        ]
    }
}
