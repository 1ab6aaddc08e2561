import RedisClient
import Synchronization

/// Counters, gauges and histograms rendered as Prometheus text. Label sets are small and fixed by the code
/// (operation, status), so series are kept in memory for the life of the process.
public final class Metrics: Sendable {
    private struct Series: Hashable {
        let name: String
        let labels: String
    }

    private struct Histogram {
        var buckets: [Int]
        var sum: Double = 0
        var count = 0
    }

    private struct State {
        var help: [String: (type: String, text: String)] = [:]
        var counters: [Series: Double] = [:]
        var gauges: [Series: Double] = [:]
        var histograms: [Series: Histogram] = [:]
    }

    /// Upper bounds in seconds of every histogram's buckets.
    public static let bucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
        2.5, 5, 10, 30, 60,
    ]

    private let state = Mutex(State())

    public init() {}

    /// Declares a metric's type and help text, shown even before the first sample.
    public func describe(_ name: String, type: String, help: String) {
        state.withLock { $0.help[name] = (type, help) }
    }

    public func increment(_ name: String, _ labels: [String: String] = [:], by amount: Double = 1) {
        let series = Series(name: name, labels: Self.render(labels))
        state.withLock { $0.counters[series, default: 0] += amount }
    }

    public func set(_ name: String, _ labels: [String: String] = [:], to value: Double) {
        let series = Series(name: name, labels: Self.render(labels))
        state.withLock { $0.gauges[series] = value }
    }

    public func observe(_ name: String, _ labels: [String: String] = [:], seconds: Double) {
        let series = Series(name: name, labels: Self.render(labels))
        state.withLock { state in
            var histogram =
                state.histograms[series] ?? Histogram(buckets: Array(repeating: 0, count: Self.bucketBounds.count))
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound {
                histogram.buckets[index] += 1
            }
            histogram.sum += seconds
            histogram.count += 1
            state.histograms[series] = histogram
        }
    }

    /// The current value of a counter, for tests and summaries.
    public func counter(_ name: String, _ labels: [String: String] = [:]) -> Double {
        state.withLock { $0.counters[Series(name: name, labels: Self.render(labels))] ?? 0 }
    }

    /// Everything in the Prometheus text exposition format.
    public func prometheusText() -> String {
        describe(
            "cncf_redis_commands_sent_total", type: "counter",
            help: "Commands this process sent to Redis; a script call counts as one, the commands it runs do not.")
        set("cncf_redis_commands_sent_total", to: Double(RedisConnection.commandsSent.load(ordering: .relaxed)))
        let snapshot = state.withLock { $0 }
        var names = Set(snapshot.help.keys)
        names.formUnion(snapshot.counters.keys.map(\.name))
        names.formUnion(snapshot.gauges.keys.map(\.name))
        names.formUnion(snapshot.histograms.keys.map(\.name))
        var output = ""
        for name in names.sorted() {
            if let help = snapshot.help[name] {
                output += "# HELP \(name) \(help.text)\n# TYPE \(name) \(help.type)\n"
            }
            for (series, value) in snapshot.counters.filter({ $0.key.name == name }).sorted(by: {
                $0.key.labels < $1.key.labels
            }) {
                output += "\(name)\(Self.braced(series.labels)) \(Self.number(value))\n"
            }
            for (series, value) in snapshot.gauges.filter({ $0.key.name == name }).sorted(by: {
                $0.key.labels < $1.key.labels
            }) {
                output += "\(name)\(Self.braced(series.labels)) \(Self.number(value))\n"
            }
            for (series, histogram) in snapshot.histograms.filter({ $0.key.name == name }).sorted(by: {
                $0.key.labels < $1.key.labels
            }) {
                let prefix = series.labels.isEmpty ? "" : series.labels + ","
                for (index, bound) in Self.bucketBounds.enumerated() {
                    output += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(histogram.buckets[index])\n"
                }
                output += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(histogram.count)\n"
                output += "\(name)_sum\(Self.braced(series.labels)) \(histogram.sum)\n"
                output += "\(name)_count\(Self.braced(series.labels)) \(histogram.count)\n"
            }
        }
        return output
    }

    private static func render(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        var text = ""
        for key in labels.keys.sorted() {
            if !text.isEmpty { text += "," }
            text += key
            text += "=\""
            appendEscaped(labels[key]!, to: &text)
            text += "\""
        }
        return text
    }

    /// Appends a label value with backslash, double quote and line feed escaped, as the text format asks.
    private static func appendEscaped(_ value: String, to text: inout String) {
        let needsEscaping = value.utf8.contains { byte in
            byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n")
        }
        guard needsEscaping else { return text += value }
        for character in value.unicodeScalars {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(character)
            }
        }
    }

    private static func braced(_ labels: String) -> String { labels.isEmpty ? "" : "{\(labels)}" }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
