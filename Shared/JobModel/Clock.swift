#if canImport(Glibc)
    import Glibc
#endif

/// Wall-clock time in the forms job records use: milliseconds since the Unix epoch, and RFC 3339 text.
public enum Clock {
    /// Milliseconds since the Unix epoch.
    public static func milliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }

    /// `2026-12-03T19:00:00.123Z` for a time in milliseconds since the epoch.
    public static func rfc3339(milliseconds: UInt64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))T"
            + "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))."
            + "\(padded(Int32(milliseconds % 1000), 3))Z"
    }
}
