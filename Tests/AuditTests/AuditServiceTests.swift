import AuditArchive
import Foundation
import JobModel
import JobServices
import RedisClient
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The audit service end to end, in process, against a real Redis and real SQLite files.
@Suite("Audit service", .serialized)
struct AuditServiceTests {
    /// One test's Redis namespace, connection and scratch folder.
    final class Fixture {
        let keyspace = Keyspace(namespace: uniqueNamespace())
        let redis: RedisConfiguration
        let connection: RedisConnection
        let folder: ScratchFolder
        private var addedEvents = 0

        init() throws {
            redis = try TestRedisServer.configuration()
            connection = try RedisConnection(configuration: redis)
            folder = try ScratchFolder()
        }

        deinit {
            folder.remove()
        }

        func configuration(consumer: String, metricsPort: Int = 0) throws -> ServiceConfiguration {
            var environment = [
                "REDIS_URL": "redis://\(redis.host):\(redis.port)", "CNCF_NAMESPACE": keyspace.namespace,
                "LOG_LEVEL": "error", "WORKER_ID": consumer,
            ]
            if metricsPort != 0 { environment["METRICS_PORT"] = String(metricsPort) }
            return try ServiceConfiguration.fromEnvironment(environment)
        }

        /// XADDs `count` lifecycle events to the event stream, as the Lua scripts would; returns their ids.
        @discardableResult
        func addEvents(_ count: Int) throws -> [String] {
            let commands = (0..<count).map { _ -> [String] in
                addedEvents += 1
                let event = sampleEvent(addedEvents)
                return [
                    "XADD", keyspace.events, "*", "type", event.type, "jobId", event.jobId, "taskId", event.taskId,
                    "operation", event.operation, "principal", event.principal, "status", event.status, "at",
                    String(event.at), "details", event.details,
                ]
            }
            return try connection.pipeline(commands).map { try #require($0.string) }
        }

        /// The chained entries on the audit stream, in stream order.
        func auditStream() throws -> [AuditEntry] {
            let reply = try connection.command(["XRANGE", keyspace.audit, "-", "+"])
            return (reply.array ?? []).compactMap { item in
                guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
                return AuditEntry(streamId: id, fields: pair[1].fieldDictionary)
            }
        }

        func head() throws -> AuditHead? {
            let fields = try connection.command(["HGETALL", keyspace.auditHead]).fieldDictionary
            guard let seq = fields["seq"].flatMap({ Int($0) }), let hash = fields["hash"] else { return nil }
            return AuditHead(seq: seq, hash: hash)
        }

        /// Waits until the stream and `archive` both hold `count` entries.
        func waitForEntries(_ count: Int, in archives: AuditArchive...) async throws {
            _ = try await eventually("\(count) entries on the audit stream") {
                try auditStream().count >= count ? true : nil
            }
            for archive in archives {
                _ = try await eventually("\(count) entries in \(archive.path)") {
                    try archive.count() >= count ? true : nil
                }
            }
        }
    }

    /// Checks that `entries` is the chain 1...count, each linked to the one before.
    private func expectChain(_ entries: [AuditEntry], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(entries.map(\.seq) == Array(1...count), sourceLocation: sourceLocation)
        var verifier = AuditChainVerifier(fromGenesis: true)
        entries.forEach { verifier.check($0) }
        #expect(verifier.failure == nil, "\(verifier.summary)", sourceLocation: sourceLocation)
    }

    @Test("events become chained entries on the stream and in the archive; a restart continues the chain")
    func endToEnd() async throws {
        let fixture = try Fixture()
        let path = fixture.folder.path("audit.db")
        let eventIds = try fixture.addEvents(25)

        let first = AuditService(
            configuration: try fixture.configuration(consumer: "audit-1"), archive: try AuditArchive(path: path))
        first.start()
        try await fixture.waitForEntries(25, in: first.archive)
        first.stop()

        let stream = try fixture.auditStream()
        expectChain(stream, count: 25)
        #expect(stream.map(\.eventId) == eventIds)
        #expect(try fixture.head() == AuditHead(seq: 25, hash: stream[24].hash))
        #expect(try first.archive.entries(matching: AuditQuery(limit: 500)) == stream)
        #expect(first.metrics.counter("cncf_audit_entries_total", ["type": "job.accepted"]) == 13)
        let pending = try fixture.connection.command(["XPENDING", fixture.keyspace.events, Keyspace.auditGroup])
        #expect(pending.array?.first?.int == 0)

        // A new process: new connection to the same file, new consumer name.
        let more = try fixture.addEvents(10)
        let second = AuditService(
            configuration: try fixture.configuration(consumer: "audit-2"), archive: try AuditArchive(path: path))
        second.start()
        try await fixture.waitForEntries(35, in: second.archive)
        second.stop()

        let continued = try fixture.auditStream()
        expectChain(continued, count: 35)
        #expect(continued[25].prevHash == stream[24].hash)
        #expect(continued.dropFirst(25).map(\.eventId) == more)
        #expect(try second.archive.verify().summary == "ok: 35 entries, head \(continued[34].hash)")
        #expect(try fixture.head()?.seq == 35)
    }

