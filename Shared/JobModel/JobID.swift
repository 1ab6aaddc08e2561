import Synchronization

/// Job identifiers: 26 characters of Crockford base32, the first 10 encoding the acceptance time in
/// milliseconds, so ids sort by time (as ULIDs do), the last 16 random.
public enum JobID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    private struct Generator {
        var lastMilliseconds: UInt64 = 0
        var lastRandom: (high: UInt16, low: UInt64) = (0, 0)
    }

    private static let generator = Mutex(Generator())

    /// A new id; ids made by one process within the same millisecond still increase.
    public static func make(milliseconds: UInt64 = Clock.milliseconds()) -> String {
        let (time, high, low) = generator.withLock { state -> (UInt64, UInt16, UInt64) in
            if milliseconds <= state.lastMilliseconds {
                var (high, low) = state.lastRandom
                low &+= 1
                if low == 0 { high &+= 1 }
                state.lastRandom = (high, low)
                return (state.lastMilliseconds, high, low)
            }
            state.lastMilliseconds = milliseconds
            state.lastRandom = (UInt16.random(in: 0...UInt16.max), UInt64.random(in: 0...UInt64.max >> 1))
            return (milliseconds, state.lastRandom.high, state.lastRandom.low)
        }
        return encode(time: time, high: high, low: low)
    }

    /// The id of a job submitted as stream entry `entryID` (`<ms>-<seq>`) without an id of its own. The same
    /// entry always yields the same id, so a redelivered entry cannot create a second job.
    public static func derived(fromStreamEntry entryID: String) -> String? {
        let parts = entryID.split(separator: "-")
        guard parts.count == 2, let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else {
            return nil
        }
        return encode(time: milliseconds, high: 0xFFFF, low: sequence)
    }

    /// Whether `id` is acceptable as a job id supplied by a client: 1 to 64 of `A-Z a-z 0-9 . _ -`.
    public static func isValidClientID(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private static func encode(time: UInt64, high: UInt16, low: UInt64) -> String {
        var characters = [UInt8](repeating: 0, count: 26)
        var value = time
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
        // 80 random bits: 16 from `high`, 64 from `low`, written 5 bits at a time from the end.
        var lowBits = low
        var highBits = UInt64(high)
        for index in stride(from: 25, through: 10, by: -1) {
            characters[index] = alphabet[Int(lowBits & 31)]
            lowBits = (lowBits >> 5) | ((highBits & 31) << 59)
            highBits >>= 5
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
