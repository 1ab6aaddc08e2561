import Foundation
import JobModel
import RedisClient

extension Scheduler {
    /// The consumer name under which abandoned deliveries are claimed before they are handed out again.
    static let reclaimer = "reclaimer"

    /// Opens connections for a maintenance loop and runs `body` until the scheduler stops; a failure drops the
    /// connection and tries again after a pause.
    func maintain(
        _ name: String, every pause: @escaping () -> Duration,
        _ body: (RedisConnection) throws(RedisError) -> Void
    ) {
        var connection: RedisConnection?
        while !stopping.load(ordering: .relaxed) {
            do throws(RedisError) {
                if connection == nil || connection!.isBroken {
                    connection = try RedisConnection(configuration: configuration.redis)
                }
                try body(connection!)
            } catch {
                connection = nil
                logger.warning("\(name) failed; retrying", ["op": name, "error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.5)
            }
            sleep(pause())
        }
    }

    private func sleep(_ duration: Duration) {
        var remaining = duration
        while remaining > .zero && !stopping.load(ordering: .relaxed) {
            let step = min(remaining, .milliseconds(250))
            Thread.sleep(forTimeInterval: step.seconds)
            remaining -= step
        }
    }

    /// Moves due retries and delayed starts onto the task stream, sleeping until the next one is due (at most a
    /// quarter of a second, so work added meanwhile waits no longer than that).
    func promoteDueWork() {
        let keyspace = configuration.keyspace
        var pause = Duration.milliseconds(250)
        maintain("promote", every: { pause }) { connection throws(RedisError) in
            let now = Clock.milliseconds()
            var moved = 500
            while moved == 500 {
                moved =
                    try connection.evalScript(
                        JobScripts.promote, keys: [keyspace.due, keyspace.tasks],
                        arguments: [String(now), "500", keyspace.namespace]
                    ).int ?? 0
                if moved > 0 { metrics.increment("cncf_due_promoted_total", by: Double(moved)) }
            }
            let next = try connection.command(["ZRANGE", keyspace.due, "0", "0", "WITHSCORES"]).array ?? []
            let nextDue = next.count == 2 ? UInt64(next[1].string.flatMap(Double.init) ?? 0) : 0
            let wait = nextDue > now ? Int(nextDue - Clock.milliseconds()) : 250
            pause = .milliseconds(min(max(wait, 5), 250))
        }
    }

    /// Hands out again the deliveries of workers that died: entries pending longer than a lease, on the task
    /// stream and on every async subscriber's consumer group.
    func reclaimAbandonedWork() {
        let keyspace = configuration.keyspace
        let lease = configuration.leaseMilliseconds
        maintain("reclaim", every: { .milliseconds(max(250, lease / 4)) }) { connection throws(RedisError) in
            var sources = [(stream: keyspace.tasks, group: Keyspace.workerGroup, subscriber: String?.none)]
            for name in try asyncSubscribers(on: connection) {
                sources.append((keyspace.events, Keyspace.subscriberGroup(name), name))
                sources.append((keyspace.subscriberTasks(name), Keyspace.subscriberGroup(name), nil))
            }
            for source in sources {
                try reclaim(
                    from: source.stream, group: source.group, subscriber: source.subscriber,
                    idleMilliseconds: lease, on: connection)
            }
        }
    }

    private func reclaim(
        from stream: String, group: String, subscriber: String?, idleMilliseconds: Int,
        on connection: RedisConnection
    ) throws(RedisError) {
        let keyspace = configuration.keyspace
        var cursor = "0-0"
        repeat {
            let reply = try connection.pipeline([
                ["XAUTOCLAIM", stream, group, Self.reclaimer, String(idleMilliseconds), cursor, "COUNT", "100"]
            ])[0]
            if case .error(let message) = reply {
                if message.hasPrefix("NOGROUP") { return }
                throw RedisError.server(message)
            }
            guard let parts = reply.array, parts.count >= 2 else { return }
            cursor = parts[0].string ?? "0-0"
            let entries = (parts[1].array ?? []).compactMap { item -> StreamEntry? in
                guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
                return StreamEntry(id: id, fields: pair[1].fieldDictionary)
            }
            var unrelated: [String] = []
            for entry in entries {
                guard let target = reclaimTarget(entry, subscriber: subscriber) else {
                    unrelated.append(entry.id)
                    continue
                }
                let reply = try connection.evalScript(
                    JobScripts.reclaim,
                    keys: [
                        target.taskKey, keyspace.job(target.jobId), keyspace.events, stream, keyspace.tasks,
                        keyspace.deadLetters,
                    ],
                    arguments: [
                        entry.id, group, String(Clock.milliseconds()), target.kind,
                        String(configuration.retentionSeconds),
                    ])
                let outcome = reply.array?.first?.string ?? "?"
                if let name = reply.array?.dropFirst().first?.string, outcome == "failed" || outcome == "cancelled" {
                    metrics.increment("cncf_jobs_finished_total", ["operation": name, "status": outcome])
                    if outcome == "failed" { metrics.increment("cncf_dead_letters_total", ["operation": name]) }
                }
                if outcome != "alive" {
                    metrics.increment("cncf_reclaims_total", ["outcome": outcome])
                    logger.notice(
                        "reclaimed an abandoned delivery",
                        ["op": "reclaim", "job": target.jobId, "task": entry.id, "outcome": outcome])
                }
            }
            if !unrelated.isEmpty { _ = try connection.command(["XACK", stream, group] + unrelated) }
        } while cursor != "0-0"
    }

    /// The names of the async subscribers workers registered.
    func asyncSubscribers(on connection: RedisConnection) throws(RedisError) -> [String] {
        let subscriptions = try connection.command(["HGETALL", configuration.keyspace.subscriptions]).fieldDictionary
        return subscriptions.values.flatMap { names in
            names.split(separator: ",").compactMap { pair in pair.split(separator: "=").first.map(String.init) }
        }.sorted()
    }

    /// The task record a pending entry concerns, or `nil` when it concerns no task (then it is acknowledged).
    private func reclaimTarget(
        _ entry: StreamEntry, subscriber: String?
    ) -> (taskKey: String, jobId: String, kind: String)? {
        let keyspace = configuration.keyspace
        guard let jobId = entry.fields["jobId"], !jobId.isEmpty else { return nil }
        if let subscriber {
            let prefix = subscriber + "="
            guard
                let pair = entry.fields["subscriberTasks"]?.split(separator: ",").first(where: { $0.hasPrefix(prefix) })
            else { return nil }
            return (keyspace.task(String(pair.dropFirst(prefix.count))), jobId, "subscriber")
        }
        switch entry.fields["kind"] {
        case "subscriber":
            guard let taskId = entry.fields["taskId"] else { return nil }
            return (keyspace.task(taskId), jobId, "subscriber")
        case "sync":
            return nil
        default:
            return (keyspace.job(jobId), jobId, "primary")
        }
    }

    /// Every five seconds: publishes the backlog of each stream's consumer groups as gauges.
    func measureQueues() {
        let keyspace = configuration.keyspace
        maintain("queue-metrics", every: { .seconds(5) }) { connection throws(RedisError) in
            let retries = try asyncSubscribers(on: connection).map(keyspace.subscriberTasks)
            for stream in [keyspace.commands, keyspace.tasks, keyspace.events] + retries {
                let reply = try connection.pipeline([["XINFO", "GROUPS", stream], ["XLEN", stream]])
                metrics.set("cncf_stream_length", ["stream": stream], to: Double(reply[1].int ?? 0))
                guard case .array(let groups) = reply[0] else { continue }
                for group in groups {
                    let info = group.fieldDictionary
                    guard let name = info["name"] else { continue }
                    let labels = ["stream": stream, "group": name]
                    metrics.set("cncf_group_pending", labels, to: Double(info["pending"].flatMap(Int.init) ?? 0))
                    metrics.set("cncf_group_lag", labels, to: Double(info["lag"].flatMap(Int.init) ?? 0))
                }
            }
            let due = try connection.command(["ZCARD", keyspace.due]).int ?? 0
            metrics.set("cncf_due_items", to: Double(due))
        }
    }

    /// Every 30 seconds: trims the work streams below the oldest entry any live consumer group still needs, caps
    /// the audit, dead-letter and rejected-command streams, forgets consumers long gone, drops expired jobs from
    /// the index and forgets silent workers.
    func keepHouse() {
        let keyspace = configuration.keyspace
        maintain("housekeeping", every: { .seconds(30) }) { connection throws(RedisError) in
            let retries = try asyncSubscribers(on: connection).map(keyspace.subscriberTasks)
            for stream in [keyspace.commands, keyspace.tasks, keyspace.events] + retries {
                if let oldest = try oldestNeededEntry(of: stream, on: connection) {
                    _ = try connection.command(["XTRIM", stream, "MINID", "~", oldest])
                }
            }
            _ = try connection.pipeline([
                ["XTRIM", keyspace.audit, "MAXLEN", "~", String(configuration.auditStreamLength)],
                ["XTRIM", keyspace.deadLetters, "MAXLEN", "~", String(Self.cappedStreamLength)],
                ["XTRIM", keyspace.rejectedCommands, "MAXLEN", "~", String(Self.cappedStreamLength)],
            ])
            let horizon = Int(Clock.milliseconds()) - configuration.retentionSeconds * 1000
            _ = try connection.command(["ZREMRANGEBYSCORE", keyspace.jobIndex, "-inf", "(\(horizon)"])
            let workers = try connection.command(["HGETALL", keyspace.workers]).fieldDictionary
            let silent = workers.filter { (_, state) in
                let at = (try? JSONValue.parse(state))?["at"]?.intValue ?? 0
                return at < Int(Clock.milliseconds()) - 60_000
            }.map(\.key)
            if !silent.isEmpty { _ = try connection.command(["HDEL", keyspace.workers] + silent) }
        }
    }

    /// About how many entries the dead-letter and rejected-command streams keep.
    static let cappedStreamLength = 100_000

    /// A consumer with nothing pending that has been silent this long is removed from its group; every restart
    /// of a service makes a new one, and a live one that reads again is simply added back.
    static let consumerForgetMilliseconds = 3_600_000

    /// The id below which no consumer group of `stream` needs entries: the smallest of each group's oldest
    /// pending entry and last delivered entry. `nil` when the stream has no group.
    ///
    /// A group whose consumers have all been silent for longer than `GROUP_ABANDON_SECONDS` (or that has had none
    /// for that long) is abandoned: it keeps no entry older than that, so that a reader that went away for good
    /// cannot make Redis grow without bound. It is logged and counted on every pass.
    func oldestNeededEntry(of stream: String, on connection: RedisConnection) throws(RedisError) -> String? {
        let reply = try connection.pipeline([["XINFO", "GROUPS", stream]])[0]
        guard case .array(let groups) = reply, !groups.isEmpty else { return nil }
        let abandonAfter = configuration.groupAbandonSeconds * 1000
        var oldest: (UInt64, UInt64)?
        var abandoned = 0
        for group in groups {
            let info = group.fieldDictionary
            guard let name = info["name"] else { continue }
            let lastDelivered = info["last-delivered-id"] ?? "0-0"
            let consumers = try connection.command(["XINFO", "CONSUMERS", stream, name]).array ?? []
            var leastIdle: Int?
            var forgotten: [String] = []
            for consumer in consumers {
                let fields = consumer.fieldDictionary
                guard let consumerName = fields["name"], let idle = fields["idle"].flatMap(Int.init) else { continue }
                leastIdle = min(leastIdle ?? idle, idle)
                if fields["pending"] == "0" && idle > Self.consumerForgetMilliseconds { forgotten.append(consumerName) }
            }
            for consumerName in forgotten {
                _ = try connection.command(["XGROUP", "DELCONSUMER", stream, name, consumerName])
            }
            let silentFor: Int
            if let leastIdle {
                silentFor = leastIdle
                _ = groupsWithoutConsumers.withLock { $0.removeValue(forKey: "\(stream) \(name)") }
            } else {
                // Redis does not say when a group was made: count from when this scheduler first saw it empty.
                let now = Int(Clock.milliseconds())
                let since = groupsWithoutConsumers.withLock { $0["\(stream) \(name)", default: now] }
                groupsWithoutConsumers.withLock { $0["\(stream) \(name)"] = since }
                silentFor = now - since
            }
            var needed: [(UInt64, UInt64)] = [lastDelivered].compactMap(Self.entryId)
            if let pending = info["pending"].flatMap(Int.init), pending > 0 {
                let summary = try connection.command(["XPENDING", stream, name]).array ?? []
                if summary.count > 1, let first = summary[1].string.flatMap(Self.entryId) { needed.append(first) }
            }
            guard var groupOldest = needed.min(by: <) else { continue }
            if silentFor > abandonAfter {
                abandoned += 1
                logger.warning(
                    "consumer group silent for longer than GROUP_ABANDON_SECONDS; it keeps no older entries",
                    ["op": "housekeeping", "stream": stream, "group": name, "silentSeconds": String(silentFor / 1000)])
                let horizon = (UInt64(max(0, Int(Clock.milliseconds()) - abandonAfter)), UInt64(0))
                if groupOldest < horizon { groupOldest = horizon }
            }
            if oldest == nil || groupOldest < oldest! { oldest = groupOldest }
        }
        metrics.set("cncf_abandoned_groups", ["stream": stream], to: Double(abandoned))
        return oldest.map { "\($0.0)-\($0.1)" }
    }

    /// The two numbers of a stream entry id, which compare in stream order.
    static func entryId(_ text: String) -> (UInt64, UInt64)? {
        let parts = text.split(separator: "-").compactMap { UInt64($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

}