    @Test("a new archive catches up from the audit stream")
    func archiveCatchUp() async throws {
        let fixture = try Fixture()
        try fixture.addEvents(12)
        let first = AuditService(
            configuration: try fixture.configuration(consumer: "audit-1"),
            archive: try AuditArchive(path: fixture.folder.path("first.db")))
        first.start()
        try await fixture.waitForEntries(12, in: first.archive)
        first.stop()

        // As after a crash between EXEC and the SQLite commit: the archive lacks entries the stream has.
        let replacement = try AuditArchive(path: fixture.folder.path("second.db"))
        let second = AuditService(configuration: try fixture.configuration(consumer: "audit-2"), archive: replacement)
        second.start()
        try await fixture.waitForEntries(12, in: replacement)
        try fixture.addEvents(3)
        try await fixture.waitForEntries(15, in: replacement)
        second.stop()
        expectChain(try replacement.entries(matching: AuditQuery(limit: 500)), count: 15)
        #expect(second.metrics.prometheusText().contains("cncf_audit_archive_entries 15"))
    }

    @Test("two audit services write one chain and each archive gets all of it")
    func twoInstances() async throws {
        let fixture = try Fixture()
        let archives = [
            try AuditArchive(path: fixture.folder.path("a.db")), try AuditArchive(path: fixture.folder.path("b.db")),
        ]
        let services = try archives.enumerated().map { index, archive in
            AuditService(configuration: try fixture.configuration(consumer: "audit-\(index)"), archive: archive)
        }
        services.forEach { $0.start() }
        var added: [String] = []
        for _ in 0..<20 {
            added += try fixture.addEvents(15)
            try await Task.sleep(for: .milliseconds(5))
        }
        try await fixture.waitForEntries(300, in: archives[0], archives[1])
        services.forEach { $0.stop() }

        let stream = try fixture.auditStream()
        expectChain(stream, count: 300)
        #expect(Set(stream.map(\.eventId)) == Set(added))
        for archive in archives {
            #expect(try archive.entries(matching: AuditQuery(limit: 500)) == stream)
        }
    }

    @Test("the query API shows an entry's missing job and task as null, which the chain hashes as empty text")
    func missingJobAndTaskAreNull() {
        let syncCall = AuditEntry(
            seq: 3, at: 0, type: "sync.executed", jobId: "", taskId: "", operation: "demo.echo", principal: "bob",
            status: "succeeded", details: "", eventId: "e", prevHash: AuditChain.genesisHash)
        #expect(syncCall.json["jobId"] == .null)
        #expect(syncCall.json["taskId"] == .null)

        let taskEvent = AuditEntry(event: sampleEvent(4), seq: 4, prevHash: AuditChain.genesisHash)
        #expect(taskEvent.json["jobId"] == .string("job-1"))
        #expect(taskEvent.json["taskId"] == .string("task-4"))
    }

    @Test("the HTTP API answers queries and verification from the archive")
    func httpAPI() async throws {
        let fixture = try Fixture()
        let port = try freePort()
        let path = fixture.folder.path("audit.db")
        let configuration = try fixture.configuration(consumer: "audit-http", metricsPort: port)
        let service = AuditService(configuration: configuration, archive: try AuditArchive(path: path))
        let server = try AuditEndpoint.serve(
            configuration: configuration, metrics: service.metrics,
            archive: try AuditArchive(path: path, mode: .readOnly), service: service)
        service.start()
        defer {
            service.stop()
            server?.stop()
        }
        try fixture.addEvents(9)
        try await fixture.waitForEntries(9, in: service.archive)

        func get(_ target: String) async throws -> (status: Int, body: JSONValue) {
            let url = try #require(URL(string: "http://127.0.0.1:\(port)\(target)"))
            let (data, response) = try await URLSession.shared.data(from: url)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, try JSONValue.parse(Array(data)))
        }

