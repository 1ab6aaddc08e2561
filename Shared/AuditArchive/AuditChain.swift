import JobModel

/// The hash chain over the audit trail.
///
/// Entry `n` carries `hash = SHA-256(prevHash + "\n" + canonicalText)` in lowercase hex, where `prevHash` is
/// entry `n - 1`'s hash (64 zeros for entry 1). Changing, removing or reordering any entry therefore changes
/// every hash after it. docs/audit.md describes the same rules for people and for other implementations.
public enum AuditChain {
    /// The `prevHash` of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The content an entry's hash covers: seq, at (decimal milliseconds), type, jobId, taskId, operation,
    /// principal, status, details and eventId, in that order, joined with "\n".
    ///
    /// Inside each value a backslash is written `\\` and a line feed `\n` (backslash, letter n), so a value
    /// cannot move text into its neighbour without changing the canonical text.
    public static func canonicalText(of entry: AuditEntry) -> String {
        var bytes: [UInt8] = []
        appendCanonicalText(of: entry, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The hash `entry` must carry, given its content and `prevHash`.
    public static func hash(of entry: AuditEntry) -> String {
        // Built as bytes in one buffer: verification hashes every archived entry, so this is the hot path.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entry.prevHash.utf8.count + entry.details.utf8.count + 192)
        bytes += entry.prevHash.utf8
        bytes.append(UInt8(ascii: "\n"))
        appendCanonicalText(of: entry, to: &bytes)
        return SHA256.hex(bytes)
    }

    /// Entries for `events`, numbered and linked after `head`.
    public static func link(_ events: [LifecycleEvent], after head: AuditHead) -> [AuditEntry] {
        var previous = head
        return events.map { event in
            let entry = AuditEntry(event: event, seq: previous.seq + 1, prevHash: previous.hash)
            previous = AuditHead(seq: entry.seq, hash: entry.hash)
            return entry
        }
    }

    private static func appendCanonicalText(of entry: AuditEntry, to bytes: inout [UInt8]) {
        let values = [
            String(entry.seq), String(entry.at), entry.type, entry.jobId, entry.taskId, entry.operation,
            entry.principal, entry.status, entry.details, entry.eventId,
        ]
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "\n")) }
            let utf8 = value.utf8
            if !utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) {
                bytes += utf8
                continue
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                default: bytes.append(byte)
                }
            }
        }
    }
}

/// The last entry of a chain: where the next entry links on.
public struct AuditHead: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int
    public var hash: String

    /// The head of a chain with no entries yet.
    public static let empty = AuditHead(seq: 0, hash: AuditChain.genesisHash)

    public init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    public var description: String { "seq \(seq), hash \(hash)" }
}

/// Where a chain stops holding together.
public struct AuditChainBreak: Error, Sendable, Equatable, CustomStringConvertible {
    /// The seq of the first entry that does not fit (as stored, which may itself be the altered value).
    public var seq: Int
    public var streamId: String
    /// What differs, in words.
    public var reason: String

    public init(seq: Int, streamId: String, reason: String) {
        self.seq = seq
        self.streamId = streamId
        self.reason = reason
    }

    /// `broken at seq N (stream id …): reason`.
    public var description: String {
        "broken at seq \(seq) (stream id \(streamId.isEmpty ? "-" : streamId)): \(reason)"
    }
}

/// Checks entries one at a time, in the order they were written, and remembers the first break.
///
/// Each entry must follow the one before: seq one higher, prevHash equal to its hash, a stream id further along
/// the stream, and a stored hash equal to the hash of its content. A missing entry is reported at the first
/// missing seq.
public struct AuditChainVerifier: Sendable {
    /// How many entries have been checked and found sound.
    public private(set) var count = 0
    /// The last sound entry.
    public private(set) var head: AuditHead
    /// The first break found; once set, later entries are not checked.
    public private(set) var failure: AuditChainBreak?
    private let startsAtGenesis: Bool
    private var lastStreamId: String = ""

    /// - Parameter fromGenesis: whether the first entry must be seq 1 linked to `genesisHash` (the archive
    ///   keeps everything). When false, as for the trimmed audit stream, the first entry's seq and prevHash are
    ///   taken as given.
    public init(fromGenesis: Bool) {
        startsAtGenesis = fromGenesis
        head = .empty
    }

    /// `ok: N entries, head <hash>`, or the break as `broken at seq N (stream id …): <what differs>`.
    public var summary: String {
        failure.map(\.description) ?? "ok: \(count) entries, head \(head.hash)"
    }

    /// Checks the next entry; returns false once the chain is broken.
    @discardableResult
    public mutating func check(_ entry: AuditEntry) -> Bool {
        guard failure == nil else { return false }
        if let failure = problem(with: entry) {
            self.failure = failure
            return false
        }
        count += 1
        head = AuditHead(seq: entry.seq, hash: entry.hash)
        lastStreamId = entry.streamId
        return true
    }

    private func problem(with entry: AuditEntry) -> AuditChainBreak? {
        func broken(_ reason: String, at seq: Int? = nil) -> AuditChainBreak {
            AuditChainBreak(seq: seq ?? entry.seq, streamId: entry.streamId, reason: reason)
        }

        if count > 0 || startsAtGenesis {
            let expected = head.seq + 1
            let before = count == 0 ? "the start of the chain" : "seq \(head.seq)"
            if entry.seq > expected {
                let missing =
                    entry.seq - 1 == expected ? "seq \(expected) is" : "seqs \(expected)…\(entry.seq - 1) are"
                return broken("\(missing) missing: the entry after \(before) is seq \(entry.seq)", at: expected)
            }
            if entry.seq < expected {
                return broken("found seq \(entry.seq) after \(before): entries are duplicated or out of order")
            }
            if entry.prevHash != head.hash {
                return broken("prevHash \(entry.prevHash) is not the hash of \(before), \(head.hash)")
            }
        }
        if !lastStreamId.isEmpty, !entry.streamId.isEmpty,
            !Self.streamId(entry.streamId, follows: lastStreamId)
        {
            return broken("stream id \(entry.streamId) does not come after \(lastStreamId), that of seq \(head.seq)")
        }
        let recomputed = AuditChain.hash(of: entry)
        if entry.hash != recomputed {
            return broken(
                "stored hash \(entry.hash) is not the hash of the entry's content, \(recomputed); the entry was changed"
            )
        }
        return nil
    }

    /// Whether stream id `later` (`milliseconds-sequence`) sorts after `earlier`; malformed ids never do.
    static func streamId(_ later: String, follows earlier: String) -> Bool {
        guard let later = streamIdParts(later), let earlier = streamIdParts(earlier) else { return false }
        return later > earlier
    }

    private static func streamIdParts(_ id: String) -> (UInt64, UInt64)? {
        var parts: (UInt64, UInt64) = (0, 0)
        var digits = 0
        var inSequence = false
        for byte in id.utf8 {
            if byte == UInt8(ascii: "-") && !inSequence && digits > 0 {
                inSequence = true
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), digits < 19 else { return nil }
            let digit = UInt64(byte - UInt8(ascii: "0"))
            if inSequence { parts.1 = parts.1 * 10 + digit } else { parts.0 = parts.0 * 10 + digit }
            digits += 1
        }
        return inSequence && digits > 0 ? parts : nil
    }
}
