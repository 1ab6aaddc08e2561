import Foundation
import JobServices
import RedisClient
import TestSupport
import Testing

/// Each test here owns a private redis-server, which it stops and starts.
@Suite("Surviving a Redis restart")
struct ReconnectTests {
    @Test("RedisClient fails with .connection while Redis is down and works again, data intact, once it is back")
    func clientSurvivesRestart() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let client = RedisClient(configuration: redis.configuration)
        defer { client.close() }
        try await client.command(["SET", "kept", "before restart"])

        redis.stop()

        for _ in 0..<3 {
            await #expect {
                try await client.command(["GET", "kept"])
            } throws: { error in
                (error as? RedisError)?.isConnectionFailure == true
            }
        }
        #expect(!client.statistics.isConnected)

        try redis.start()

        let value = try await eventually("the client to reach Redis again", timeout: .seconds(15)) {
            try? await client.command(["GET", "kept"])
        }
        #expect(value == .bulk("before restart"))
        #expect(client.statistics.isConnected)
        #expect(client.statistics.reconnects >= 1)
        #expect(try await client.command(["INCR", "after"]) == .integer(1))
    }

    @Test("the blocking forms also recover after a restart")
    func blockingFormsSurviveRestart() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let client = RedisClient(configuration: redis.configuration)
        defer { client.close() }

        let outcome = try await onThread { () throws -> (before: RedisValue, down: RedisError?, after: RedisValue) in
            let before = try client.commandBlocking(["SET", "k", "1"])
            redis.stop()
            var down: RedisError?
            do { try client.commandBlocking(["GET", "k"]) } catch let error as RedisError { down = error }
            try redis.start()
            let after = try eventuallyBlocking("the blocking form to succeed", timeout: .seconds(15)) {
                try? client.commandBlocking(["GET", "k"])
            }
            return (before, down, after)
        }

        #expect(outcome.before == .status("OK"))
        #expect(outcome.down?.isConnectionFailure == true)
        #expect(outcome.after == .bulk("1"))
    }

    @Test("StreamGroupReader keeps reading after a restart and first hands back its unacknowledged entries")
    func readerSurvivesRestart() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let configuration = redis.configuration
        let stream = "reader:stream"

        let seen = try await onThread { () throws -> (first: [String], down: [String], after: [String], added: [String],
                                                     reconnects: Int) in
            let writer = try RedisConnection(configuration: configuration)
            let reader = StreamGroupReader(
                configuration: configuration, stream: stream, group: "g", consumer: "c", blockMilliseconds: 200,
                logger: Logger(service: "test", level: .error))
            var reconnects = 0
            reader.onReconnect = { reconnects += 1 }
            // Nothing yet: the reader creates the group (from the stream's start) and times out.
            _ = reader.next(count: 10)
            let firstID = try #require(try writer.command(["XADD", stream, "*", "n", "1"]).string)
            let first = try eventuallyBlocking("the first entry", timeout: .seconds(10)) {
                let entries = reader.next(count: 10)
                return entries.isEmpty ? nil : entries.map(\.id)
            }

            redis.stop()
            let down = reader.next(count: 10).map(\.id)
            try redis.start()

            let secondWriter = try RedisConnection(configuration: configuration)
            let secondID = try #require(try secondWriter.command(["XADD", stream, "*", "n", "2"]).string)
            // Handle entries as the services do: acknowledge each one once it is dealt with.
            var after: [String] = []
            _ = try eventuallyBlocking("the reader to see the new entry", timeout: .seconds(15)) { () -> Bool? in
                for entry in reader.next(count: 10) {
                    after.append(entry.id)
                    try secondWriter.command(["XACK", stream, "g", entry.id])
                }
                return after.contains(secondID) ? true : nil
            }
            return (first, down, after, [firstID, secondID], reconnects)
        }

        #expect(seen.first == [seen.added[0]])
        #expect(seen.down.isEmpty)
        // The first entry was never acknowledged, so it comes back (as pending) before the new one.
        #expect(seen.after == seen.added, "read after restart: \(seen.after)")
        #expect(seen.reconnects == 1)
    }

    @Test("StreamGroupReader recreates its group when Redis lost it")
    func readerRecreatesLostGroup() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let configuration = redis.configuration

        let ids = try await onThread { () throws -> (added: String, read: [String]) in
            let admin = try RedisConnection(configuration: configuration)
            let reader = StreamGroupReader(
                configuration: configuration, stream: "lost:stream", group: "g", consumer: "c",
                blockMilliseconds: 100, logger: Logger(service: "test", level: .error))
            _ = reader.next(count: 1)
            try admin.command(["DEL", "lost:stream"])
            let added = try #require(try admin.command(["XADD", "lost:stream", "*", "k", "v"]).string)
            var read: [String] = []
            _ = try eventuallyBlocking("a read from the recreated group", timeout: .seconds(10)) { () -> Bool? in
                read += reader.next(count: 10).map(\.id)
                return read.isEmpty ? nil : true
            }
            return (added, read)
        }

        #expect(ids.read == [ids.added])
    }

    @Test("evalScript loads a script again after SCRIPT FLUSH (NOSCRIPT), in every calling form")
    func noscriptRecovery() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let client = RedisClient(configuration: redis.configuration)
        defer { client.close() }
        let script = RedisScript(
            name: "concat-\(UUID().uuidString)", source: "-- \(UUID().uuidString)\nreturn KEYS[1] .. ':' .. ARGV[1]")

        #expect(try await client.evalScript(script, keys: ["k"], arguments: ["1"]) == .bulk("k:1"))
        try await client.command(["SCRIPT", "FLUSH"])
        #expect(try await client.evalScript(script, keys: ["k"], arguments: ["2"]) == .bulk("k:2"))

        try await client.command(["SCRIPT", "FLUSH"])
        let blocking = try await onThread { try client.evalScriptBlocking(script, keys: ["k"], arguments: ["3"]) }
        #expect(blocking == .bulk("k:3"))

        try await client.command(["SCRIPT", "FLUSH"])
        let connection = try RedisConnection(configuration: redis.configuration)
        #expect(try connection.evalScript(script, keys: ["k"], arguments: ["4"]) == .bulk("k:4"))

        try await client.command(["SCRIPT", "FLUSH"])
        let batch = try connection.evalScriptBatch(script, calls: [(["a"], ["5"]), (["b"], ["6"])])
        #expect(batch == [.bulk("a:5"), .bulk("b:6")])
    }

    @Test("evalScript survives a restart, which also empties the script cache")
    func scriptsSurviveRestart() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let client = RedisClient(configuration: redis.configuration)
        defer { client.close() }
        let script = RedisScript(name: "incr", source: "-- \(UUID().uuidString)\nreturn redis.call('INCR', KEYS[1])")
        #expect(try await client.evalScript(script, keys: ["n"], arguments: []) == .integer(1))

        try redis.restart()

        let reply = try await eventually("the script to run again", timeout: .seconds(15)) {
            try? await client.evalScript(script, keys: ["n"], arguments: [])
        }
        #expect(reply == .integer(2))
    }
}

