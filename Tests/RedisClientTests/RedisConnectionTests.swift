import Foundation
import RedisClient
import TestSupport
import Testing

@Suite("RedisConnection against a real Redis")
struct RedisConnectionTests {
    let namespace = TestEnvironment.uniqueNamespace()

    @Test("a command returns the server's reply in the matching case")
    func replyCases() throws {
        let connection = try sharedConnection()
        defer { deleteNamespace(namespace, configuration: connection.configuration) }
        let key = "\(namespace):k"

        #expect(try connection.command(["PING"]) == .status("PONG"))
        #expect(try connection.command(["SET", key, "v"]) == .status("OK"))
        #expect(try connection.command(["GET", key]) == .bulk("v"))
        #expect(try connection.command(["GET", "\(namespace):missing"]) == .null)
        #expect(try connection.command(["INCRBY", "\(namespace):n", "41"]) == .integer(41))
        #expect(try connection.command(["RPUSH", "\(namespace):l", "a", "b"]) == .integer(2))
        #expect(try connection.command(["LRANGE", "\(namespace):l", "0", "-1"]) == .array([.bulk("a"), .bulk("b")]))
        #expect(try connection.command(["LRANGE", "\(namespace):none", "0", "-1"]) == .array([]))
    }

    @Test(
        "arguments and replies are binary safe: spaces, quotes, NUL, CR LF, UTF-8 and empty strings",
        arguments: ["with spaces", "\"double\" and 'single'", "nul\u{0}inside\u{0}", "crlf\r\n*3\r\n$1\r\n",
                    "ünïcødé 😀 中文", "", " ", "\\", String(repeating: "long ", count: 20_000)])
    func binarySafe(value: String) throws {
        let connection = try sharedConnection()
        defer { deleteNamespace(namespace, configuration: connection.configuration) }
        let key = "\(namespace):key with spaces \u{0} and \"quotes\""

        try connection.command(["SET", key, value])
        #expect(try connection.command(["GET", key]) == .bulk(value))
        #expect(try connection.command(["STRLEN", key]) == .integer(value.utf8.count))
        #expect(try connection.command(["ECHO", value]) == .bulk(value))
    }

    @Test("a pipeline returns one reply per command, in order")
    func pipelineOrder() throws {
        let connection = try sharedConnection()
        defer { deleteNamespace(namespace, configuration: connection.configuration) }
        let counter = "\(namespace):counter"

        let replies = try connection.pipeline((1...100).map { _ in ["INCR", counter] })
        #expect(replies == (1...100).map { RedisValue.integer($0) })
        #expect(try connection.pipeline([]) == [])
    }

    @Test("a server error inside a pipeline stays in its place and the other commands still run")
    func errorsInPlace() throws {
        let connection = try sharedConnection()
        defer { deleteNamespace(namespace, configuration: connection.configuration) }
        let text = "\(namespace):text"

        let replies = try connection.pipeline([
            ["SET", text, "abc"], ["INCR", text], ["NOSUCHCOMMAND"], ["GET", text], ["LPUSH", text, "x"],
            ["APPEND", text, "d"],
        ])
        #expect(replies.count == 6)
        #expect(replies[0] == .status("OK"))
        guard case .error(let notInteger) = replies[1] else { Issue.record("INCR: \(replies[1])"); return }
        #expect(notInteger.hasPrefix("ERR"))
        guard case .error(let unknown) = replies[2] else { Issue.record("NOSUCHCOMMAND: \(replies[2])"); return }
        #expect(unknown.contains("unknown command"))
        #expect(replies[3] == .bulk("abc"))
        guard case .error(let wrongType) = replies[4] else { Issue.record("LPUSH: \(replies[4])"); return }
        #expect(wrongType.hasPrefix("WRONGTYPE"))
        #expect(replies[5] == .integer(4))
    }

