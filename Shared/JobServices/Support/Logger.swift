import JobModel

#if canImport(Glibc)
    import Glibc
#endif

/// Log levels, lowest first.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, notice, warning, error

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Writes one JSON object per line to standard error, with stable keys: `ts`, `level`, `service`, `msg`, and
/// the metadata given (`op`, `job`, `task`, ...); when standard error is a terminal, readable text instead. A
/// line is written with a single `write`, so lines of concurrent threads never interleave.
public struct Logger: Sendable {
    /// Whether standard error is a terminal (checked once).
    static let toTerminal = isatty(2) == 1

    public let service: String
    public let level: LogLevel
    /// Fields attached to every line of this logger.
    public var metadata: [String: String]

    public init(service: String, level: LogLevel = .info, metadata: [String: String] = [:]) {
        self.service = service
        self.level = level
        self.metadata = metadata
    }

    /// A logger that adds `fields` to every line.
    public func with(_ fields: [String: String]) -> Logger {
        var copy = self
        copy.metadata.merge(fields) { _, new in new }
        return copy
    }

    public func trace(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.trace, message(), fields)
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.debug, message(), fields)
    }

    public func info(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.info, message(), fields)
    }

    public func notice(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.notice, message(), fields)
    }

    public func warning(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.warning, message(), fields)
    }

    public func error(_ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        log(.error, message(), fields)
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        guard level >= self.level else { return }
        let timestamp = Clock.rfc3339(milliseconds: Clock.milliseconds())
        var line: String
        if Self.toTerminal {
            line = "\(timestamp) \("\(level)".uppercased()) [\(service)] \(message())"
            let extra = metadata.merging(fields) { _, new in new }
            for key in extra.keys.sorted() { line += " \(key)=\(extra[key]!)" }
        } else {
            var members: [String: JSONValue] = [
                "ts": .string(timestamp), "level": .string("\(level)"), "service": .string(service),
                "msg": .string(message()),
            ]
            for (key, value) in metadata { members[key] = .string(value) }
            for (key, value) in fields { members[key] = .string(value) }
            line = JSONValue.object(members).encoded
        }
        line += "\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
