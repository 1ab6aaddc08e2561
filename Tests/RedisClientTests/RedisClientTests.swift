import Foundation
import RedisClient
import Synchronization
import TestSupport
import Testing

@Suite("RedisClient against a real Redis")
struct RedisClientTests {
    let namespace = TestEnvironment.uniqueNamespace()

    @Test("200 concurrent tasks each get the replies to their own commands")
    func concurrentCallersGetTheirOwnReplies() async throws {
        let configuration = try sharedRedisConfiguration()
        let client = RedisClient(configuration: configuration)
        defer {
            client.close()
            deleteNamespace(namespace, configuration: configuration)
        }
        let namespace = self.namespace

        let mismatches = try await withThrowingTaskGroup(of: [String].self) { group in
            for index in 0..<200 {
                group.addTask {
                    var problems: [String] = []
                    let key = "\(namespace):key:\(index)"
                    let value = "value \(index) \"q\" \u{0} ü"
                    try await client.command(["SET", key, value])
                    for round in 0..<5 {
                        let echoed = try await client.command(["ECHO", "\(index)/\(round)"])
                        if echoed != .bulk("\(index)/\(round)") { problems.append("echo \(index)/\(round): \(echoed)") }
                        let replies = try await client.pipeline([["GET", key], ["INCR", "\(key):n"], ["STRLEN", key]])
                        let expected: [RedisValue] = [.bulk(value), .integer(round + 1), .integer(value.utf8.count)]
                        if replies != expected { problems.append("pipeline \(index)/\(round): \(replies)") }
                    }
                    return problems
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(client.statistics.isConnected)
        #expect(client.statistics.commandsSent >= 200 * 16)
    }

    @Test("pipeline() keeps error replies in place; command() throws them as .server")
    func errorReplies() async throws {
        let configuration = try sharedRedisConfiguration()
        let client = RedisClient(configuration: configuration)
        defer {
            client.close()
            deleteNamespace(namespace, configuration: configuration)
        }
        let key = "\(namespace):s"

        let replies = try await client.pipeline([["SET", key, "x"], ["INCR", key], ["GET", key]])
        #expect(replies[0] == .status("OK"))
        #expect({ if case .error = replies[1] { true } else { false } }())
        #expect(replies[2] == .bulk("x"))

        await #expect {
            try await client.command(["INCR", key])
        } throws: { error in
            (error as? RedisError)?.serverCode == "ERR"
        }
        #expect(try await client.command(["GET", key]) == .bulk("x"))
    }

    @Test("the blocking forms work from a plain thread while async callers share the client")
    func blockingFormsFromAThread() async throws {
        let configuration = try sharedRedisConfiguration()
        let client = RedisClient(configuration: configuration)
        defer {
            client.close()
            deleteNamespace(namespace, configuration: configuration)
        }
        let key = "\(namespace):blocking"
        let script = RedisScript(name: "double", source: "return tonumber(ARGV[1]) * 2")

        async let asyncSide: [RedisValue] = {
            var replies: [RedisValue] = []
            for index in 0..<50 { replies.append(try await client.command(["ECHO", "async \(index)"])) }
            return replies
        }()
        let threadSide = try await onThread { () throws -> [RedisValue] in
            var replies: [RedisValue] = []
            for index in 0..<50 {
                replies.append(try client.commandBlocking(["RPUSH", key, "item \(index)"]))
            }
            replies += try client.pipelineBlocking([["LLEN", key], ["LINDEX", key, "0"], ["INCR", key]])
            replies.append(try client.evalScriptBlocking(script, keys: [], arguments: ["21"]))
            return replies
        }

        #expect(Array(threadSide.prefix(50)) == (1...50).map { RedisValue.integer($0) })
        #expect(threadSide[50] == .integer(50))
        #expect(threadSide[51] == .bulk("item 0"))
        #expect({ if case .error(let text) = threadSide[52] { text.hasPrefix("WRONGTYPE") } else { false } }())
        #expect(threadSide[53] == .integer(42))
        #expect(try await asyncSide == (0..<50).map { RedisValue.bulk("async \($0)") })
    }

    @Test("the completion-handler form reports replies in order of the commands")
    func sendWithCompletion() async throws {
        let client = RedisClient(configuration: try sharedRedisConfiguration())
        defer { client.close() }

        let result = await withCheckedContinuation { continuation in
            client.send([["ECHO", "one"], ["ECHO", "two"]]) { continuation.resume(returning: $0) }
        }
        #expect(try result.get() == [.bulk("one"), .bulk("two")])
    }

    @Test("a closed client fails new commands with .closed")
    func closedClient() async throws {
        let client = RedisClient(configuration: try sharedRedisConfiguration())
        #expect(try await client.command(["PING"]) == .status("PONG"))

        client.close()

        await #expect(throws: RedisError.closed) { try await client.command(["PING"]) }
        #expect(throws: RedisError.closed) { try client.commandBlocking(["PING"]) }
    }

    @Test("an unreachable server fails commands at once with .connection")
    func unreachableServer() async throws {
        let port = try freePort()
        let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: port))
        defer { client.close() }

        for _ in 0..<3 {
            await #expect {
                try await client.command(["PING"])
            } throws: { error in
                (error as? RedisError)?.isConnectionFailure == true
            }
        }
        #expect(!client.statistics.isConnected)
    }
}
