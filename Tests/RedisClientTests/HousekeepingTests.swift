import Foundation
import JobModel
@testable import JobServices
import RedisClient
import TestSupport
import Testing

@Suite("Housekeeping: how far the work streams may be trimmed")
struct HousekeepingTests {
    let namespace = TestEnvironment.uniqueNamespace()

    /// A scheduler (not started) on a fresh namespace whose groups count as abandoned after one silent second.
    func withScheduler(_ body: (Scheduler, RedisConnection, Keyspace) throws -> Void) throws {
        let redisURL = try sharedRedisURL()
        let configuration = try ServiceConfiguration.fromEnvironment([
            "REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace, "GROUP_ABANDON_SECONDS": "1", "LOG_LEVEL": "error",
        ])
        let connection = try RedisConnection(configuration: configuration.redis)
        defer { deleteNamespace(namespace, configuration: configuration.redis) }
        try body(Scheduler(configuration: configuration), connection, configuration.keyspace)
    }

    /// Reads `count` entries for `consumer` of `group`, leaving them pending; returns their ids.
    @discardableResult
    func read(_ connection: RedisConnection, _ stream: String, group: String, consumer: String, count: Int) throws
        -> [String]
    {
        let reply = try connection.command([
            "XREADGROUP", "GROUP", group, consumer, "COUNT", String(count), "STREAMS", stream, ">",
        ])
        return (reply.array?.first?.array?[1].array ?? []).compactMap { $0.array?.first?.string }
    }

    @Test("a group whose consumers fell silent keeps nothing older than the abandon time; a live group's pending do")
    func silentGroupIsLeftBehind() throws {
        try withScheduler { scheduler, connection, keys in
            let stream = keys.events
            var ids: [String] = []
            for index in 0..<10 {
                ids.append(try connection.command(["XADD", stream, "*", "n", String(index)]).string!)
            }
            for group in ["live", "gone"] { try connection.command(["XGROUP", "CREATE", stream, group, "0"]) }
            let goneRead = try read(connection, stream, group: "gone", consumer: "c-gone", count: 1)
            try connection.command(["XACK", stream, "gone"] + goneRead)
            let liveRead = try read(connection, stream, group: "live", consumer: "c-live", count: 8)
            try connection.command(["XACK", stream, "live"] + Array(liveRead.prefix(6)))

            #expect(try scheduler.oldestNeededEntry(of: stream, on: connection) == ids[0], "both groups are live")

            Thread.sleep(forTimeInterval: 1.5)
            try read(connection, stream, group: "live", consumer: "c-live", count: 1)

            #expect(
                try scheduler.oldestNeededEntry(of: stream, on: connection) == ids[6],
                "the live group's oldest pending entry; the silent group's are all past the abandon time")
        }
    }

    @Test("a group without consumers holds back trimming until it has been seen empty for the abandon time")
    func groupWithoutConsumersIsGivenTime() throws {
        try withScheduler { scheduler, connection, keys in
            let stream = keys.tasks
            var ids: [String] = []
            for index in 0..<4 { ids.append(try connection.command(["XADD", stream, "*", "n", String(index)]).string!) }
            try connection.command(["XGROUP", "CREATE", stream, "reader", "0"])
            try connection.command(["XGROUP", "CREATE", stream, "latecomer", "0"])
            let read = try read(connection, stream, group: "reader", consumer: "c-1", count: 4)
            try connection.command(["XACK", stream, "reader"] + read)

            #expect(try scheduler.oldestNeededEntry(of: stream, on: connection) == "0-0")

            Thread.sleep(forTimeInterval: 1.5)
            let fresh = try connection.command(["XADD", stream, "*", "n", "4"]).string!
            try self.read(connection, stream, group: "reader", consumer: "c-1", count: 1)

            // The latecomer now keeps only the last second: after the old entries, before the fresh one.
            let oldest = try #require(try scheduler.oldestNeededEntry(of: stream, on: connection))
            #expect(try #require(Scheduler.entryId(oldest)) > Scheduler.entryId(ids[3])!)
            #expect(try #require(Scheduler.entryId(oldest)) <= Scheduler.entryId(fresh)!)
        }
    }
}