    @Test("command() throws an error reply as .server with the server's code")
    func commandThrowsServerError() throws {
        let connection = try sharedConnection()
        #expect {
            try connection.command(["XGROUP", "CREATE", "\(namespace):nostream", "g", "0"])
        } throws: { error in
            guard let error = error as? RedisError, case .server(let message) = error else { return false }
            return message.hasPrefix("ERR") && error.serverCode == "ERR" && !error.isConnectionFailure
        }
        #expect(!connection.isBroken)
        #expect(try connection.command(["PING"]) == .status("PONG"))
    }

    @Test("a connection the server closed fails with .connection and stays broken")
    func brokenAfterServerClose() throws {
        let victim = try sharedConnection()
        let killer = try sharedConnection()
        let id = try #require(victim.command(["CLIENT", "ID"]).int)

        #expect(try killer.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))

        #expect {
            try victim.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.isConnectionFailure == true
        }
        #expect(victim.isBroken)
        #expect(throws: RedisError.connection("connection is broken")) { try victim.command(["PING"]) }
    }

    @Test("connecting to a port nobody listens on fails with .connection")
    func connectFailure() throws {
        let port = try freePort()
        #expect {
            try RedisConnection(configuration: RedisConfiguration(host: "127.0.0.1", port: port))
        } throws: { error in
            (error as? RedisError)?.isConnectionFailure == true
        }
    }

    @Test("a refused AUTH is reported as a connection failure that does not quote the server")
    func refusedAuthentication() throws {
        var configuration = try sharedRedisConfiguration()
        configuration.password = "definitely-not-the-password"
        #expect(throws: RedisError.connection("authentication or SELECT was refused")) {
            try RedisConnection(configuration: configuration)
        }
    }

    @Test("the database of the URL is selected on connect")
    func selectsDatabase() throws {
        var configuration = try sharedRedisConfiguration()
        configuration.database = 5
        let key = "\(namespace):db"
        let inFive = try RedisConnection(configuration: configuration)
        let inZero = try sharedConnection()
        defer {
            _ = try? inFive.command(["DEL", key])
            _ = try? inZero.command(["DEL", key])
        }

        try inFive.command(["SET", key, "five"])
        #expect(try inFive.command(["GET", key]) == .bulk("five"))
        #expect(try inZero.command(["GET", key]) == .null)
    }

    @Test("a blocking XREADGROUP on a dedicated connection returns as soon as another client adds an entry")
    func blockingReadWakesUp() async throws {
        let stream = "\(namespace):stream"
        let configuration = try sharedRedisConfiguration()
        let client = RedisClient(configuration: configuration)
        defer {
            client.close()
            deleteNamespace(namespace, configuration: configuration)
        }
        try await client.command(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"])
        let readerName = "reader-\(namespace)"
        let reading = Task {
            try await onThread { () throws -> (RedisValue, Duration) in
                let connection = try RedisConnection(configuration: configuration, readTimeout: .seconds(30))
                try connection.command(["CLIENT", "SETNAME", readerName])
                let began = ContinuousClock.now
                let reply = try connection.command(
                    ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "BLOCK", "20000", "STREAMS", stream, ">"])
                return (reply, ContinuousClock.now - began)
            }
        }

        // Add the entry only once the reader is blocked in its XREADGROUP.
        _ = try await eventually("the reader to block") {
            let clients = try await client.command(["CLIENT", "LIST", "TYPE", "normal"]).string ?? ""
            let blocked = clients.split(separator: "\n").contains {
                $0.contains("name=\(readerName) ") && $0.contains("cmd=xreadgroup")
            }
            return blocked ? true : nil
        }
        let added = try #require(try await client.command(["XADD", stream, "*", "field", "value with spaces"]).string)
        let (reply, waited) = try await reading.value

        let entries = streamEntries(reply.array?.first?.array?[1] ?? .null)
        #expect(entries.map(\.id) == [added])
        #expect(entries.first?.fields == ["field": "value with spaces"])
        #expect(waited < .seconds(10), "the read waited \(waited), close to its BLOCK time")
    }
}