@Suite("StreamGroupReader")
struct StreamGroupReaderTests {
    @Test("delivers new entries even while one of its own pending entries stays unacknowledged")
    func unacknowledgedEntryDoesNotBlockNewOnes() async throws {
        let configuration = try sharedRedisConfiguration()
        let namespace = TestEnvironment.uniqueNamespace()
        let stream = "\(namespace):stream"
        defer { deleteNamespace(namespace, configuration: configuration) }

        let outcome = try await onThread { () throws -> (poison: String, fresh: String, read: [String]) in
            let admin = try RedisConnection(configuration: configuration)
            try admin.command(["XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"])
            // An entry this consumer took earlier and could not handle (say its script failed): it stays pending.
            let poison = try #require(try admin.command(["XADD", stream, "*", "n", "poison"]).string)
            try admin.command(["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", stream, ">"])
            let fresh = try #require(try admin.command(["XADD", stream, "*", "n", "fresh"]).string)

            let reader = StreamGroupReader(
                configuration: configuration, stream: stream, group: "g", consumer: "c", blockMilliseconds: 100,
                logger: Logger(service: "test", level: .error))
            var read: [String] = []
            for _ in 0..<20 where !read.contains(fresh) {
                read += reader.next(count: 10).map(\.id)
            }
            return (poison, fresh, read)
        }

        #expect(outcome.read.first == outcome.poison, "the pending entry is handed back first")
        #expect(outcome.read.contains(outcome.fresh), "20 reads returned only \(Set(outcome.read))")
    }
}
