/// Reads JSON text (RFC 8259, UTF-8) straight into a `JSONValue`.
///
/// Every command input, result and stream entry passes through here, so it reads the bytes once, without the
/// intermediate tree and type dispatch of `Codable`. It reads what `JSONDecoder` reads, to the same values (the
/// fuzz target compares the two): one trailing comma in an array or object is tolerated, a repeated member name
/// keeps its first value, and digits that fit in `Int`, or a fraction or exponent that comes to a whole number up to
/// 2^53, are an `.int`, anything else a `.double`. It differs in two ways: every string and number must be well
/// formed UTF-8 JSON, also where `JSONDecoder`, which reads lazily, would skip it; and a number with a fraction beyond
/// 2^53 becomes the double nearest to it, where `JSONDecoder` drops the fraction first (one unit in the last place
/// apart at most).
struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    /// Why the text is not JSON, with the byte offset where reading stopped.
    struct Failure: Error {
        let reason: String
        let offset: Int
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The document in `bytes`: one value, with nothing but whitespace around it.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        let value = try reader.readValue()
        reader.skipWhitespace()
        guard reader.position == bytes.count else { throw reader.failure("unexpected text after the value") }
        return value
    }

    // MARK: Values

    private mutating func readValue() throws(Failure) -> JSONValue {
        guard position < bytes.count else { throw failure("unexpected end of the text") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        default:
            throw failure("unexpected character")
        }
    }

    private mutating func readObject() throws(Failure) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            // One comma after the last member is tolerated, as JSONDecoder tolerates it.
            if peek == UInt8(ascii: "}"), !members.isEmpty {
                position += 1
                return .object(members)
            }
            guard peek == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try readString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
            position += 1
            skipWhitespace()
            let value = try readValue()
            // A repeated name keeps its first value, as JSONDecoder reads it.
            if members[key] == nil { members[key] = value }
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default:
                throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func readArray() throws(Failure) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            if peek == UInt8(ascii: "]"), !elements.isEmpty {
                position += 1
                return .array(elements)
            }
            elements.append(try readValue())
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw failure("expected ',' or ']' in an array")
            }
        }
    }

    // MARK: Strings

    private mutating func readString() throws(Failure) -> String {
        position += 1
        let start = position
        // Most strings hold no escape: they are validated and copied in one go.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try plainText(start..<position)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("unescaped control character in a string") }
            position += 1
        }
        var text = try plainText(start..<position)
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return text
            case UInt8(ascii: "\\"):
                position += 1
                try readEscape(into: &text)
            default:
                let runStart = position
                while position < bytes.count, bytes[position] != UInt8(ascii: "\""),
                    bytes[position] != UInt8(ascii: "\\")
                {
                    guard bytes[position] >= 0x20 else { throw failure("unescaped control character in a string") }
                    position += 1
                }
                text += try plainText(runStart..<position)
            }
        }
        throw failure("unterminated string")
    }

    private func plainText(_ range: Range<Int>) throws(Failure) -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw failure("invalid UTF-8 in a string")
        }
        return text
    }

    private mutating func readEscape(into text: inout String) throws(Failure) {
        guard position < bytes.count else { throw failure("unterminated escape") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): text.append("\"")
        case UInt8(ascii: "\\"): text.append("\\")
        case UInt8(ascii: "/"): text.append("/")
        case UInt8(ascii: "b"): text.append("\u{8}")
        case UInt8(ascii: "f"): text.append("\u{c}")
        case UInt8(ascii: "n"): text.append("\n")
        case UInt8(ascii: "r"): text.append("\r")
        case UInt8(ascii: "t"): text.append("\t")
        case UInt8(ascii: "u"):
            let unit = try readHexUnit()
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw failure("a high surrogate without its low surrogate") }
                position += 2
                let low = try readHexUnit()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure("a high surrogate without its low surrogate")
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw failure("a low surrogate without its high surrogate")
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw failure("invalid unicode escape") }
            text.unicodeScalars.append(scalar)
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func readHexUnit() throws(Failure) -> UInt16 {
        guard position + 4 <= bytes.count else { throw failure("a \\u escape needs four hex digits") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    // MARK: Numbers

    private mutating func readNumber() throws(Failure) -> JSONValue {
        let start = position
        var isWhole = true
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, isDigit(first) else { throw failure("expected a digit") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek, isDigit(next) { throw failure("a number may not start with 0") }
        } else {
            skipDigits()
        }
        if peek == UInt8(ascii: ".") {
            isWhole = false
            position += 1
            guard let next = peek, isDigit(next) else { throw failure("expected a digit after '.'") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isWhole = false
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard let next = peek, isDigit(next) else { throw failure("expected a digit in the exponent") }
            skipDigits()
        }
        // `2+`, `1.5.0` or `1e5e3`: one malformed number, rather than a number followed by a stray character.
        if let next = peek, isNumberCharacter(next) { throw failure("malformed number") }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isWhole, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw failure("number out of range") }
        // Like JSONDecoder: a fraction or exponent that comes to a whole number doubles hold exactly is an int.
        if !isWhole, value == value.rounded(), abs(value) <= Self.largestExactWhole { return .int(Int(value)) }
        return .double(value)
    }

    /// 2^53: every whole number up to this is exact in a `Double`.
    private static let largestExactWhole = 9_007_199_254_740_992.0

    private mutating func skipDigits() {
        while let byte = peek, isDigit(byte) { position += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func isNumberCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: isDigit(byte)
        }
    }

    // MARK: Helpers

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("unexpected end of the text") }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] {
            throw failure("unexpected character")
        }
        position += count
    }

    private func failure(_ reason: String) -> Failure {
        Failure(reason: reason, offset: position)
    }
}