        let page = try await get("/audit?limit=4&principal=bob")
        #expect(page.status == 200)
        let entries = try #require(page.body["entries"]?.arrayValue)
        #expect(entries.map { $0["seq"]?.intValue } == [1, 3, 5, 7])
        #expect(page.body["nextCursor"] == .int(7))
        #expect(entries[0]["at"] == .string(Clock.rfc3339(milliseconds: 1_700_000_001_000)))
        #expect(entries[0]["details"] == ["n": 1])
        #expect(entries[0]["prevHash"] == .string(AuditChain.genesisHash))
        for key in ["type", "jobId", "operation", "principal", "status", "eventId", "hash"] {
            #expect(entries[0][key]?.stringValue != nil, "missing \(key)")
        }
        #expect(entries[0]["taskId"] == .null, "a job-level event has no task")
        let last = try await get("/audit?limit=4&principal=bob&cursor=7")
        #expect(last.body["entries"]?.arrayValue?.map { $0["seq"]?.intValue } == [9])
        #expect(last.body["nextCursor"] == .null)
        let since = try await get("/audit?since=2023-11-14T22:13:28Z&jobId=job-0")
        #expect(since.body["entries"]?.arrayValue?.map { $0["seq"]?.intValue } == [9])

        for bad in ["/audit?limit=0", "/audit?limit=501", "/audit?since=soon", "/audit?cursor=x", "/audit?who=me"] {
            let answer = try await get(bad)
            #expect(answer.status == 400, "\(bad)")
            #expect(answer.body["error"]?["code"] == "invalid_request")
        }

        let sound = try await get("/audit/verify")
        #expect(sound.status == 200)
        #expect(sound.body["ok"] == true)
        #expect(sound.body["entries"] == 9)

        _ = try sqliteShell(
            path, "DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET status = 'forged' WHERE seq = 6")
        let broken = try await get("/audit/verify")
        #expect(broken.status == 409)
        #expect(broken.body["ok"] == false)
        #expect(broken.body["brokenAt"] == 6)
        #expect(broken.body["reason"]?.stringValue?.contains("changed") == true)

        let health = try await get("/healthz")
        #expect(health.status == 200)
        #expect(health.body["archivedSeq"] == 9)
    }

    @Test("jobctl audit verify checks the live stream", .enabled(if: builtExecutable("jobctl") != nil))
    func jobctlVerify() async throws {
        let fixture = try Fixture()
        try fixture.addEvents(6)
        let service = AuditService(
            configuration: try fixture.configuration(consumer: "audit-cli"),
            archive: try AuditArchive(path: fixture.folder.path("audit.db")))
        service.start()
        try await fixture.waitForEntries(6, in: service.archive)
        service.stop()

        let program = try #require(builtExecutable("jobctl"))
        let environment = [
            "REDIS_URL": "redis://\(fixture.redis.host):\(fixture.redis.port)",
            "CNCF_NAMESPACE": fixture.keyspace.namespace,
        ]
        let stream = try fixture.auditStream()
        let sound = try run(program, ["audit", "verify"], environment: environment)
        #expect(sound.status == 0, "\(sound.error)")
        #expect(sound.output == "ok: 6 entries, head \(stream[5].hash)\n")

        // Trimming the oldest entries is normal: the first one left is taken as given.
        _ = try fixture.connection.command(["XDEL", fixture.keyspace.audit, stream[0].streamId])
        #expect(try run(program, ["audit", "verify"], environment: environment).status == 0)

        _ = try fixture.connection.command(["XDEL", fixture.keyspace.audit, stream[3].streamId])
        let gap = try run(program, ["audit", "verify"], environment: environment)
        #expect(gap.status == 1)
        #expect(gap.output.hasPrefix("broken at seq 4 (stream id \(stream[4].streamId)): seq 4 is missing"))

        _ = try fixture.connection.command(["XDEL", fixture.keyspace.audit, stream[4].streamId, stream[5].streamId])
        _ = try fixture.connection.command(["XDEL", fixture.keyspace.audit, stream[3].streamId])
        let truncated = try run(program, ["audit", "verify", "--json"], environment: environment)
        #expect(truncated.status == 1)
        let answer = try JSONValue.parse(truncated.output)
        #expect(answer["ok"] == false)
        #expect(answer["brokenAt"] == 4)
    }
}
