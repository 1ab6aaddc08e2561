/// One reply from Redis, as RESP2 describes it.
public enum RedisValue: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int)
    case bulk(String)
    case null
    case array([RedisValue])

    /// The text of a bulk or status reply, the decimal form of an integer, `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulk(let text), .status(let text): text
        case .integer(let number): String(number)
        default: nil
        }
    }

    /// The value of an integer reply, or of a bulk reply that holds a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let number): number
        case .bulk(let text): Int(text)
        default: nil
        }
    }

    /// The elements of an array reply; an empty list for a null reply.
    public var array: [RedisValue]? {
        switch self {
        case .array(let elements): elements
        case .null: []
        default: nil
        }
    }

    /// Whether this is a null reply (missing key, timed-out blocking read).
    public var isNull: Bool { self == .null }

    /// Throws the server error this reply carries, or returns the reply unchanged.
    public func throwingServerError() throws(RedisError) -> RedisValue {
        if case .error(let message) = self { throw RedisError.server(message) }
        return self
    }

    /// Reads a flat `[field, value, field, value, ...]` array (HGETALL, stream entry fields) as a dictionary.
    public var fieldDictionary: [String: String] {
        guard let elements = array else { return [:] }
        var fields: [String: String] = [:]
        fields.reserveCapacity(elements.count / 2)
        var index = 0
        while index + 1 < elements.count {
            if let key = elements[index].string, let value = elements[index + 1].string {
                fields[key] = value
            }
            index += 2
        }
        return fields
    }
}
