/// Where and how to reach a Redis server, read from a `redis://[user:password@]host:port[/db]` URL.
public struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    public var database: Int

    public init(
        host: String = "127.0.0.1", port: Int = 6379, user: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` URL. User, password and database are optional; the password may be given without a
    /// user (`redis://:secret@host:6379`).
    public init(url: String) throws(RedisError) {
        let prefix = "redis://"
        guard url.hasPrefix(prefix) else {
            throw .configuration("REDIS_URL must start with redis:// (TLS is not supported)")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw .configuration("database in REDIS_URL must be a non-negative number")
                }
                database = number
            }
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                user = name.isEmpty ? nil : Self.percentDecoded(name)
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                user = Self.percentDecoded(credentials)
            }
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw .configuration("port in REDIS_URL must be a number from 1 to 65535")
            }
            port = number
        }
        if host.isEmpty { host = "127.0.0.1" }
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    /// The address without credentials, safe to log.
    public var description: String {
        let credentials = user.map { "\($0):***@" } ?? (password == nil ? "" : ":***@")
        return "redis://\(credentials)\(host):\(port)/\(database)"
    }

    private static func percentDecoded(_ text: Substring) -> String {
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < input.count {
            // A '%' that does not start a two-digit escape stands for itself.
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
                let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
